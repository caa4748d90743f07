"""What a user meets when an action cannot be done, on a phone (390×844) and a laptop (1366×768),
with DEBUG on as under `make run`: a record a colleague deleted meanwhile, a mistyped address, a
colleague's edit link opened by the leader, a form left open while the user logged in again
elsewhere, a bookmarked action address. Each is a Chinese page of the site (404, 403, 405) that
fits the screen and leads back, never Django's English debug page. Screenshots go to
test-output/e2e/errors-<width>/."""

import datetime
import re

import pytest
from django.utils import timezone

from brigade.ledger import registry
from brigade.ledger.services import record_delete
from brigade.models import Training
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [(390, 844), (1366, 768)]
DEBUG_PAGE = ("Traceback", "Django", "DEBUG", "Request Method", "URLconf", "Forbidden", "CSRF")


def error_page(ui, text: str, heading: str) -> str:
    """The page just loaded (its status and English words checked by ui.goto/ui.submit, whose
    `text` this is) is the site's Chinese page: its heading, nothing of Django's debug page,
    nothing scrolling sideways, a way back."""
    page = ui.page
    assert page.locator("h1").inner_text().strip() == heading, text
    assert not [w for w in DEBUG_PAGE if w in text], text
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "scrolls sideways"
    back = page.get_by_role("link", name=re.compile("^返回"))
    assert back.count() == 1 and back.is_visible()
    return text


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_an_action_that_cannot_be_done_says_why_in_chinese(open_ui, settings, clerk, leader, width, height):
    settings.DEBUG = True  # as `make run`: Django would show its technical pages
    year = timezone.localdate().year - 1
    doomed, kept = (
        Training.objects.create(brigade=clerk.brigade, date=datetime.date(year, month, 1), name=name,
                                kind="专题学法", mode="线下", attendees=20)
        for month, name in ((3, "将被同事删除的培训"), (4, "留下的培训"))
    )  # fmt: skip
    ui = open_ui(f"errors-{width}")
    page = ui.page
    page.set_viewport_size({"width": width, "height": height})
    ui.login(clerk.username)

    # A record a colleague deleted while the list was open: tapping it says it is gone.
    ui.goto("/ledgers/training/")
    record_delete(ledger=registry.get("training"), record=Training.objects.get(pk=doomed.pk))
    row = page.locator("table.records tbody tr", has_text=doomed.name)
    error_page(ui, ui.submit(row.get_by_role("link", name="查看"), 404), "页面不存在（404）")
    ui.shot("deleted-record")
    ui.submit(page.get_by_role("link", name="返回驾驶舱"))  # back into the product
    assert page.url == ui.url("/")

    # A mistyped address: the same page, not Django's list of URL patterns.
    error_page(ui, ui.goto("/ledgers/trainings/", status=404), "页面不存在（404）")

    # A form left open in one tab while the user logged out and in again in another: its token
    # is stale. Submitting says so, in Chinese, and nothing is saved.
    ui.goto(f"/ledgers/training/{kept.pk}/edit/")
    page.fill("#id_name", "改了但没保存的名称")
    other = page.context.new_page()
    other.goto(ui.url("/"))
    with other.expect_navigation():
        other.locator("form[action='/logout/'] button").click()
    other.goto(ui.url("/login/"))
    other.fill("#id_username", clerk.username)
    other.fill("#id_password", PASSWORD)
    with other.expect_navigation():
        other.get_by_role("button", name="登录").click()
    other.close()
    text = error_page(ui, ui.submit(page.get_by_role("button", name="保存"), 403), "页面已过期（403）")
    assert "刚才提交的内容没有保存" in text
    Training.objects.get(pk=kept.pk, name="留下的培训")
    ui.shot("stale-form")

    # An action's address bookmarked or reloaded: what to do instead.
    error_page(ui, ui.goto("/reports/new/", status=405), "不能直接打开此地址（405）")
    ui.shot("action-address")

    # The clerk's edit link opened by the leader, who may read but not write.
    boss = open_ui(f"errors-leader-{width}")
    boss.page.set_viewport_size({"width": width, "height": height})
    boss.login(leader.username)
    text = error_page(boss, boss.goto(f"/ledgers/training/{kept.pk}/edit/", status=403), "无权访问（403）")
    assert "无权" in text
    boss.shot("forbidden")
