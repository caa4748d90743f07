"""The import pages every ledger shares: the template, the upload, its preview, confirm,
abandon and the progress the page polls (docs/imports.md)."""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import generic

from brigade import access, outputs
from brigade.ledger import jobs
from brigade.ledger.importer import readable
from brigade.ledger.views import LedgerMixin, xlsx_response
from brigade.ledger.xlsx import FileRefused, template_workbook
from brigade.models import Job


class TemplateDownloadView(LedgerMixin, generic.View):
    action = access.ADD

    def get(self, request, *args, **kwargs):
        content = template_workbook(self.ledger, request.user.brigade)
        return xlsx_response(content, f"{self.ledger.title}-导入模板.xlsx")


class ImportView(LedgerMixin, generic.TemplateView):
    """Upload → a dry run that lists every bad cell, or what will be created and updated."""

    action = access.ADD
    template_name = "ledger/import.html"

    def crumbs(self):
        return [("Excel导入", None)]

    def post(self, request, *args, **kwargs):
        upload = request.FILES.get("file")
        error = _check_upload(upload)
        if error:
            return self.render_to_response(self.get_context_data(error=error))
        jobs.clean_up()  # uploads left a day without a decision
        content = upload.read()
        sha256 = hashlib.sha256(content).hexdigest()
        running = jobs.same_file_running(
            brigade_id=request.user.brigade_id, kind=self.ledger.kind, sha256=sha256
        )
        if running:
            error = f"同一文件正在导入中（{timezone.localtime(running.created_at):%H:%M}上传），请等它完成后再上传"
            return self.render_to_response(self.get_context_data(error=error))
        job = jobs.import_job_new(
            brigade=request.user.brigade,
            user=request.user,
            ledger=self.ledger.kind,
            filename=upload.name,
            sha256=sha256,
            size=len(content),
        )
        jobs.store_upload(job, content, suffix=upload.name.rpartition(".")[2].lower())
        if job.size > jobs.PREVIEW_INLINE_BYTES:
            # Checking some 30,000 rows takes seconds: the worker does it, the preview page follows.
            job = jobs.import_preview_queue(job=job)
        else:
            try:
                jobs.import_job_preview(job=job)
            except FileRefused as e:
                return self.render_to_response(self.get_context_data(error=readable(str(e))))
        return redirect(self.url("import_preview", job_id=job.pk))


UPLOAD_SUFFIXES = ("xlsx", "xls", "ods", "csv")


def _check_upload(upload) -> str | None:
    if upload is None:
        return "请选择要导入的文件（.xlsx、.xls、.ods 或 .csv）"
    if upload.name.rpartition(".")[2].lower() not in UPLOAD_SUFFIXES:
        return f"「{upload.name}」不是表格文件。可以导入 Excel（.xlsx、.xls）、WPS 或 LibreOffice（.ods）表格，或 .csv 文件"
    limit = settings.IMPORT_MAX_MB
    if upload.size > limit * 1024 * 1024:
        return f"文件太大（{upload.size / 1024 / 1024:.1f} MB），单个文件不能超过 {limit} MB"
    return None


class JobMixin(LedgerMixin):
    action = access.ADD

    def dispatch(self, request, *args, **kwargs):
        self.job = get_object_or_404(
            jobs.imports(ledger=kwargs["kind"], brigade_id=request.user.brigade_id), pk=kwargs["job_id"]
        )
        return super().dispatch(request, *args, **kwargs)


class ImportPreviewView(JobMixin, generic.TemplateView):
    template_name = "ledger/import_preview.html"

    def crumbs(self):
        return [("Excel导入", self.url("import")), (f"导入预览：{self.job.filename}", None)]

    def get_context_data(self, **kwargs):
        job = self.job
        stopped = jobs.interrupted(job)
        retry = jobs.can_retry(job)
        return super().get_context_data(
            job=job, result=job.result, interrupted=stopped, retry=retry, total=progress_total(job), **kwargs
        )


class ImportConfirmView(JobMixin, generic.View):
    """Confirm (or retry after its worker died) → the job is queued for the worker; the preview
    page shows its progress. With the immediate task backend the import is done on return."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if self.job.status == Job.Status.CHECKING:
            if jobs.interrupted(self.job) and jobs.file_present(self.job):
                jobs.import_preview_queue(job=self.job)
            return redirect(self.url("import_preview", job_id=self.job.pk))
        try:
            job = jobs.import_job_confirm(job=self.job, user=request.user)
        except jobs.AlreadyRunning as e:
            messages.warning(request, str(e))
            return redirect(self.url("import_preview", job_id=self.job.pk))
        if job.status == Job.Status.DONE:
            result = job.result
            messages.success(
                request,
                f"导入完成：新增{result['created']}条，更新{result['updated']}条，未变化{result['unchanged']}条",
            )
            return redirect(self.url("list"))
        if job.status == Job.Status.FAILED:
            messages.error(request, "导入未完成，没有写入任何记录。" + (job.message or "请查看下方错误"))
        return redirect(self.url("import_preview", job_id=job.pk))


class ImportAbandonView(JobMixin, generic.View):
    """放弃 a preview (or a failed import): its upload is removed at once, the job stays."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        job = self.job
        if job.status in (Job.Status.PREVIEW, Job.Status.FAILED) or jobs.interrupted(job):
            jobs.abandon(job)
            messages.info(request, f"已放弃导入「{job.filename}」，上传的文件已从服务器删除")
            return redirect(self.url("list"))
        messages.warning(request, f"该文件的状态是“{job.get_status_display()}”，不能放弃")
        return redirect(self.url("import_preview", job_id=job.pk))


class ImportProgressView(JobMixin, generic.View):
    def get(self, request, *args, **kwargs):
        return JsonResponse(outputs.job_state(self.job, total=progress_total(self.job)))


def progress_total(job) -> int:
    """Of how many rows the progress counts: the rows to write while writing, else the file's
    rows as its preview counted them (0 while a large upload's preview reads it: not yet known)."""
    if job.phase == Job.Phase.WRITING and job.total:
        return job.total
    return (job.result or {}).get("rows", 0)
