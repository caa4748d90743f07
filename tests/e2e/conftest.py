"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's
live server. Without /usr/bin/chromium or the playwright package the folder is skipped,
except under CI=true, where that is a failure."""

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None


def _missing() -> str | None:
    if sync_playwright is None:
        return "playwright 未安装（pip install -e '.[dev]'）"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} 不存在（apt-get install chromium fonts-noto-cjk）"
    return None


MISSING = _missing()
CI = os.environ.get("CI", "").lower() == "true"


def pytest_runtest_setup(item):
    """No browser: every test here is skipped with one reason, reported on one line (raised here,
    not in a fixture, so pytest groups them); under CI=true that is a failure instead."""
    if MISSING and CI:
        pytest.fail(f"CI=true 但浏览器测试无法运行：{MISSING}", pytrace=False)
    if MISSING:
        pytest.skip(f"浏览器测试跳过：{MISSING}")


# Playwright's sync API runs an event loop in the test thread; Django then refuses ORM calls
# there unless told the (single-threaded) test process may make them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# English words of Django's (and any web app's) interface that must not show on a Chinese page.
# Whole words, case-sensitive: data such as user names (clerk_a, legal_a) is not flagged.
UNTRANSLATED = [
    "This field is required", "Enter a valid", "Select a valid choice", "Save", "Delete", "Log in",
    "Password", "Username", "Next", "Previous", "Page", "of", "Submit", "Cancel", "Search", "Filter",
    "Home", "Dashboard", "Logout", "Log out", "Error", "Not Found", "Forbidden", "Server Error",
    "Traceback", "descending", "ascending", "Unknown", "Any date", "Yes", "No",
]  # fmt: skip
_UNTRANSLATED_RE = re.compile(
    r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(w) for w in UNTRANSLATED) + r")(?![A-Za-z0-9_])"
)


class UI:
    """One user's browser tab: navigation that checks every page it lands on, and screenshots."""

    def __init__(self, page, base_url: str, journey: str):
        self.page = page
        self.base_url = base_url
        self.dir = OUTPUT / journey
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.shots = 0
        self.responses = []  # main-frame document responses since the last check
        self.page_errors = []  # script errors and Content-Security-Policy refusals
        self.in_flight = set()  # requests sent and not yet answered (a fragment a page fetches)
        page.on("request", lambda request: self.in_flight.add(request))
        page.on("requestfinished", lambda request: self.in_flight.discard(request))
        page.on("requestfailed", lambda request: self.in_flight.discard(request))
        page.on("response", self._on_response)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("console", self._on_console)

    def _on_console(self, message):
        if message.type == "error" and (
            "Content Security Policy" in message.text or "Refused to" in message.text
        ):
            self.page_errors.append(message.text)

    def _on_response(self, response):
        request = response.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.responses.append(response)

    def settle(self, seconds: float = 15):
        """Wait until the server has answered every request this tab sent: a fragment still being
        made when the test ends would otherwise meet the database being emptied for the next."""
        for _ in range(int(seconds * 20)):
            if not self.in_flight or self.page.is_closed():
                return
            self.page.wait_for_timeout(50)

    def close(self):
        self.settle()
        self.page.context.close()

    def url(self, path: str) -> str:
        return self.base_url + path

    def check(self, status: int | None = None):
        """The page we are on is no server error, has the expected status and no English UI text."""
        seen, self.responses = self.responses, []
        errors = [f"{r.status} {r.url}" for r in seen if r.status >= 500]
        assert not errors, f"server error: {errors}"
        script_errors, self.page_errors = self.page_errors, []
        assert not script_errors, f"{self.page.url}: {script_errors}"
        if status is not None:
            assert seen, f"no page was loaded (expected {status})"
            assert seen[-1].status == status, f"{seen[-1].url}: {seen[-1].status}, expected {status}"
        text = self.page.title() + "\n" + self.page.inner_text("body")
        found = sorted({m.group(1) for m in _UNTRANSLATED_RE.finditer(text)})
        assert not found, f"{self.page.url}: English interface text {found} in:\n{text}"
        return text

    def goto(self, path: str, status: int | None = 200) -> str:
        self.page.goto(self.url(path))
        return self.check(status)

    def submit(self, locator, status: int | None = 200) -> str:
        """Click something that loads a new page (a submit button, a link)."""
        with self.page.expect_navigation():
            locator.click()
        return self.check(status)

    def shot(self, name: str):
        self.shots += 1
        self.page.screenshot(path=str(self.dir / f"{self.shots:02d}-{name}.png"), full_page=True)

    def login(self, username: str, password: str = PASSWORD) -> str:
        self.goto("/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        return self.submit(self.page.get_by_role("button", name="登录"))


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def open_ui(chromium, live_server):
    """`open_ui(journey)`: a fresh browser context (no cookies) on the live server."""
    tabs = []

    def open_(journey: str) -> UI:
        context = chromium.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )  # fmt: skip
        context.set_default_timeout(5_000)
        tabs.append(UI(context.new_page(), live_server.url, journey))
        return tabs[-1]

    yield open_
    for tab in tabs:
        tab.close()
