import re
from collections import Counter

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from brigade import access
from brigade.breadcrumbs import report_trail, trail
from brigade.filenames import content_disposition, safe_filename
from brigade.years import record_years
from reports import documents, docx, drafting, phrasing, policy, quality, services, stale
from reports import outputs as report_outputs
from reports.coverage import coverage_of
from reports.dashboard import dashboard, ledger_url
from reports.drafting import shortcomings_material
from reports.forms import ReportHeadForm, TemplateUploadForm
from reports.models import AnnualReport, ReportTemplate

VARIABLE_MEANINGS = {
    "title": "标题，如：××大队关于2025年法治政府建设情况的报告",
    "doc_number": "发文字号，如：双公交〔2026〕3号（可为空）",
    "signer": "签发人（可为空）",
    "addressee": "主送机关，如：中共双牌县委",
    "opening": "开头段",
    "sections": "各部分：每部分有 heading（一、……）、paragraphs（段落列表）、subsections（（一）……及其段落）",
    "closing": "结束语：特此报告。",
    "issuer": "落款（发文机关署名）",
    "date": "成文日期，如：2026年1月12日",
    "year": "报告年度",
    "brigade": "大队：brigade.name 全称、brigade.short_name 简称",
    "annex": "支队报告的附件（各大队主要指标情况表）：annex.title 附件名称，用于正文后的“附件：……”一行；"
    "表格本身由系统另页附在文件末尾。大队的报告为空",
}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _year(request, years) -> int:
    """The year asked for when it is one of `years` (brigade/years.py), else this year (the first)."""
    try:
        year = int(request.GET.get("year", years[0]))
    except ValueError:
        return years[0]
    return year if year in years else years[0]


def _require_view(user, codename):
    if not access.has_view_perm(user, codename):
        raise PermissionDenied("您的角色无权查看此页面")


def _require_drafter(user):
    """A new report: the legal officer of a unit (大队 or 支队), who drafts their unit's."""
    if not access.has_unit_perm(user, "manage_report"):
        raise PermissionDenied("只有本单位（大队或支队）的法制员可以起草报告")


def home(request):
    """The dashboard: the page everyone lands on after login."""
    user = request.user
    _require_view(user, "view_dashboard")
    today = timezone.localdate()
    brigades = list(access.visible_brigades(user).order_by("code"))
    years = record_years([b.pk for b in brigades], today=today)
    year = _year(request, years)
    chosen = None
    if len(brigades) > 1:
        wanted = request.GET.get("brigade", "")
        chosen = next((b for b in brigades if str(b.pk) == wanted), None)
        selected = [chosen] if chosen else brigades
    else:
        selected = brigades
        chosen = brigades[0] if brigades else None
    # A detachment compares its brigades; its own unit (whose records are its brigades') is the
    # title, not a row of zeros.
    heads = [b for b in brigades if any(o.parent_id == b.pk for o in brigades)]
    compared = [b.pk for b in brigades if b not in heads]
    data = dashboard(
        brigade_ids=[b.pk for b in selected],
        year=year,
        today=today,
        link_brigade=chosen.pk if chosen and len(brigades) > 1 else None,
        compare_ids=compared if len(compared) > 1 and not chosen else None,
    )
    names = {b.pk: str(b) for b in brigades}
    if data["comparison"]:
        shown = [names[b] for b in data["comparison"]["brigade_ids"]]
        data["comparison"]["brigades"] = shown
        for row in data["comparison"]["rows"]:  # a phone shows each cell under its brigade's name
            for cell, name in zip(row["cells"], shown, strict=True):
                cell["brigade"] = name
    # The report of the unit the page is about: one brigade's, or the 支队's own over its brigades.
    unit = selected[0] if len(selected) == 1 else heads[0] if heads and not chosen else None
    report = (
        AnnualReport.objects.filter(brigade=unit, kind="annual", year=year).only("pk", "status").first()
        if unit
        else None
    )
    return render(
        request,
        "reports/dashboard.html",
        {
            **data,
            "year": year,
            "years": years,
            "brigades": brigades,
            "chosen": chosen,
            "scope_name": str(chosen)
            if chosen
            else (str(heads[0]) if heads else "、".join(names.values()) or "（无）"),
            "chart_data": {"trends": data["trends"]},
            "report": report,
        },
    )


def report_list(request):
    """The reports, and for the year chosen (`?year=`): its data check, before drafting
    (year_checks, fetched after the page), and the button that drafts or opens its report."""
    _require_view(request.user, "view_report")
    reports = access.scope(AnnualReport.objects.select_related("brigade"), request.user).order_by(
        "-year", "brigade"
    )
    today = timezone.localdate()
    years = record_years(access.visible_brigades(request.user).values_list("pk", flat=True), today=today)
    due = today.year - 1 if today.month <= 6 else today.year  # the year whose report is being written
    year = _year(request, years) if "year" in request.GET else due if due in years else years[0]
    unit = request.user.brigade
    drafted = (
        unit
        and AnnualReport.objects.filter(brigade=unit, kind="annual", year=year).only("pk", "status").first()
    )
    return render(
        request,
        "reports/list.html",
        {
            "reports": reports,
            "can_manage": access.has_unit_perm(request.user, "manage_report"),
            "years": years,
            "year": year,
            "unit": unit,
            "drafted": drafted,
        },
    )


@require_POST
def report_new(request):
    _require_drafter(request.user)
    try:
        year = int(request.POST.get("year", ""))
    except ValueError:
        year = 0
    if year not in record_years(access.visible_brigades(request.user).values_list("pk", flat=True)):
        messages.error(request, "请选择有效的年度")
        return redirect("reports:list")
    kind = request.POST.get("kind", "annual")
    if kind not in {document.kind for document in documents.all_kinds()}:
        messages.error(request, "请选择有效的文书种类")
        return redirect("reports:list")
    try:
        report = services.report_create(brigade=request.user.brigade, year=year, user=request.user, kind=kind)
    except ValidationError as e:  # a kind not written at this unit's level
        messages.error(request, e.messages[0])
        return redirect("reports:list")
    return redirect("reports:detail", pk=report.pk)


def _report(request, pk) -> AnnualReport:
    """A report of the user's own unit (a detachment user: also its brigades'); another unit's
    is a 404 whatever the role, so that not even its existence shows (a 支队's to its brigades)."""
    if request.user.is_authenticated:
        found = access.get_scoped_or_404(
            AnnualReport.objects.select_related("brigade", "template"), request.user, pk=pk
        )
    _require_view(request.user, "view_report")
    return found


def report_detail(request, pk):
    report = _report(request, pk)
    can_manage = (
        access.has_unit_perm(request.user, "manage_report") and request.user.brigade_id == report.brigade_id
    )
    editable = access.may(request.user, policy.EDIT, report)
    sections = list(report.sections.all())
    form = ReportHeadForm(instance=report) if editable else None
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(services.NOT_EDITABLE if can_manage else "您无权修改报告")
        form = ReportHeadForm(request.POST, instance=report)
        if form.is_valid():
            head = {name: form.cleaned_data[name.removesuffix("_id")] for name in services.HEAD_FIELDS}
            head["template_id"] = head["template_id"].pk if head["template_id"] else None
            texts = {
                s.pk: _normalise(request.POST[f"section-{s.pk}"])
                for s in sections
                if f"section-{s.pk}" in request.POST
            }
            opened = {
                k.removeprefix("version-"): int(v)
                for k, v in request.POST.items()
                if k.startswith("version-") and v.isdigit()
            }
            try:
                changed = services.report_edit(report=report, head=head, sections=texts, opened=opened)
            except services.EditConflict as e:
                messages.error(
                    request,
                    f"您打开本页之后，{e}也被其他人修改了，没有保存您的任何修改。请复制您的文字，刷新页面查看对方的修改后再编辑。",
                )
                return redirect("reports:detail", pk=report.pk)
            except ValidationError as e:
                raise PermissionDenied(e.messages[0])
            messages.success(request, f"已保存（修改了{changed}处）")
            return redirect("reports:detail", pk=report.pk)
        messages.error(request, "报告头部有错误，请检查下方标出的栏目")
    coverage, figures, each = services.report_figures(report)
    material = shortcomings_material(
        figures=figures, brigade_ids=coverage.ids, on=drafting.roster_date(report.year)
    )  # the same roster date as the drafted text
    lock = report.brigade.year_locks.filter(year=report.year).first()
    link = None if coverage.is_detachment else report.brigade_id  # a detachment's: all its brigades
    traced = _traced_figures(figures, sections, report, link)
    _link_figures(sections, traced)
    # once final, the table as it was signed; before, from the figures now
    annex = (
        report.final_figures.get("annex")
        if report.is_final
        else (drafting.unit_table(coverage=coverage, year=report.year, figures=figures, each=each))
    )
    if annex and not report.is_final:  # on the page, each value links to the records it counts
        period = figures.period  # the days the text counts: the year, or the year so far
        keys = [key for key, _ in drafting.UNIT_TABLE]
        for row in annex["rows"]:
            source = figures if row["brigade_id"] is None else each[row["brigade_id"]]
            for key, cell in zip(keys, row["cells"], strict=True):
                cell["url"] = ledger_url(source[key], period, row["brigade_id"])
    return render(
        request,
        "reports/detail.html",
        {
            "breadcrumbs": report_trail(report),
            "report": report,
            "sections": sections,
            "form": form,
            "editable": editable,
            "can_manage": can_manage,
            "material": material,
            "lock": lock,
            "traced": traced,
            "annex": annex,
            "opened": services.report_versions(report),
            "versions": report.final_versions.select_related("finalised_by").defer("docx"),
            "history": services.report_history(report),  # with the year's unlocks and relocks
            "transitions": services.moves_for(report, request.user),
            "asks": services.asks_for(report, request.user),
            "confirmed": [to for (frm, to) in services.CONFIRMED if frm == report.status],
            "needs_reason": [to for (frm, to) in services.NEEDS_REASON if frm == report.status],
            "unfinalise_requests": list(
                report.unfinalise_requests.select_related("requested_by", "decided_by")
            ),
            "may_sign": access.may(request.user, policy.SIGN, report),
            "pdf_available": docx.pdf_available(),
        },
    )


@require_GET
def report_checks(request, pk):
    """The data check of the report's year (reports/quality.py). It reads the year's records, not
    only the rollups (keys typed two ways, rules broken), which takes a moment on a large ledger:
    the report page shows at once and fetches this part after it (static/js/app.js); opened on
    its own, it is a page of its own."""
    report = _report(request, pk)
    return _checks_response(request, unit=report.brigade, year=report.year, report=report)


@require_GET
def year_checks(request):
    """The same data check before the year's report is drafted (起草前核对): the report list
    shows it for the year chosen there, over the records of the user's unit (a 支队's: its
    brigades'), whether or not a draft exists yet."""
    _require_view(request.user, "view_report")
    unit = request.user.brigade
    if unit is None:
        raise PermissionDenied("您的账号不属于任何单位，没有可核对的台账")
    years = record_years(access.visible_brigades(request.user).values_list("pk", flat=True))
    year = _year(request, years)
    report = (
        AnnualReport.objects.filter(brigade=unit, kind="annual", year=year).select_related("brigade").first()
    )
    return _checks_response(request, unit=unit, year=year, report=report)


def _checks_response(request, *, unit, year, report):
    checks = quality.checked(brigade_ids=coverage_of(unit).ids, year=year)
    context = {
        "unit": unit,
        "year": year,
        "report": report,
        "warnings": checks["active"],
        "dismissed": checks["dismissed"],
        "may_dismiss": report is not None and access.may(request.user, policy.DISMISS, report),
    }
    if request.headers.get("X-Fragment"):
        response = render(request, "reports/_checks.html", context)
        response["X-Fragment"] = "data-checks"  # the script inserts only what carries this (not a login page)
    else:
        if report is not None:
            trail_to = report_trail(report, ("数据检查", None))
        else:
            trail_to = trail(("年度报告", reverse("reports:list")), (f"{year}年数据检查", None))
        response = render(request, "reports/checks.html", {**context, "breadcrumbs": trail_to})
    patch_vary_headers(response, ["X-Fragment"])  # one URL, two bodies
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _traced_figures(figures, sections, report, link_brigade) -> list[dict]:
    """The figures the report's text states, each with the list of the records it counts (the
    dashboard's drill-down), so that an officer or a leader can check any number before signing."""
    text = "\n".join(s.body for s in sections)
    period = figures.period  # the days the text counts: the year, or the year so far
    found = []
    for figure in figures.values():
        if not figure.current:
            continue
        is_rate = hasattr(figure.item, "numerator")
        shown = (
            phrasing.percent(figure.current) if is_rate else phrasing.count(int(figure.current)) + figure.unit
        )
        if shown in text:
            found.append(
                {"label": figure.item.label, "shown": shown, "url": ledger_url(figure, period, link_brigade)}
            )
    return found


def _link_figures(sections, traced) -> None:
    """Each section's paragraphs as the page shows them (`section.linked`): every figure the text
    states that is traced to its records is a link to them. A figure phrased the same as another
    (two indicators of 3起) is left unlinked rather than linked to the wrong records; a number is
    only matched whole (3起 is not found inside 13起)."""
    shown = Counter(t["shown"] for t in traced)
    urls = {t["shown"]: (t["url"], t["label"]) for t in traced if shown[t["shown"]] == 1}
    pattern = (
        re.compile(r"(?<![\d.])(" + "|".join(re.escape(s) for s in sorted(urls, key=len, reverse=True)) + ")")
        if urls
        else None
    )

    def link(paragraph: str) -> str:
        if pattern is None:
            return escape(paragraph)
        parts, last = [], 0
        for match in pattern.finditer(paragraph):
            url, label = urls[match.group(1)]
            parts += [
                escape(paragraph[last : match.start()]),
                format_html(
                    '<a class="figure" href="{}" title="查看{}所统计的记录">{}</a>',
                    url,
                    label,
                    match.group(1),
                ),
            ]
            last = match.end()
        return mark_safe("".join(parts) + escape(paragraph[last:]))

    for section in sections:
        section.linked = [link(p) for p in section.paragraphs]


def _normalise(text: str) -> str:
    return "\n".join(line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip())


def _redraft_choices(post) -> tuple[dict[str, dict[int, str]], dict[str, str]]:
    """The redraft page's answers: section key → conflict → choice (choice-<key>-<n>), and what
    the page showed of each section (seen-<key>)."""
    choices: dict[str, dict[int, str]] = {}
    for name, value in post.items():
        key, _, index = name.removeprefix("choice-").rpartition("-")
        if name.startswith("choice-") and key and index.isdigit():
            choices.setdefault(key, {})[int(index)] = value
    seen = {name.removeprefix("seen-"): value for name, value in post.items() if name.startswith("seen-")}
    return choices, seen


def report_redraft(request, pk):
    """用最新台账数据更新: the sections the fresh figures change, and each sentence both the officer
    and the figures changed, for the officer to settle one by one (services.redraft_preview)."""
    report = _report(request, pk)
    access.require(request.user, policy.DRAFT, report)
    chosen, taken = {}, None
    if request.method == "POST":
        chosen, seen = _redraft_choices(request.POST)
        taken = request.POST.getlist("take")
        try:
            count = services.redraft_apply(
                report=report, keys=taken, user=request.user, choices=chosen, seen=seen
            )
        except ValidationError as e:
            messages.error(request, e.messages[0])
            if report.status != AnnualReport.Status.DRAFT:
                return redirect("reports:detail", pk=report.pk)
            # else the page again, with what they chose
        else:
            messages.success(request, f"已采用{count}个章节的最新数据，其余章节保持原文")
            return redirect("reports:detail", pk=report.pk)
    changes = services.redraft_preview(report, chosen=chosen)
    if taken is not None:
        for change in changes:
            change["preselect"] = change["section"].key in taken
    return render(
        request,
        "reports/redraft.html",
        {
            "report": report,
            "changes": changes,
            "breadcrumbs": report_trail(report, ("用最新台账数据更新", None)),
        },
    )


@require_POST
def report_transition(request, pk):
    """Submit, withdraw, return, sign or un-finalise: who may do what is the service's rule.
    签发 is made only from its confirmation page (the box ticked: reports:sign); a submit with
    sentences whose figures are out of date shows them first and goes ahead once confirmed."""
    report = _report(request, pk)
    to = request.POST.get("to", "")
    if (report.status, to) in services.CONFIRMED and request.POST.get("confirm") != "on":
        if to not in dict(services.moves_for(report, request.user)):
            raise PermissionDenied("只有本单位的领导可以签发报告")
        messages.error(request, "签发前请在本页核对报告，并勾选确认")
        return redirect("reports:sign", pk=report.pk)
    accept = request.POST.get("accept_stale", "")
    try:
        services.report_transition(
            report=report,
            to=to,
            user=request.user,
            reason=request.POST.get("reason", ""),
            accept_stale=int(accept) if accept.isdigit() else None,
        )
    except services.StaleFigures as e:
        return render(
            request,
            "reports/submit.html",
            {
                "breadcrumbs": report_trail(report, ("提交领导签发", None)),
                "report": report,
                "found": e.found,
                "unsettled": stale.blocking(e.found),
                "may_acknowledge": access.may(request.user, policy.ACKNOWLEDGE, report),
            },
        )
    except ValidationError as e:
        messages.error(request, e.messages[0])
    except docx.TemplateRefused as e:
        messages.error(request, f"所选Word模板无法生成定稿文件：{e}")
    else:
        report.refresh_from_db()
        messages.success(request, f"报告状态：{report.get_status_display()}")
    return redirect("reports:detail", pk=report.pk)


@require_POST
def report_unlock(request, pk):
    report = _report(request, pk)
    access.require(request.user, policy.UNLOCK, report)
    try:
        services.report_unlock(report=report, user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, f"已解锁{report.year}年度台账；已定稿的报告文件保持不变")
    return redirect("reports:detail", pk=report.pk)


@require_POST
def report_relock(request, pk):
    report = _report(request, pk)
    access.require(request.user, policy.UNLOCK, report)
    try:
        services.report_relock(report=report, user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, f"已重新锁定{report.year}年度台账")
    return redirect("reports:detail", pk=report.pk)


def report_download(request, pk):
    report = _report(request, pk)
    try:
        content = services.report_document(report)
    except docx.TemplateRefused as e:
        messages.error(request, f"所选Word模板无法生成文件：{e}。请改用系统默认模板或重新上传模板")
        return redirect("reports:detail", pk=report.pk)
    name = f"{safe_filename(report.title, max_bytes=120)}{'' if report.is_final else '（草稿）'}.docx"
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = content_disposition(name)  # the title cut, its suffix kept
    if report.is_final:
        response["X-Content-SHA256"] = report.final_sha256
    return response


def report_version_download(request, pk, number):
    """A finalised version as it was stored (the current one or one later withdrawn)."""
    report = _report(request, pk)
    version = get_object_or_404(report.final_versions, number=number)
    # a withdrawn version is never offered as the signed report: its name says it was withdrawn
    state = "，已撤销" if version.withdrawn_at else ""
    name = f"{safe_filename(report.title, max_bytes=120)}（第{version.number}版定稿{state}）.docx"
    response = HttpResponse(bytes(version.docx), content_type=DOCX)
    response["Content-Disposition"] = content_disposition(name)  # the title cut, its suffix kept
    response["X-Content-SHA256"] = version.sha256
    return response


@require_POST
def report_pdf(request, pk):
    """The PDF is made by the worker (reports/outputs.py); this page follows it, then downloads.
    A POST (the report page's button): a GET, a crawler's, queues nothing."""
    report = _report(request, pk)
    if not docx.pdf_available():
        messages.error(request, "服务器未安装 LibreOffice，无法转换为 PDF，请下载 Word 文件")
        return redirect("reports:detail", pk=report.pk)
    title = f"{report.title[:180]}（{'PDF' if report.is_final else '草稿PDF'}）"  # what it is, kept in 200
    job = report_outputs.pdf_job_start(
        user=request.user,
        report=report,
        kind="report_pdf",
        title=title,
        again=reverse("reports:detail", args=[report.pk]),
    )
    return redirect("output_detail", pk=job.pk)


def template_list(request):
    _require_view(request.user, "view_report")
    can_manage = access.has_unit_perm(request.user, "manage_report")
    form = TemplateUploadForm()
    problems = []
    if request.method == "POST":
        if not can_manage or request.user.brigade_id is None:
            raise PermissionDenied("只有本单位（大队或支队）的法制员可以上传报告模板")
        form = TemplateUploadForm(request.POST, request.FILES)
        if form.is_valid():
            _, problems = services.report_template_upload(
                user=request.user, name=form.cleaned_data["name"], content=form.cleaned_data["file"].read()
            )
            if not problems:
                messages.success(request, "模板已上传，可在报告页面选用")
                return redirect("reports:templates")
    templates = access.scope(ReportTemplate.objects.all(), request.user).defer("content")
    return render(
        request,
        "reports/templates.html",
        {
            "breadcrumbs": trail(("年度报告", reverse("reports:list")), ("报告Word模板", None)),
            "templates": templates,
            "form": form,
            "problems": problems,
            "can_manage": can_manage,
            "variables": {name: VARIABLE_MEANINGS.get(name, "") for name in docx.CONTEXT_VARIABLES},
        },
    )
