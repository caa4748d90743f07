"""What the server keeps of an upload: nothing once it is imported, abandoned (放弃) or left a
day without a decision; one copy of a file however often it is uploaded."""

import datetime
import io
import os
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from brigade.ledger import jobs
from brigade.models import Job, Training
from tests.brigade.test_import_export import TRAINING_HEADER, training_rows
from tests.conftest import login, make_xlsx


def stored() -> list[Path]:
    """The upload files under MEDIA_ROOT (names; hard links to one copy are several names)."""
    root = Path(settings.MEDIA_ROOT) / "imports"
    return (
        sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
        if root.exists()
        else []
    )


def bytes_on_disk(paths) -> int:
    """The bytes the files take: each copy once, however many names link to it."""
    copies = {}
    for path in paths:
        info = path.stat()
        copies[(info.st_dev, info.st_ino)] = info.st_size
    return sum(copies.values())


def upload(client, rows, name="台账.xlsx"):
    content = io.BytesIO(rows) if isinstance(rows, bytes) else make_xlsx(rows)
    content.name = name
    client.post(reverse("ledger:import", args=["training"]), {"file": content})
    return Job.objects.latest("pk")


def test_the_same_file_uploaded_twelve_times_is_stored_once(clerk, legal):
    content = make_xlsx([TRAINING_HEADER, *training_rows(5)]).getvalue()  # one file's bytes
    size = len(content)
    clients = [login(clerk), login(legal)]
    for n in range(12):
        job = upload(clients[n % 2], content)
        assert job.status == Job.Status.PREVIEW, job.result
    assert Job.objects.count() == 12
    files = stored()
    assert len(files) == 12  # a name per job …
    assert bytes_on_disk(files) == size  # … one copy of the bytes
    assert len({p.parent for p in files}) == 1 and files[0].parent.name == job.sha256  # by content
    # another file is another copy
    other = upload(clients[0], [TRAINING_HEADER, *training_rows(6)])
    assert bytes_on_disk(stored()) > size and other.file.name.split("/")[1] == other.sha256

    # Abandoning or importing one of them leaves the others' file whole.
    first, second = Job.objects.filter(sha256=job.sha256).order_by("pk")[:2]
    clients[0].post(reverse("ledger:import_abandon", args=["training", first.pk]))
    clients[0].post(reverse("ledger:import_confirm", args=["training", second.pk]))
    second.refresh_from_db()
    assert second.status == Job.Status.DONE and Training.objects.count() == 5
    remaining = Job.objects.filter(sha256=job.sha256, status=Job.Status.PREVIEW)
    assert remaining.count() == 10
    for left in remaining:
        with left.file.open("rb") as fh:
            assert len(fh.read()) == size
    for left in remaining:
        clients[0].post(reverse("ledger:import_abandon", args=["training", left.pk]))
    assert [p.parent.name for p in stored()] == [other.sha256]
    assert not (Path(settings.MEDIA_ROOT) / "imports" / job.sha256).exists()


def test_abandoning_a_preview_removes_its_upload_at_once(clerk):
    client = login(clerk)
    job = upload(client, [TRAINING_HEADER, *training_rows(5)])
    path = Path(job.file.path)
    assert path.exists()
    response = client.post(reverse("ledger:import_abandon", args=["training", job.pk]))
    assert response["Location"] == reverse("ledger:list", args=["training"])
    job.refresh_from_db()
    assert job.status == Job.Status.ABANDONED and not job.file and not path.exists()
    assert stored() == []
    page = client.get(reverse("ledger:list", args=["training"])).content.decode()
    assert "已放弃导入「台账.xlsx」，上传的文件已从服务器删除" in page
    # nothing left to confirm
    client.post(reverse("ledger:import_confirm", args=["training", job.pk]))
    job.refresh_from_db()
    assert job.status == Job.Status.ABANDONED and not Training.objects.exists()


def test_the_preview_offers_abandon_as_a_form(clerk):
    client = login(clerk)
    job = upload(client, [TRAINING_HEADER, *training_rows(2)])
    page = client.get(reverse("ledger:import_preview", args=["training", job.pk])).content.decode()
    assert f'formaction="{reverse("ledger:import_abandon", args=["training", job.pk])}"' in page


def test_a_preview_left_a_day_is_abandoned_and_its_file_removed(clerk):
    client = login(clerk)
    old = upload(client, [TRAINING_HEADER, *training_rows(5)])
    old_path = Path(old.file.path)
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=1, minutes=1))
    recent = upload(client, [TRAINING_HEADER, *training_rows(3)])  # every upload sweeps
    old.refresh_from_db()
    assert old.status == Job.Status.ABANDONED and not old.file and not old_path.exists()
    recent.refresh_from_db()
    assert recent.status == Job.Status.PREVIEW and os.path.exists(recent.file.path)


def test_a_failed_import_keeps_its_file_a_day_for_a_retry(clerk):
    client = login(clerk)
    job = upload(client, [TRAINING_HEADER, *training_rows(2)])
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED)
    jobs.clean_up()
    job.refresh_from_db()
    assert job.file and jobs.can_retry(job)
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    jobs.clean_up()
    job.refresh_from_db()
    assert not job.file and not jobs.can_retry(job) and stored() == []


def test_a_refused_file_is_not_kept(clerk):
    rows = [TRAINING_HEADER, *training_rows(2)]
    rows[1][4] = "很多"
    job = upload(login(clerk), rows)
    assert job.status == Job.Status.REFUSED and stored() == []
