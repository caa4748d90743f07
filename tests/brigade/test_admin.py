import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from brigade.ledger import registry as ledgers
from brigade.models import ImportJob, User
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
    AnnualReport.objects.create(
        brigade=brigade, year=today.year - 2, status="final", title="关于年度的报告", date=today
    )
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
    job = ImportJob.objects.create(brigade=brigade, kind="training", filename="a.xlsx", sha256="0" * 64)
    client = login(admin_user)
    assert (
        client.post(reverse("admin:brigade_importjob_delete", args=[job.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert ImportJob.objects.filter(pk=job.pk).exists()


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
