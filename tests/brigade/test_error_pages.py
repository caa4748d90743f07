"""Every error page a user can meet in production (DEBUG=False) is Chinese and in the site's
style, whatever language the browser asks for: 400 (a bad Host header, a malformed request),
403 (a role's refusal, a form whose CSRF token expired), 404, 405 and 500."""

import pytest
from django.test import Client
from django.urls import path, reverse

import fazhi.urls
from tests.conftest import login

ENGLISH = (
    "Bad Request",
    "Forbidden",
    "Not Found",
    "Server Error",
    "CSRF",
    "Method Not Allowed",
    "Request aborted",
)
ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom), *fazhi.urls.urlpatterns]


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver", "fazhi.example.gov.cn"]


def chinese_page(response, status, *phrases):
    assert response.status_code == status
    page = response.content.decode()
    assert '<html lang="zh-CN">' in page and "交警大队法治政府建设管理系统" in page
    for phrase in phrases:
        assert phrase in page, page
    for word in ENGLISH:
        assert word not in page, (word, page)
    return page


@pytest.mark.usefixtures("production")
def test_a_bad_host_header_gets_the_chinese_400_page(db, clerk):
    anonymous = Client().get("/login/", HTTP_HOST="attacker.example.com", **ENGLISH_BROWSER)
    page = chinese_page(anonymous, 400, "请求无效（400）")
    assert "css/app.css" in page  # the site's own page, not Django's bare one
    signed_in = login(clerk).get("/", HTTP_HOST="10.0.0.8", **ENGLISH_BROWSER)
    chinese_page(signed_in, 400, "请求无效（400）")


@pytest.mark.usefixtures("production")
def test_a_malformed_request_gets_the_chinese_400_page(settings, clerk):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    fields = {f"f{n}": "x" for n in range(20)}
    response = login(clerk).post(reverse("ledger:create", args=["training"]), fields, **ENGLISH_BROWSER)
    chinese_page(response, 400, "请求无效（400）")


@pytest.mark.usefixtures("production")
def test_a_form_sent_without_its_csrf_token_gets_the_chinese_403_page(db, clerk):
    anonymous = Client(enforce_csrf_checks=True)
    response = anonymous.post(reverse("login"), {"username": "x", "password": "y"}, **ENGLISH_BROWSER)
    chinese_page(response, 403, "页面已过期（403）", "刷新")
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(clerk)
    data = {"date": "2025-03-05", "name": "讲座", "kind": "法治讲座", "mode": "线下", "attendees": "60"}
    response = signed_in.post(reverse("ledger:create", args=["training"]), data, **ENGLISH_BROWSER)
    chinese_page(response, 403, "页面已过期（403）", "没有保存")


@pytest.mark.usefixtures("production")
def test_a_role_refusal_gets_the_chinese_403_page(as_leader):
    response = as_leader.get(reverse("ledger:create", args=["training"]), **ENGLISH_BROWSER)
    chinese_page(response, 403, "无权访问（403）")


@pytest.mark.usefixtures("production")
def test_an_unknown_address_gets_the_chinese_404_page(db, clerk):
    chinese_page(Client().get("/no-such-page/", **ENGLISH_BROWSER), 404, "页面不存在（404）")
    chinese_page(login(clerk).get("/no-such-page/", **ENGLISH_BROWSER), 404, "页面不存在（404）")
    missing = login(clerk).get(reverse("ledger:detail", args=["training", 999999]), **ENGLISH_BROWSER)
    chinese_page(missing, 404, "页面不存在（404）")


@pytest.mark.usefixtures("production")
def test_an_action_address_opened_directly_gets_the_chinese_405_page(as_legal):
    response = as_legal.get(reverse("ledger:restore", args=["training", 1]), **ENGLISH_BROWSER)
    chinese_page(response, 405, "不能直接打开此地址（405）")


@pytest.mark.usefixtures("production")
@pytest.mark.urls(__name__)
def test_a_server_error_gets_the_chinese_500_page(clerk):
    client = Client(raise_request_exception=False)
    client.force_login(clerk)
    page = chinese_page(client.get("/boom/", **ENGLISH_BROWSER), 500, "系统出错（500）")
    assert "boom" not in page and "RuntimeError" not in page


@pytest.mark.usefixtures("production")
def test_an_english_browser_still_gets_chinese_form_messages(as_clerk):
    response = as_clerk.post(reverse("ledger:create", args=["training"]), {}, **ENGLISH_BROWSER)
    errors = [e for messages in response.context["form"].errors.values() for e in messages]
    assert errors and all("This field" not in e for e in errors), errors
    assert "这个字段是必填项。" in errors, errors
    assert response["Content-Language"] == "zh-hans"


def _refused(request):
    from django.core.exceptions import SuspiciousOperation

    raise SuspiciousOperation("bad")


def _interrupted(request):
    from django.contrib.sessions.exceptions import SessionInterrupted

    raise SessionInterrupted("The request's session was deleted before the request completed.")


urlpatterns += [path("refused/", _refused), path("interrupted/", _interrupted)]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url, status, phrase", [
    ("/refused/", 400, "请求无效（400）"), ("/interrupted/", 400, "请求无效（400）"), ("/boom/", 500, "（500）"),
])  # fmt: skip
def test_make_runs_debug_mode_shows_the_chinese_400_and_500_pages(settings, clerk, url, status, phrase):
    """`make run` runs with DEBUG on: a request Django refuses (a session a colleague's logout
    ended meanwhile) or a server error still shows the product's page, not Django's English one."""
    settings.DEBUG = True
    client = login(clerk)
    client.raise_request_exception = False
    chinese_page(client.get(url, **ENGLISH_BROWSER), status, phrase)
    settings.DEBUG_PAGES = True  # a developer who asks for Django's pages gets them
    assert b"NONE,NOARCHIVE" in client.get(url).content
