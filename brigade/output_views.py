"""The pages of a file made by the worker (brigade.outputs): its progress, then its download.
A job is its requester's alone: anyone else gets a 404. A file whose version was withdrawn or
replaced (`outputs.void_reason`) is not downloaded: its page says why."""

from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from brigade import outputs
from brigade.breadcrumbs import trail
from brigade.filenames import content_disposition
from brigade.models import Job


def _job(request, pk) -> Job:
    """The user's own job, while the user may still have what it holds (else a 404 as for
    anyone else's)."""
    job = get_object_or_404(Job.objects.select_related("user"), pk=pk, user=request.user)
    if not outputs.may_fetch(job):
        raise Http404("文件不存在或已无权查看")
    return job


def _state(job: Job) -> dict:
    stopped = outputs.interrupted(job)
    return {
        "status": "interrupted" if stopped else job.status,
        "status_display": "已中断" if stopped else job.get_status_display(),
        "message": job.message,
        "done": job.progress,
        "total": job.total,
    }


def _breadcrumbs(job: Job) -> list:
    """Back to where the file was asked for (`params["back"]`, set by the view that asked: the
    ledger's list as filtered, the report), then the file itself."""
    back = [tuple(step) for step in (job.params or {}).get("back", [])]
    return trail(*back, (job.title, None))


@require_GET
def output_detail(request, pk):
    job = _job(request, pk)
    void = outputs.void_reason(job) if job.status == Job.Status.DONE else None
    expired = outputs.expired(job)
    gone = job.status == Job.Status.DONE and (expired or not job.file)
    # 重试 after a failure that may pass, 重新生成 once the file is gone; never for a void file
    again = outputs.ask_again(job) if outputs.can_retry(job) or (gone and not void) else None
    return render(request, "outputs/detail.html", {
        "job": job, "state": _state(job), "again": again, "expired": expired, "void": void,
        "breadcrumbs": _breadcrumbs(job),
    })  # fmt: skip


@require_GET
def output_status(request, pk):
    return JsonResponse(_state(_job(request, pk)))


@require_GET
def output_download(request, pk):
    job = _job(request, pk)
    if job.status != Job.Status.DONE or not job.file or outputs.expired(job):
        return redirect("output_detail", pk=job.pk)
    if outputs.void_reason(job) is not None:  # its version withdrawn: the page says so
        return redirect("output_detail", pk=job.pk)
    try:
        opened = job.file.open("rb")
    except FileNotFoundError:  # removed from the disk by hand or lost: its page says to make it again
        Job.objects.filter(pk=job.pk).update(file="")
        return redirect("output_detail", pk=job.pk)
    response = FileResponse(opened, content_type=job.content_type)
    response["Content-Disposition"] = content_disposition(job.filename)
    return response


@require_GET
def old_file(request, old, to):
    """/files/<id>/, a link kept from before jobs were one model: the job that file is now."""
    job = get_object_or_404(Job, result__output_id=old, user=request.user)
    return redirect(to, pk=job.pk)
