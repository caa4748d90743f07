"""Business actions on the annual report: create, re-draft, move through its states, finalise
(store the exact bytes and lock the year) and unlock. Views and commands both call these."""

import datetime
import hashlib
import re
from collections import Counter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from brigade import access, locks, rules
from brigade.figures import Figures, evaluate_with_each
from brigade.models import YearLock
from reports import documents, docx, merge, phrasing, policy, stale
from reports.coverage import Coverage, coverage_of
from reports.drafting import LEVEL1, NUMERALS, draft_all, report_period, unit_table
from reports.models import AnnualReport, FinalVersion, ReportSection, ReportTemplate, UnfinaliseRequest


@transaction.atomic
def report_create(*, brigade, year: int, user=None, kind: str = "annual") -> AnnualReport:
    """The period's document of `kind` with its head prefilled from the brigade (or 支队) and
    every part of its declaration drafted; a detachment's figures are summed over its brigades
    (reports/coverage.py)."""
    document = documents.get(kind)
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    existing = AnnualReport.objects.filter(
        brigade=brigade, kind=kind, period_start=start, period_end=end
    ).first()
    if existing:
        return existing
    coverage = coverage_of(brigade)
    level = documents.DETACHMENT if coverage.is_detachment else documents.BRIGADE
    if level not in document.levels:
        raise ValidationError(f"{document.name}不由{documents.LEVELS[level]}撰写")
    today = timezone.localdate()
    addressee = brigade.superior or ""
    report = AnnualReport.objects.create(
        brigade=brigade,
        kind=kind,
        year=year,
        period_start=start,
        period_end=end,
        title=document.document_title(brigade, year),  # 签发人: whoever signs it
        addressee=addressee,
        issuer=brigade.name,
        date=document.default_date(year, today),
        doc_number=f"{brigade.doc_prefix}〔{year + 1}〕号" if brigade.doc_prefix else "",
        opening=document.opening(coverage=coverage, year=year, addressee=addressee),
        closing=document.closing,
    )
    texts, _ = draft_all(coverage=coverage, year=year, document=document)
    _sections_add(report, document, document.parts, texts)
    return report


def _sections_add(report: AnnualReport, document, parts, texts: dict[str, str], *, user=None, reason=""):
    """Make the sections of `parts` (drafted ones with their text), then number every section in
    the declaration's order (sections the declaration no longer names keep their place after)."""
    for part in parts:
        section = ReportSection(
            report=report,
            key=part.key,
            order=0,
            level=part.level,
            title=document.part_title(part, report.year),
            body=texts.get(part.key, ""),
            draft=texts.get(part.key, ""),
            drafted=bool(part.drafter),
        )
        section._history_user, section._change_reason = user, reason or None
        section.save()
    place = {part.key: n for n, part in enumerate(document.parts)}
    sections = list(report.sections.all())
    sections.sort(key=lambda s: (place.get(s.key, len(place) + s.order), s.order))
    for order, section in enumerate(sections):
        if section.order != order:
            ReportSection.objects.filter(pk=section.pk).update(order=order)


def _missing_parts(report: AnnualReport, document) -> list:
    """The parts the declaration has gained since `report` was made."""
    have = set(report.sections.values_list("key", flat=True))
    return [part for part in document.parts if part.key not in have]


NOT_EDITABLE = "报告已提交领导签发或已定稿，不能修改；如需修改，请先撤回（需填写理由）"


def _require_editable(report: AnnualReport):
    if report.status != AnnualReport.Status.DRAFT:
        raise ValidationError(NOT_EDITABLE)


def _seen(section: ReportSection, fresh: str) -> str:
    """What a redraft page showed of a section: its draft, its text and the fresh draft. When any
    of them changed before the officer confirmed, what they chose may no longer fit."""
    return hashlib.sha256("\0".join((section.draft, section.body, fresh)).encode()).hexdigest()[:16]


def redraft_preview(report: AnnualReport, *, chosen: dict[str, dict[int, str]] | None = None) -> list[dict]:
    """What fresh figures would change, section by section (reports/merge.py): the new figures
    carried into the officer's own text, with each sentence where both changed the same words
    listed for the officer to decide: keep their sentence, take the new one, or keep their words
    with only the figures updated — the default where it can be done; otherwise they must choose.
    `chosen`: choices already made (section key → conflict → choice), shown as selected."""
    document = report.document
    texts, _ = draft_all(coverage=coverage_of(report.brigade), year=report.year, document=document)
    changes = []
    for part in _missing_parts(report, document):  # parts the declaration has gained
        if not part.drafter or not texts.get(part.key):
            continue
        section = ReportSection(
            report=report,
            key=part.key,
            level=part.level,
            title=document.part_title(part, report.year),
            drafted=True,
        )
        changes.append(
            {
                "section": section,
                "new": texts[part.key],
                "edited": False,
                "conflicts": [],
                "must_choose": 0,
                "diff": merge.word_diff("", texts[part.key]),
                "preselect": True,
                "seen": _seen(section, texts[part.key]),
                "added": True,
            }
        )
    for section in report.sections.filter(drafted=True):
        fresh = texts.get(section.key, "")
        merged = merge.three_way(base=section.draft, mine=section.body, theirs=fresh)
        defaults = {i: c.default for i, c in enumerate(merged.conflicts) if c.default}
        new = merged.resolve(defaults)
        if new == section.body and fresh == section.draft:
            continue
        picked = (chosen or {}).get(section.key, {})
        conflicts = [
            {
                "field": f"choice-{section.key}-{i}",
                "mine": c.mine,
                "fresh": c.fresh,
                "numbers": c.numbers,
                "selected": picked.get(i) or c.default,
                "mine_marked": merge.mark_numbers(c.mine, c.fresh, "del"),
                "fresh_marked": merge.mark_numbers(c.fresh, c.mine, "ins"),
                "numbers_marked": merge.mark_numbers(c.numbers, c.mine, "ins") if c.numbers else None,
            }
            for i, c in enumerate(merged.conflicts)
        ]
        changes.append(
            {
                "section": section,
                "new": new,
                "edited": section.body != section.draft,
                "conflicts": conflicts,
                "must_choose": sum(1 for c in merged.conflicts if not c.default),
                "diff": merge.word_diff(section.body, new),
                "preselect": True,
                "seen": _seen(section, fresh),
            }
        )
    return changes


CHOICE_LABELS = {merge.NUMBERS: "只更新数字", merge.FRESH: "采用新句", merge.MINE: "保留原句（数字未更新）"}


@transaction.atomic
def redraft_apply(
    *,
    report: AnnualReport,
    keys: list[str],
    user=None,
    choices: dict[str, dict[int, str]] | None = None,
    seen: dict[str, str] | None = None,
) -> int:
    """Take the fresh figures for the sections `keys`, merged into the officer's text; the others
    keep their text. Each sentence both changed is settled as `choices` says (section key →
    conflict → merge.MINE / FRESH / NUMBERS), by default with only its figures updated where that
    can be done; a conflict with neither is refused (nothing is taken), as is a section whose text
    or figures changed since the page showed it (`seen`, from redraft_preview).

    The fresh draft becomes the base the next redraft merges from, except for a sentence the
    officer kept as it was: its old base stays, so its figures still show as not updated
    (reports/stale.py) and the next update asks again."""
    _require_editable(report)
    document = report.document
    texts, _ = draft_all(coverage=coverage_of(report.brigade), year=report.year, document=document)
    plan, moved, undecided = [], [], []
    gained = _missing_parts(report, document)
    for part in gained:
        blank = ReportSection(report=report, key=part.key, drafted=True)
        if (
            part.key in keys
            and seen
            and part.key in seen
            and seen[part.key] != _seen(blank, texts.get(part.key, ""))
        ):
            moved.append(document.part_title(part, report.year))
    for section in report.sections.select_for_update().filter(drafted=True, key__in=keys):
        fresh = texts.get(section.key, "")
        if seen and section.key in seen and seen[section.key] != _seen(section, fresh):
            moved.append(section.title)
            continue
        merged = merge.three_way(base=section.draft, mine=section.body, theirs=fresh)
        settled = {}
        for i, conflict in enumerate(merged.conflicts):
            choice = (choices or {}).get(section.key, {}).get(i) or conflict.default
            if choice == merge.NUMBERS and conflict.numbers is None:
                choice = None
            if choice not in CHOICE_LABELS:
                undecided.append(section.title)
                break
            settled[i] = choice
        plan.append((section, merged, settled))
    if moved:
        raise ValidationError(
            f"“{'”“'.join(moved)}”的台账数据或文字在您打开本页之后又有变化，请重新核对后再更新（本次没有更新任何章节）"
        )
    if undecided:
        raise ValidationError(
            f"“{'”“'.join(dict.fromkeys(undecided))}”中有您和新数据都改动了的句子，请逐句选择保留哪一种写法"
            "（本次没有更新任何章节）"
        )
    # A part the declaration has gained is added when it is taken; a heading (or a part the
    # officer writes) with it, when one of its parts is added or it has none.
    taken = [p for p in gained if p.drafter and p.key in keys]
    heads = [
        p
        for p in gained
        if not p.drafter
        and (
            any(t.key.startswith(p.key + ".") for t in taken)
            or not any(g.key.startswith(p.key + ".") for g in document.parts)
        )
    ]
    if taken or heads:
        added = [p for p in gained if p in taken or p in heads]
        _sections_add(report, document, added, texts, user=user, reason="报告新增的部分，按最新台账起草")
    for section, merged, settled in plan:
        section.body = merged.resolve(settled)
        section.draft = merged.base_after(settled)
        counts = Counter(settled.values())
        chosen = "，".join(f"{n}句{CHOICE_LABELS[c]}" for c, n in counts.items())
        section._change_reason = f"采用最新台账数据更新（保留法制员的修改{'；' + chosen if chosen else ''}）"
        section._history_user = user
        section.save()
    return len(plan) + len(taken)


# The workflow (docs/report.md): the legal officer drafts and submits; the brigade's leader
# returns it with a reason or signs it (签发), which finalises it with that leader as 签发人.
# Only the leader undoes a signed report (撤销定稿); the legal officer may ask for it (ASKS).
# (from, to) → {the role permission that may make the move: what the button says}.
TRANSITIONS = {
    ("draft", "review"): {policy.DRAFT: "提交领导签发"},
    ("review", "draft"): {policy.DRAFT: "撤回修改", policy.SIGN: "退回修改"},
    ("review", "final"): {policy.SIGN: "签发"},
    ("final", "draft"): {policy.SIGN: "撤销定稿"},
}
# Moves a role may not make but may ask for, with a reason, of the role that may.
ASKS = {("final", "draft"): {policy.DRAFT: "申请撤销定稿"}}
NEEDS_REASON = {("review", "draft"), ("final", "draft")}
# Moves made only on a confirmation step of their own (the 签发 page, reports:sign), never by
# a button on the report page.
CONFIRMED = {("review", "final")}
DOC_NUMBER = re.compile(r"〔(\d{4})〕(\d+)号$")


def moves_for(report: AnnualReport, user) -> list[tuple[str, str]]:
    """(to, label) of the moves `user` may make on `report` now."""
    found = []
    for (start, to), labels in TRANSITIONS.items():
        if start == report.status:
            label = next((lb for perm, lb in labels.items() if access.may(user, perm, report)), None)
            if label:
                found.append((to, label))
    return found


def asks_for(report: AnnualReport, user) -> list[tuple[str, str]]:
    """(to, label) of the moves `user` may not make on `report` now but may ask for."""
    found = []
    for (start, to), labels in ASKS.items():
        if start == report.status:
            label = next((lb for perm, lb in labels.items() if access.may(user, perm, report)), None)
            if label:
                found.append((to, label))
    return found


def report_versions(report: AnnualReport) -> dict[str, int]:
    """What an editor is opened at: the last history row of the head and of each section
    ("head", "section-<pk>" → history id; 0 when it has none)."""
    versions = {
        "head": report.history.order_by("-history_id").values_list("history_id", flat=True).first() or 0
    }
    last = (
        ReportSection.history.filter(report_id=report.pk)
        .values("id")
        .annotate(last=Max("history_id"))
        .values_list("id", "last")
    )
    versions |= {f"section-{pk}": history_id for pk, history_id in last}
    return versions


class EditConflict(Exception):
    """Parts the user changed that someone else changed too since the editor was opened."""

    def __init__(self, parts: list[str]):
        super().__init__("；".join(parts))
        self.parts = parts


# The head's fields as the editor posts them, by attname (the template by its id).
# 签发人 and 成文日期 are not among them: they come from the act of signing (report_sign).
HEAD_FIELDS = ["title", "doc_number", "addressee", "issuer", "opening", "closing", "template_id"]


@transaction.atomic
def report_edit(*, report: AnnualReport, head: dict, sections: dict[int, str], opened: dict) -> int:
    """Save an editor's changes. Each part (the head, each section) is compared with what it was
    when the editor was opened (`opened`, from `report_versions`): a part only this user changed
    is saved; a part only someone else changed keeps their text; a part both changed is a
    conflict, and then nothing is saved (EditConflict names the parts and who changed them).
    `head` maps HEAD_FIELDS to the posted values. Returns the number of parts saved."""
    report = AnnualReport.objects.select_for_update().get(pk=report.pk)
    _require_editable(report)
    now = report_versions(report)
    conflicts, saves = [], []

    def mine_only(part: str, history, mine: dict, current: dict, label: str) -> bool:
        """Whether this user, and nobody else meanwhile, changed the part."""
        was_id = opened.get(part, 0)
        was = history.filter(history_id=was_id).first() if was_id else None
        at_open = {k: getattr(was, k) for k in mine} if was is not None else current
        if mine == current:
            return False  # nothing to save, whoever wrote it
        i_changed = mine != at_open
        they_changed = now.get(part, 0) != was_id
        if i_changed and they_changed:
            last = history.order_by("-history_id").select_related("history_user").first()
            who = (
                f"{last.history_user or '其他用户'}于{timezone.localtime(last.history_date):%H:%M}修改"
                if last
                else "已被修改"
            )
            conflicts.append(f"“{label}”（{who}）")
        return i_changed and not they_changed

    if mine_only("head", report.history.all(), head, {k: getattr(report, k) for k in head}, "报告头部"):
        saves.append((report, head, "法制员编辑报告头部"))
    for section in report.sections.all():
        if section.pk in sections:
            mine = {"body": sections[section.pk]}
            if mine_only(
                f"section-{section.pk}", section.history.all(), mine, {"body": section.body}, section.title
            ):
                saves.append((section, mine, "法制员编辑"))
    if conflicts:
        raise EditConflict(conflicts)
    for obj, values, reason in saves:
        for name, value in values.items():
            setattr(obj, name, value)
        obj._change_reason = reason
        obj.save(update_fields=[f.removesuffix("_id") for f in values])
    return len(saves)


class StaleFigures(Exception):
    """A submit that would send sentences whose figures are not the ledger's, not yet accepted
    by the officer: `found` lists them (reports/stale.py)."""

    def __init__(self, found: list):
        super().__init__(f"报告中有{len(found)}句话的数字与最新台账不一致")
        self.found = found


@transaction.atomic
def report_transition(
    *, report: AnnualReport, to: str, user, reason: str = "", accept_stale: int | None = None
) -> AnnualReport:
    """Move the report along the workflow, as `user` may (PermissionDenied otherwise).

    Submitting checks the text's figures against the records now (reports/stale.py): with
    sentences out of date and no recorded reason, it goes ahead only when the officer has seen
    them (`accept_stale`: how many they were shown), else StaleFigures lists them; the submit
    records how many went. Signing refuses while any remains (report_sign). Undoing a signed
    report settles the legal officers' pending requests for it."""
    report = AnnualReport.objects.select_for_update().get(pk=report.pk)
    move = (report.status, to)
    if move not in TRANSITIONS:
        raise ValidationError(f"报告当前为“{report.get_status_display()}”，不能进行该操作")
    label = dict(moves_for(report, user)).get(to)
    if label is None:
        asked = dict(asks_for(report, user)).get(to)
        if asked:
            raise PermissionDenied(f"只有本单位的领导可以{asked.removeprefix('申请')}；您可以填写理由{asked}")
        raise PermissionDenied(f"您不能对“{report.get_status_display()}”的报告进行该操作")
    if move in NEEDS_REASON:
        reason = rules.reason_text(reason, what=f"{label}的理由")
    report._history_user = user
    note = ""
    if move == ("draft", "review"):
        _check_doc_number(report, timezone.localdate())
        found = stale.mismatches(report)
        unsettled = stale.blocking(found)
        if unsettled and accept_stale != len(unsettled):
            raise StaleFigures(found)
        report.stale_at_submit = len(unsettled)
        if unsettled:
            note = f"（有{len(unsettled)}句数字与最新台账不一致，未更新）"
        elif found:
            note = f"（{len(found)}句数字与最新台账不一致，均已记录理由）"
    if to == "final":
        return report_sign(report=report, user=user)
    if move == ("final", "draft") and report.document.locks_period:
        locks.year_unlock(brigade=report.brigade, year=report.year, user=user, reason=f"撤销定稿：{reason}")
    if move == ("final", "draft"):
        # The document that was final stays, as a version of its own (FinalVersion).
        now = timezone.now()
        report.final_versions.filter(withdrawn_at__isnull=True).update(
            withdrawn_at=now, withdrawn_reason=reason
        )
        report.final_docx, report.final_sha256, report.final_figures = None, "", {}
        report.finalised_at = report.finalised_by = None
        for asked in report.unfinalise_requests.select_for_update().filter(decision=PENDING):
            asked.decision, asked.decided_by, asked.decided_at = UnfinaliseRequest.Decision.GRANTED, user, now
            asked.decision_reason = reason
            asked._history_user, asked._change_reason = user, f"领导撤销定稿：{reason}"
            asked.save()
    report.status, report.status_reason = to, reason.strip()
    report._change_reason = (f"{label}：{reason.strip()}" if reason.strip() else label) + note
    report.save()
    return report


PENDING = UnfinaliseRequest.Decision.PENDING
NOT_LEGAL = "只有本单位的法制员可以申请撤销定稿"
NOT_LEADER = "只有本单位的领导可以处理撤销定稿的申请"


@transaction.atomic
def unfinalise_request(*, report: AnnualReport, reason: str, user) -> UnfinaliseRequest:
    """A legal officer asks the leader to undo the signed report, with a reason (one at a time)."""
    if not access.may(user, policy.DRAFT, report):
        raise PermissionDenied(NOT_LEGAL)
    report = AnnualReport.objects.select_for_update().get(pk=report.pk)
    if not report.is_final:
        raise ValidationError("报告尚未定稿，不需要申请撤销定稿")
    reason = rules.reason_text(reason, what="申请撤销定稿的理由")
    if report.unfinalise_requests.filter(decision=PENDING).exists():
        raise ValidationError("已有一份撤销定稿的申请等待领导处理，请勿重复申请")
    asked = UnfinaliseRequest(report=report, reason=reason, requested_by=user, requested_at=timezone.now())
    asked._history_user, asked._change_reason = user, f"申请撤销定稿：{reason}"
    asked.save()
    return asked


@transaction.atomic
def unfinalise_decline(*, report: AnnualReport, request_id: int, reason: str, user) -> UnfinaliseRequest:
    """The leader declines a legal officer's request to undo the signed report, with a reason;
    the report stays final."""
    if not access.may(user, policy.SIGN, report):
        raise PermissionDenied(NOT_LEADER)
    asked = report.unfinalise_requests.select_for_update().filter(pk=request_id, decision=PENDING).first()
    if asked is None:
        raise ValidationError("该申请已经处理过了，请刷新页面")
    reason = rules.reason_text(reason, what="不同意撤销定稿的理由")
    asked.decision, asked.decision_reason = UnfinaliseRequest.Decision.DECLINED, reason
    asked.decided_by, asked.decided_at = user, timezone.now()
    asked._history_user, asked._change_reason = user, f"不同意撤销定稿：{reason}"
    asked.save()
    return asked


def _check_doc_number(report: AnnualReport, on: datetime.date) -> None:
    """A 发文字号, when the report carries one, is whole (its serial) and of the year it is issued."""
    if not report.doc_number:
        return
    found = DOC_NUMBER.search(report.doc_number)
    if not found:
        raise ValidationError(
            f"发文字号“{report.doc_number}”缺少序号，应写作 {report.brigade.doc_prefix or '某公交'}〔{on.year}〕3号"
        )
    if int(found.group(1)) != on.year:
        raise ValidationError(f"发文字号“{report.doc_number}”的年份应为签发的年份 {on.year}")


def signer_name(user) -> str:
    """How 签发人 is printed: the leader's name, else their user name."""
    return user.get_full_name().strip() or user.username


_signer_name = signer_name


def sign_locks(report: AnnualReport) -> str:
    """What 签发 locks, as its confirmation names it. A detachment's report locks the 支队's own
    year only (report_finalise); a kind declared not to lock its period locks nothing."""
    if not report.document.locks_period:
        return "签发后报告定稿，定稿文件不再改变；本文书不锁定台账"
    if coverage_of(report.brigade).is_detachment:
        return (
            f"签发后报告定稿，支队本级{report.year}年度台账锁定，不能再新增、修改、删除或导入记录"
            "（各大队的台账在各大队自己的报告定稿时锁定）"
        )
    return f"签发后报告定稿，{report.year}年度台账锁定，不能再新增、修改、删除或导入记录"


@transaction.atomic
def report_sign(*, report: AnnualReport, user) -> AnnualReport:
    """签发: the leader who signs is printed as 签发人, the report is dated the day it is
    signed, and it is finalised (finalised_by/at record the act). Refused while a sentence of
    the text states figures other than the ledger's with no reason recorded (reports/stale.py):
    checked with the year held, so that no record written meanwhile escapes the check."""
    today = timezone.localdate()
    _check_doc_number(report, today)
    locks.hold_years(brigade_id=report.brigade_id, years=[report.year], exclusive=True)
    unsettled = stale.blocking(stale.mismatches(report))
    if unsettled:
        raise ValidationError(stale.refusal(unsettled))
    report.signer, report.date = _signer_name(user), today
    return report_finalise(report=report, user=user, reason=f"{_signer_name(user)}签发")


@transaction.atomic
def report_finalise(*, report: AnnualReport, user, reason: str = "") -> AnnualReport:
    """Store the exact .docx and the figures it states; from now on the year's records are locked.
    The year is held exclusively first: writes of its records in flight commit before the
    figures are counted, and later ones find it locked (locks.hold_years).

    A detachment's report locks the 支队's own year only (its own records, counted in its sums),
    not its brigades': each brigade's year is locked by its own report, on its own schedule. The
    detachment's document and figures (each brigade's too) are stored, and never change."""
    locks.hold_years(brigade_id=report.brigade_id, years=[report.year], exclusive=True)
    content, figures = report_render(report)
    report.final_docx = content
    report.final_sha256 = hashlib.sha256(content).hexdigest()
    report.final_figures = figures
    report.finalised_at, report.finalised_by = timezone.now(), user
    report.status, report.status_reason = AnnualReport.Status.FINAL, reason.strip()
    report._change_reason = "签发定稿" + (f"：{reason.strip()}" if reason.strip() else "")
    report._history_user = user
    report.save()
    last = report.final_versions.order_by("-number").values_list("number", flat=True).first() or 0
    FinalVersion.objects.create(
        report=report,
        number=last + 1,
        docx=content,
        sha256=report.final_sha256,
        figures=report.final_figures,
        finalised_at=report.finalised_at,
        finalised_by=user,
    )
    if report.document.locks_period:
        locks.year_lock(
            brigade=report.brigade, year=report.year, user=user, reason=f"{report.year}年度报告定稿"
        )
    return report


@transaction.atomic
def report_relock(*, report: AnnualReport, user, reason: str = "") -> None:
    """Lock the year's records again after an unlock, the report staying final (`reason`: what
    the officer wrote, if anything). The year is held exclusively as when finalising, so no
    write in flight slips past the lock."""
    if not report.is_final:
        raise ValidationError("报告尚未定稿，不能锁定年度台账")
    locks.hold_years(brigade_id=report.brigade_id, years=[report.year], exclusive=True)
    said = f"：{reason.strip()}" if reason.strip() else ""
    locks.year_lock(
        brigade=report.brigade, year=report.year, user=user, reason=f"{report.year}年度台账重新锁定{said}"
    )


def report_history(report: AnnualReport, limit: int = 30) -> list:
    """The report page's 修改记录: the report's own rows, and the unlocks and relocks of its year's
    records (who, when, the reason), which live in the YearLock's history. The lock that
    签发 sets and the unlock of 撤销定稿 are the report's own rows already."""
    rows = list(report.history.select_related("history_user").order_by("-history_date")[:limit])
    finalised = f"{report.year}年度报告定稿"
    for row in (
        YearLock.history.filter(brigade_id=report.brigade_id, year=report.year)
        .select_related("history_user")
        .order_by("-history_date")[:limit]
    ):
        reason = row.history_change_reason or row.reason or ""
        if row.locked and reason != finalised:
            row.history_change_reason = f"重新锁定{report.year}年度台账" + reason.removeprefix(
                f"{report.year}年度台账重新锁定"
            ).replace("：", "，理由：", 1)
        elif not row.locked and not reason.startswith("撤销定稿："):
            row.history_change_reason = f"解锁{report.year}年度台账，理由：{reason}"
        else:
            continue
        rows.append(row)
    return sorted(rows, key=lambda row: row.history_date, reverse=True)[:limit]


def report_unlock(*, report: AnnualReport, user, reason: str):
    """Let the year's records change again; the finalised document stays as it was."""
    if not report.is_final:
        raise ValidationError("报告尚未定稿，年度台账没有锁定")
    return locks.year_unlock(brigade=report.brigade, year=report.year, user=user, reason=reason)


def _figures_json(figures: Figures, each: dict[int, Figures], coverage: Coverage) -> dict:
    """key → label, current, previous; for a detachment also "brigades": code → [current, previous]."""

    def plain(v):
        return None if v is None else (int(v) if v == int(v) else float(round(v, 4)))

    stored = {
        k: {"label": f.item.label, "current": plain(f.current), "previous": plain(f.previous)}
        for k, f in figures.items()
    }
    if coverage.is_detachment:
        units = (coverage.unit, *coverage.brigades)
        for key, entry in stored.items():
            entry["brigades"] = {
                b.code: [plain(each[b.pk][key].current), plain(each[b.pk][key].previous)] for b in units
            }
    return stored


def report_context(report: AnnualReport, *, annex: dict | None = None) -> dict:
    """The documented variables of a report template (reports/docx.py). Parts 一 to 四 always
    appear; 五 only when it says something; a sub-section without text is left out and the
    numbering closes up. `annex`: a detachment's per-brigade table (drafting.unit_table); by
    default `report_annex`."""
    if annex is None:
        annex = report_annex(report)
    parts = []
    for section in report.sections.all():
        if section.level == LEVEL1:
            parts.append((section, []))
        elif parts and section.paragraphs:
            parts[-1][1].append(section)
    sections = []
    for section, subsections in parts:
        part = report.document.parts_by_key.get(section.key)
        if part and part.optional and not (section.paragraphs or subsections):
            continue
        sections.append(
            {
                "heading": f"{NUMERALS[len(sections)]}、{section.title}",
                "paragraphs": section.paragraphs,
                "subsections": [
                    {"heading": f"（{NUMERALS[n]}）{sub.title}", "paragraphs": sub.paragraphs}
                    for n, sub in enumerate(subsections)
                ],
            }
        )
    return {
        "title": report.title,
        "doc_number": report.doc_number,
        "signer": report.signer,
        "addressee": report.addressee,
        "opening": report.opening,
        "sections": sections,
        "closing": report.closing,
        "issuer": report.issuer,
        "date": phrasing.cn_date(report.date),
        "year": report.year,
        "brigade": {"name": report.brigade.name, "short_name": report.brigade.short_name},
        "annex": annex,
    }


def report_figures(report: AnnualReport) -> tuple[Coverage, Figures, dict[int, Figures]]:
    """The figures of the report's year over what it covers (one read): summed, and by brigade."""
    coverage = coverage_of(report.brigade)
    figures, each = evaluate_with_each(brigade_ids=coverage.ids, period=report_period(report.year))
    return coverage, figures, each


def report_annex(report: AnnualReport) -> dict | None:
    """A detachment's table of its brigades' key figures: once final, the one it was finalised
    with (kept in final_figures["annex"], so the public edition prints what was sent); before,
    from the figures now. None for a brigade's report."""
    if report.is_final:
        return report.final_figures.get("annex")
    if not report.document.unit_table:
        return None
    coverage, figures, each = report_figures(report)
    return unit_table(coverage=coverage, year=report.year, figures=figures, each=each)


def report_render(report: AnnualReport) -> tuple[bytes, dict]:
    """The document as it reads now, and the figures of its year as stored at finalising (a
    detachment's: with each brigade's, and its table under "annex")."""
    coverage, figures, each = report_figures(report)
    annex = (
        unit_table(coverage=coverage, year=report.year, figures=figures, each=each)
        if report.document.unit_table
        else None
    )
    template = bytes(report.template.content) if report.template_id else None
    content = docx.render_report(report_context(report, annex=annex), template)
    stored = _figures_json(figures, each, coverage)
    if annex:
        stored["annex"] = annex
    return content, stored


def report_document(report: AnnualReport) -> bytes:
    """What a download gives: the finalised bytes once final, byte for byte; else a fresh rendering
    marked 草稿 on every page (docx.mark_draft), so that a printed draft never passes as signed."""
    if report.is_final and report.final_docx is not None:
        return bytes(report.final_docx)
    return docx.mark_draft(report_render(report)[0])


def report_template_upload(*, user, name: str, content: bytes) -> tuple[ReportTemplate | None, list[str]]:
    """Store a Word template a unit's legal officer uploaded, rebuilt from the allow-list in a
    child process the OS bounds (reports/template_rebuild.py): only the rebuilt package is kept.
    Returns (the template, []) or (None, the problems, in Chinese) with nothing stored."""
    if user.brigade_id is None or not access.has_unit_perm(user, "manage_report"):
        raise PermissionDenied("只有本单位（大队或支队）的法制员可以上传报告模板")
    data, problems = docx.prepare_template(content)
    if problems:
        return None, problems
    template = ReportTemplate(
        brigade_id=user.brigade_id,
        name=name,
        content=data,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=user,
    )
    template._history_user = user
    template.save()
    return template, []
