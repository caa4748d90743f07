"""A detachment report's 附件: the table of its brigades' key figures, laid out by the software on
a page of its own at the end of the document, whatever the template (docs/page-format.md)."""

from __future__ import annotations

from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

# GB/T 9704-2012 §8: an attachment starts a page; 附件 in 3号黑体 flush left on its first line,
# its title centred on the third line (2号小标宋). The table in 仿宋 五号 (10.5 pt): six figures
# and the unit's name across the 156 mm text block, each cell its value over its change.
_TEXT_WIDTH = 8845  # twentieths of a point: 156 mm
_NAME_WIDTH = 1825
_TABLE_PT = 10.5


def _font(run, east_asia: str, size_pt: float, *, bold: bool = False) -> None:
    """A run's fonts, the East Asian one on w:eastAsia (not only the Latin name)."""
    rpr = run._r.get_or_add_rPr()
    rpr.append(
        etree.fromstring(
            f'<w:rFonts xmlns:w="{_W}" w:ascii="Times New Roman" w:hAnsi="Times New Roman" '
            f'w:eastAsia="{east_asia}" w:cs="Times New Roman" w:hint="eastAsia"/>'
        )
    )
    run.font.size = Pt(size_pt)
    run.font.bold = bold


def _paragraph(
    container,
    text: str,
    east_asia: str,
    size_pt: float,
    *,
    align: str = "left",
    line: int | None = None,
    before: int = 0,
    after: int = 0,
    page_break: bool = False,
    bold: bool = False,
):
    p = container.add_paragraph()
    ppr = p._p.get_or_add_pPr()
    if page_break:
        ppr.append(etree.fromstring(f'<w:pageBreakBefore xmlns:w="{_W}"/>'))
    if not line:  # the table's own spacing, not the body's line grid (each line would take 28.95 pt)
        ppr.append(etree.fromstring(f'<w:snapToGrid xmlns:w="{_W}" w:val="0"/>'))
    rule = f'w:line="{line}" w:lineRule="exact"' if line else 'w:line="240" w:lineRule="auto"'
    ppr.append(etree.fromstring(f'<w:spacing xmlns:w="{_W}" w:before="{before}" w:after="{after}" {rule}/>'))
    ppr.append(
        etree.fromstring(
            f'<w:ind xmlns:w="{_W}" w:firstLine="0" w:firstLineChars="0" w:left="0" w:right="0"/>'
        )
    )
    ppr.append(etree.fromstring(f'<w:jc xmlns:w="{_W}" w:val="{align}"/>'))
    if text:
        _font(p.add_run(text), east_asia, size_pt, bold=bold)
    return p


def append_annex(document, annex: dict) -> None:
    """The detachment's table of its brigades' key figures, as the report's 附件 on a page of its own."""
    line = 579  # the body's 28.95 pt line
    _paragraph(document, "附件", "黑体", 16, line=line, page_break=True)
    _paragraph(
        document, annex["title"], "方正小标宋简体", 22, align="center", line=700, before=line, after=line
    )
    headers, rows = annex["headers"], annex["rows"]
    table = document.add_table(rows=1 + len(rows), cols=1 + len(headers))
    width = (_TEXT_WIDTH - _NAME_WIDTH) // len(headers)
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in [_NAME_WIDTH] + [width] * len(headers))
    tbl = table._tbl
    tbl.remove(tbl.tblPr)
    borders = "".join(
        f'<w:{side} w:val="single" w:sz="6" w:space="0" w:color="000000"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    tbl.insert(
        0,
        etree.fromstring(
            f'<w:tblPr xmlns:w="{_W}"><w:tblW w:w="{_NAME_WIDTH + width * len(headers)}" w:type="dxa"/>'
            f'<w:jc w:val="center"/><w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
            '<w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
            '<w:tblLook w:val="0000"/></w:tblPr>'
        ),
    )
    tbl.remove(tbl.tblGrid)
    tbl.insert(1, etree.fromstring(f'<w:tblGrid xmlns:w="{_W}">{grid}</w:tblGrid>'))

    def fill(cell, lines, east_asia, *, bold=False, cell_width):
        tcpr = cell._tc.get_or_add_tcPr()
        for old in tcpr.findall(qn("w:tcW")):
            tcpr.remove(old)
        tcpr.insert(0, etree.fromstring(f'<w:tcW xmlns:w="{_W}" w:w="{cell_width}" w:type="dxa"/>'))
        tcpr.append(etree.fromstring(f'<w:vAlign xmlns:w="{_W}" w:val="center"/>'))
        cell._tc.remove(cell.paragraphs[0]._p)
        for n, (text, size) in enumerate(lines):
            _paragraph(
                cell,
                text,
                east_asia,
                size,
                align="center",
                before=40 if n == 0 else 0,
                after=40 if n == len(lines) - 1 else 0,
                bold=bold,
            )

    head = table.rows[0]
    head._tr.get_or_add_trPr().append(
        etree.fromstring(f'<w:tblHeader xmlns:w="{_W}"/>')
    )  # repeats on a new page
    fill(head.cells[0], [("单位", _TABLE_PT)], "黑体", cell_width=_NAME_WIDTH)
    for cell, text in zip(head.cells[1:], headers, strict=True):  # 查纠违法 over （起）
        label, _, unit = text.partition("（")
        fill(
            cell,
            [(label, _TABLE_PT)] + ([("（" + unit, _TABLE_PT)] if unit else []),
            "黑体",
            cell_width=width,
        )
    for tr, row in zip(table.rows[1:], rows, strict=True):
        trpr = tr._tr.get_or_add_trPr()
        trpr.append(etree.fromstring(f'<w:cantSplit xmlns:w="{_W}"/>'))
        trpr.append(etree.fromstring(f'<w:trHeight xmlns:w="{_W}" w:val="567" w:hRule="atLeast"/>'))  # 1 cm
        total = row.get("brigade_id") is None
        fill(
            tr.cells[0],
            [(row["name"], _TABLE_PT)],
            "黑体" if total else "仿宋_GB2312",
            cell_width=_NAME_WIDTH,
        )
        for cell, value in zip(tr.cells[1:], row["cells"], strict=True):
            fill(cell, [(value["value"], _TABLE_PT), (value["change"], 9)], "仿宋_GB2312", cell_width=width)
    if annex.get("note"):
        _paragraph(document, annex["note"], "仿宋_GB2312", _TABLE_PT, align="both", before=120)


# The only fields a report may carry: the page numbers of the default template's footer.
