"""A large import as a clerk follows it on a phone (390×844) and a laptop (1366×768): the upload
is checked by the worker while the preview page counts the rows checked, the page shows the
preview by itself when the check is done, and after 确认导入 it says the import is queued, then
正在写入 with how many rows, then the outcome, all without the clerk reloading. Screenshots go to
test-output/e2e/import-progress-<width>/.

The worker here is the test itself: it runs the worker's own functions (outputs.job_run) while the page in the browser polls, pausing at a few progress reports until
the page has shown them."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brigade import outputs
from brigade.ledger import importer, jobs
from brigade.models import Job, Training
from tests.e2e.test_journeys import TRAINING_HEADER, XLSX, xlsx

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [(390, 844), (1366, 768)]
ROWS = 300
CHUNK = 100  # rows checked between two progress reports (the product's are 1,000, then 10,000)
WAIT = 15_000  # ms: the page polls once a second, on a loaded machine give it a while
REPORTER = jobs._Progress  # the worker's own, before this test wraps it


class PageFollows:
    """The worker's progress reporter, which, after each report it is to watch, waits until the
    page in the browser shows it (phase, count, total) before the worker goes on."""

    def __init__(self, ui, watch):
        self.ui, self.page, self.watch, self.seen = ui, ui.page, watch, []

    def reporter(self):
        follows = self

        class Reporter(REPORTER):
            def __call__(self, phase, done, total=None):
                super().__call__(phase, done, total)
                expected = follows.watch(phase, done, total)
                if expected:
                    follows.shows(*expected)

        return Reporter

    def shows(self, phase: str, count: str, total: str):
        page = self.page
        expect(page.locator("#job-phase")).to_have_text(phase, timeout=WAIT)
        expect(page.locator("#job-count")).to_have_text(count, timeout=WAIT)
        expect(page.locator("#job-total")).to_have_text(total, timeout=WAIT)
        self.seen.append((phase, count, total))
        self.ui.shot(f"progress-{phase}-{count}")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_large_import_shows_its_progress_until_done(open_ui, clerk, settings, monkeypatch, width, height):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # no worker
    monkeypatch.setattr(jobs, "PREVIEW_INLINE_BYTES", 1024)  # this upload is "large": the worker checks it
    monkeypatch.setattr(importer, "FIRST_CHUNK_ROWS", CHUNK)
    monkeypatch.setattr(importer, "CHUNK_ROWS", CHUNK)
    year = timezone.localdate().year - 1
    content = xlsx([
        TRAINING_HEADER,
        *[[datetime.date(year, 1 + n % 12, 1 + n % 28), f"第{n + 1}期交通安全法规学习", "专题学法", "线下", 20, 2, ""]
          for n in range(ROWS)],
    ])  # fmt: skip
    assert len(content) > jobs.PREVIEW_INLINE_BYTES
    ui = open_ui(f"import-progress-{width}")
    page = ui.page
    page.set_viewport_size({"width": width, "height": height})
    ui.login(clerk.username)
    ui.goto("/ledgers/training/import/")
    page.set_input_files(
        "input[name=file]", {"name": "全年学法培训.xlsx", "mimeType": XLSX, "buffer": content}
    )
    text = ui.submit(page.get_by_role("button", name="上传并检查"))
    assert "检查完成后本页自动显示预览" in text and page.get_by_role("button", name="确认导入").count() == 0
    job = Job.objects.get()

    # The check: the count moves 100, 200 (of a total not known until the file is read).
    follows = PageFollows(
        ui, lambda phase, done, total: ("正在检查", str(done), "…") if done < ROWS else None
    )
    monkeypatch.setattr(jobs, "_Progress", follows.reporter())
    ui.shot("checking")
    assert outputs.job_run(job_id=job.pk) == Job.Status.PREVIEW
    assert [count for _, count, _ in follows.seen] == ["100", "200"]
    # done: the page reloads by itself into the preview
    expect(page.get_by_role("button", name="确认导入")).to_be_visible(timeout=WAIT)
    text = ui.check()
    assert f"将新增：{ROWS}" in text and "错误：0" in text
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "scrolls sideways"
    ui.shot("preview")

    # Confirmed: queued until the worker takes it, then checked again and written.
    text = ui.submit(page.get_by_role("button", name="确认导入"))
    assert "已排入导入队列" in text and not Training.objects.exists()
    ui.shot("queued")
    # The first report of writing is followed to the page: on SQLite it comes at 0 of 300, after
    # the check; on PostgreSQL chunks are written while later ones are checked (docs/imports.md),
    # so it may already count some.
    writing = []

    def first_write(phase, done, total):
        if phase == importer.WRITING and total and not writing:
            writing.append(done)
            return ("正在写入", str(done), str(total))
        return None

    follows = PageFollows(ui, first_write)
    monkeypatch.setattr(jobs, "_Progress", follows.reporter())
    assert outputs.job_run(job_id=job.pk) == Job.Status.DONE
    assert follows.seen == [("正在写入", str(writing[0]), str(ROWS))]
    done = page.get_by_text(f"已导入：新增{ROWS}条，更新0条，未变化0条")
    expect(done).to_be_visible(timeout=WAIT)  # reloaded by itself
    ui.check()
    assert Training.objects.filter(brigade=clerk.brigade).count() == ROWS
    ui.shot("done")
