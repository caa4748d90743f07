"""Every POST-only view, found in the URLconf: a GET is a 405, a user of another brigade gets a
404 (its record's existence does not leak), the read-only role (领导) gets a 403, and the role
that may act does — each on real records of two brigades, and nothing changes when refused.

A new POST-only view without an entry in CASES fails `test_every_post_only_view_is_declared`."""

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from brigade import locks
from brigade.ledger import registry
from brigade.ledger.services import record_delete
from brigade.models import Job, Training
from brigade.services import user_upsert
from reports import services as report_services
from reports.models import AnnualReport
from tests.conftest import PASSWORD, login, make_xlsx

YEAR = 2025

# Views that take only POST but act on no brigade's record (nothing to scope, no role to refuse).
NOT_SCOPED = {"logout": "Django's LogoutView: any signed-in user signs themselves out"}


def _methods(callback) -> set[str] | None:
    """The methods a view accepts when it restricts them (a class view's http_method_names,
    or require_POST / require_http_methods on a function), else None."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        names = set(view_class.http_method_names)
        return None if names >= {"get", "post"} else {n.upper() for n in names}
    func = callback
    while func is not None:
        freevars = getattr(getattr(func, "__code__", None), "co_freevars", ())
        if "request_method_list" in freevars:
            cell = func.__closure__[freevars.index("request_method_list")]
            return {m.upper() for m in cell.cell_contents}
        func = getattr(func, "__wrapped__", None)
    return None


def _walk(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin checks its own permissions
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern.callback


def post_only_views() -> set[str]:
    found = set()
    for name, callback in _walk(get_resolver().url_patterns):
        methods = _methods(callback)
        if methods is not None and methods - {"OPTIONS"} == {"POST"}:
            found.add(name)
    return found


def _user(brigade, role):
    return user_upsert(username=f"{role}_{brigade.code}", brigade_code=brigade.code, role=role,
                       password=PASSWORD)[0]  # fmt: skip


@dataclass
class Target:
    """What a case acts on: the URL's arguments, the POST data, and a reading of the state the
    action changes (compared before and after a refused request)."""

    args: list
    data: dict
    state: Any


def _deleted_training(brigade, actor):
    record = Training.objects.create(brigade=brigade, date=datetime.date(YEAR, 3, 5), name="宪法专题学法",
                                     kind="专题学法", mode="线下", attendees=30)  # fmt: skip
    pk = record.pk
    record_delete(ledger=registry.get("training"), record=record)
    version = Training.history.get(id=pk, history_type="-")
    return Target(["training", version.history_id], {}, lambda: Training.objects.filter(pk=pk).exists())


def _import_job(brigade, actor):
    header = ["日期", "名称", "类型", "形式", "参加人数", "学时", "学习内容"]
    upload = make_xlsx([header, [f"{YEAR}-03-05", "道路交通安全法学习", "专题学法", "线下", 30, 2, ""]])
    login(actor).post(reverse("ledger:import", args=["training"]), {"file": upload})
    job = Job.objects.get(brigade=brigade)
    assert job.status == Job.Status.PREVIEW, job.result
    return Target(["training", job.pk], {}, lambda: Training.objects.filter(brigade=brigade).count())


def _abandoned_import(brigade, actor):
    target = _import_job(brigade, actor)
    status = lambda: Job.objects.get(pk=target.args[1]).status  # noqa: E731
    return Target(target.args, {}, status)


def _new_report(brigade, actor):
    # A report's year is one the brigade's records reach back to (brigade/years.py).
    Training.objects.create(brigade=brigade, date=datetime.date(YEAR, 3, 5), name="宪法专题学法",
                            kind="专题学法", mode="线下", attendees=30)  # fmt: skip
    return Target([], {"year": YEAR}, lambda: AnnualReport.objects.filter(brigade=brigade).count())


def _draft(brigade, actor):
    report = report_services.report_create(brigade=brigade, year=YEAR, user=actor)
    return Target([report.pk], {"to": "review"}, lambda: AnnualReport.objects.get(pk=report.pk).status)


def _final(brigade, actor, *, unlocked=False):
    report = report_services.report_create(brigade=brigade, year=YEAR, user=actor)
    report_services.report_transition(report=report, to="review", user=actor)
    report_services.report_transition(report=report, to="final", user=_user(brigade, "leader"))
    report.refresh_from_db()
    if unlocked:
        report_services.report_unlock(report=report, user=actor, reason="更正一条记录的日期")
    return Target(
        [report.pk], {"reason": "更正一条记录的日期"}, lambda: YEAR in locks.locked_years(brigade.pk)
    )


def _dismissable(brigade, actor):
    """A report whose data check names a key typed two ways (reports/quality.py)."""
    from decimal import Decimal

    from enforcement.models import Violation, ViolationType
    from reports import quality
    from reports.models import WarningDismissal

    for number in ("公交决字2025001", "公交决字 2025 001"):
        Violation.objects.create(brigade=brigade, decision_no=number, occurred_at=datetime.datetime(YEAR, 3, 5, 10, tzinfo=datetime.UTC),
                                 violation_type=ViolationType.objects.get(name="超速"), method="现场", outcome="罚款",
                                 fine=Decimal(200))  # fmt: skip
    report = report_services.report_create(brigade=brigade, year=YEAR, user=actor)
    found = quality.data_warnings(brigade_ids=[brigade.pk], year=YEAR)
    warning = next(w for w in found if w["kind"] == "samekey")
    data = {"warning": warning["id"], "fingerprint": warning["fingerprint"], "reason": "经核对为同一决定书"}
    return report, data, lambda: WarningDismissal.objects.filter(brigade=brigade).count()


def _warning(brigade, actor):
    report, data, state = _dismissable(brigade, actor)
    return Target([report.pk], data, state)


def _dismissed_warning(brigade, actor):
    from reports import dismissals

    report, data, state = _dismissable(brigade, actor)
    dismissal = dismissals.warning_dismiss(report=report, warning_id=data["warning"], fingerprint=data["fingerprint"],
                                           reason=data["reason"], user=actor)  # fmt: skip
    return Target([report.pk, dismissal.pk], {}, state)


def _public_edition(brigade, actor):
    """A finalised report whose public edition awaits its 保密审查 (a leader may confirm it too)."""
    from reports.models import PublicEdition
    from reports.public import CHECKLIST

    target = _final(brigade, actor)
    data = {f"check_{key}": "on" for key, _ in CHECKLIST}
    return Target(target.args, data, lambda: PublicEdition.objects.filter(report_id=target.args[0]).count())


@pytest.fixture(autouse=True)
def _fake_pdf(monkeypatch):
    """LibreOffice stood in for (whether a PDF's job is queued is what is checked)."""
    from reports import docx

    monkeypatch.setattr(docx, "pdf_available", lambda: True)
    monkeypatch.setattr(docx, "docx_to_pdf", lambda content: b"%PDF-1.7 fake")


def _pdf(brigade, actor):
    """A report whose PDF anyone who reads reports may ask for (not a clerk)."""
    from brigade.models import Job

    report = report_services.report_create(brigade=brigade, year=YEAR, user=actor)
    return Target([report.pk], {}, lambda: Job.objects.filter(kind="report_pdf").count())


def _public_pdf(brigade, actor):
    """A finalised report whose public edition passed its 保密审查."""
    from brigade.models import Job
    from reports import public
    from reports.models import AnnualReport

    target = _final(brigade, actor)
    report = AnnualReport.objects.get(pk=target.args[0])
    for flag in public.public_flags(report, public.public_context(report)):
        public.flag_override(report=report, flag_id=flag["id"], reason="经核对可以公开", user=actor)
    public.public_edition_confirm(report=report, user=actor, checks=[key for key, _ in public.CHECKLIST])
    return Target(target.args, {}, lambda: Job.objects.filter(kind="public_pdf").count())


def _public_flag(brigade, actor):
    """A finalised report whose text marks a passage 内部资料: a flag of the public edition's
    automatic check, for the legal officer (or a leader) to override with a reason."""
    from reports import public
    from reports.models import PublicFlagOverride

    report = report_services.report_create(brigade=brigade, year=YEAR, user=actor)
    section = report.sections.get(key="5")
    section.body = "本段内容为内部资料。"
    section.save()
    report_services.report_transition(report=report, to="review", user=actor)
    report_services.report_transition(report=report, to="final", user=_user(brigade, "leader"))
    report.refresh_from_db()
    flag = public.public_flags(report, public.public_context(report))[0]
    state = lambda: PublicFlagOverride.objects.filter(report=report).count()  # noqa: E731
    return Target([report.pk], {"flag": flag["id"], "reason": "经核对可以公开"}, state)


def _stale_figures(brigade, actor):
    """A report drafted before one more training was recorded: its sentence on training states
    figures the ledger no longer gives (reports/stale.py), for the officer to give a reason."""
    from reports import stale
    from reports.models import FigureAcknowledgement

    for day in (5, 6):
        Training.objects.create(brigade=brigade, date=datetime.date(YEAR, 3, day), name="宪法专题学法",
                                kind="专题学法", mode="线下", attendees=30)  # fmt: skip
        if day == 5:
            report = report_services.report_create(brigade=brigade, year=YEAR, user=actor)
    found = stale.mismatches(report)
    data = {"mismatch": found[0].id, "reason": "该数字按培训计划口径核定"}
    return Target([report.pk], data, lambda: FigureAcknowledgement.objects.filter(report=report).count())


def _final_to_ask(brigade, actor):
    """A signed report whose legal officer asks the leader to undo it."""
    from reports.models import UnfinaliseRequest

    target = _final(brigade, actor)
    state = lambda: UnfinaliseRequest.objects.filter(report_id=target.args[0]).count()  # noqa: E731
    return Target(target.args, {"reason": "主送机关写错"}, state)


def _unfinalise_asked(brigade, actor):
    """A signed report its legal officer asked to undo, for the leader to decline."""
    from reports.models import UnfinaliseRequest

    legal = _user(brigade, "legal")  # the leader is `actor` (made again, their session would end)
    report = report_services.report_create(brigade=brigade, year=YEAR, user=legal)
    report_services.report_transition(report=report, to="review", user=legal)
    report_services.report_transition(report=report, to="final", user=actor)
    asked = report_services.unfinalise_request(report=report, reason="主送机关写错", user=legal)
    state = lambda: UnfinaliseRequest.objects.get(pk=asked.pk).decision  # noqa: E731
    return Target([report.pk, asked.pk], {"reason": "主送机关无误，不必撤销"}, state)


@dataclass
class Case:
    role: str  # the role that may do it
    make: Any  # (brigade, actor) → Target
    scoped: bool = True  # acts on a record of the user's brigade (else: creates one of its own)
    refused: str = "leader"  # a role of the same brigade that may not


CASES = {
    "ledger:restore": Case("legal", _deleted_training),
    "ledger:import_confirm": Case("clerk", _import_job),
    "ledger:import_abandon": Case("clerk", _abandoned_import),
    "reports:new": Case("legal", _new_report, scoped=False),
    "reports:transition": Case("legal", _draft),
    "reports:unlock": Case("legal", _final),
    "reports:relock": Case("legal", lambda b, a: _final(b, a, unlocked=True)),
    "reports:warning_dismiss": Case("legal", _warning),
    "reports:warning_restore": Case("legal", _dismissed_warning),
    "reports:public_confirm": Case("legal", _public_edition, refused="clerk"),  # 法制员 or 领导
    "reports:acknowledge": Case("legal", _stale_figures),
    "reports:pdf": Case("legal", _pdf, refused="clerk"),  # anyone who reads reports
    "reports:public_pdf": Case("legal", _public_pdf, refused="clerk"),
    "reports:public_flag_override": Case("legal", _public_flag, refused="clerk"),  # 法制员 or 领导
    "reports:unfinalise_request": Case("legal", _final_to_ask),  # the leader undoes it instead
    "reports:unfinalise_decline": Case("leader", _unfinalise_asked, refused="legal"),
}


def test_every_post_only_view_is_declared():
    found = post_only_views()
    assert found - set(NOT_SCOPED) == set(CASES), "declare each POST-only view in CASES (or NOT_SCOPED)"


def _target(name, brigade):
    case = CASES[name]
    actor = _user(brigade, case.role)
    return actor, case.make(brigade, actor)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_get_is_405_in_chinese_and_changes_nothing(name, brigade):
    actor, target = _target(name, brigade)
    before = target.state()
    response = login(actor).get(reverse(name, args=target.args), target.data)
    assert response.status_code == 405
    assert "请从页面上的按钮操作" in response.content.decode()
    assert target.state() == before


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.scoped))
def test_the_same_role_of_another_brigade_gets_404_and_changes_nothing(name, brigade, other_brigade):
    _, target = _target(name, brigade)
    before = target.state()
    outsider = _user(other_brigade, CASES[name].role)
    response = login(outsider).post(reverse(name, args=target.args), target.data)
    assert response.status_code == 404
    assert "页面不存在（404）" in response.content.decode()
    assert target.state() == before


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_read_only_role_gets_403_and_changes_nothing(name, brigade, other_brigade):
    _, target = _target(name, brigade)
    before = target.state()
    response = login(_user(brigade, CASES[name].refused)).post(reverse(name, args=target.args), target.data)
    assert response.status_code == 403
    assert target.state() == before


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_role_that_may_act_does(name, brigade, other_brigade):
    """The control: the refusals above are the scoping and the role, not a broken request."""
    actor, target = _target(name, brigade)
    before = target.state()
    response = login(actor).post(reverse(name, args=target.args), target.data)
    assert response.status_code == 302
    assert target.state() != before
