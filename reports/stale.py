"""What is signed is what the ledger says (docs/report.md, 流程): before a report is submitted and
before it is signed, its text is drafted again from the records now and each sentence whose
figures are no longer what the ledger gives is listed (reports/merge.py, stale_sentences).

Such a sentence blocks 签发 until the legal officer takes the new figures (用最新台账数据更新) or
records why the text keeps its figures (FigureAcknowledgement, e.g. “该数字按某某口径核定”). An
acknowledgement holds only while the ledger gives the figures it was recorded against: when the
records change again, the sentence blocks again."""

import hashlib
from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from brigade import access, rules
from reports import drafting, merge, policy
from reports.coverage import coverage_of
from reports.models import AnnualReport, FigureAcknowledgement, ReportSection

NOT_ALLOWED = "只有本单位的法制员可以为报告中的数字记录理由"
GONE = "这句话的数字已与最新台账一致，或台账、报告在您打开页面后又有变化，请刷新页面后再核对"


@dataclass
class Mismatch:
    """A sentence of the report whose figures are not the ledger's now: `mine` is the report's
    sentence ("" when the report does not say it at all), `fresh` what a draft from the records
    now says in its place ("" when the records no longer give it)."""

    section: ReportSection
    mine: str
    fresh: str
    acknowledgement: FigureAcknowledgement | None = None

    @property
    def stated(self) -> list[str]:
        return merge.figures(self.mine)

    @property
    def ledger(self) -> list[str]:
        return merge.figures(self.fresh)

    @cached_property
    def id(self) -> str:
        """Which mismatch a form means: the sentence and what the ledger says (the page shown
        before the records changed again names another one)."""
        return hashlib.sha256(f"{self.section.key}\n{self.mine}\n{self.fresh}".encode()).hexdigest()[:20]

    @property
    def blocking(self) -> bool:
        return self.acknowledgement is None

    @property
    def mine_marked(self):
        return merge.mark_numbers(self.mine, self.fresh, "del")

    @property
    def fresh_marked(self):
        return merge.mark_numbers(self.fresh, self.mine, "ins")


def fresh_texts(report: AnnualReport) -> dict[str, str]:
    """The drafted sections as the records read now."""
    return drafting.draft_all(coverage=coverage_of(report.brigade), year=report.year)[0]


def mismatches(report: AnnualReport, texts: dict[str, str] | None = None) -> list[Mismatch]:
    """Every sentence of the drafted sections whose figures differ from a fresh draft's, each
    with the acknowledgement that covers it (the same sentence, and the ledger still giving the
    figures it was recorded against), if there is one."""
    if texts is None:
        texts = fresh_texts(report)
    acknowledged = {}
    for ack in report.figure_acknowledgements.select_related("acknowledged_by").order_by("acknowledged_at"):
        acknowledged[(ack.section_key, ack.sentence, tuple(ack.ledger))] = ack  # the latest wins
    found = []
    for section in report.sections.filter(drafted=True):
        fresh_text = texts.get(section.key, "")
        for mine, fresh in merge.stale_sentences(base=section.draft, mine=section.body, theirs=fresh_text):
            ack = acknowledged.get((section.key, mine, tuple(merge.figures(fresh))))
            found.append(Mismatch(section, mine, fresh, ack))
    return found


def blocking(found: list[Mismatch]) -> list[Mismatch]:
    return [m for m in found if m.blocking]


def refusal(found: list[Mismatch]) -> str:
    """Why the report cannot be signed, in the words a leader reads."""
    first = found[0]
    where = f"如“{first.section.title}”中的“{_short(first.mine or first.fresh)}”"
    return (
        f"报告中有{len(found)}句话的数字与最新台账不一致（{where}），不能签发。"
        "请法制员用最新台账数据更新，或逐句记录保留原数字的理由（如“该数字按某某口径核定”）后再签发。"
    )


def _short(sentence: str, limit: int = 30) -> str:
    return sentence if len(sentence) <= limit else sentence[:limit] + "……"


@transaction.atomic
def figure_acknowledge(*, report: AnnualReport, mismatch_id: str, reason: str, user) -> FigureAcknowledgement:
    """Record why the report keeps the figures of one out-of-date sentence (`mismatch_id`, as the
    page showed it: checked again now, refused when the records or the text changed since)."""
    if not access.may(user, policy.DRAFT, report):
        raise PermissionDenied(NOT_ALLOWED)
    report = AnnualReport.objects.select_for_update().get(pk=report.pk)
    if report.is_final:
        raise ValidationError("报告已定稿，不能再为其中的数字记录理由")
    reason = rules.reason_text(reason, what="保留原数字的理由")
    found = next((m for m in mismatches(report) if m.id == mismatch_id), None)
    if found is None:
        raise ValidationError(GONE)
    if not found.blocking:
        raise ValidationError("这句话的数字已经记录过理由")
    ack = FigureAcknowledgement(
        report=report,
        section_key=found.section.key,
        sentence=found.mine,
        fresh_sentence=found.fresh,
        stated=found.stated,
        ledger=found.ledger,
        reason=reason,
        acknowledged_by=user,
        acknowledged_at=timezone.now(),
    )
    ack._history_user = user
    ack._change_reason = f"记录保留原数字的理由：{reason}"
    ack.save()
    return ack
