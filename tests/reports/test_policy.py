"""The one policy (brigade/access.py, the report's rules in reports/policy.py): who may do what to
a report, by role, by unit and by the report's state, answered in one place for every view and
service."""

import pytest
from django.core.exceptions import PermissionDenied

from brigade import access
from brigade.models import Role
from reports import policy, services
from reports.models import AnnualReport
from tests.conftest import _user

YEAR = 2025
ACTIONS = [policy.DRAFT, policy.EDIT, policy.SIGN, policy.UNLOCK, policy.ACKNOWLEDGE, policy.DISMISS,
           policy.PUBLIC_VIEW, policy.PUBLIC_CONFIRM]  # fmt: skip


def allowed(user, report) -> set[str]:
    return {a for a in ACTIONS if access.may(user, a, report)}


@pytest.mark.django_db
def test_each_role_of_the_reports_unit_may_do_its_own_part(brigade, clerk, legal, leader, admin_user):
    report = services.report_create(brigade=brigade, year=YEAR)
    everyone = {policy.PUBLIC_VIEW}
    officer = {
        policy.DRAFT,
        policy.EDIT,
        policy.UNLOCK,
        policy.ACKNOWLEDGE,
        policy.DISMISS,
        policy.PUBLIC_CONFIRM,
    }
    assert allowed(clerk, report) == everyone
    assert allowed(legal, report) == everyone | officer
    assert allowed(leader, report) == everyone | {policy.SIGN, policy.PUBLIC_CONFIRM}
    assert policy.SIGN not in allowed(admin_user, report)  # the deployment's admin never signs
    # Once it is final, nobody edits it or records reasons for its figures any more.
    AnnualReport.objects.filter(pk=report.pk).update(status=AnnualReport.Status.FINAL)
    report.refresh_from_db()
    assert allowed(legal, report) == everyone | officer - {policy.EDIT, policy.ACKNOWLEDGE}


@pytest.mark.django_db
def test_nobody_of_another_unit_may_do_anything_to_a_report(brigade, other_brigade, detachment_user):
    report = services.report_create(brigade=brigade, year=YEAR)
    for role in Role.values:
        assert allowed(_user(other_brigade, role), report) == set(), role
    # The 支队's leader reads its brigades' reports but signs only the 支队's own.
    assert allowed(detachment_user, report) == set()


@pytest.mark.django_db
def test_a_refusal_says_who_may(brigade, clerk):
    report = services.report_create(brigade=brigade, year=YEAR)
    with pytest.raises(PermissionDenied, match="只有本单位的领导可以签发"):
        access.require(clerk, policy.SIGN, report)
    with pytest.raises(LookupError):  # an action nobody declared is a programming error, not a 403
        access.may(clerk, "publish", report)


@pytest.mark.django_db
def test_a_kind_without_a_public_edition_offers_none(brigade, legal, leader):
    import dataclasses

    from reports import documents

    report = services.report_create(brigade=brigade, year=YEAR)
    annual = documents.get("annual")
    documents._registry["annual"] = dataclasses.replace(annual, public_edition=False)
    try:
        for user in (legal, leader):
            assert not {policy.PUBLIC_VIEW, policy.PUBLIC_CONFIRM} & allowed(user, report)
    finally:
        documents._registry["annual"] = annual
