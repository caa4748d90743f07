"""Imports under concurrency and with a real worker: two imports of one ledger never interleave,
an import that meets another user's new key says so, a job whose worker died is retried at once,
and on the embedded SQLite default other users keep working while an import writes."""

import datetime
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.urls import reverse

from brigade import outputs
from brigade.ledger import jobs, registry
from brigade.ledger.importer import ledger_import
from brigade.models import Job, Training
from enforcement.models import Violation, ViolationType
from tests.brigade.test_import_export import TRAINING_HEADER, training_rows
from tests.conftest import login, make_xlsx
from tests.enforcement.test_import import VIOLATION_HEADER, violation
from tests.threads import in_thread

ROOT = Path(__file__).resolve().parents[2]
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's locks")


def hold_import_lock(brigade, kind):
    """Hold the ledger's import lock on a connection of its own until the event is set."""
    from brigade.ledger import importer

    taken, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            importer._serialise(registry.get(kind), brigade, None)
            taken.set()
            release.wait(30)

    thread, outcome = in_thread(hold)
    assert taken.wait(10)
    return release, thread


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_a_keyless_ledger_at_once_write_each_row_once(brigade):
    rows = [TRAINING_HEADER, *training_rows(300)]
    overlapping = [TRAINING_HEADER, *training_rows(300, start=100)]  # rows 100–299 in both
    release, holder = hold_import_lock(brigade, "training")  # both start, then wait for it
    waited = []
    first, a = in_thread(lambda: ledger_import(ledger=registry.get("training"), brigade=brigade,
                                               source=make_xlsx(rows), on_wait=lambda: waited.append(1)))  # fmt: skip
    second, b = in_thread(lambda: ledger_import(ledger=registry.get("training"), brigade=brigade,
                                                source=make_xlsx(overlapping), on_wait=lambda: waited.append(2)))  # fmt: skip
    time.sleep(1)
    assert sorted(waited) == [1, 2] and Training.objects.count() == 0  # both told they wait
    release.set()
    for thread in (holder, first, second):
        thread.join(60)
    assert "error" not in a and "error" not in b
    results = [a["value"], b["value"]]
    assert all(r.written for r in results)
    assert Training.objects.count() == 400  # 0–399, none twice
    assert sorted(r.unchanged for r in results) == [0, 200]


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("violation_types")
def test_two_keyed_imports_at_once_update_rather_than_fail(brigade):
    one = [VIOLATION_HEADER, *[violation(f"J{n}") for n in range(200)]]
    two = [VIOLATION_HEADER, *[violation(f"J{n}", 记分=6) for n in range(100, 300)]]
    release, holder = hold_import_lock(brigade, "violations")
    first, a = in_thread(
        lambda: ledger_import(ledger=registry.get("violations"), brigade=brigade, source=make_xlsx(one))
    )
    second, b = in_thread(
        lambda: ledger_import(ledger=registry.get("violations"), brigade=brigade, source=make_xlsx(two))
    )
    time.sleep(0.5)
    release.set()
    for thread in (holder, first, second):
        thread.join(60)
    assert "error" not in a and "error" not in b
    assert a["value"].written and b["value"].written
    assert Violation.objects.count() == 300
    assert sorted((a["value"].updated, b["value"].updated)) in ([0, 100], [0, 0])  # the later one updates


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("violation_types")
def test_a_key_another_user_saves_meanwhile_is_a_plain_message_and_nothing_is_written(brigade):
    saved, go_on = threading.Event(), threading.Event()

    def other_user():
        with transaction.atomic():
            Violation.objects.create(
                brigade=brigade, decision_no="K150", occurred_at=datetime.datetime(2024, 3, 5, 13, tzinfo=datetime.UTC),
                violation_type=ViolationType.objects.get(name="酒后驾驶"), method="现场", outcome="罚款", fine=200,
                points=0,
            )  # fmt: skip
            saved.set()
            go_on.wait(30)  # commits while the import is writing that key

    user, outcome = in_thread(other_user)
    assert saved.wait(10), outcome
    rows = [VIOLATION_HEADER, *[violation(f"K{n}") for n in range(300)]]
    importing, result = in_thread(
        lambda: ledger_import(ledger=registry.get("violations"), brigade=brigade, source=make_xlsx(rows))
    )
    time.sleep(1)  # the import's COPY now waits on the other user's uncommitted K150
    go_on.set()
    user.join(30), importing.join(60)
    assert "error" not in outcome and "error" not in result, result.get("error")
    assert not result["value"].written
    assert "与其他用户刚录入的记录冲突" in str(result["value"].errors[0])
    assert list(Violation.objects.values_list("decision_no", flat=True)) == ["K150"]


def _upload_and_confirm(client, kind, rows):
    client.post(reverse("ledger:import", args=[kind]), {"file": make_xlsx(rows)})
    job = Job.objects.latest("pk")
    assert job.status == Job.Status.PREVIEW, job.result
    client.post(reverse("ledger:import_confirm", args=[kind, job.pk]))
    job.refresh_from_db()
    return job


def test_a_job_left_running_by_a_dead_worker_is_retried_at_once(clerk, settings):
    client = login(clerk)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    job = _upload_and_confirm(client, "training", [TRAINING_HEADER, *training_rows(30)])
    # a worker took it and died: nobody holds the job's lock any more
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    job.refresh_from_db()
    assert jobs.interrupted(job)
    page = client.get(reverse("ledger:import_preview", args=["training", job.pk])).content.decode()
    assert "已中断" in page and "重新导入" in page
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    response = client.post(reverse("ledger:import_confirm", args=["training", job.pk]))
    assert response["Location"] == reverse("ledger:list", args=["training"])
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and Training.objects.count() == 30


def test_a_running_job_is_alive_however_long_it_is_silent(clerk, settings):
    """SQLite: a long write cannot report progress (it holds the one write lock); the job's file
    lock, held by its worker, says it is alive all the same."""
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL liveness is the worker's session lock (the worker test below)")
    client = login(clerk)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    job = _upload_and_confirm(client, "training", [TRAINING_HEADER, *training_rows(3)])
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, heartbeat_at=None)
    job.refresh_from_db()
    held = outputs._try_hold(job.pk)  # as its worker does
    try:
        assert not jobs.interrupted(job)
        client.post(reverse("ledger:import_confirm", args=["training", job.pk]))
        job.refresh_from_db()
        assert job.status == Job.Status.RUNNING and not Training.objects.exists()
    finally:
        outputs._release(held)
    assert jobs.interrupted(job)  # its worker gone


# ── the worker process itself ─────────────────────────────────────────────────────────────────


def _worker(database_url, *args):
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "1", "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
           "MEDIA_ROOT": str(django_settings.MEDIA_ROOT)}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def _test_database_url():
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_worker_process_imports_a_confirmed_file_and_its_death_is_seen_at_once(clerk, brigade, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = login(clerk)
    url = _test_database_url()

    # 1. A worker takes a confirmed job; it waits for the ledger's import lock (held here), so
    #    it is caught in the middle. It is killed: the job is seen interrupted at once.
    release, holder = hold_import_lock(brigade, "training")
    job = _upload_and_confirm(client, "training", [TRAINING_HEADER, *training_rows(40)])
    assert job.status == Job.Status.QUEUED
    worker = _worker(url)
    try:
        for _ in range(100):
            job.refresh_from_db()
            if job.status == Job.Status.RUNNING and "等它完成" in job.message:
                break
            time.sleep(0.1)
        assert job.status == Job.Status.RUNNING and not jobs.interrupted(job), job.message
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        for _ in range(50):  # the server ends the dead connection's session: its lock goes
            if jobs.interrupted(job):
                break
            time.sleep(0.1)
        assert jobs.interrupted(job)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        release.set()
        holder.join(10)
    assert not Training.objects.exists()

    # 2. Retried: a new worker imports it, once.
    client.post(reverse("ledger:import_confirm", args=["training", job.pk]))
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    worker = _worker(url, "--batch")
    output = worker.communicate(timeout=120)[0].decode()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, output
    assert job.progress == 40 and Training.objects.count() == 40


# ── the embedded default ──────────────────────────────────────────────────────────────────────


USER_WORK = textwrap.dedent(
    """
    import time
    from django.test import Client
    from brigade.models import User, Training
    clerk = User.objects.get(username="clerk_a")
    client = Client()
    client.force_login(clerk)
    failures, saves, pages = [], 0, 0
    end = time.monotonic() + SECONDS
    n = 0
    while time.monotonic() < end:
        n += 1
        page = client.get("/ledgers/training/")
        pages += 1
        if page.status_code != 200:
            failures.append(("list", page.status_code))
        saved = client.post("/ledgers/training/new/", {
            "date": "2025-06-01", "name": f"同时录入{n}", "kind": "专题学法", "mode": "线下",
            "attendees": 10, "hours": 2, "content": "",
        })
        saves += 1
        if saved.status_code != 302:
            failures.append(("save", saved.status_code))
        dashboard = client.get("/")
        if dashboard.status_code != 200:
            failures.append(("dashboard", dashboard.status_code))
    print("RESULT", pages, saves, failures)
    """
)


def test_on_sqlite_other_users_keep_working_while_a_large_import_writes(tmp_path):
    """`make run`'s database: a worker writes 30,000 rows while a clerk lists, saves and opens
    the dashboard over and over. Nothing fails; the clerk's saves are all there afterwards."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DEBUG": "1",
           "TASKS_BACKEND": "django_tasks_db.DatabaseBackend", "MEDIA_ROOT": str(tmp_path)}  # fmt: skip
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def manage(*args, **kwargs):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                              capture_output=True, timeout=300, **kwargs)  # fmt: skip

    manage("migrate", "--noinput", "-v0")
    manage("add_brigade", "a", "--name", "甲县公安局交通警察大队")
    manage(
        "add_user",
        "clerk_a",
        "--brigade",
        "a",
        "--role",
        "clerk",
        "--password-stdin",
        input=b"Clerk-Passw0rd-1\n",
    )
    big = make_xlsx([TRAINING_HEADER, *training_rows(30_000)])
    path = tmp_path / "big.xlsx"
    path.write_bytes(big.getvalue())
    importing = subprocess.Popen([sys.executable, "manage.py", "import_ledger", "training", str(path), "--brigade", "a"],
                                 cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    time.sleep(1)  # the import is under way
    user = subprocess.run([sys.executable, "manage.py", "shell", "-c", USER_WORK.replace("SECONDS", "12")],
                          cwd=ROOT, env=env, capture_output=True, timeout=300)  # fmt: skip
    out = importing.communicate(timeout=300)[0].decode()
    assert importing.returncode == 0, out
    report = user.stdout.decode() + user.stderr.decode()
    assert "RESULT" in report, report
    line = next(line for line in report.splitlines() if line.startswith("RESULT"))
    _, pages, saves, failures = line.split(" ", 3)
    assert failures == "[]", report
    assert int(saves) > 0
    count = manage(
        "shell", "-c", "from brigade.models import Training; print(Training.objects.count())"
    ).stdout
    assert int(count.split()[-1]) == 30_000 + int(saves)


def test_a_job_whose_upload_is_gone_says_so_and_offers_no_retry(clerk, settings):
    client = login(clerk)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    job = _upload_and_confirm(client, "training", [TRAINING_HEADER, *training_rows(3)])
    job.file.storage.delete(job.file.name)  # cleaned away meanwhile
    assert outputs.job_run(job_id=job.pk) == Job.Status.FAILED
    page = client.get(reverse("ledger:import_preview", args=["training", job.pk])).content.decode()
    assert "已不在服务器上" in page and "重新导入" not in page
