"""The annual report as a Word document: a docxtpl template rendered in a Jinja sandbox.

A brigade may upload its own template (.docx with Jinja tags, as docxtpl reads them); otherwise
``templates_docx/default.docx`` (built by ``reports.docx_template``, GB/T 9704-2012) is used.

Documented variables — the whole context a template may use::

    title        str   双牌县公安局交通警察大队关于2025年法治政府建设情况的报告
    doc_number   str   发文字号, e.g. 双公交〔2026〕3号, or "" (then the default template prints the
                       版头 without it: the organ's mark and the red rule are always there)
    signer       str   签发人, e.g. 张建国, or ""
    addressee    str   主送机关, e.g. 中共双牌县委 (the template adds the colon: 中共双牌县委：)
    opening      str   the opening paragraph
    sections     list  one dict per part of the report:
                         heading      str   一、2025年推进法治政府建设的主要举措和成效
                         paragraphs   list of str, body paragraphs directly under the heading
                         subsections  list of dicts: heading (（一）学法培训), paragraphs (list of str)
    closing      str   特此报告。
    issuer       str   落款, the brigade's full name
    date         str   成文日期, already phrased: 2026年1月12日
    year         int   the report's year
    brigade      dict  name, short_name
    annex        dict  a detachment's report only (None for a brigade's): its 附件, the table of its
                       brigades' key figures: title (for the ``附件：{{ annex.title }}`` line after the
                       body), headers, rows (name, cells: value, change), note. The table itself is
                       laid out by the software on a page of its own at the end of the document,
                       whatever the template (``reports.docx_annex``).

Filter: ``title_break`` breaks a title before 关于 when the part before it fits on one line.

Paragraph-level tags (``{%p for section in sections %}`` … ``{%p endfor %}``, ``{%p if doc_number %}``)
repeat or drop whole Word paragraphs, so each body paragraph is its own paragraph in its style.

Templates come from users, so they are rendered in Jinja's sandbox with autoescape (the values
are XML-escaped, so ``&``, ``<`` and ``>`` come out as typed). A template that reaches for
Python internals (``{{ ''.__class__ }}``) is refused before rendering, and at run time by the
sandbox; any template problem raises ``TemplateRefused`` with a message in Chinese.
``check_template`` runs the same checks when a template is uploaded. The sandbox
(reports/sandbox.py) also keeps text from becoming document XML and bounds the work a template
may do; the rendered document itself is checked for fields and outside links before it is used.

An uploaded template is never used as uploaded: it is rebuilt from the parts and elements a
report template needs (reports/template_rebuild.py: no altChunk, OLE, ActiveX, macros, outside
links, or fields but the page numbers), the checks run on the rebuilt package, and
``prepare_template`` hands back the rebuilt package, the only one stored. Every parse and render
of an uploaded template (the upload check, docxtpl's preprocessing, rendering a report with it,
and marking a draft) runs in a child process bounded by the operating system (reports/bounded.py:
memory, CPU and wall clock), so that the web worker's memory never grows with what a user sends.
The default template, part of the code, is rendered in this process.

What the software does to the rendered document, whatever the template (docs/page-format.md):

- a body paragraph that opens with （一）…（十） has its heading, up to and including the first 。,
  in 楷体_GB2312 (the character style 段内小标题 where the template has it);
- the default template's 发文机关标志 (``{{ brigade.name }}文件``) is narrowed to one line;
- a detachment's 附件 table is appended (``reports.docx_annex``).

``render_report`` is what finalising stores. A report that is not finalised is handed out through
``mark_draft``: 草稿 · 未签发 · 生成于… in every header and a 草稿 watermark on every page.
"""

from __future__ import annotations

import copy
import datetime
import io
import re
import zipfile
from xml.sax.saxutils import escape

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Emu, Pt
from docxtpl import DocxTemplate
from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SecurityError
from lxml import etree

from . import bounded, sandbox, template_messages, template_rebuild
from .docx_annex import append_annex
from .docx_template import DEFAULT_TEMPLATE_PATH, INLINE_HEADING_STYLE, KAITI
from .pdf import docx_to_pdf, pdf_available  # re-exported: callers use docx.docx_to_pdf

__all__ = [
    "CONTEXT_VARIABLES",
    "TemplateRefused",
    "check_template",
    "docx_to_pdf",
    "mark_draft",
    "pdf_available",
    "prepare_template",
    "render_report",
    "sample_context",
]

#: The documented variables; a template using any other name is refused at upload.
CONTEXT_VARIABLES = (
    "title",
    "doc_number",
    "signer",
    "addressee",
    "opening",
    "sections",
    "closing",
    "issuer",
    "date",
    "year",
    "brigade",
    "annex",
)
# Without these a template would make a report with no title or no body.
REQUIRED_VARIABLES = ("title", "sections")

_MAX_UNPACKED = template_rebuild.MAX_UNPACKED  # a template is a few hundred kB; refuse zip bombs
# A 2号 (22 pt) line of the 156 mm text block holds 20 characters.
_TITLE_LINE_CHARS = 20
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


class TemplateRefused(Exception):
    """The template cannot be used; the message (Chinese) says why: the first of ``problems``."""

    def __init__(self, *problems: str):
        super().__init__(*problems)
        self.problems = [str(problem) for problem in problems]

    def __str__(self) -> str:
        if not self.problems:
            return "模板无法使用。"
        more = len(self.problems) - 1
        return self.problems[0] + (f"（另有 {more} 处问题）" if more else "")


# --------------------------------------------------------------------------- the sandbox


def _refusal_for_internal(*attributes: str) -> TemplateRefused:
    names = "、".join(f"“{name}”" for name in sorted(set(attributes)))
    return TemplateRefused(
        f"模板试图访问 Python 内部属性{names}，出于安全考虑已拒绝。模板只能使用说明中列出的变量。"
    )


def _title_break(title: str) -> str:
    before, sep, after = str(title).partition("关于")
    if sep and before and len(before) <= _TITLE_LINE_CHARS:
        return f"{before}\n{sep}{after}"
    return str(title)


def _environment() -> sandbox.ReportEnvironment:
    """A fresh sandbox for one rendering (reports/sandbox.py: no markup, bounded work)."""
    return sandbox.ReportEnvironment(filters={"title_break": _title_break})


# --------------------------------------------------------------------------- rendering


def render_report(context: dict, template: bytes | None = None) -> bytes:
    """The report as .docx bytes, from ``template`` (a brigade's upload) or the default one.

    An uploaded template is rebuilt, checked and rendered in a bounded child process
    (reports/bounded.py); the default one here. Raises ``TemplateRefused`` when the template
    cannot be rendered (sandbox violation, syntax error, unknown variable, active content, a
    limit crossed), with the reason in Chinese.
    """
    if template is None:
        return _render(context, DEFAULT_TEMPLATE_PATH.read_bytes())
    return _in_child("render", context, bytes(template))


def _in_child(operation: str, *args):
    try:
        return bounded.run(operation, *args)
    except bounded.Refused as e:
        raise TemplateRefused(str(e)) from None


def _rebuilt(data: bytes) -> bytes:
    """The template rebuilt from what a report needs (reports/template_rebuild.py), checked again
    as python-docx opens it and for outside links and fields; raises ``TemplateRefused``."""
    problem = _package_problem(data, opened=False)
    if problem:
        raise TemplateRefused(problem)
    try:
        rebuilt, _dropped = template_rebuild.rebuild(data)
    except template_rebuild.TemplateRefused as e:
        raise TemplateRefused(*e.problems) from None
    problem = _package_problem(rebuilt) or next(iter(_active_content(rebuilt)), None)
    if problem:
        raise TemplateRefused(problem)
    return rebuilt


def _render_uploaded(context: dict, data: bytes) -> bytes:
    """In the child: an uploaded template rebuilt, then rendered."""
    return _render(context, _rebuilt(data))


def _render(context: dict, data: bytes) -> bytes:
    tpl = DocxTemplate(io.BytesIO(data))
    try:
        problem = _tags_problem(tpl)
        if problem:
            raise TemplateRefused(problem)
        tpl.render(_clean(_normalised(context)), jinja_env=_environment(), autoescape=True)
    except (TemplateRefused, MemoryError):
        raise  # MemoryError: the bounded child says which limit was crossed
    except Exception as exc:  # a user's template can fail in any filter or operator
        if template_rebuild.out_of_memory(exc):
            raise MemoryError from exc
        raise _refusal(exc, getattr(tpl, "current_rendering_part", None)) from exc
    try:
        rendered = _finish(tpl, context)
    except MemoryError:
        raise
    except Exception as exc:  # what the tags made of the document's structure
        if template_rebuild.out_of_memory(exc):
            raise MemoryError from exc
        raise TemplateRefused(
            "模板生成的报告结构不完整，无法排版：模板中的 {%p %}、{%tr %} 标签可能拆散了段落、表格或节的结构，"
            "请检查这些标签所在的段落。"
        ) from exc
    problem = next(iter(_rendered_problems(rendered)), None)
    if problem:
        raise TemplateRefused(problem)
    return rendered


# --------------------------------------------------------------------------- after rendering, any template

# A paragraph of 三 or 四 opens with its own heading: （一）执法队伍建设需要进一步加强。then the text.
_INLINE_HEADING = re.compile(r"\s*（[一二三四五六七八九十]+）")
# Without a 。 the whole paragraph is the heading only when it is as short as one (two lines at most).
_HEADING_ALONE_CHARS = 40
_R, _RPR, _T = qn("w:r"), qn("w:rPr"), qn("w:t")
_ONE_CHARACTER = {
    qn("w:tab"): "\t",
    qn("w:ptab"): "\t",
    qn("w:br"): "\n",
    qn("w:cr"): "\n",
    qn("w:noBreakHyphen"): "-",
}
# Paragraph content that holds runs of its own: text there is not where the direct runs say.
_NESTED_RUNS = {
    qn(f"w:{tag}") for tag in ("hyperlink", "ins", "moveTo", "smartTag", "sdt", "fldSimple", "customXml")
}
_HEADING2_STYLE = "Heading2CN"


def _piece(child) -> str:
    """The text one child of a run stands for (as python-docx reads it)."""
    return (child.text or "") if child.tag == _T else _ONE_CHARACTER.get(child.tag, "")


def _run_text(run) -> str:
    return "".join(_piece(child) for child in run if child.tag != _RPR)


def _keep(run, start: int, end: int | None) -> None:
    """Cut a run down to its characters start…end, None its end (a w:t is cut inside, other pieces
    go whole; what has no length goes with the character after it)."""
    at = 0
    for child in [c for c in run if c.tag != _RPR]:
        length = len(_piece(child))
        if child.tag == _T:
            text = child.text or ""
            kept = text[max(start - at, 0) :] if end is None else text[max(start - at, 0) : max(end - at, 0)]
            if kept:
                child.text = kept
                child.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            else:
                run.remove(child)
        elif not (start <= at and (end is None or at < end)):
            run.remove(child)
        at += length


def inline_heading_end(text: str) -> int:
    """How many characters of a body paragraph are its inline heading: up to and including the
    first 。 after an opening （一）…（十）; the whole of a short paragraph without one; else 0."""
    if not _INLINE_HEADING.match(text):
        return 0
    stop = text.find("。")
    if stop >= 0:
        return stop + 1
    return len(text) if len(text.strip()) <= _HEADING_ALONE_CHARS else 0


def _set_inline_headings(document) -> None:
    """GB/T 9704: a second-level heading is 楷体 also when the paragraph runs on after it. The
    runs up to the heading's 。 get the template's character style 段内小标题 (楷体_GB2312 3号), or
    in a template without it the 楷体_GB2312 East Asian font; the rest keeps the paragraph's."""
    styles = document.styles.element
    style = styles.get_by_id(INLINE_HEADING_STYLE)
    has_style = style is not None and style.get(qn("w:type")) == "character"
    for paragraph in document.paragraphs:
        p = paragraph._p
        if p.style == _HEADING2_STYLE or any(child.tag in _NESTED_RUNS for child in p):
            continue
        runs = [child for child in p if child.tag == _R]
        end = inline_heading_end("".join(map(_run_text, runs)))
        at = 0
        for run in runs:
            if at >= end:
                break
            length = len(_run_text(run))
            if at + length > end:  # the heading ends inside this run: split it there
                rest = copy.deepcopy(run)
                _keep(run, 0, end - at)
                _keep(rest, end - at, None)
                run.addnext(rest)
            _set_kaiti(run, has_style)
            at += length


def _set_kaiti(run, has_style: bool) -> None:
    rpr = run.get_or_add_rPr()
    fonts = rpr.rFonts
    own_east_asia = fonts is not None and {qn("w:eastAsia"), qn("w:eastAsiaTheme")} & set(fonts.attrib)
    if has_style and rpr.rStyle is None and not own_east_asia:
        rpr.style = INLINE_HEADING_STYLE
        return
    fonts = rpr.get_or_add_rFonts()
    fonts.attrib.pop(qn("w:eastAsiaTheme"), None)  # a theme font would win over the named one
    fonts.set(qn("w:eastAsia"), KAITI)
    fonts.set(qn("w:hint"), "eastAsia")


_ORGAN_MARK_STYLE = "IssuingOrgan"
_ORGAN_MARK_PT = 36
_TEXT_WIDTH_PT = 442.25  # 156 mm, should a template not say
_NARROWEST = 50  # per cent of the characters' width; narrower still, the size comes down instead
_AFTER_W = tuple(
    f"w:{tag}"
    for tag in (
        "kern",
        "position",
        "sz",
        "szCs",
        "highlight",
        "u",
        "effect",
        "bdr",
        "shd",
        "fitText",
        "vertAlign",
        "rtl",
        "cs",
        "em",
        "lang",
        "eastAsianLayout",
        "specVanish",
        "oMath",
    )
)


def _fit_organ_mark(document) -> None:
    """The 发文机关标志 on one line: a name plus 文件 wider than the text block (双牌县公安局交通警察大队文件,
    14 characters of 36 pt, is 504 pt of 442) is narrowed (character width, as 红头 are set), down
    to half width; a longer one also gets a smaller size."""
    section = document.sections[0]
    try:
        width = Emu(section.page_width - section.left_margin - section.right_margin).pt - 2
    except TypeError:  # a template without page size or margins
        width = _TEXT_WIDTH_PT - 2
    for paragraph in document.paragraphs:
        if paragraph._p.style != _ORGAN_MARK_STYLE or not paragraph.text.strip():
            continue
        size = next((r.font.size.pt for r in paragraph.runs if r.font.size), None)
        size = size or (paragraph.style.font.size.pt if paragraph.style.font.size else _ORGAN_MARK_PT)
        units = sum(1 if ord(c) >= 0x2E80 else 0.5 for c in paragraph.text.strip())
        if units * size <= width:
            continue
        scale = max(_NARROWEST, int(100 * width / (units * size)))
        smaller = None if units * size * scale / 100 <= width else int(2 * width / (units * scale / 100)) / 2
        for run in paragraph.runs:
            rpr = run._r.get_or_add_rPr()
            for old in rpr.findall(qn("w:w")):
                rpr.remove(old)
            w = rpr.makeelement(qn("w:w"), {qn("w:val"): str(scale)})
            rpr.insert_element_before(w, *_AFTER_W)
            if smaller:
                run.font.size = Pt(smaller)


# --------------------------------------------------------------------------- a draft's mark

DRAFT_WATERMARK = "草稿"
_VML = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:w10="urn:schemas-microsoft-com:office:word"'
)
# Word's own watermark (设计 › 水印): a WordArt shape in the header, behind the text, centred on
# the page's text block; LibreOffice reads it as its watermark.
_SHAPETYPE = (
    '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
    'path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas>'
    + "".join(
        f'<v:f eqn="{eqn}"/>'
        for eqn in (
            "sum #0 0 10800",
            "prod #0 2 1",
            "sum 21600 0 @1",
            "sum 0 0 @2",
            "sum 21600 0 @3",
            "if @0 @3 0",
            "if @0 21600 @1",
            "if @0 0 @2",
            "if @0 @4 21600",
            "mid @5 @6",
            "mid @8 @5",
            "mid @7 @8",
            "mid @6 @7",
            "sum @6 0 @5",
        )
    )
    + '</v:formulas><v:path textpathok="t" o:connecttype="custom" '
    'o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" o:connectangles="270,180,90,0"/>'
    '<v:textpath on="t" fitshape="t"/><v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/>'
    '</v:handles><o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>'
)


def _draft_paragraph(line: str, number: int) -> str:
    """The header paragraph of a draft: its line (黑体 小四, centred) and the 草稿 watermark."""
    return (
        f"<w:p {_VML}><w:pPr>"
        '<w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'
        '<w:ind w:left="0" w:right="0" w:firstLine="0" w:firstLineChars="0"/><w:jc w:val="center"/></w:pPr>'
        '<w:r><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="黑体" '
        'w:cs="Times New Roman" w:hint="eastAsia"/><w:b w:val="0"/><w:color w:val="000000"/>'
        '<w:spacing w:val="0"/><w:sz w:val="24"/><w:szCs w:val="24"/></w:rPr>'
        f'<w:t xml:space="preserve">{escape(line)}</w:t></w:r>'
        "<w:r><w:rPr><w:noProof/></w:rPr><w:pict>"
        + _SHAPETYPE
        + f'<v:shape id="PowerPlusWaterMarkObject{number}" o:spid="_x0000_s{number}" type="#_x0000_t136" '
        'style="position:absolute;margin-left:0;margin-top:0;width:400pt;height:200pt;rotation:315;'
        "z-index:-251657216;mso-position-horizontal:center;mso-position-horizontal-relative:margin;"
        'mso-position-vertical:center;mso-position-vertical-relative:margin" o:allowincell="f" '
        'fillcolor="silver" stroked="f"><v:fill opacity=".5"/>'
        f'<v:textpath style="font-family:&quot;黑体&quot;;font-size:1pt" string="{DRAFT_WATERMARK}"/>'
        '<w10:wrap anchorx="margin" anchory="margin"/></v:shape></w:pict></w:r></w:p>'
    )


def draft_line(generated_at: datetime.datetime | None = None) -> str:
    """草稿 · 未签发 · 生成于2026年1月12日 10:32 (local time)."""
    if generated_at is None:
        from django.utils import timezone

        generated_at = timezone.localtime()
    elif generated_at.tzinfo is not None:
        from django.utils import timezone

        generated_at = timezone.localtime(generated_at)
    t = generated_at
    return f"草稿 · 未签发 · 生成于{t.year}年{t.month}月{t.day}日 {t:%H:%M}"


def _last_shape_number(document) -> int:
    """The highest VML shape number (``o:spid="_x0000_s2049"``) in the document's parts, at least
    2048 (where Word starts its own)."""
    numbers = [2048]
    for part in document.part.package.iter_parts():
        if part.partname.startswith("/word/") and part.partname.endswith(".xml"):
            numbers += [int(n) for n in re.findall(rb"_x0000_s(\d+)", part.blob)]
    return max(numbers)


def mark_draft(data: bytes, *, generated_at: datetime.datetime | None = None) -> bytes:
    """A rendered report marked as a draft on every page, whatever its template: a header line
    ``草稿 · 未签发 · 生成于…`` and a large diagonal 草稿 watermark behind the text, so that a
    printed draft cannot pass as the signed document. The file's 状态 (content status) says 草稿.

    For a report that is not finalised only: a finalised report's document is the bytes stored
    when it was signed, never passed through here (services.report_document). The document may
    come from an uploaded template, so it is opened in the bounded child (reports/bounded.py)."""
    return _in_child("mark", bytes(data), draft_line(generated_at))


def _mark(data: bytes, line: str) -> bytes:
    """In the child: ``mark_draft``'s work, the line already phrased."""
    document = Document(io.BytesIO(data))
    kinds = ("header", "even_page_header", "first_page_header")
    in_use = {"header"} | (
        {"even_page_header"} if document.settings.odd_and_even_pages_header_footer else set()
    )
    stamped, defined = set(), set()
    shapes = _last_shape_number(document)  # Word drops a shape whose id another one has
    for section in document.sections:
        shown = in_use | ({"first_page_header"} if section.different_first_page_header_footer else set())
        for kind in kinds:
            header = getattr(section, kind)
            if header.is_linked_to_previous:
                if kind not in shown or kind in defined:
                    continue  # not shown, or the previous section's (stamped) header carries on
                header.is_linked_to_previous = False  # a new, empty header
                for child in list(header._element):
                    header._element.remove(child)
            defined.add(kind)
            if header.part.partname in stamped:
                continue
            stamped.add(header.part.partname)
            header._element.insert(0, parse_xml(_draft_paragraph(line, shapes + len(stamped))))
    document.core_properties.content_status = "草稿"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _finish(tpl: DocxTemplate, context: dict) -> bytes:
    """What the software does to every rendered document (docs/page-format.md), then its bytes."""
    document = tpl.docx
    _set_inline_headings(document)
    _fit_organ_mark(document)
    if context.get("annex"):
        append_annex(document, _clean(context["annex"]))
    document.core_properties.title = str(context.get("title", ""))
    document.core_properties.author = str(context.get("issuer", ""))
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def _rendered_problems(data: bytes) -> list[str]:
    """What the rendered document must not carry, whatever the template and the text did: a
    relationship to anything outside the file, or any field but the page numbers."""
    problems = []
    document = Document(io.BytesIO(data))
    for part in document.part.package.iter_parts():
        external = [rel.target_ref[:80] for rel in part.rels.values() if rel.is_external]
        if external:
            problems.append(f"生成的报告链接了外部内容（{'、'.join(external[:3])}），已拒绝。")
        if part.partname.startswith("/word/") and part.partname.endswith(".xml"):
            codes, marks = _fields(part.blob)
            names = {
                template_rebuild.field_name(code) or "空白"
                for code in codes
                if template_rebuild.field_problem(code)
            }
            problems += [f"生成的报告含有 {name} 域，已拒绝（只允许页码域）。" for name in sorted(names)]
            problems += [f"生成的报告的 {part.partname.lstrip('/')} {problem}" for problem in marks]
    return problems


_SYNTAX_ADVICE = (
    "请检查 {{ }} 与 {% %} 是否成对、拼写是否正确，"
    "以及每个 {%p for %}、{%p if %} 是否都有对应的 {%p endfor %}、{%p endif %}。"
)


def _refusal(exc: Exception, part=None) -> TemplateRefused:
    """A Jinja or sandbox error as a refusal in Chinese; ``part`` is the part docxtpl rendered."""
    if isinstance(exc, sandbox.InternalAccess):
        return _refusal_for_internal(*exc.attributes)
    if isinstance(exc, sandbox.TemplateTooCostly):
        return TemplateRefused(f"{exc}。")
    if isinstance(exc, SecurityError):
        return TemplateRefused(f"{template_messages.security_message(str(exc))}，已拒绝。")
    if isinstance(exc, TemplateSyntaxError):
        name = template_messages.part_name(str(getattr(part, "partname", "") or ""))
        return TemplateRefused(
            f"模板语法错误：{_syntax_place(exc, name)}{template_messages.jinja_message(exc.message)}。{_SYNTAX_ADVICE}"
        )
    if isinstance(exc, UndefinedError):
        return TemplateRefused(
            f"模板引用了不存在的内容：{template_messages.undefined_message(exc.message)}。模板只能使用说明中列出的变量。"
        )
    if isinstance(exc, TemplateError):
        return TemplateRefused(
            f"模板无法渲染：{template_messages.jinja_message(exc.message)}。请检查模板中自行编写的标签。"
        )
    if isinstance(exc, RecursionError):
        return TemplateRefused("模板中的标签或表达式嵌套过深，已拒绝。")
    return TemplateRefused(
        "模板无法渲染：模板中某个 {{ }} 表达式或过滤器运算出错，请检查模板中自行编写的运算"
    )


def _syntax_place(exc: TemplateSyntaxError, part: str) -> str:
    """Where a syntax error is: 正文第 12 段（“…”）中, from docxtpl's one paragraph per line."""
    lines = exc.source.splitlines() if exc.source else None
    if not (lines and exc.lineno and 0 < exc.lineno <= len(lines)):
        context = [re.sub(r"<[^>]+>", "", line) for line in getattr(exc, "docx_context", None) or ()]
        text = "".join(context).strip()
        return f"{template_messages.where(part, None, text)}中，" if text else ""
    text = re.sub(r"<[^>]+>", "", lines[exc.lineno - 1])
    return f"{template_messages.where(part, exc.lineno - 1, text)}中，"


def _normalised(context: dict) -> dict:
    """The contract's optional parts filled in, so that a strict template never trips on them."""
    context = dict(context)
    context["sections"] = [
        {
            **section,
            "paragraphs": list(section.get("paragraphs") or ()),
            "subsections": [
                {**sub, "paragraphs": list(sub.get("paragraphs") or ())}
                for sub in section.get("subsections") or ()
            ],
        }
        for section in context.get("sections") or ()
    ]
    return context


# Characters XML 1.0 forbids. Text pasted from Word carries \x0b (its manual line break).
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(value):
    """Strings made safe for WordprocessingML: docxtpl turns \\n into a line break and \\a, \\f into
    new paragraphs and page breaks, so only \\n survives of the control characters."""
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
        return _XML_FORBIDDEN.sub("", value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


# --------------------------------------------------------------------------- checking an upload


def check_template(data: bytes) -> list[str]:
    """Problems (in Chinese) with an uploaded template; an empty list means it can be used.
    The same checks as ``prepare_template``, whose rebuilt package is what is to be stored."""
    return prepare_template(data)[1]


def prepare_template(data: bytes) -> tuple[bytes | None, list[str]]:
    """An uploaded template as it is to be stored, rebuilt from what a report needs, and its
    problems (in Chinese): ``(rebuilt, [])`` when it can be used, ``(None, problems)`` when not.

    Runs in a bounded child (reports/bounded.py): rebuilds the package (reports/template_rebuild.py,
    refusing altChunk, OLE, ActiveX, macros, outside links, fields but the page numbers), then on
    the rebuilt package checks that python-docx opens it, that its tags parse as Jinja, use only
    the documented variables (and use ``title`` and ``sections``), and render in the sandbox with
    ``sample_context()``.
    """
    try:
        return _in_child("check", bytes(data))
    except TemplateRefused as e:
        return None, [str(e)]


def _checked(data: bytes) -> tuple[bytes | None, list[str]]:
    """In the child: ``prepare_template``'s work."""
    try:
        data = _rebuilt(data)
    except TemplateRefused as e:
        return None, e.problems or [str(e)]
    problems = _template_problems(data)
    return (None if problems else data), problems


def _template_problems(data: bytes) -> list[str]:
    """The Jinja checks of a rebuilt template."""
    problems = []
    tpl = DocxTemplate(io.BytesIO(data))
    env = _environment()
    try:
        for name, source in _jinja_sources(tpl):
            try:
                env.parse(source)
            except TemplateSyntaxError as exc:
                return [str(_refusal(exc, name))]
        used = tpl.get_undeclared_template_variables(jinja_env=env)
    except TemplateRefused as exc:
        return [str(exc)]
    except (TemplateSyntaxError, SecurityError) as exc:
        return [str(_refusal(exc))]

    unknown = sorted(used - set(CONTEXT_VARIABLES) - set(env.globals))
    documented = "、".join(CONTEXT_VARIABLES)
    problems += [f"模板使用了未定义的变量“{name}”。可以使用的变量有：{documented}。" for name in unknown]
    problems += [
        f"模板没有使用变量“{name}”，生成的报告将缺少{'标题' if name == 'title' else '正文'}。"
        for name in REQUIRED_VARIABLES
        if name not in used
    ]

    # Render with realistic text, so that what only fails at run time shows now, not at year end.
    try:
        rendered = _render({**sample_context(), **dict.fromkeys(unknown, "")}, data)
        Document(io.BytesIO(rendered))
    except TemplateRefused as exc:
        if not (unknown and isinstance(exc.__cause__, UndefinedError)):
            problems.append(f"用示例内容试生成报告失败：{exc}")
    except MemoryError:
        raise
    except Exception as exc:  # the tags may have left the document's XML broken
        if template_rebuild.out_of_memory(exc):
            raise MemoryError from exc
        problems.append(
            "用示例内容试生成的报告无法打开：模板中的标签可能拆散了段落或表格的结构，请检查 {%p %}、{%tr %} 标签所在的段落。"
        )
    return problems


def _package_problem(data: bytes, *, opened: bool = True) -> str | None:
    """Why ``data`` is not a .docx python-docx can open, or None (``opened``: not only a zip
    with a document part, but one python-docx opens)."""
    if not data:
        return "上传的文件是空的。"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "这是旧版 Word（.doc）文件，请在 Word 中“另存为”.docx 格式后再上传。"
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return "上传的文件不是有效的 Word（.docx）文件。"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return "上传的文件不是有效的 Word（.docx）文件（压缩包已损坏）。"
    if "word/document.xml" not in names:
        return "上传的文件不是有效的 Word（.docx）文件：缺少正文部分 word/document.xml。"
    if unpacked > _MAX_UNPACKED:
        return "上传的 Word 文件解压后过大，不像是报告模板。"
    if not opened:
        return None
    try:
        Document(io.BytesIO(data))
    except MemoryError:
        raise
    except Exception as exc:  # python-docx raises many kinds
        if template_rebuild.out_of_memory(exc):
            raise MemoryError from exc
        return "Word 文件无法读取，请在 Word 中重新保存为 .docx 后再上传。"
    return None


def _active_content(data: bytes) -> list[str]:
    """Links to anything outside the file, and fields but the page numbers: Word and LibreOffice
    would fetch or run them when the report is opened or converted. Checked again on the rebuilt
    package, which should have none (reports/template_rebuild.py)."""
    problems = []
    document = Document(io.BytesIO(data))
    for part in document.part.package.iter_parts():
        external = [rel.target_ref[:80] for rel in part.rels.values() if rel.is_external]
        if external:
            problems.append(f"模板链接了外部文件（{'、'.join(external[:3])}），请把内容直接放进模板。")
        if part.partname.startswith("/word/") and part.partname.endswith(".xml"):
            codes, marks = _fields(part.blob)
            fields = [*map(template_rebuild.field_problem, codes), *marks]
            problems += [f"模板的 {part.partname.lstrip('/')} {problem}" for problem in fields if problem]
    return problems


def _field_codes(xml: bytes) -> list[str]:
    """Each field's instruction: a simple field's, or a complex field's pieces joined (Word
    splits them over runs at will), each nested field on its own."""
    return _fields(xml)[0]


def _fields(xml: bytes) -> tuple[list[str], list[str]]:
    """A part's field instructions, and what else is wrong with its fields (in Chinese, after the
    part's name): anything but instrText in a field's code, a field never ended, stray marks
    (``template_rebuild.Fields``). XML that does not parse is no package python-docx opened."""
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return [], ["无法读取（不是有效的 XML），已拒绝。"]
    fields = template_rebuild.Fields()
    for node in root.iter():
        fields.see(node)
    return fields.all, fields.problems


def _jinja_sources(tpl: DocxTemplate) -> list[tuple[str, str]]:
    """The Jinja sources docxtpl renders (正文, 页眉, 页脚), one paragraph per line as in
    ``DocxTemplate.render_xml_part``, so a syntax error's line points at its paragraph. Each
    part's tags are scanned first (``template_messages.tag_problem``), before docxtpl's regular
    expressions see them."""
    tpl.init_docx()
    parts = [("正文", tpl.get_xml())]
    for uri, name in ((tpl.HEADER_URI, "页眉"), (tpl.FOOTER_URI, "页脚")):
        parts += [(name, tpl.get_part_xml(part)) for _, part in tpl.get_headers_footers(uri)]
    sources = []
    for name, xml in parts:
        problem = template_messages.tag_problem(xml, name)
        if problem:
            raise TemplateRefused(problem)
        sources.append((name, re.sub(r"<w:p([ >])", r"\n<w:p\1", tpl.patch_xml(xml))))
    return sources


def _tags_problem(tpl: DocxTemplate) -> str | None:
    """The tags of every part docxtpl will render, scanned before its preprocessing."""
    tpl.init_docx()
    parts = [("正文", tpl.get_xml())]
    for uri, name in ((tpl.HEADER_URI, "页眉"), (tpl.FOOTER_URI, "页脚")):
        parts += [(name, tpl.get_part_xml(part)) for _, part in tpl.get_headers_footers(uri)]
    return next(filter(None, (template_messages.tag_problem(xml, name) for name, xml in parts)), None)


# --------------------------------------------------------------------------- sample


def sample_context() -> dict:
    """A realistic context: what the report code passes, with plausible Chinese text."""
    name = "双牌县公安局交通警察大队"
    return {
        "title": f"{name}关于2025年法治政府建设情况的报告",
        "doc_number": "双公交〔2026〕3号",
        "signer": "张建国",
        "addressee": "中共双牌县委",
        "opening": (
            "2025年，在县委、县政府的坚强领导和上级公安机关的精心指导下，我大队坚持以习近平法治思想为指导，"
            "深入贯彻落实党的二十大和二十届历次全会精神，紧紧围绕法治政府建设目标任务，严格规范公正文明执法，"
            "各项工作取得了新的成效。现将有关情况报告如下："
        ),
        "sections": [
            {
                "heading": "一、2025年推进法治政府建设的主要举措和成效",
                "paragraphs": [],
                "subsections": [
                    {
                        "heading": "（一）学法培训",
                        "paragraphs": [
                            "全年组织集中学法培训24次，参训民警、辅警达860人次，较去年同期上升12.5%；"
                            "组织执法资格等级考试2次，32名民警通过基本级考试，通过率100%。"
                        ],
                    },
                    {
                        "heading": "（二）严格执法",
                        "paragraphs": [
                            "持续开展酒驾醉驾、货车超载等重点交通违法行为整治行动，现场查处交通违法行为11.36万起，"
                            "其中酒驾醉驾1169起、超载3517起，较去年同期下降11.48%。",
                            "强化科技赋能，非现场查处交通违法行为43.05万余起，道路交通事故起数与去年同期持平。",
                        ],
                    },
                    {
                        "heading": "（三）执法监督",
                        "paragraphs": [
                            "开展执法质量检查12次，抽查执法记录仪信息2370条，督促整改问题53个，"
                            "执法记录仪相符率由去年的65%提升到87%。"
                        ],
                    },
                ],
            },
            {
                "heading": "二、党政主要负责人履行推进法治建设第一责任人职责情况",
                "paragraphs": [],
                "subsections": [
                    {
                        "heading": "（一）组织领导",
                        "paragraphs": [
                            "大队党委召开专题会议6次研究法治建设工作，大队长切实履行第一责任人职责，"
                            "对重大执法事项亲自过问、重要执法环节亲自协调。"
                        ],
                    },
                    {
                        "heading": "（二）制度建设",
                        "paragraphs": ["制定修订《执法办案管理规定》《案件审核制度》等制度5项。"],
                    },
                ],
            },
            {
                "heading": "三、推进法治政府建设存在的不足和原因",
                # 三 and 四 in the seeds' form: each point a paragraph opening with its heading.
                "paragraphs": [
                    "（一）执法规范化水平仍需提高。个别民警执法语言不规范、程序意识不强，"
                    "主要原因是执法培训的针对性不强。",
                    "（二）执法队伍建设需要进一步加强。警力与辖区道路里程、车辆保有量增长不相适应，"
                    "基层执法力量不足。",
                ],
                "subsections": [],
            },
            {
                "heading": "四、2026年推进法治政府建设的主要安排",
                "paragraphs": [
                    "（一）深化学法用法。完善常态化学法机制，组织开展法律法规和执法实务培训。",
                    "（二）强化执法监督。落实案件审核和执法质量考评制度，对发现的问题跟踪整改。",
                    "（三）创新普法宣传。推动交通安全宣传进农村、进学校、进企业。",
                ],
                "subsections": [],
            },
        ],
        "closing": "特此报告。",
        "issuer": name,
        "date": "2026年1月12日",
        "year": 2025,
        "brigade": {"name": name, "short_name": "双牌交警大队"},
        "annex": None,  # a brigade's report: no 附件 (a template uses it inside {%p if annex %})
    }


# --------------------------------------------------------------------------- the child


# What the bounded child (reports/bounded.py) may be asked to do.
CHILD_OPERATIONS = {"check": _checked, "render": _render_uploaded, "mark": _mark}
