"""The streaming .xlsx reader behind open_rows: values as python-calamine gave them (the reader
the importer used before), row numbers kept, memory bounded, bad files refused; and our own
export (sheets.writer) read back as calamine reads it. That the importer is given the sheet's
row numbers is tests/brigade/test_import_formats.py."""

import datetime
import decimal
import html
import io
import json
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from python_calamine import CalamineWorkbook

from sheets import xlsxreader
from sheets.read import open_rows
from sheets.readers import FileRefused
from sheets.tests.support import LIMITS, make_xlsx
from sheets.writer import stream_workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def build(sheet: str, shared=(), formats=(), styles=(0,), date1904=False, prefix="") -> io.BytesIO:
    """A workbook written by hand: `sheet` is the content of <sheetData>, `shared` the <si>
    elements, `formats` (id, code) custom number formats, `styles` the cellXfs' numFmtIds.

    The first sheet lives in worksheets/data.xml and a second one in worksheets/sheet1.xml, so
    a reader that assumes sheet1.xml reads the wrong sheet. With `prefix` ("x:") every
    SpreadsheetML element carries it, as some .NET writers do; `sheet` must then carry it too."""
    p = prefix
    ns = f'xmlns{":" + p[:-1] if p else ""}="{MAIN}"'
    numfmts = "".join(f'<{p}numFmt numFmtId="{i}" formatCode="{html.escape(code)}"/>' for i, code in formats)
    xfs = "".join(f'<{p}xf numFmtId="{n}" fontId="0" fillId="0" borderId="0"/>' for n in styles)
    system = ' date1904="1"' if date1904 else ""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}workbook {ns} xmlns:r="{REL}">'
            f"<{p}workbookPr{system}/><{p}sheets>"
            f'<{p}sheet name="数据" sheetId="2" r:id="rId7"/><{p}sheet name="其他" sheetId="1" r:id="rId1"/>'
            f"</{p}sheets></{p}workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId7" Type="{REL}/worksheet" Target="/xl/worksheets/data.xml"/>'
            f'<Relationship Id="rId8" Type="{REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId9" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            f"<{p}styleSheet {ns}>"
            + (f"<{p}numFmts>{numfmts}</{p}numFmts>" if formats else "")
            + f'<{p}cellStyleXfs><{p}xf numFmtId="14"/></{p}cellStyleXfs>'  # not cellXfs: ignored
            + f"<{p}cellXfs>{xfs}</{p}cellXfs></{p}styleSheet>"
        ),
        "xl/sharedStrings.xml": f"<{p}sst {ns}>{''.join(shared)}</{p}sst>",
        "xl/worksheets/data.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {ns}>'
            f'<{p}dimension ref="A1"/><{p}sheetData>{sheet}</{p}sheetData>'
            f'<{p}rowBreaks count="1"><{p}brk id="3"/></{p}rowBreaks></{p}worksheet>'
        ),
        "xl/worksheets/sheet1.xml": f'<{p}worksheet {ns}><{p}sheetData><{p}row r="1"><{p}c r="A1"><{p}v>666</{p}v></{p}c></{p}row></{p}sheetData></{p}worksheet>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    buf.seek(0)
    return buf


def read(source) -> list[list]:
    return list(open_rows(source, LIMITS))


def calamine(source) -> list[list]:
    source.seek(0)
    return list(CalamineWorkbook.from_filelike(source).get_sheet_by_index(0).iter_rows())


def whole_seconds(value: datetime.datetime) -> datetime.datetime:
    """As the importer rounds: Excel keeps times as fractions of a day (brigade.ledger.columns)."""
    if value.microsecond:
        value = value.replace(microsecond=0) + datetime.timedelta(seconds=value.microsecond >= 500_000)
    return value


def typed(value):
    """A cell for comparison, its type included (1.0 == True), calamine's milliseconds rounded."""
    if isinstance(value, datetime.datetime):
        value = whole_seconds(value)
    elif isinstance(value, datetime.time) and value.microsecond:
        value = whole_seconds(datetime.datetime.combine(datetime.date(2000, 1, 1), value)).time()
    elif isinstance(value, datetime.timedelta):
        value = datetime.timedelta(seconds=round(value.total_seconds()))
    return type(value).__name__, value


def assert_same_as_calamine(source):
    ours, theirs = read(source), calamine(source)
    assert len(ours) == len(theirs)
    for number, (mine, other) in enumerate(zip(ours, theirs, strict=True), start=1):
        width = max(len(mine), len(other))
        mine = [*mine, *[""] * (width - len(mine))]  # calamine pads rows to the sheet's width
        for column, (a, b) in enumerate(zip(mine, other, strict=True)):
            assert typed(a) == typed(b), f"row {number}, column {column + 1}: {a!r} != calamine's {b!r}"
    return ours


def inline(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header(*names, row=1):
    return (
        f'<row r="{row}">' + "".join(inline(f"{chr(65 + i)}{row}", n) for i, n in enumerate(names)) + "</row>"
    )


# ── values ────────────────────────────────────────────────────────────────────────────────────


def test_dates_datetimes_times_and_durations():
    formats = [
        (164, 'yyyy"年"m"月"d"日"'),
        (165, "[h]:mm"),
        (166, '0.00" d"'),
        (167, "h:mm;@"),
        (168, "[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy"),
        (169, "#,##0.00_);[Red]\\(#,##0.00\\)"),
    ]
    styles = (0, 14, 22, 164, 165, 166, 167, 168, 169, 31)
    cells = [
        (1, "45000"),
        (2, "45000.5"),
        (3, "45000"),
        (4, "1.5"),
        (5, "45000"),
        (6, "0.75"),
        (7, "45000.25"),
        (8, "45000"),
        (9, "45000"),
        (2, "45000.99999999"),
        (2, "45000.50001157"),
    ]
    sheet = header(*"ABCDEFGHIJK") + '<row r="2">'
    sheet += "".join(f'<c r="{chr(65 + i)}2" s="{s}"><v>{v}</v></c>' for i, (s, v) in enumerate(cells))
    sheet += '</row><row r="3">' + "".join(
        f'<c r="{chr(65 + i)}3" s="1"><v>{v}</v></c>'
        for i, v in enumerate(["1", "59", "60", "61", "2958466"])
    )
    sheet += '<c r="F3" t="d"><v>2024-03-05T14:30:00</v></c><c r="G3" t="d"><v>2024-03-05</v></c></row>'
    source = build(sheet, formats=formats, styles=styles)
    rows, theirs = read(source), calamine(source)
    assert rows[1] == [
        datetime.date(2023, 3, 15),  # 14: a built-in date format, no time of day
        datetime.datetime(2023, 3, 15, 12, 0),  # 22: date and time
        datetime.date(2023, 3, 15),  # yyyy"年"m"月"d"日"
        datetime.timedelta(days=1, hours=12),  # [h]:mm, elapsed time
        45000.0,  # a quoted "d" is no date
        datetime.time(18, 0),  # h:mm;@, a serial below 1
        datetime.datetime(2023, 3, 15, 6, 0),  # the long system date
        45000.0,  # an accounting format
        datetime.date(2023, 3, 15),  # 31: a built-in Chinese date format (yyyy年m月d日)
        datetime.date(2023, 3, 16),  # 23:59:59.999 rounds to the next midnight
        datetime.datetime(2023, 3, 15, 12, 0, 1),  # whole seconds
    ]
    # The 1900 system counts a 29 February 1900 that never was; past 9999-12-31 is a number.
    assert rows[2] == [
        datetime.date(1900, 1, 1),
        datetime.date(1900, 2, 28),
        datetime.date(1900, 2, 28),
        datetime.date(1900, 3, 1),
        2958466.0,
        datetime.datetime(2024, 3, 5, 14, 30),
        datetime.date(2024, 3, 5),
    ]
    # As calamine, but for 23:59:59.999, which it keeps on the day before.
    assert [typed(v) for v in rows[1][:9] + rows[1][10:]] == [
        typed(v) for v in theirs[1][:9] + theirs[1][10:]
    ]
    assert [typed(v) for v in rows[2]] == [typed(v) for v in theirs[2] if v != ""]


def test_1904_date_system():
    sheet = header("a", "b", "c", "d") + (
        '<row r="2"><c r="A2" s="1"><v>0</v></c><c r="B2" s="1"><v>1</v></c>'
        '<c r="C2" s="1"><v>45000</v></c><c r="D2" s="1"><v>45000.25</v></c></row>'
    )
    source = build(sheet, styles=(0, 22), date1904=True)
    assert read(source)[1] == [
        datetime.time(0, 0),  # below 1, as calamine gives it
        datetime.date(1904, 1, 2),
        datetime.date(2027, 3, 16),
        datetime.datetime(2027, 3, 16, 6, 0),
    ]
    assert_same_as_calamine(source)

    # A workbook saved in the 1904 system by openpyxl.
    wb = Workbook()
    wb.epoch = CALENDAR_MAC_1904
    wb.active.append(["日期", "时间"])
    wb.active.append([datetime.date(2024, 3, 5), datetime.datetime(2024, 3, 5, 14, 30, 15)])
    buf = io.BytesIO()
    wb.save(buf)
    assert b'date1904="1"' in zipfile.ZipFile(buf).read("xl/workbook.xml")
    assert read(buf)[1] == [datetime.date(2024, 3, 5), datetime.datetime(2024, 3, 5, 14, 30, 15)]
    assert_same_as_calamine(buf)


def test_shared_strings():
    shared = [
        "<si><t>plain</t></si>",
        '<si><r><rPr><b/></rPr><t>rich </t></r><r><rPr><color rgb="FFFF0000"/></rPr><t xml:space="preserve"> run &amp; &#10;end</t></r></si>',
        '<si><t>日本</t><rPh sb="0" eb="2"><t>ニホン</t></rPh><phoneticPr fontId="1"/></si>',
        "<si><t/></si>",
        "<si><t>a&#x4E2D;&quot;&apos;&lt;&gt;&#20013;</t></si>",
        '<si><t xml:space="preserve">  two spaces  </t></si>',
        "<si><t>  trimmed\n</t></si>",
        "<si><t>line_x000D_\r\nbreak_x005F_x000D_</t></si>",
        "<si/>",
        "<si><t><![CDATA[<b>&amp;</b>]]></t></si>",
    ]
    sheet = (
        header("h")
        + '<row r="2">'
        + "".join(f'<c r="{chr(65 + i)}2" t="s"><v>{i}</v></c>' for i in range(len(shared)))
        + "</row>"
    )
    rows = read(build(sheet, shared))
    assert rows[1] == [
        "plain",
        "rich run & \nend",  # runs joined; a <t> without xml:space="preserve" is trimmed
        "日本",  # the phonetic guide is left out
        "",
        "a中\"'<>中",
        "  two spaces  ",
        "trimmed",
        "line\r\nbreak_x000D_",  # Excel's _x000D_ is a carriage return; _x005F_ an underscore
        "",
        "<b>&amp;</b>",
    ]
    assert_same_as_calamine(build(sheet[: sheet.index('<c r="J2"')] + "</row>", shared))


def test_inline_strings():
    sheet = (
        header("h")
        + '<row r="2">'
        + "".join(
            [
                inline("A2", "a&amp;b&lt;c&gt;"),
                inline("B2", "甲县&#10;大队"),
                inline("C2", "&#30002;&#21439;"),
                '<c r="D2" t="inlineStr"><is><t xml:space="preserve">  kept  </t></is></c>',
                inline("E2", " trimmed "),
                '<c r="F2" t="inlineStr"><is><r><t>rich</t></r><r><rPr><i/></rPr><t xml:space="preserve"> text</t></r></is></c>',
                inline("G2", "_x0009_tab"),
                inline("H2", ""),
                '<c r="I2" t="inlineStr"></c>',
                inline("J2", "after"),
            ]
        )
        + "</row>"
    )
    rows = assert_same_as_calamine(build(sheet))
    assert rows[1] == [
        "a&b<c>",
        "甲县\n大队",
        "甲县",
        "  kept  ",
        "trimmed",
        "rich text",
        "\ttab",
        "",
        "",
        "after",
    ]


def test_booleans_numbers_errors_and_formulas():
    sheet = header("a") + (
        '<row r="2"><c r="A2" t="b"><v>1</v></c><c r="B2" t="b"><v>0</v></c><c r="C2"><v>3</v></c>'
        '<c r="D2" t="n"><v>1E3</v></c><c r="E2"><v>-0.125</v></c><c r="F2"><v>123456789012</v></c>'
        '<c r="G2" t="str"><f>A1&amp;"y"</f><v>x&amp;y</v></c><c r="H2"><f>1+1</f><v>2</v></c>'
        '<c r="I2" t="str"><f>""</f><v></v></c><c r="J2" t="str"><f>""</f><v></v></c></row>'
        '<row r="3"><c r="A3" t="e"><v>#N/A</v></c><c r="B3" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
        '<row r="4"><c r="A4"><v>abc</v></c><c r="B4" s="1"><v>1e999</v></c><c r="C4" s="2"><v>1e300</v></c>'
        '<c r="D4" t="s"><v>0</v></c></row>'
    )
    rows = read(build(sheet, ["<si><t>共享</t></si>"], styles=(0, 14, 46)))
    assert [typed(v) for v in rows[1]] == [
        typed(v) for v in [True, False, 3.0, 1000.0, -0.125, 123456789012.0, "x&y", 2.0, "", ""]
    ]
    assert rows[2] == ["#N/A", "#DIV/0!"]  # the error's text, where calamine gives ""
    assert calamine(build(sheet[: sheet.index('<row r="4">')]))[2][:2] == ["", ""]
    assert rows[3] == ["abc", "1e999", "1e300", "共享"]  # a number that is none stays text
    assert_same_as_calamine(build(sheet[: sheet.index('<row r="3">')]))
    # a formula with no stored result (its value would silently be empty) refuses the file
    unsaved = header("a") + '<row r="2"><c r="A2"><v>1</v></c><c r="I2"><f>NOW()</f></c></row>'
    with pytest.raises(FileRefused, match="I2"):
        read(build(unsaved))


# ── positions ─────────────────────────────────────────────────────────────────────────────────


def test_cells_and_rows_keep_their_places():
    sheet = (
        '<row r="1"/><row r="2"><c r="A2" s="0"/></row>'  # rows 1 and 2: empty
        + header("a", "b", "c", "d", row=3)
        + '<row r="4"><c r="A4"><v>1</v></c><c r="C4"><v>3</v></c></row>'  # B4 missing
        + '<row r="5"><c r="A5"><v>1</v></c><c r="D5" s="0"/></row>'  # an empty cell at the end
        + '<row r="8"><c r="B8"><v>2</v></c></row>'  # rows 6 and 7 missing
        + "<row><c><v>1</v></c><c><v>2</v></c></row>"  # no r="…" at all: row 9, A and B
        + '<row r="10"/>'
        + '<row spans="1:3" r="11"><c t="b" r="C11"><v>1</v></c><c r="D11"><v>4</v></c><c><v>5</v></c></row>'
        + "<row r='12'><c r='B12' t='inlineStr'><is><t>quoted</t></is></c></row>"
        + '<row r="13">\n  <c r="A13" t="inlineStr">\n    <is>\n      <t>indented</t>\n    </is>\n  </c>\n'
        + '  <c r="B13">\n    <v>7</v>\n  </c>\n</row>'
        + '<row r="14"><c r="A14" s="0"/></row><row r="20"><c r="B20" s="0"/></row>'  # empty rows at the end
    )
    rows = read(build(sheet))
    assert rows == [
        [],
        [],
        ["a", "b", "c", "d"],
        [1.0, "", 3.0],
        [1.0, "", "", ""],
        [],
        [],
        ["", 2.0],
        [1.0, 2.0],
        [],
        ["", "", True, 4.0, 5.0],
        ["", "quoted"],
        ["indented", 7.0],
    ]
    assert len(calamine(build(sheet))) == len(rows)  # the same rows as calamine, empty ones included


def test_namespace_prefix():
    sheet = (
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>名称</x:t></x:is></x:c><x:c r="B1" t="s"><x:v>0</x:v></x:c></x:row>'
        '<x:row r="3"><x:c r="A3" s="1"><x:v>45000</x:v></x:c><x:c r="B3"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>'
    )
    source = build(sheet, ["<x:si><x:t>共享</x:t></x:si>"], styles=(0, 14), prefix="x:")
    assert read(source) == [["名称", "共享"], [], [datetime.date(2023, 3, 15), 2.0]]


# ── against calamine, on workbooks written by openpyxl, by hand and by our export ─────────────

TEXTS = [
    "甲县公安局交通警察大队",
    "a&b<c>\"'",
    "  前后空格  ",
    "多行\n文本",
    "Ω≈ç√",
    "😀表情",
    "_x000D_字面",
    "ok",
    "0123",
]
NUMBER_FORMATS = [
    "General",
    "0.00",
    "#,##0",
    "0%",
    "yyyy-mm-dd",
    'yyyy"年"m"月"d"日"',
    "[h]:mm:ss",
    "h:mm",
    "@",
]


def random_value(rng):
    kind = rng.randrange(9)
    if kind == 0:
        return rng.choice(TEXTS)
    if kind == 1:
        return rng.randrange(-1000, 10**9)
    if kind == 2:
        return rng.uniform(-1e6, 1e6)
    if kind == 3:
        return rng.random() < 0.5
    if kind == 4:
        return datetime.date(2000, 1, 1) + datetime.timedelta(days=rng.randrange(10_000))
    if kind == 5:
        return datetime.datetime(2020, 1, 1) + datetime.timedelta(seconds=rng.randrange(10**8))
    if kind == 6:
        return datetime.time(rng.randrange(24), rng.randrange(60), rng.randrange(60))
    if kind == 7:
        return datetime.timedelta(seconds=rng.randrange(10**6))
    return None


def test_same_as_calamine_on_a_varied_openpyxl_workbook():
    rng = random.Random(20250301)
    wb = Workbook()
    ws = wb.active
    ws.append([f"列{i}" for i in range(12)])
    for r in range(2, 400):
        if rng.random() < 0.05:
            continue  # a missing row
        for c in range(1, 13):
            value = random_value(rng)
            if value is None:
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, int | float) and not isinstance(value, bool) and rng.random() < 0.5:
                cell.number_format = rng.choice(NUMBER_FORMATS)
    buf = io.BytesIO()
    wb.save(buf)
    rows = assert_same_as_calamine(buf)
    assert len(rows) > 350 and [] in rows


def test_same_as_calamine_on_a_shared_strings_workbook():
    """Shared strings and styles as Excel and WPS write them, and custom number formats."""
    rng = random.Random(7)
    formats = [
        (164, 'yyyy"年"m"月"d"日"'),
        (165, "[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy"),
        (166, "0.00_);[Red]\\(0.00\\)"),
        (167, "[h]:mm:ss"),
        (168, "mm:ss"),
        (169, "h:mm AM/PM"),
        (170, '"Day" 0'),
        (171, "General"),
        (172, "@"),
        (173, "yyyy/m/d;@"),
        (174, "[Red]0.00"),
        (175, '#,##0.00 "元"'),
        (176, 'e"年"m"月"'),
        (177, "[mm]:ss"),
        (178, "\\d\\a\\y 0"),
    ]
    styles = (0, 14, 22, 31, 46, 10, *(code for code, _ in formats))
    shared = [
        "<si><t>执法</t></si>",
        "<si><t>a&amp;b</t></si>",
        '<si><t xml:space="preserve"> 空格 </t></si>',
        "<si><r><t>富</t></r><r><rPr><b/></rPr><t>文本</t></r></si>",
        "<si><t>line&#10;two</t></si>",
        '<si><t>日本</t><rPh sb="0" eb="2"><t>ニホン</t></rPh></si>',
        "<si><t>x_x000D_y</t></si>",
    ]
    sheet = header(*(f"h{i}" for i in range(10)))
    for r in range(2, 300):
        if rng.random() < 0.05:
            continue
        cells = []
        for c in range(10):
            ref, kind = f"{chr(65 + c)}{r}", rng.randrange(5)
            if kind == 0:
                cells.append(f'<c r="{ref}" t="s"><v>{rng.randrange(len(shared))}</v></c>')
            elif kind == 1:
                value = rng.choice(
                    ["45000", "45000.5", "0.25", "1.75", "-3.5", "1E-3", "44197.999988", "123"]
                )
                cells.append(f'<c r="{ref}" s="{rng.randrange(len(styles))}"><v>{value}</v></c>')
            elif kind == 2:
                cells.append(f'<c r="{ref}" t="b"><v>{rng.randrange(2)}</v></c>')
            elif kind == 3:
                cells.append(f'<c r="{ref}" s="{rng.randrange(len(styles))}"/>')
        sheet += f'<row r="{r}" spans="1:10">{"".join(cells)}</row>'
    assert_same_as_calamine(build(sheet, shared, formats, styles))


def test_same_as_calamine_on_our_export():
    header = ["日期", "名称", "类型", "形式", "参加人数", "学时", "学习内容"]  # the 学法培训 ledger's
    rows = [
        [
            datetime.date(2025, 1, 1 + i % 28),
            f"培训{i} & <学习>",
            "专题学法",
            "线下",
            20 + i,
            decimal.Decimal("1.5"),
            "",
        ]
        for i in range(50)
    ]
    source = io.BytesIO(b"".join(stream_workbook("学法培训", header, rows)))
    ours = assert_same_as_calamine(source)
    assert ours[1][:6] == [datetime.date(2025, 1, 1), "培训0 & <学习>", "专题学法", "线下", 20.0, 1.5]


# ── streaming ─────────────────────────────────────────────────────────────────────────────────


def big_sheet(rows: int) -> io.BytesIO:
    cells = '<c r="A{n}" t="inlineStr"><is><t>第{n}行：甲县公安局交通警察大队{amp}</t></is></c><c r="B{n}" s="1"><v>{d}</v></c>'
    body = header("名称", "日期") + "".join(
        f'<row r="{n}">{cells.format(n=n, d=45000 + n / 7, amp="&amp;" if n % 50 == 0 else "")}</row>'
        for n in range(2, rows + 2)
    )
    return build(body, styles=(0, 22))


def test_blocks_may_end_anywhere(monkeypatch):
    """Rows, tags and multi-byte characters cut across blocks read as when they are not."""
    source = big_sheet(300)
    expected = read(source)
    monkeypatch.setattr(xlsxreader, "BLOCK", 37)
    assert read(source) == expected
    assert expected[149][0] == "第150行：甲县公安局交通警察大队&" and len(expected) == 301


READ_IN_A_FRESH_PROCESS = """
import json
import sys
from sheets.read import open_rows


def peak_kb():  # VmHWM: ru_maxrss would carry the peak of the process that forked this one
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


before = peak_kb()
count = sum(1 for _ in open_rows(sys.argv[1], json.loads(sys.argv[2])))
print(count, peak_kb() - before)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the peak RSS from /proc")
def test_memory_does_not_grow_with_the_sheet(tmp_path):
    """The peak RSS grows by a few MB reading a 25 MB sheet (with calamine: by 29 MB)."""
    path = tmp_path / "big.xlsx"
    path.write_bytes(big_sheet(150_000).getvalue())
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/data.xml").file_size > 20_000_000
    done = subprocess.run(
        [sys.executable, "-c", READ_IN_A_FRESH_PROCESS, str(path), json.dumps(LIMITS)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    count, grown_kb = map(int, done.stdout.split())
    assert count == 150_001
    assert grown_kb < 12 * 1024, f"the peak RSS grew by {grown_kb / 1024:.0f} MB"


# ── refused ───────────────────────────────────────────────────────────────────────────────────


def test_damaged_workbooks_are_refused(tmp_path):
    # (a CSV is read as one now, and an old .xls by its own reader: sheets/tests/test_readers.py)
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0 an old .xls")  # the OLE magic, cut short
    with pytest.raises(FileRefused, match="文件格式无法识别|文件可能已损坏"):
        read(path)

    whole = big_sheet(2000).getvalue()
    with pytest.raises(FileRefused, match="无法读取该 Excel 文件"):
        read(io.BytesIO(whole[: len(whole) // 2]))  # truncated: the zip's directory is gone
    damaged = bytearray(whole)
    start = whole.index(b"xl/worksheets/data.xml") + 200  # inside the sheet's deflate stream
    damaged[start : start + 50] = b"\x00" * 50
    with pytest.raises(FileRefused, match="无法读取该 Excel 文件"):
        read(io.BytesIO(bytes(damaged)))

    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    with pytest.raises(FileRefused, match="无法读取该 Excel 文件"):
        read(other)


def test_a_zip_that_is_not_spreadsheetml_goes_to_calamine():
    """An OpenDocument sheet saved under .xlsx was read before (by calamine) and still is."""
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
        '<table:table table:name="数据"><table:table-row>'
        '<table:table-cell office:value-type="string"><text:p>名称</text:p></table:table-cell>'
        '<table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell>'
        "</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"
    )
    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/"'
            ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>',
        )
        z.writestr("content.xml", content)
    assert read(ods) == [["名称", 3.0]]


def test_a_workbook_without_sheets_is_refused():
    source = build("")
    content = zipfile.ZipFile(source)
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as z:
        for name in content.namelist():
            text = content.read(name)
            if name == "xl/workbook.xml":
                text = text.split(b"<sheets>")[0] + b"<sheets/></workbook>"
            z.writestr(name, text)
    with pytest.raises(FileRefused, match="工作簿中没有工作表"):
        read(empty)


def _patched(content: bytes, old: str, new: str) -> io.BytesIO:
    """The workbook with one string replaced inside its first sheet's XML."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(old.encode(), new.encode())
            dst.writestr(item, data)
    out.seek(0)
    return out


@pytest.mark.parametrize(("old", "new"), [('r="3"', 'r="2000000000"'), ('r="A3"', 'r="ZZZZZZZ3"')])
def test_a_row_or_column_beyond_excel_is_refused_quickly(old, new):
    content = make_xlsx([["a", "b"], ["1", "2"], ["3", "4"]]).getvalue()
    with pytest.raises(FileRefused, match="超出 Excel 的范围"):
        read(_patched(content, old, new))
