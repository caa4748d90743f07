import importlib
import re
from decimal import Decimal
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from brigade.ledger import registry as ledgers
from brigade.models import Brigade, Job, User
from tests.conftest import login


def test_admin_changes_a_users_role_and_the_permissions_follow(admin_user, clerk):
    client = login(admin_user)
    url = reverse("admin:brigade_user_change", args=[clerk.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "username": clerk.username, "first_name": "", "last_name": "", "email": "",
        "brigade": clerk.brigade_id, "role": "leader", "is_active": "on",
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2025-01-01", "date_joined_1": "00:00:00",
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(pk=clerk.pk)
    assert [g.name for g in user.groups.all()] == ["领导"]
    assert not user.has_perm("brigade.add_training") and user.has_perm("brigade.view_training")
    latest = user.history.first()
    assert latest.history_user == admin_user and latest.history_change_reason.startswith("系统管理修改：角色")


def test_only_admins_reach_the_admin(as_legal, as_clerk):
    assert as_legal.get("/admin/").status_code == 302  # to the admin login: not staff
    assert as_clerk.get("/admin/brigade/user/").status_code == 302


def test_ledger_records_are_read_only_in_the_admin(admin_user, brigade):
    from mediation.models import PoliceCall

    call = PoliceCall.objects.create(
        brigade=brigade, received_at="2025-01-01T08:00+08:00", category="其他", follow_up="满意"
    )
    client = login(admin_user)
    assert client.get(reverse("admin:mediation_policecall_change", args=[call.pk])).status_code == 200  # view
    client.post(reverse("admin:mediation_policecall_change", args=[call.pk]), {"category": "交通拥堵"})
    call.refresh_from_db()
    assert call.category == "其他"
    assert client.get(reverse("admin:mediation_policecall_add")).status_code == 403


@pytest.fixture
def one_of_everything(brigade, legal):
    """A record of every ledger (the demo's, thinned), a lock and a final report's row, so that
    every admin page has an object."""
    import datetime as dt
    import random

    from django.utils import timezone

    from brigade.models import YearLock
    from reports.models import AnnualReport

    today, rng = timezone.localdate(), random.Random(3)

    def save(model, objs):
        model.objects.bulk_create(objs[:3])

    for app in ("brigade", "enforcement", "mediation", "publicity"):
        importlib.import_module(f"{app}.demo").populate(
            brigade=brigade, years=[today.year - 1], today=today, rng=rng, save=save
        )
    YearLock.objects.create(brigade=brigade, year=today.year - 2, reason="年度报告定稿", changed_by=legal)
    year = today.year - 2
    AnnualReport.objects.create(
        brigade=brigade, year=year, status="final", title="关于年度的报告", date=today,
        period_start=dt.date(year, 1, 1), period_end=dt.date(year, 12, 31),
    )  # fmt: skip
    for model in apps.get_models():  # a history row for every record made in bulk
        if hasattr(model, "history") and model._meta.app_label in {
            "brigade",
            "enforcement",
            "mediation",
            "publicity",
            "reports",
        }:
            for obj in model._default_manager.all()[:3]:
                if not model.history.filter(**{model._meta.pk.attname: obj.pk}).exists():
                    obj.save()


def _snapshot(obj):
    obj.refresh_from_db()
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _form_data(page):
    """The fields of the admin form on `page`, as a browser would post them back, each text
    changed, so that a save would show."""
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if hasattr(value, "pk"):
            value = value.pk
        data[name] = "" if value is None else value
        if isinstance(data[name], str) and name not in {"status", "role"}:
            data[name] = data[name] + "改"
        elif isinstance(data[name], int | Decimal) and not isinstance(data[name], bool):
            data[name] = data[name] + 1
    return data


def test_every_admin_history_page_and_every_protected_change_form_refuses_to_save(
    one_of_everything, admin_user
):
    from brigade.admin import ReadOnlyAdmin

    client = login(admin_user)
    checked_history, checked_change = 0, 0
    for model, model_admin in admin.site._registry.items():
        if not hasattr(model, "history"):
            continue
        meta = model._meta
        for obj in model._default_manager.all()[:1]:
            before = _snapshot(obj)
            version = model.history.filter(**{meta.pk.attname: obj.pk}).latest("history_id")
            url = reverse(
                f"admin:{meta.app_label}_{meta.model_name}_simple_history", args=[obj.pk, version.history_id]
            )
            page = client.get(url)
            assert page.status_code == 200, url
            response = client.post(url, _form_data(page))
            assert response.status_code == 403, url
            assert _snapshot(obj) == before, url
            checked_history += 1
            if isinstance(model_admin, ReadOnlyAdmin):
                url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
                page = client.get(url)
                assert page.status_code == 200, url
                response = client.post(url, _form_data(page))
                assert response.status_code == 403, url
                assert _snapshot(obj) == before, url
                delete = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[obj.pk])
                assert client.post(delete, {"post": "yes"}).status_code == 403, delete
                assert model._default_manager.filter(pk=obj.pk).exists()
                checked_change += 1
    ledger_models = {lg.model for lg in ledgers.all()}
    protected = {m for m, a in admin.site._registry.items() if isinstance(a, ReadOnlyAdmin)}
    assert ledger_models <= protected, ledger_models - protected  # every ledger is read-only there
    assert checked_change == len(protected), [m for m in protected if not m._default_manager.exists()]
    assert checked_history > checked_change


def test_import_jobs_cannot_be_deleted_in_the_admin(admin_user, brigade):
    job = Job.objects.create(
        brigade=brigade, kind="import", params={"ledger": "training"}, filename="a.xlsx", sha256="0" * 64
    )
    client = login(admin_user)
    assert client.post(reverse("admin:brigade_job_delete", args=[job.pk]), {"post": "yes"}).status_code == 403
    assert Job.objects.filter(pk=job.pk).exists()


def test_the_admin_speaks_chinese_for_third_party_parts_too(admin_user):
    client = login(admin_user)
    index = client.get("/admin/").content.decode()
    assert "登录保护" in index and "登录尝试" in index
    for english in ("Axes", "Access attempts", "Access failures", "Access logs", "DB task results"):
        assert english not in index, english
    add_user = client.get(reverse("admin:brigade_user_add")).content.decode()
    assert "After you" not in add_user and "创建用户之后" in add_user


def test_a_favicon_exists(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


def test_a_violation_type_of_a_finalised_year_keeps_its_name_and_group(admin_user, brigade, legal):
    import datetime as dt

    from brigade.models import YearLock
    from enforcement.models import Violation, ViolationType

    kind = ViolationType.objects.get(name="酒后驾驶")
    Violation.objects.create(brigade=brigade, decision_no="L1", violation_type=kind, method="现场", outcome="警告",
                             occurred_at=dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC))  # fmt: skip
    client = login(admin_user)
    url = reverse("admin:enforcement_violationtype_change", args=[kind.pk])
    assert 'name="group"' in client.get(url).content.decode()  # open year: editable
    YearLock.objects.create(brigade=brigade, year=2024, reason="定稿", changed_by=legal)
    page = client.get(url).content.decode()
    assert 'name="group"' not in page and 'name="name"' not in page
    client.post(url, {"name": "饮酒驾驶", "group": "", "ordering": kind.ordering})
    kind.refresh_from_db()
    assert (kind.name, kind.group) == ("酒后驾驶", "酒醉驾")
    changelist = client.get(reverse("admin:enforcement_violationtype_changelist")).content.decode()
    assert 'name="form-0-group"' not in changelist  # no editing in the list either


def test_users_are_not_deleted_in_the_admin_they_are_made_inactive(admin_user, clerk):
    client = login(admin_user)
    assert (
        client.post(reverse("admin:brigade_user_delete", args=[clerk.pk]), {"post": "yes"}).status_code == 403
    )
    assert User.objects.filter(pk=clerk.pk).exists()


class _Text(HTMLParser):
    """The text a reader of the page meets: text nodes and the attributes read out or shown
    (title, alt, placeholder, aria-label, a button's value); no scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        named = dict(attrs)
        for key in ("title", "alt", "placeholder", "aria-label"):
            if named.get(key):
                self.parts.append(named[key])
        if tag in ("input", "button") and named.get("type") in ("submit", "button") and named.get("value"):
            self.parts.append(named["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def _visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.parts


# English an operator would meet in the admin: Django's and the libraries' untranslated words,
# permission sentences, library record names, times in UTC, debug output.
ENGLISH = [
    "Can add", "Can change", "Can delete", "Can view", "historical", "Select", "Add ", "Change ",
    "Delete", "History", "Filter", "Search", "Action", "Username", "Attempt", "Access", "Failures",
    "Failed", "Status", "Expiration", "Locked", "Logout", "Changes", "None", "Task", "HTTP Accept",
    "UTC", "+00:00", "Traceback", "Exception", "Error",
]  # fmt: skip
# …and beyond the list, any other word in Latin letters (a raw key such as training or 1.enforce),
# except the records' own (user names, brigade codes, a file's name, a browser's), acronyms (SHA,
# IP, GET), words with digits (hashes, plates, md5) and
# the names in Django's own Chinese ("按住 Control 键或 Mac 上的 Command 键"). "True"/"False" are
# the alt text Django gives its yes/no icons, not translatable.
LATIN_ALLOWED = {
    "xlsx", "csv", "Mozilla", "accounts", "login", "text", "html", "unknown", "shuangpai", "Word", "Control",
    "Mac", "Command", "True", "False",
}  # fmt: skip


def _english_on(page: str) -> list[str]:
    from axes.models import AccessAttempt

    allowed = LATIN_ALLOWED | set(User.objects.values_list("username", flat=True))
    allowed |= set(AccessAttempt.objects.values_list("username", flat=True))
    allowed |= set(Brigade.objects.values_list("code", flat=True))
    found = []
    for text in _visible_text(page):
        found += [f"{word!r} in {text[:120]!r}" for word in ENGLISH if word in text]
        if "****" in text:
            continue  # a password's masked hash
        words = re.findall(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z_]+)*", text)
        found += [
            f"{word!r} in {text[:120]!r}"
            for word in words
            if not (word in allowed or word.isupper() or re.search(r"\d", word))
        ]
    return found


@pytest.fixture
def login_records(admin_user):
    """What django-axes records: a login, a failed login counting towards a lockout, a lockout,
    all ten minutes ago (older attempts expire). Returns that moment."""
    import datetime as dt

    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.utils import timezone

    at = timezone.now().astimezone(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=10)
    common = {"ip_address": "10.0.0.8", "user_agent": "Mozilla/5.0", "http_accept": "text/html",
              "path_info": "/accounts/login/", "attempt_time": at}  # fmt: skip
    AccessLog.objects.create(username=admin_user.username, logout_time=at + dt.timedelta(hours=1), **common)
    AccessAttempt.objects.create(username="zhangsan", failures_since_start=2, **common)
    AccessAttempt.objects.create(username="lisi", failures_since_start=5, **common)
    AccessFailureLog.objects.create(username="lisi", locked_out=True, **common)
    for model in (AccessLog, AccessAttempt, AccessFailureLog):  # its time is set on creation
        model.objects.update(attempt_time=at)
    return at


def _admin_pages(request):
    """Every page an operator reaches from the admin's index, with the status it answers: each
    registered model's list, its add page (refused where records are made elsewhere), one
    record's change and history pages, each section's index."""
    pages = [("/admin/", 200), ("/admin/password_change/", 200)]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        name = f"admin:{meta.app_label}_{meta.model_name}"
        pages.append((reverse(f"{name}_changelist"), 200))
        pages.append((reverse(f"{name}_add"), 200 if model_admin.has_add_permission(request) else 403))
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"no {meta.label} to open"
        pages += [
            (reverse(f"{name}_change", args=[obj.pk]), 200),
            (reverse(f"{name}_history", args=[obj.pk]), 200),
        ]
        if hasattr(model_admin, "import_action"):  # the reference lists' 导入 and 导出
            pages += [(reverse(f"{name}_import"), 200), (reverse(f"{name}_export"), 200)]
    user = User.objects.order_by("pk").first()
    pages.append((reverse("admin:auth_user_password_change", args=[user.pk]), 200))
    app_labels = sorted({model._meta.app_label for model in admin.site._registry})
    return pages + [(reverse("admin:app_list", args=[label]), 200) for label in app_labels]


@pytest.fixture
def report_records(one_of_everything, brigade, legal, leader):
    """A final report's kept document, a reason kept for one of its figures, a request to undo
    it, and an uploaded layout template: the report's records the admin lists."""
    from django.utils import timezone

    from reports.models import (
        AnnualReport,
        FigureAcknowledgement,
        FinalVersion,
        ReportSection,
        ReportTemplate,
    )

    report, now = AnnualReport.objects.get(), timezone.now()
    ReportSection.objects.create(
        report=report, key="1.enforce", order=2, level=2, title="严格规范执法，保持严管高压态势"
    )
    ReportTemplate.objects.create(
        brigade=brigade, name="大队公文模板", content=b"PK", sha256="1" * 64, uploaded_by=legal
    )
    FinalVersion.objects.create(
        report=report, number=1, docx=b"PK", sha256="2" * 64, finalised_at=now, finalised_by=leader
    )
    FigureAcknowledgement.objects.create(report=report, section_key="1.enforce", reason="数字已与支队核对",
                                         acknowledged_by=legal, acknowledged_at=now)  # fmt: skip
    report.unfinalise_requests.create(reason="发文字号有误", requested_by=legal, requested_at=now)


def test_every_admin_page_reads_in_chinese(report_records, login_records, admin_user, brigade, legal):
    from axes.models import AccessAttempt

    Job.objects.create(
        brigade=brigade,
        kind="import",
        params={"ledger": "training"},
        filename="培训.xlsx",
        sha256="0" * 64,
        user=legal,
    )
    Job.objects.create(
        brigade=brigade, kind="report_pdf", title="2025年报告（PDF）", status="done", user=legal
    )
    legal.role = "clerk"
    legal.save()  # a change of role in the user's history
    client = login(admin_user)
    pages, english = _admin_pages(client.get("/admin/").wsgi_request), {}
    for url, status in pages:
        response = client.get(url)
        assert response.status_code == status, url
        if found := _english_on(response.content.decode()):
            english[url] = found
    assert not english, english
    assert len(pages) > 4 * len(admin.site._registry)
    # The login records' lockout column and their titles in Chinese and local time.
    attempts = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "还可尝试3次" in attempts and "已锁定" in attempts
    attempt = AccessAttempt.objects.get(username="zhangsan")
    title = client.get(reverse("admin:axes_accessattempt_change", args=[attempt.pk])).content.decode()
    local = login_records.astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"zhangsan 登录失败（{local:%Y-%m-%d %H:%M:%S}起）" in title


def test_login_records_show_local_time(login_records, admin_user, settings):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    local = login_records.astimezone(ZoneInfo("Asia/Shanghai"))
    client = login(admin_user)
    for name in ("accesslog", "accessattempt", "accessfailurelog"):
        changelist = client.get(reverse(f"admin:axes_{name}_changelist")).content.decode()
        page = " ".join(_visible_text(changelist))
        assert f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}" in page, name
        assert f"{login_records:%H:%M}" not in page, name  # the UTC time stored


def test_permission_names_are_chinese_after_migrate(db):
    from django.contrib.auth.models import Permission
    from django.core.management.sql import emit_post_migrate_signal

    assert not Permission.objects.filter(name__startswith="Can ").exists()
    add_training = Permission.objects.get(codename="add_training")
    assert add_training.name == "可新增 学法培训"
    assert Permission.objects.get(codename="view_historicaltraining").name == "可查看 学法培训（历史版本）"
    # A database migrated before: its English names are renamed by the next migrate.
    Permission.objects.filter(pk=add_training.pk).update(name="Can add 学法培训")
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    add_training.refresh_from_db()
    assert add_training.name == "可新增 学法培训"


def test_a_roles_permissions_are_chosen_in_chinese(admin_user):
    from django.contrib.auth.models import Group

    client = login(admin_user)
    group = Group.objects.get(name="录入员")
    page = client.get(reverse("admin:auth_group_change", args=[group.pk])).content.decode()
    assert "组织与台账 | 学法培训 | 可新增 学法培训" in page
    assert "学法培训（历史版本）" in page and "historical" not in page


def test_the_admins_javascript_speaks_chinese(admin_user):
    """Every string the admin's own scripts translate (the permission chooser's "Choose all 权限",
    the calendar, the actions bar) has Chinese in the catalogue the admin pages load."""
    import json
    from pathlib import Path

    import django

    catalog = login(admin_user).get(reverse("admin:jsi18n")).content.decode()
    scripts = Path(django.__file__).parent / "contrib" / "admin" / "static" / "admin" / "js"
    call = re.compile(r"""(?<![\w.])n?gettext\(\s*(['"])((?:\\.|(?!\1).)*)\1""")
    missing = []
    for script in scripts.glob("*.js"):
        for match in call.finditer(script.read_text()):
            message = match.group(2).replace("\\'", "'").replace('\\"', '"')
            if json.dumps(message) + ":" not in catalog:
                missing.append(f"{script.name}: {message}")
    assert not missing, missing
    assert json.dumps("全选%s") in catalog
