"""Who may do what to a report (any declared document, reports/documents.py), declared in the one
policy (brigade/access.py): views and services ask `access.may(user, action, report)` or
`access.require(...)`. The roles a document names (`drafts`, `signs`) are the permissions its
legal officer and its leader hold for their own unit (access.has_unit_perm): a 支队's
detachment-level users for the 支队's own report too."""

from brigade import access
from brigade.models import Role
from reports.models import AnnualReport

DRAFT, EDIT, SIGN, UNLOCK, ACKNOWLEDGE, DISMISS = "draft", "edit", "sign", "unlock", "acknowledge", "dismiss"
PUBLIC_VIEW, PUBLIC_CONFIRM = "public_view", "public_confirm"


def _own(user, report) -> bool:
    return user.brigade_id is not None and user.brigade_id == report.brigade_id


@access.rule(AnnualReport, DRAFT, "只有本单位（大队或支队）的法制员可以起草、修改和提交本单位的报告")
def may_draft(user, report) -> bool:
    """The legal officer of the report's own unit: draft, redraft, submit, ask to undo a signing."""
    return _own(user, report) and access.has_unit_perm(user, report.document.drafts)


@access.rule(AnnualReport, EDIT, "报告已提交领导签发或已定稿，或您不是本单位的法制员，不能修改")
def may_edit(user, report) -> bool:
    """Edit the text now: a draft, by its unit's legal officer."""
    return report.status == AnnualReport.Status.DRAFT and may_draft(user, report)


@access.rule(AnnualReport, SIGN, "只有本单位的领导可以签发、退回或撤销定稿")
def may_sign(user, report) -> bool:
    """The unit's leader (role 领导): signs, returns, undoes a signing. Not a superuser, not the
    deployment's admin."""
    return (
        _own(user, report) and user.role == Role.LEADER and access.has_unit_perm(user, report.document.signs)
    )


@access.rule(AnnualReport, UNLOCK, "只有本单位的法制员可以解锁或锁定年度台账")
def may_unlock(user, report) -> bool:
    return _own(user, report) and access.has_unit_perm(user, "unlock_year")


@access.rule(AnnualReport, ACKNOWLEDGE, "只有本单位的法制员可以在定稿前记录数字未更新的理由")
def may_acknowledge(user, report) -> bool:
    """Record why a sentence's figures stay (reports/stale.py): the legal officer, before final."""
    return not report.is_final and may_draft(user, report)


@access.rule(AnnualReport, DISMISS, "只有本单位的法制员可以忽略或恢复数据核对的提示")
def may_dismiss(user, report) -> bool:
    return may_draft(user, report)


@access.rule(AnnualReport, PUBLIC_VIEW, "公开版只对本单位的用户显示")
def may_view_public(user, report) -> bool:
    """The public edition (of a kind declared with one): the users of the report's own unit."""
    return report.document.public_edition and _own(user, report)


@access.rule(AnnualReport, PUBLIC_CONFIRM, "只有本单位的法制员或领导可以进行保密审查")
def may_confirm_public(user, report) -> bool:
    """保密审查: the unit's legal officer or its leader."""
    return report.document.public_edition and (may_draft(user, report) or may_sign(user, report))
