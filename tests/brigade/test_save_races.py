"""Saving a record while others write the same key: two clerks at once, a clerk and an import.
Each side is a connection of its own on a thread of its own (on SQLite a file database, as
`make run` has), and the order is forced, both ways: the loser gets its form back naming the
record that won, with a link to it, nothing saved; a save that would wait on a running import
waits a bounded time and is told so. Never an error page."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.test import Client
from django.urls import reverse

from brigade.ledger import registry, version_of, views
from brigade.ledger.importer import ledger_import
from brigade.models import Job
from brigade.services import user_upsert
from enforcement.models import Violation
from tests.conftest import PASSWORD, make_xlsx
from tests.enforcement.test_import import VIOLATION_HEADER, violation
from tests.records import good
from tests.threads import in_thread, shared_database

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("violation_types")]

KEY = "湘公交决字2025000777"


@pytest.fixture
def two_clerks(brigade, clerk, tmp_path):
    """Two clerks of the brigade, each with a browser, on a database both see."""
    other = user_upsert(username="clerk_b", brigade_code=brigade.code, role="clerk", password=PASSWORD)[0]
    with shared_database(tmp_path):
        browsers = {}
        for user in (clerk, other):
            browser = Client()
            browser.force_login(user)
            browsers[user.username] = browser
        yield browsers


class Gates:
    """Holds each named thread at two points of its save: before the write's transaction (its
    form already checked), and inside it after the row is written (before the commit)."""

    def __init__(self, monkeypatch):
        self.write = {}  # thread name → event that lets its write start
        self.commit = {}  # thread name → event that lets its transaction commit
        self.checked = {}  # thread name → set once its form is checked, before it writes
        self.written = {}  # thread name → set once its row is written, before the commit
        original = views.LedgerFormMixin.form_valid  # the view, before record_save runs

        def form_valid(view, form):
            name = threading.current_thread().name
            if name in self.write:
                self.checked[name].set()
                assert self.write[name].wait(30)
            return original(view, form)

        def hold_commit(sender, instance, **kwargs):
            name = threading.current_thread().name
            if name in self.commit:
                self.written[name].set()
                assert self.commit[name].wait(30)

        monkeypatch.setattr(views.LedgerFormMixin, "form_valid", form_valid)
        post_save.connect(hold_commit, sender=Violation, weak=False)
        self._receiver = hold_commit

    def add(self, name, *, hold_write=True, hold_commit=False):
        if hold_write:
            self.write[name], self.checked[name] = threading.Event(), threading.Event()
        if hold_commit:
            self.commit[name], self.written[name] = threading.Event(), threading.Event()

    def close(self):
        post_save.disconnect(self._receiver, sender=Violation)
        for event in [*self.write.values(), *self.commit.values()]:
            event.set()


@pytest.fixture
def gates(monkeypatch):
    g = Gates(monkeypatch)
    yield g
    g.close()


def post_in_thread(browser, url, data, name):
    result = {}

    def run():
        threading.current_thread().name = name
        return browser.post(url, data)

    thread, result = in_thread(run)
    return thread, result


def rendered(response) -> str:
    return response.content.decode()


def assert_lost_to(response, winner):
    """The loser's page: its form again, naming the winner's key with a link to it."""
    assert response.status_code == 200, response.status_code
    page = rendered(response)
    link = reverse("ledger:detail", args=["violations", winner.pk])
    assert "没有保存" in page and f'<a href="{link}">「{winner.decision_no}」</a>' in page, page
    assert "刚" in page or "同时" in page
    assert "<form" in page and 'name="decision_no"' in page


@pytest.mark.parametrize("first", ["clerk_a", "clerk_b"])
@pytest.mark.parametrize("timing", ["committed", "in_flight"])
def test_two_clerks_saving_the_same_key_at_once(two_clerks, gates, first, timing):
    """Both forms pass their check (the key is free), then `first` writes. `committed`: the
    other writes after it has committed; `in_flight`: while its transaction is still open (the
    other's write waits for it). Either way the other gets its form back, naming the winner."""
    second = "clerk_b" if first == "clerk_a" else "clerk_a"
    url = reverse("ledger:create", args=["violations"])
    data = good("violations") | {"decision_no": KEY}
    gates.add(first, hold_commit=timing == "in_flight")
    gates.add(second)
    winning, won = post_in_thread(two_clerks[first], url, data | {"location": first}, first)
    losing, lost = post_in_thread(two_clerks[second], url, data | {"location": second}, second)
    assert gates.checked[first].wait(30) and gates.checked[second].wait(30)  # both checked: key free

    gates.write[first].set()
    if timing == "committed":
        winning.join(30)
        gates.write[second].set()
    else:
        assert gates.written[first].wait(30)  # its row written, not committed
        gates.write[second].set()
        time.sleep(0.5)  # the second's write now waits for the first's transaction
        assert not lost, "the second may not finish before the first commits"
        gates.commit[first].set()
        winning.join(30)
    losing.join(60)

    assert "error" not in won and "error" not in lost, (won.get("error"), lost.get("error"))
    assert won["value"].status_code == 302
    winner = Violation.objects.get()
    assert (winner.decision_no, winner.location) == (KEY, first)
    assert_lost_to(lost["value"], winner)
    assert Violation.objects.count() == 1


@pytest.mark.parametrize("timing", ["committed", "in_flight"])
def test_an_edit_that_takes_a_key_another_user_just_saved(two_clerks, gates, brigade, timing):
    """clerk_a changes a record's key to one clerk_b saves meanwhile: clerk_a's edit is refused
    naming clerk_b's record; the record clerk_a edited keeps its key."""
    url = reverse("ledger:create", args=["violations"])
    assert (
        two_clerks["clerk_a"].post(url, good("violations") | {"decision_no": "旧编号001"}).status_code == 302
    )
    edited = Violation.objects.get()
    edit = reverse("ledger:update", args=["violations", edited.pk])
    changed = good("violations") | {"decision_no": KEY, "version": version_of(edited)}

    gates.add("clerk_b", hold_commit=timing == "in_flight")
    gates.add("clerk_a")
    creating, created = post_in_thread(
        two_clerks["clerk_b"], url, good("violations") | {"decision_no": KEY}, "clerk_b"
    )
    editing, refused = post_in_thread(two_clerks["clerk_a"], edit, changed, "clerk_a")
    assert gates.checked["clerk_b"].wait(30) and gates.checked["clerk_a"].wait(30)
    gates.write["clerk_b"].set()
    if timing == "committed":
        creating.join(30)
        gates.write["clerk_a"].set()
    else:
        assert gates.written["clerk_b"].wait(30)
        gates.write["clerk_a"].set()
        time.sleep(0.5)
        gates.commit["clerk_b"].set()
        creating.join(30)
    editing.join(60)

    assert "error" not in created and "error" not in refused, (created.get("error"), refused.get("error"))
    assert created["value"].status_code == 302
    winner = Violation.objects.get(decision_no=KEY)
    assert_lost_to(refused["value"], winner)
    edited.refresh_from_db()
    assert edited.decision_no == "旧编号001" and Violation.objects.count() == 2


def test_a_key_saved_before_the_form_is_checked_is_named_with_a_link(two_clerks):
    url = reverse("ledger:create", args=["violations"])
    assert two_clerks["clerk_b"].post(url, good("violations") | {"decision_no": KEY}).status_code == 302
    response = two_clerks["clerk_a"].post(url, good("violations") | {"decision_no": KEY})
    winner = Violation.objects.get()
    page = rendered(response)
    assert response.status_code == 200 and "本大队已有决定书编号相同的记录" in page
    assert f'<a href="{reverse("ledger:detail", args=["violations", winner.pk])}">「{KEY}」</a>' in page
    assert "clerk_b于" in page


def _running_job(brigade, clerk):
    return Job.objects.create(brigade=brigade, user=clerk, kind="import", params={"ledger": "violations"}, filename="三月违法.xlsx",
                                    sha256="0" * 64, status=Job.Status.RUNNING)  # fmt: skip


def _import_holding(brigade, *, release):
    """An import of a file with KEY among its rows, paused inside its transaction once it has
    written its rows (they hold their keys, uncommitted) until `release` is set."""
    written = threading.Event()
    rows = [VIOLATION_HEADER, *[violation(f"批量{n:04d}") for n in range(20)], violation(KEY)]

    def paused(phase, done, total=None):
        if phase != "writing" or not done:
            return  # the import is still checking the file, outside its transaction
        # On PostgreSQL the rows go through COPY on the import's second thread, on the same
        # connection: a query here waits for it and then sees them (the import's own transaction).
        deadline = time.monotonic() + 30
        while not Violation.objects.filter(decision_no=KEY).exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        written.set()
        assert release.wait(60)

    thread, outcome = in_thread(
        lambda: ledger_import(
            ledger=registry.get("violations"), brigade=brigade, source=make_xlsx(rows), progress=paused
        )
    )
    assert written.wait(30), outcome
    return thread, outcome


def test_a_save_that_meets_a_running_import_waits_a_bounded_time_and_says_so(
    two_clerks, brigade, clerk, settings
):
    settings.RECORD_SAVE_WAIT_SECONDS = 1
    _running_job(brigade, clerk)
    release = threading.Event()
    importing, imported = _import_holding(brigade, release=release)
    try:
        started = time.monotonic()
        response = two_clerks["clerk_a"].post(
            reverse("ledger:create", args=["violations"]), good("violations") | {"decision_no": KEY}
        )
        waited = time.monotonic() - started
    finally:
        release.set()
        importing.join(60)
    assert response.status_code == 200 and waited < 5, (response.status_code, waited)
    page = rendered(response)
    assert "违法查处台账正在导入「三月违法.xlsx」" in page and "请稍后再保存" in page, page
    assert "没有保存" in page and 'name="decision_no"' in page
    assert "error" not in imported and imported["value"].written, imported
    assert Violation.objects.filter(decision_no=KEY).count() == 1  # the import's, not the form's
    assert Violation.objects.count() == 21


def test_a_save_that_meets_an_import_that_then_commits_names_the_imported_record(
    two_clerks, brigade, settings
):
    settings.RECORD_SAVE_WAIT_SECONDS = 30
    release = threading.Event()
    importing, imported = _import_holding(brigade, release=release)
    saving, saved = in_thread(
        lambda: two_clerks["clerk_a"].post(
            reverse("ledger:create", args=["violations"]), good("violations") | {"decision_no": KEY}
        )
    )
    time.sleep(1)  # the form is checked (the import's rows are not committed) and its write waits
    assert not saved
    release.set()
    importing.join(60), saving.join(60)
    assert "error" not in imported and imported["value"].written, imported
    assert "error" not in saved, saved.get("error")
    assert_lost_to(saved["value"], Violation.objects.get(decision_no=KEY))
    assert Violation.objects.count() == 21


def test_a_delete_that_meets_a_running_import_is_refused_with_a_message(two_clerks, brigade, settings):
    settings.RECORD_SAVE_WAIT_SECONDS = 1
    url = reverse("ledger:create", args=["violations"])
    created = two_clerks["clerk_a"].post(url, good("violations") | {"decision_no": "待删除001"}, follow=True)
    assert created.status_code == 200  # and its message shown (a session write, which would wait too)
    record = Violation.objects.get()
    release = threading.Event()
    importing, imported = _import_holding(brigade, release=release)
    try:
        started = time.monotonic()
        response = two_clerks["clerk_a"].post(reverse("ledger:delete", args=["violations", record.pk]))
        waited = time.monotonic() - started
    finally:
        release.set()
        importing.join(60)
    assert waited < 5, waited
    if connection.vendor == "sqlite":  # the import holds the one write lock: the delete waited
        page = rendered(response)
        assert response.status_code == 200 and "请稍后再删除" in page and "没有删除" in page, page
        assert "确认删除" in page  # the page to delete it again, not an error page
        assert Violation.objects.filter(pk=record.pk).exists()
    else:  # PostgreSQL: the import holds other rows; the delete goes through
        assert response.status_code == 302 and not Violation.objects.filter(pk=record.pk).exists()


def test_the_bounded_wait_leaves_the_connection_as_it_was(two_clerks, settings):
    """On SQLite the save's shorter busy timeout is the save's alone."""
    settings.RECORD_SAVE_WAIT_SECONDS = 2
    two_clerks["clerk_a"].post(reverse("ledger:create", args=["violations"]), good("violations"))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == settings.DATABASES["default"]["OPTIONS"]["timeout"] * 1000
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "0"


def test_a_save_that_meets_an_import_from_the_command_line_says_so_too(two_clerks, brigade, settings):
    """No job of the browser's to name (import_ledger on the server): on PostgreSQL the import's
    own lock tells it is one; on SQLite only that the database is busy."""
    settings.RECORD_SAVE_WAIT_SECONDS = 1
    release = threading.Event()
    importing, imported = _import_holding(brigade, release=release)
    try:
        response = two_clerks["clerk_a"].post(
            reverse("ledger:create", args=["violations"]), good("violations") | {"decision_no": KEY}
        )
    finally:
        release.set()
        importing.join(60)
    page = rendered(response)
    assert response.status_code == 200 and "请稍后再保存" in page and "没有保存" in page, page
    assert ("该年度台账正在导入" if connection.vendor == "postgresql" else "正被其他操作占用（如导入") in page
    assert imported["value"].written and Violation.objects.count() == 21
