"""The public edition (公开版) of a finalised report, published by 4月1日 of the next year: the
same text without the internal head (签发人 and 发文字号, unless the officer keeps them), released
after a 保密审查 checklist that the brigade's legal officer or leader confirms.

The checklist's automatic part reads the public text sentence by sentence and flags what must not
be published: names from the brigade's roster of people who are not its leaders, plate numbers,
case and document numbers, and marks of internal content. Each flag is resolved before the
checklist is confirmed: by changing the text (the flag is gone when the text is read again), or
by the officer recording why it may be published (PublicFlagOverride: who, when, the reason and
the text flagged)."""

import hashlib
import re
import unicodedata

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from brigade import access, rules
from brigade.ledger.keys import FULL_WIDTH, HALF_WIDTH
from brigade.models import Officer, Role, User
from reports import docx, policy, services
from reports.models import AnnualReport, PublicEdition, PublicFlagOverride

CHECKLIST = [
    ("names", "除领导外，不含其他人员的姓名"),
    ("case_numbers", "不含案件编号、决定书编号等文书编号"),
    ("plates", "不含号牌号码"),
    ("internal", "不含标注为内部、涉密或不宜公开的内容"),
]
NOT_FINAL = "报告定稿（签发）后才能生成公开版"
NOT_ALLOWED = "只有本大队的法制员或领导可以确认公开版的保密审查"
NOT_CONFIRMED = "公开版尚未通过保密审查：请先逐项核对并确认保密审查清单，再下载"

_WIDTH = str.maketrans(FULL_WIDTH, HALF_WIDTH)  # one character for one: positions stay
# Cyrillic and Greek letters that look like Latin ones (湘А12345 with a Cyrillic А reads as a plate).
_LOOK_ALIKES = str.maketrans(
    "АВЕКМНОРСТУХІЈЅаеорсухіјѕԁΑΒΕΖΗΙΚΜΝΟΡΤΥΧαικνορτυχ",
    "ABEKMHOPCTYXIJSaeopcyxijsdABEZHIKMNOPTYXaikvoptux",
)


def normalised(text: str) -> str:
    """Text as the detector reads it: what only looks different made the same. Invisible
    characters (zero-width spaces and joiners, soft hyphens: category Cf) and combining marks
    are dropped; full-width letters, digits and signs and other compatibility forms become their
    plain form (NFKD, Ａ１２ → A12); Cyrillic and Greek look-alikes become Latin letters."""
    kept = []
    for character in text:
        for part in unicodedata.normalize("NFKD", character):
            if unicodedata.category(part) not in ("Cf", "Mn", "Me"):
                kept.append(part)
    return "".join(kept).translate(_LOOK_ALIKES)


# 甲A12345, 京A·12345, 湘A-12345, 湘M 8C123, 湘 A12345, 湘a12345 (typed in lower case), 湘A1234学 (a
# 教练, 警用, 挂车, 使领馆, 试验 or 港澳 plate): one province character, a letter, then 5–6 letters or
# digits (one a digit), or 4 and the plate's suffix character. A separator — a dot (·•・∙⋅‧.), a
# hyphen or a dash (-－—–), an underscore, a slash (／) or a space — may stand after the province,
# up to three after the letter (湘A - 12345), and up to two between two digits (湘A12 345,
# 湘A 1 2 3 4 5); not between letters, so GB/T 9704 stays no plate. Read on ``normalised`` text.
_PLATE_SEPARATOR = r"[·•・∙⋅‧.\-‐‒–—―−_/\s]"
_PLATE_CHARACTER = rf"(?:\d{_PLATE_SEPARATOR}{{0,2}}(?=\d)|[A-Z0-9])"  # a digit may be spaced from the next
PLATE = re.compile(
    rf"[\u4e00-\u9fff]{_PLATE_SEPARATOR}?[A-Z]{_PLATE_SEPARATOR}{{0,3}}(?=[A-Z0-9]{{0,5}}\d)"
    rf"(?:{_PLATE_CHARACTER}{{5,6}}|{_PLATE_CHARACTER}{{4}}[学警挂领试港澳])(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# 公交决字〔2026〕第001号, 淄公交川政〔2023〕12号, 公交决字[2026]1号: 代字, year in brackets, serial.
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}\s*[〔\[［【(（]\s*\d{4}\s*[〕\]］】)）]\s*第?\s*\d{1,8}\s*号")
# A long serial (事故编号, 警情编号, a 决定书编号 typed as digits): eight digits or more.
SERIAL = re.compile(r"(?<![A-Za-z0-9])[A-Z]{0,4}\d{8,}(?![A-Za-z0-9])")
LEAD_IN = r"作出|下发|印发|出具|编号为|编号|文号|为|是|的|了|以|经|按|据"
# Marks of internal content: 内部 only as a mark (内部资料, 仅供内部, 内部文件, 内部使用), not in
# the ordinary 内部监督, 内部管理, 内部审核 of a report's text.
INTERNAL = re.compile(
    r"仅供内部|仅限内部|内部(?:资料|文件|材料|使用|传阅|参考|掌握|刊物|发行|明电|事项|讨论稿)"
    r"|秘密|机密|绝密|涉密|不宜(?:对外)?(?:公开|公布|发布|披露|宣传)|不(?:予|得)(?:对外)?(?:公开|公布)|不对外|敏感"
)
SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")
KINDS = {"name": "人员姓名", "case_number": "案件或文书编号", "plate": "号牌号码", "internal": "内部内容"}


def public_context(report: AnnualReport, *, keep_doc_number=False, keep_signer=False) -> dict:
    """The report template's variables for the public edition: the finalised text, the internal
    head left out unless kept."""
    context = services.report_context(report)
    if not keep_doc_number:
        context["doc_number"] = ""
    if not keep_signer:
        context["signer"] = ""
    return context


def _passages(context: dict) -> list[tuple[str, str]]:
    """(where, text) of every line the public edition prints, in order."""
    found = [("标题", context["title"])]
    if context.get("doc_number"):
        found.append(("发文字号", context["doc_number"]))
    if context.get("signer"):
        found.append(("签发人", f"签发人：{context['signer']}"))
    found += [("主送机关", context["addressee"]), ("开头段", context["opening"])]
    for section in context["sections"]:
        found.append((section["heading"], section["heading"]))
        found += [(section["heading"], p) for p in section["paragraphs"]]
        for sub in section["subsections"]:
            found.append((sub["heading"], sub["heading"]))
            found += [(sub["heading"], p) for p in sub["paragraphs"]]
    found += [("结束语", context["closing"]), ("落款", context["issuer"]), ("成文日期", context["date"])]
    return [(where, text) for where, text in found if text]


def _roster_names(report: AnnualReport) -> list[str]:
    """The roster's names of people who are not the brigade's leaders (longest first)."""
    leaders = {report.signer} if report.signer else set()
    for first, last in User.objects.filter(brigade_id=report.brigade_id, role=Role.LEADER).values_list(
        "first_name", "last_name"
    ):
        leaders |= {f"{last}{first}".replace(" ", ""), f"{first}{last}".replace(" ", "")}
    names = Officer.objects.filter(brigade_id=report.brigade_id).values_list("name", flat=True).distinct()
    return sorted({n.strip() for n in names if n.strip() and n.strip() not in leaders}, key=len, reverse=True)


def _doc_number(found: str) -> str:
    """A matched 文书编号 without the words before its 代字 (依法作出公交决字〔2026〕1号 → 公交决字〔2026〕1号)."""
    head, bracket, rest = re.split(r"([〔\[［【(（])", found, maxsplit=1)
    head = re.split(LEAD_IN, head)[-1]
    return head + bracket + rest


def public_flags(report: AnnualReport, context: dict) -> list[dict]:
    """What the automatic check finds in the public text: [{"kind", "label", "found", "sentence",
    "where"}], each with the sentence it is in."""
    names = sorted({normalised(name) for name in _roster_names(report)} - {""}, key=len, reverse=True)
    by_name = re.compile("|".join(re.escape(n) for n in names)) if names else None
    flags = []
    for where, text in _passages(context):
        for match in SENTENCE.finditer(text):
            sentence = match.group().strip()
            if not sentence:
                continue
            wide = normalised(sentence)  # 湘A\u200b12345, 湘А12345, Ａ: read as typed plainly
            hits = []
            if by_name:
                hits += [("name", m.group()) for m in by_name.finditer(wide)]
            hits += [("plate", m.group()) for m in PLATE.finditer(wide)]
            for m in DOC_NUMBER.finditer(wide):
                if not re.search(r"》\s*[（(]?\s*$", wide[: m.start()]):  # a cited regulation's number
                    hits.append(("case_number", _doc_number(m.group())))
            hits += [("case_number", m.group()) for m in SERIAL.finditer(wide)]
            hits += [("internal", m.group()) for m in INTERNAL.finditer(wide)]
            for kind, found in dict.fromkeys(hits):
                flags.append(
                    {
                        "kind": kind,
                        "label": KINDS[kind],
                        "found": found,
                        "sentence": sentence,
                        "where": where,
                        "id": flag_id(kind, found, sentence),
                    }
                )
    overrides = {o.flag_id: o for o in _overrides(report)}
    for flag in flags:
        flag["override"] = overrides.get(flag["id"])
    return flags


def flag_id(kind: str, found: str, sentence: str) -> str:
    """A flag's identity: what it found, in which sentence (the same text flags the same)."""
    return hashlib.sha256(f"{kind}\x1f{found}\x1f{sentence}".encode()).hexdigest()[:32]


def _overrides(report: AnnualReport):
    if not report.is_final or not report.final_sha256:
        return PublicFlagOverride.objects.none()
    return report.public_flag_overrides.select_related("overridden_by").filter(
        final_sha256=report.final_sha256
    )


def unresolved(flags: list[dict]) -> list[dict]:
    """The flags neither gone from the text nor overridden with a reason."""
    return [f for f in flags if f.get("override") is None]


def unresolved_message(flags: list[dict]) -> str:
    first = flags[0]
    more = f"等{len(flags)}处" if len(flags) > 1 else ""
    return (
        f"保密审查尚未完成：自动检查提示的“{first['sentence']}”中的{first['label']}“{first['found']}”{more}尚未处理。"
        "请修改文字（撤销定稿、修改后重新签发），或逐条填写可以公开的理由"
    )


@transaction.atomic
def flag_override(*, report: AnnualReport, flag_id: str, reason: str, user) -> PublicFlagOverride:
    """Record that one flag of the current finalised document may be published as it stands,
    with the reason, who and when (audited in the history)."""
    report = AnnualReport.objects.select_for_update().get(pk=report.pk)
    if not report.is_final:
        raise ValidationError(NOT_FINAL)
    if not access.may(user, policy.PUBLIC_CONFIRM, report):
        raise PermissionDenied(NOT_ALLOWED)
    reason = rules.reason_text(reason, what="可以公开的理由")
    flags = []
    for keep in ((False, False), (True, False), (False, True), (True, True)):  # a kept head's line too
        context = public_context(report, keep_doc_number=keep[0], keep_signer=keep[1])
        flags += public_flags(report, context)
    flag = next((f for f in flags if f["id"] == flag_id), None)
    if flag is None:
        raise ValidationError("该提示已不存在（文字已修改），请刷新页面")
    override = report.public_flag_overrides.filter(final_sha256=report.final_sha256, flag_id=flag_id).first()
    override = override or PublicFlagOverride(
        report=report, final_sha256=report.final_sha256, flag_id=flag_id
    )
    override.kind, override.found, override.sentence = flag["kind"], flag["found"][:200], flag["sentence"]
    override.reason, override.overridden_by, override.overridden_at = reason[:500], user, timezone.now()
    override._history_user = user
    override._change_reason = f"确认{flag['label']}“{flag['found']}”可以公开：{reason}"
    override.save()
    return override


def public_edition_current(report: AnnualReport) -> PublicEdition | None:
    """The confirmed review of the report's current finalised document, if there is one."""
    if not report.is_final or not report.final_sha256:
        return None
    return (
        report.public_editions.select_related("confirmed_by").filter(final_sha256=report.final_sha256).first()
    )


@transaction.atomic
def public_edition_confirm(
    *, report: AnnualReport, user, checks, keep_doc_number: bool = False, keep_signer: bool = False
) -> PublicEdition:
    """Record that `user` went through the 保密审查 checklist (every item of CHECKLIST in
    `checks`) for the report's current finalised document, with the head kept as chosen."""
    report = AnnualReport.objects.select_for_update().get(pk=report.pk)
    if not report.is_final:
        raise ValidationError(NOT_FINAL)
    if not access.may(user, policy.PUBLIC_CONFIRM, report):
        raise PermissionDenied(NOT_ALLOWED)
    missing = [label for key, label in CHECKLIST if key not in set(checks)]
    if missing:
        raise ValidationError("请逐项确认保密审查清单：" + "；".join(missing))
    context = public_context(report, keep_doc_number=keep_doc_number, keep_signer=keep_signer)
    found = public_flags(report, context)
    left = unresolved(found)
    if left:
        raise ValidationError(unresolved_message(left))
    flags = [
        {k: f[k] for k in ("kind", "found", "sentence")}
        | {
            "reason": f["override"].reason,
            "by": str(f["override"].overridden_by or ""),
            "at": f["override"].overridden_at.isoformat(),
        }
        for f in found
    ]
    edition = report.public_editions.filter(final_sha256=report.final_sha256).first() or PublicEdition(
        report=report, final_sha256=report.final_sha256
    )
    again = edition.pk is not None
    edition.keep_doc_number, edition.keep_signer = keep_doc_number, keep_signer
    edition.checklist = [key for key, _ in CHECKLIST]
    edition.flags = flags
    edition.confirmed_by, edition.confirmed_at = user, timezone.now()
    kept = "、".join(n for n, keep in (("发文字号", keep_doc_number), ("签发人", keep_signer)) if keep)
    edition._history_user = user
    edition._change_reason = (
        f"{'重新' if again else ''}确认公开版保密审查（自动检查提示{len(flags)}处"
        + (f"；保留{kept}" if kept else "")
        + "）"
    )
    edition.save()
    return edition


def public_edition_document(
    *, report: AnnualReport, edition: PublicEdition | None, pdf: bool = True
) -> bytes:
    """The public edition as PDF (or Word), in the system's GB/T 9704 template (a brigade's own
    template may carry an internal letterhead). Refused until the checklist is confirmed for
    the current finalised document. PDF: None when LibreOffice is absent."""
    if edition is None or edition.final_sha256 != report.final_sha256 or not report.is_final:
        raise PermissionDenied(NOT_CONFIRMED)
    context = public_context(report, keep_doc_number=edition.keep_doc_number, keep_signer=edition.keep_signer)
    content = docx.render_report(context, None)
    return docx.docx_to_pdf(content) if pdf else content
