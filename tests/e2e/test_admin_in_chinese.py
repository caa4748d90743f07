"""The system administrator's pages as Chromium draws them, on a phone (390×844) and a laptop
(1366×768): what the admin's scripts write (the two-box permission chooser, built in the browser)
is Chinese, and a failed login made a moment ago is listed in Beijing time. The pages' HTML is
checked page by page in tests/brigade/test_admin.py; this is what only a browser shows.
Screenshots go to test-output/e2e/admin-<width>/."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [(390, 844), (1366, 768)]
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def listed_at(moment: datetime.datetime) -> str:
    """A time as the admin's lists show it: Beijing time, to the minute."""
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_admin_reads_in_chinese_in_the_browser(open_ui, admin_user, width, height):
    ui = open_ui(f"admin-{width}")
    page = ui.page
    page.set_viewport_size({"width": width, "height": height})

    # Someone mistypes a password: refused in Chinese, and recorded.
    before = timezone.now()
    ui.goto("/login/")
    page.fill("#id_username", "zhangsan")
    page.fill("#id_password", "wrong-password")
    text = ui.submit(page.get_by_role("button", name="登录"))
    assert "请输入一个正确的用户名和密码" in text, text
    after = timezone.now()

    ui.login(admin_user.username)
    ui.goto("/admin/")

    # The permissions of a role, chosen in a two-box widget the admin's script builds.
    group = Group.objects.get(name="录入员")
    ui.goto(f"/admin/auth/group/{group.pk}/change/")
    chooser = page.locator(".selector")
    expect(chooser.locator(".selector-chooseall")).to_be_visible(timeout=10_000)
    words = (
        chooser.inner_text()
        + " "
        + " ".join(
            chooser.locator("[title], [placeholder]").evaluate_all(
                "els => els.flatMap(el => [el.title, el.placeholder || ''])"
            )
        )
    )
    assert not LATIN_WORD.findall(words), LATIN_WORD.findall(words)
    assert "可新增 学法培训" in chooser.inner_text()
    ui.shot("permissions")

    # The login records: the failed login just made, at the time of day it was made here.
    text = ui.goto("/admin/axes/accessattempt/")
    assert "zhangsan" in text and "还可尝试" in text
    assert listed_at(before) in text or listed_at(after) in text, text
    assert "UTC" not in text and "+00:00" not in text
    ui.shot("login-records")
