"""The default Word template of the annual report, laid out per GB/T 9704-2012 (党政机关公文格式).

``build_default_template()`` makes it with python-docx; ``python -m reports.docx_template``
(re)writes ``reports/templates_docx/default.docx``, the file ``reports.docx.render_report`` uses.
The .docx is committed so that rendering never depends on this script; a test checks that the
committed file is what the script builds.

Layout (GB/T 9704-2012):

* A4; margins top 37 mm, bottom 35 mm, left (binding) 28 mm, right 26 mm: text block 156 × 225 mm,
  22 lines (fixed 28.95 pt) of 28 characters (3号 condensed by 0.25 pt; no document grid, which
  LibreOffice lays out differently from Word).
* 版头 of an upward document (上行文), always: ``{brigade}文件`` in red 小标宋 (发文机关标志, narrowed
  by ``reports.docx`` to fit one line); 发文字号 left and ``签发人：`` right, each one character in,
  when they have values; a red rule the width of the text block below them, always (the 发文字号
  paragraph's bottom border, the paragraph left empty without either); the title two lines down.
* Title 2号 方正小标宋简体, centred, broken before 关于 when the organ's name fits on one line.
* 主送 flush left; body 3号 仿宋_GB2312, first-line indent 2 characters, justified; ``一、`` 黑体,
  ``（一）`` 楷体_GB2312, also where a body paragraph opens with its own ``（一）…。`` heading (the
  character style 段内小标题, applied by ``reports.docx``); 签发人's name in 楷体_GB2312.
* 落款 and 成文日期 right-aligned, one line below the body, date four characters in from the right.
* Page numbers ``— 1 —`` in 4号 宋体: odd pages right, even pages left, one character in.

Every font is set in the styles, East Asian on ``w:eastAsia`` (Latin digits on Times New Roman),
so a brigade that edits the template in Word keeps the format by picking a style.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm
from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

DEFAULT_TEMPLATE_PATH = Path(__file__).with_name("templates_docx") / "default.docx"

# Twentieths of a point. 22 lines in the 225 mm text block: 637.8 pt / 22 = 28.99 pt; 28.95 pt
# (579) keeps the 22nd line inside it.
LINE = 579
CHAR = 320  # one 3号 (16 pt) character
TEXT_WIDTH = 8845  # 156 mm
# 28 characters of 3号 in the 156 mm (442.3 pt) line: 16 pt - 0.25 pt = 15.75 pt each (441 pt).
CONDENSED = -5
LATIN = "Times New Roman"
RED = "FF0000"

FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"
INLINE_HEADING_STYLE = "InlineHeadingCN"  # the character style reports.docx gives （一）…。 in body text


# --------------------------------------------------------------------------- styles


def _rpr(
    east_asia: str, size_pt: float, *, latin: str = LATIN, color: str | None = None, spacing: int = CONDENSED
) -> str:
    half_points = round(size_pt * 2)
    return (
        "<w:rPr>"
        f'<w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:eastAsia="{east_asia}" w:cs="{latin}"'
        ' w:hint="eastAsia"/>'
        '<w:b w:val="0"/><w:bCs w:val="0"/>'
        + (f'<w:color w:val="{color}"/>' if color else "")
        + f'<w:spacing w:val="{spacing}"/>'
        + f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>'
        "</w:rPr>"
    )


def _paragraph_style(
    style_id: str,
    name: str,
    *,
    east_asia: str = FANGSONG,
    size_pt: float = 16,
    latin: str = LATIN,
    color: str | None = None,
    char_spacing: int = CONDENSED,
    based_on: str = "Normal",
    next_style: str | None = None,
    jc: str = "both",
    ind: str = "",
    line: int | None = LINE,
    before: int = 0,
    after: int = 0,
    extra_ppr: str = "",
    outline_level: int | None = None,
) -> str:
    """A paragraph style; ``extra_ppr`` holds pPr children that come before w:spacing in the schema's
    order (Word refuses a document whose elements are out of order)."""
    spacing = f'<w:spacing w:before="{before}" w:after="{after}"'
    spacing += f' w:line="{line}" w:lineRule="exact"/>' if line else ' w:line="240" w:lineRule="auto"/>'
    return (
        f'<w:style {nsdecls("w")} w:type="paragraph" w:customStyle="1" w:styleId="{style_id}">'
        f'<w:name w:val="{name}"/><w:basedOn w:val="{based_on}"/>'
        + (f'<w:next w:val="{next_style}"/>' if next_style else "")
        + "<w:qFormat/><w:pPr>"
        + extra_ppr
        + spacing
        + (f"<w:ind {ind}/>" if ind else "")
        + f'<w:jc w:val="{jc}"/>'
        + (f'<w:outlineLvl w:val="{outline_level}"/>' if outline_level is not None else "")
        + "</w:pPr>"
        + _rpr(east_asia, size_pt, latin=latin, color=color, spacing=char_spacing)
        + "</w:style>"
    )


def _character_style(style_id: str, name: str, east_asia: str, size_pt: float | None = None) -> str:
    size = f'<w:sz w:val="{round(size_pt * 2)}"/><w:szCs w:val="{round(size_pt * 2)}"/>' if size_pt else ""
    return (
        f'<w:style {nsdecls("w")} w:type="character" w:customStyle="1" w:styleId="{style_id}">'
        f'<w:name w:val="{name}"/><w:basedOn w:val="DefaultParagraphFont"/><w:qFormat/>'
        f'<w:rPr><w:rFonts w:eastAsia="{east_asia}" w:hint="eastAsia"/>{size}</w:rPr></w:style>'
    )


FIRST_LINE_2 = f'w:firstLineChars="200" w:firstLine="{2 * CHAR}"'
# Keep a heading on the page of the paragraph it introduces; outline levels feed Word's navigation pane.
HEADING_PPR = "<w:keepNext/><w:keepLines/>"
# Should a brigade turn on Word's character grid, it must not stretch large characters over two cells.
OFF_GRID = '<w:snapToGrid w:val="0"/>'

# The names are what Word shows in its style gallery; the ids stay ASCII.
STYLES = [
    _paragraph_style("ReportBody", "报告正文", next_style="ReportBody", ind=FIRST_LINE_2),
    # The last lines of the body, 特此报告 and the signature stay on one page: never the issuer
    # and the date alone at the top of the last one.
    _paragraph_style(
        "ReportBodyEnd", "正文末段", next_style="Closing", ind=FIRST_LINE_2, extra_ppr="<w:keepNext/>"
    ),
    _paragraph_style("Closing", "结束语", next_style="Issuer", ind=FIRST_LINE_2, extra_ppr="<w:keepNext/>"),
    _paragraph_style(
        "ReportTitle",
        "报告标题",
        east_asia=XIAOBIAOSONG,
        size_pt=22,
        char_spacing=0,
        next_style="Addressee",
        jc="center",
        line=700,  # 35 pt: a two-line 2号 title needs more than the body's 28.95 pt
        after=LINE,  # 主送 one line below the title
        extra_ppr="<w:keepNext/><w:keepLines/>" + OFF_GRID,
    ),
    _paragraph_style(
        "Heading1CN",
        "一级标题",
        east_asia=HEITI,
        next_style="ReportBody",
        ind=FIRST_LINE_2,
        extra_ppr=HEADING_PPR,
        outline_level=0,
    ),
    _paragraph_style(
        "Heading2CN",
        "二级标题",
        east_asia=KAITI,
        next_style="ReportBody",
        ind=FIRST_LINE_2,
        extra_ppr=HEADING_PPR,
        outline_level=1,
    ),
    _paragraph_style("Addressee", "主送机关", next_style="ReportBody", jc="left"),
    # GB/T 9704 §7.3.4: 附件说明 one line below the body, two characters in (a detachment's table).
    _paragraph_style(
        "AnnexNote", "附件说明", next_style="Issuer", ind=FIRST_LINE_2, before=LINE, extra_ppr="<w:keepNext/>"
    ),
    _paragraph_style(
        "Issuer",
        "落款",
        next_style="IssueDate",
        jc="right",
        ind=f'w:rightChars="200" w:right="{2 * CHAR}"',
        before=LINE,  # one blank line below the body
        extra_ppr="<w:keepNext/>",
    ),
    _paragraph_style("IssueDate", "成文日期", jc="right", ind=f'w:rightChars="400" w:right="{4 * CHAR}"'),
    _paragraph_style(
        "IssuingOrgan",
        "发文机关标志",
        east_asia=XIAOBIAOSONG,
        size_pt=36,
        char_spacing=0,
        color=RED,
        next_style="DocNumber",
        jc="center",
        line=None,
        before=3 * LINE,  # GB/T 9704: the mark about 35 mm below the top of the text block
        after=2 * LINE,
        extra_ppr="<w:keepNext/>" + OFF_GRID,
    ),
    _paragraph_style(
        "DocNumber",
        "发文字号",
        next_style="ReportTitle",
        jc="left",
        after=2 * LINE,  # the title two lines below the red rule
        # 发文字号 one character in from the left, 签发人 one character in from the right; the rule
        # spans the whole text block, so the insets are tab stops rather than indents.
        extra_ppr=(
            "<w:keepNext/>"
            f'<w:pBdr><w:bottom w:val="single" w:sz="12" w:space="11" w:color="{RED}"/></w:pBdr>'
            f'<w:tabs><w:tab w:val="left" w:pos="{CHAR}"/><w:tab w:val="right" w:pos="{TEXT_WIDTH - CHAR}"/></w:tabs>'
        ),
    ),
    _paragraph_style(
        "PageNumberOdd",
        "页码（单页）",
        east_asia=SONGTI,
        latin=SONGTI,
        size_pt=14,
        char_spacing=0,
        based_on="Footer",
        jc="right",
        ind='w:rightChars="100" w:right="280"',
        line=None,
        extra_ppr=OFF_GRID,
    ),
    _paragraph_style(
        "PageNumberEven",
        "页码（双页）",
        east_asia=SONGTI,
        latin=SONGTI,
        size_pt=14,
        char_spacing=0,
        based_on="Footer",
        jc="left",
        ind='w:leftChars="100" w:left="280"',
        line=None,
        extra_ppr=OFF_GRID,
    ),
    _character_style("SignerName", "签发人姓名", KAITI),
    # The heading a paragraph of 三 or 四 opens with, up to its first 。: （一）执法队伍建设需要进一步加强。
    # (GB/T 9704: the second level in 楷体 also when the text runs on in the same paragraph).
    _character_style(INLINE_HEADING_STYLE, "段内小标题", KAITI, 16),
]


def _set_defaults(document) -> None:
    """3号 仿宋_GB2312 with Times New Roman digits everywhere, Chinese as the East Asian language."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    defaults.getparent().replace(
        defaults,
        parse_xml(
            f"<w:docDefaults {nsdecls('w')}><w:rPrDefault><w:rPr>"
            f'<w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:eastAsia="{FANGSONG}" w:cs="{LATIN}"'
            ' w:hint="eastAsia"/>'
            '<w:kern w:val="2"/><w:sz w:val="32"/><w:szCs w:val="32"/>'
            '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>'
            "</w:rPr></w:rPrDefault>"
            '<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
            "</w:pPrDefault></w:docDefaults>"
        ),
    )
    normal = document.styles["Normal"].element
    for child in list(normal):
        if child.tag in (qn("w:pPr"), qn("w:rPr")):
            normal.remove(child)
    normal.append(
        parse_xml(
            f'<w:pPr {nsdecls("w")}><w:spacing w:line="{LINE}" w:lineRule="exact"/><w:jc w:val="both"/></w:pPr>'
        )
    )
    normal.append(parse_xml(_rpr(FANGSONG, 16).replace("<w:rPr>", f"<w:rPr {nsdecls('w')}>", 1)))

    for xml in STYLES:
        styles.append(parse_xml(xml))


def _set_page(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    # GB/T 9704: the em dashes of the page number 7 mm below the text block.
    section.footer_distance = Mm(25)
    # A line grid, declared so that Word and WPS apply it: 22 lines of LINE. Not "lines and
    # characters": LibreOffice spreads each character of that grid over two cells; the 28
    # characters a line come from CONDENSED.
    grid = section._sectPr.find(qn("w:docGrid"))
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE))

    settings = document.settings
    settings.odd_and_even_pages_header_footer = True
    lang = settings.element.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")


def _page_number(paragraph, style: str) -> None:
    """``— 1 —``: a PAGE field between em dashes."""
    paragraph.style = style
    paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t xml:space="preserve">— </w:t></w:r>'))
    for run in (
        '<w:fldChar w:fldCharType="begin"/>',
        '<w:instrText xml:space="preserve"> PAGE </w:instrText>',
        '<w:fldChar w:fldCharType="separate"/>',
        "<w:t>1</w:t>",
        '<w:fldChar w:fldCharType="end"/>',
    ):
        paragraph._p.append(parse_xml(f"<w:r {nsdecls('w')}>{run}</w:r>"))
    paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t xml:space="preserve"> —</w:t></w:r>'))


def _set_footers(document) -> None:
    section = document.sections[0]
    section.footer.is_linked_to_previous = False
    _page_number(section.footer.paragraphs[0], "页码（单页）")
    section.even_page_footer.is_linked_to_previous = False
    _page_number(section.even_page_footer.paragraphs[0], "页码（双页）")


def _write_body(document) -> None:
    """The body, with docxtpl's paragraph-level tags (``{%p … %}`` paragraphs vanish on rendering)."""

    def para(text: str = "", style: str = "报告正文"):
        return document.add_paragraph(text, style=style)

    # The 版头 is always there: the organ's mark and the red rule (the 发文字号 paragraph's bottom
    # border). The number and 签发人 are printed only when they have values; without either the
    # paragraph stays, empty, so the rule keeps its place.
    para("{{ brigade.name }}文件", "发文机关标志")
    head = para("{% if doc_number or signer %}\t{{ doc_number }}\t{% if signer %}签发人：", "发文字号")
    head.add_run("{{ signer }}", style="签发人姓名")
    head.add_run("{% endif %}{% endif %}")

    # Broken before 关于 where the organ's name fits on a line (GB/T 9704: 回行时要做到词意完整).
    para("{{ title|title_break }}", "报告标题")

    para("{%p if addressee %}")
    para("{{ addressee }}：", "主送机关")
    para("{%p endif %}")

    para("{{ opening }}")
    para("{%p for section in sections %}")
    para("{{ section.heading }}", "一级标题")
    # The body's last paragraph (of the last part, or of its last sub-section) keeps with 特此报告.
    para("{%p for text in section.paragraphs %}")
    para("{%p if loop.last and section is sameas(sections|last) and not section.subsections %}")
    para("{{ text }}", "正文末段")
    para("{%p else %}")
    para("{{ text }}")
    para("{%p endif %}")
    para("{%p endfor %}")
    para("{%p for sub in section.subsections %}")
    para("{{ sub.heading }}", "二级标题")
    para("{%p for text in sub.paragraphs %}")
    para(
        "{%p if loop.last and section is sameas(sections|last) and sub is sameas(section.subsections|last) %}"
    )
    para("{{ text }}", "正文末段")
    para("{%p else %}")
    para("{{ text }}")
    para("{%p endif %}")
    para("{%p endfor %}")
    para("{%p endfor %}")
    para("{%p endfor %}")
    para("{%p if closing %}")
    para("{{ closing }}", "结束语")
    para("{%p endif %}")
    para("{%p if annex %}")
    para("附件：{{ annex.title }}", "附件说明")
    para("{%p endif %}")

    para("{{ issuer }}", "落款")
    para("{{ date }}", "成文日期")


# The GB/T 9704 faces and what a machine without them should use instead (Word and WPS read
# altName in the font table; LibreOffice uses reports/fontconfig/fonts.conf).
FALLBACKS = {FANGSONG: "仿宋", XIAOBIAOSONG: "宋体", KAITI: "楷体", HEITI: "SimHei"}


def _set_font_fallbacks(document) -> None:
    table = next(
        (rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/fontTable")), None
    )
    if table is None:
        return
    root = etree.fromstring(table.blob)
    for name, alternative in FALLBACKS.items():
        font = root.find(f"{{{W}}}font[@{{{W}}}name='{name}']")
        if font is None:
            font = etree.SubElement(root, f"{{{W}}}font", {f"{{{W}}}name": name})
        for old in font.findall(f"{{{W}}}altName"):
            font.remove(old)
        alt = etree.Element(f"{{{W}}}altName", {f"{{{W}}}val": alternative})
        font.insert(0, alt)
        if font.find(f"{{{W}}}charset") is None:
            etree.SubElement(font, f"{{{W}}}charset", {f"{{{W}}}val": "86"})  # GB2312
    table._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _drop_leftovers(document) -> None:
    """python-docx's own template carries a thumbnail of another document and a Word 2010 copy of
    the unmodified styles (stylesWithEffects.xml) that Word 2010 would read instead of ours."""
    for rels, reltype in (
        (document.part.rels, "/stylesWithEffects"),
        (document.part.package.rels, "/metadata/thumbnail"),
    ):
        for rid in [rid for rid, rel in rels.items() if rel.reltype.endswith(reltype)]:
            del rels[rid]


def build_default_template() -> bytes:
    """The default template as .docx bytes."""
    document = Document()
    _drop_leftovers(document)
    _set_defaults(document)
    _set_page(document)
    _set_footers(document)
    _write_body(document)
    _set_font_fallbacks(document)
    core = document.core_properties
    core.author = core.last_modified_by = core.comments = core.title = ""
    core.language = "zh-CN"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def main() -> None:
    DEFAULT_TEMPLATE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DEFAULT_TEMPLATE_PATH.write_bytes(build_default_template())
    print(f"wrote {DEFAULT_TEMPLATE_PATH}")


if __name__ == "__main__":
    main()
