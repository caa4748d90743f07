"""open_rows on every file a clerk may be sent (.xlsx, .xls, .ods, .csv, recognised by content),
the first visible sheet, cells that make a file unreadable, and the limits that keep a damaged
or hostile file from costing more than its limits allow (the product's are IMPORT_LIMITS). Every
file is built here, small; the limits are lowered so that a "bomb" of a few KB expands past them.
That the importer takes every format alike is tests/brigade/test_import_formats.py."""

import datetime
import io
import json
import re
import shutil
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from sheets import calaminereader
from sheets.read import open_rows
from sheets.readers import FileRefused
from sheets.tests.support import LIMITS, make_xlsx

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
SOFFICE = shutil.which("soffice")
ROOT = Path(__file__).resolve().parents[2]  # the folder that holds the sheets package


def read(source, limits=LIMITS) -> list[list]:
    return list(open_rows(source, limits))


# Words a message may hold; anything else in Latin letters would be English or a class name.
_ALLOWED = re.compile(r"Excel|WPS|LibreOffice|HTML|XML|DOCTYPE|CSV|xlsx|xlsb|xls|ods|csv|MB|KB|[A-Z]+[0-9]+")


def refused(source, match: str, limits=LIMITS) -> str:
    """The message open_rows refuses `source` with: it contains `match`, and it is Chinese."""
    with pytest.raises(FileRefused) as caught:
        read(source, limits)
    message = str(caught.value)
    assert match in message, message
    rest = _ALLOWED.sub("", message.replace(match, ""))
    assert re.search(r"[\u4e00-\u9fff]", message) and not re.search(r"[A-Za-z]{2,}", rest), message
    return message


@pytest.fixture
def limits():
    """A copy of the default limits for one test to lower: limits["row_kb"] = 64."""
    return dict(LIMITS)


# ── files written by hand ─────────────────────────────────────────────────────────────────────


def xlsx(
    sheet: str = "", shared: str | None = None, styles: str | None = None, sheets: str | None = None
) -> io.BytesIO:
    """An .xlsx: `sheet` is the content of the first sheet's <sheetData>, `shared` of <sst>,
    `styles` of <styleSheet>; `sheets` replaces the workbook's <sheets> (rId1 is the sheet)."""
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
        + ('<sheet name="数据" sheetId="1" r:id="rId1"/>' if sheets is None else sheets)
        + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/worksheet" Target="worksheets/sheet2.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId4" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><sheetData>{sheet}</sheetData></worksheet>',
        "xl/worksheets/sheet2.xml": f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>第二个</t></is></c></row></sheetData></worksheet>',
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{shared}</sst>'
    if styles is not None:
        parts["xl/styles.xml"] = f'<styleSheet xmlns="{MAIN}">{styles}</styleSheet>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    buf.seek(0)
    return buf


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def ods(tables: str, styles: str = "", manifest: str | None = None) -> io.BytesIO:
    """An .ods as a minimal writer makes it: the mimetype and content.xml (and a manifest if given)."""
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        f"<office:automatic-styles>{styles}</office:automatic-styles>"
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        if manifest is not None:
            z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content)
    buf.seek(0)
    return buf


def ods_cell(value) -> str:
    if isinstance(value, datetime.date):
        return f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}"/>'
    if isinstance(value, int | float):
        return f'<table:table-cell office:value-type="float" office:value="{value}"/>'
    if value in ("", None):
        return "<table:table-cell/>"
    return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'


def ods_rows(rows) -> io.BytesIO:
    body = "".join("<table:table-row>" + "".join(map(ods_cell, row)) + "</table:table-row>" for row in rows)
    return ods(f'<table:table table:name="数据">{body}</table:table>')


def record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def bof(kind: int) -> bytes:
    return record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))


def label(row: int, col: int, text: str) -> bytes:
    return record(0x0204, struct.pack("<HHHHB", row, col, 0, len(text), 1) + text.encode("utf-16-le"))


def number(row: int, col: int, value: float) -> bytes:
    return record(0x0203, struct.pack("<HHHd", row, col, 0, value))


def xls(sheets, head: bytes = b"") -> io.BytesIO:
    """An Excel 97-2003 workbook of BIFF8 records: `sheets` are (name, hidden, cell records)."""

    def boundsheet(pos, name, hidden):
        return record(0x85, struct.pack("<IBBBB", pos, hidden, 0, len(name), 0) + name.encode())

    size = len(bof(5) + head + record(0x0A)) + sum(len(boundsheet(0, n, h)) for n, h, _ in sheets)
    listed, bodies = b"", b""
    for name, hidden, cells in sheets:
        listed += boundsheet(size + len(bodies), name, hidden)
        bodies += bof(0x10) + b"".join(cells) + record(0x0A)
    buf = io.BytesIO()
    calaminereader._write_container(buf, bytearray(bof(5) + head + listed + record(0x0A) + bodies))
    buf.seek(0)
    return buf


# ── formats, recognised by content ────────────────────────────────────────────────────────────

CSV_TEXT = '名称,日期,人数,备注\r\n甲县培训,2025-01-02,20,"第一行\n第二行"\r\n,,,\r\n"乙县,专题",2025-02-03,,\r\n\r\n\r\n'
CSV_ROWS = [
    ["名称", "日期", "人数", "备注"],
    ["甲县培训", "2025-01-02", "20", "第一行\n第二行"],
    [],
    ["乙县,专题", "2025-02-03"],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_in_gb18030(encoding, tmp_path):
    """All text; an empty row is [], a row ends with its last value, trailing empty rows go."""
    data = CSV_TEXT.encode(encoding)
    assert read(io.BytesIO(data)) == CSV_ROWS
    path = tmp_path / "ledger.xlsx"  # the name says nothing: the content does
    path.write_bytes(data)
    assert read(path) == CSV_ROWS


def test_csv_that_is_gb18030_only_after_its_first_block():
    """The encoding is chosen from the whole file, not a guess from its start."""
    text = "名称\n" + "a\n" * 300_000 + "张三\n"
    assert read(io.BytesIO(text.encode("gb18030")))[-1] == ["张三"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_text_is_refused_saying_how_to_save_it(encoding):
    """Excel's "Unicode 文本" is UTF-16: named as such, with what to save instead, not 格式无法识别."""
    data = (b"\xfe\xff" if encoding == "utf-16-be" else b"") + CSV_TEXT.encode(encoding)
    with pytest.raises(FileRefused, match="UTF-16 编码.*CSV UTF-8"):
        read(io.BytesIO(data))


def test_csv_from_an_old_mac_with_bare_carriage_returns():
    assert read(io.BytesIO("名称,人数\r张三,3\r".encode("gb18030"))) == [["名称", "人数"], ["张三", "3"]]


def test_ods_written_by_hand_in_sheet_coordinates():
    """Calamine's rectangle starts at its first cell: row 1 and column A come back, the padding
    goes; repeated empty cells and rows to the end of the sheet (as LibreOffice writes) are free."""
    source = ods(
        '<table:table table:name="数据">'
        '<table:table-row><table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        "<table:table-row><table:table-cell/>"
        + ods_cell("名称")
        + ods_cell(3)
        + ods_cell(datetime.date(2025, 3, 5))
        + '<table:table-cell table:number-columns-repeated="16000"/></table:table-row>'
        '<table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>'
        "<table:table-row><table:table-cell/>" + ods_cell("尾") + "</table:table-row>"
        '<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        "</table:table>"
    )
    assert read(source) == [[], ["", "名称", 3.0, datetime.date(2025, 3, 5)], [], [], ["", "尾"]]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_xls_and_ods_saved_by_libreoffice_read_as_the_xlsx(tmp_path):
    wb = Workbook()
    wb.active.title, wb.active["A1"] = "说明", "隐藏的说明页"
    wb.active.sheet_state = "hidden"
    ws = wb.create_sheet("数据")
    ws.append(["名称", "日期", "时间", "人数", "学时", "备注"])
    ws.append(["甲县培训", datetime.date(2025, 1, 2), datetime.datetime(2025, 1, 2, 14, 30), 20, 1.5, "专题"])
    ws.append([])
    ws.append(["乙县培训", datetime.date(2025, 2, 3), None, 3])
    path = tmp_path / "台账.xlsx"
    wb.save(path)
    expected = read(path)
    assert expected[1][:5] == [
        "甲县培训",
        datetime.date(2025, 1, 2),
        datetime.datetime(2025, 1, 2, 14, 30),
        20.0,
        1.5,
    ]
    for target, suffix in [('xls:"MS Excel 97"', "xls"), ("ods", "ods")]:
        subprocess.run(
            f"{SOFFICE} -env:UserInstallation=file://{tmp_path}/lo --headless --norestore"
            f" --convert-to {target} --outdir {tmp_path} {path}",
            shell=True,
            check=True,
            capture_output=True,
            timeout=120,
        )
        converted = (tmp_path / f"台账.{suffix}").read_bytes()
        assert read(io.BytesIO(converted)) == expected, suffix
        renamed = tmp_path / f"renamed-{suffix}.csv"
        renamed.write_bytes(converted)
        assert read(renamed) == expected, suffix


def test_xls_written_by_hand_first_visible_sheet_in_sheet_coordinates():
    source = xls(
        [
            ("Hidden", 1, [label(0, 0, "不应读到")]),
            ("Data", 0, [label(0, 0, "名称"), number(1, 1, 3), number(3, 0, 2.5)]),
        ]
    )
    assert read(source) == [["名称"], ["", 3.0], [], [2.5]]


def test_a_binary_file_that_is_no_spreadsheet_is_refused():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    refused(io.BytesIO(png), "文件格式无法识别：请上传 .xlsx、.xls、.ods 或 .csv 文件")
    refused(io.BytesIO(bytes([0xFF, 0xFE, 0x80]) * 100), "文件格式无法识别")  # neither UTF-8 nor GB18030
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<x/>")
    refused(docx, "文件格式无法识别")


def test_a_web_page_saved_as_excel_is_refused():
    page = "\ufeff  <html><body><table><tr><td>名称</td></tr></table></body></html>".encode()
    refused(io.BytesIO(page), "网页（HTML）或 XML 格式")


def test_a_missing_path_is_refused_by_name(tmp_path):
    path = tmp_path / "没有这个文件.xlsx"
    refused(path, f"找不到文件：{path}")


def test_damaged_files_are_refused_in_chinese():
    """No exception class, no English from calamine: BadZipFile, XmlError, a truncated .xls."""
    whole = make_xlsx([["名称"], ["甲"]]).getvalue()
    refused(io.BytesIO(whole[: len(whole) // 2]), "文件可能已损坏")
    refused(
        ods('<table:table table:name="数据"><table:table-row><table:table-cell></table:table>'),
        "文件可能已损坏",
    )
    source = xls([("Data", 0, [label(0, 0, "名称")])]).getvalue()
    refused(io.BytesIO(source[:5000]), "文件可能已损坏")
    refused(io.BytesIO(calaminereader.OLE_MAGIC + bytes(2000)), "文件可能已损坏")
    refused(xlsx(sheets=""), "工作簿中没有工作表")


def test_encrypted_files_are_refused():
    encrypted = "文件已加密，请取消密码后再导入"
    refused(
        xls([("Data", 0, [label(0, 0, "名称")])], head=record(0x2F, struct.pack("<HHH", 1, 1, 1))), encrypted
    )
    # An .xlsx with a password is an OLE file holding EncryptedPackage, not a zip.
    container = xls([("Data", 0, [])]).getvalue()
    name = "Workbook\0".encode("utf-16-le")
    at = container.index(name)
    package = "EncryptedPackage\0".encode("utf-16-le")
    container = (
        container[:at] + package.ljust(64, b"\0") + struct.pack("<H", len(package)) + container[at + 66 :]
    )
    refused(io.BytesIO(container), encrypted)
    # A zip entry with the encryption flag, and an .ods whose manifest says it is encrypted.
    flagged = bytearray(make_xlsx([["名称"]]).getvalue())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = -1
        while (at := flagged.find(signature, at + 1)) >= 0:
            flagged[at + offset] |= 1
    refused(io.BytesIO(bytes(flagged)), encrypted)
    manifest = '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry></manifest:manifest>'
    refused(ods("", manifest=manifest), encrypted)


def test_xlsb_is_refused_with_what_to_do():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.bin", b"\x83\x01\x00")
    refused(buf, "另存为 .xlsx")


# ── the first visible sheet ───────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_first_sheet_is_skipped(state):
    wb = Workbook()
    wb.active.title, wb.active["A1"] = "选项", "隐藏的选项"
    wb.active.sheet_state = state
    wb.create_sheet("数据")["A1"] = "名称"
    buf = io.BytesIO()
    wb.save(buf)
    assert read(buf) == [["名称"]]


def test_a_chartsheet_first_is_not_a_worksheet():
    wb = Workbook()
    wb.active["A1"] = "名称"
    wb.create_chartsheet("图表", 0)
    buf = io.BytesIO()
    wb.save(buf)
    assert wb.sheetnames[0] == "图表" and read(buf) == [["名称"]]


def test_a_hidden_first_sheet_of_an_ods_or_xls_is_skipped():
    hidden = '<style:style style:name="ta2" style:family="table"><style:table-properties table:display="false"/></style:style>'
    source = ods(
        f'<table:table table:name="选项" table:style-name="ta2"><table:table-row>{ods_cell("隐藏")}</table:table-row></table:table>'
        f'<table:table table:name="数据"><table:table-row>{ods_cell("名称")}</table:table-row></table:table>',
        styles=hidden,
    )
    assert read(source) == [["名称"]]
    assert read(xls([("Hidden", 2, [label(0, 0, "隐藏")]), ("Data", 0, [label(0, 0, "名称")])])) == [["名称"]]
    refused(xls([("Hidden", 1, [label(0, 0, "隐藏")])]), "所有工作表都已隐藏")


# ── cells that make an .xlsx unreadable ───────────────────────────────────────────────────────


@pytest.mark.parametrize("index", ["-1", "2", "1e0"])
def test_a_shared_string_out_of_range_names_the_cell(index):
    sheet = (
        f'<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="B2" t="s"><v>{index}</v></c></row>'
    )
    source = xlsx(sheet, shared="<si><t>甲</t></si><si><t>乙</t></si>")
    refused(source, f"单元格 B2 引用了不存在的共享字符串（编号 {index}）")


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="D5"><f>SUM(A1:A3)</f></c>',
        '<c r="D5"><f>SUM(A1:A3)</f><v></v></c>',
        '<c r="D5" t="b"><f>TRUE()</f><v/></c>',
    ],
)
def test_a_formula_without_its_result_names_the_cell(cell):
    source = xlsx(f'<row r="1">{inline("A1", "名称")}</row><row r="5">{cell}</row>')
    refused(
        source, "单元格 D5 是公式，但文件中没有保存计算结果：请在 Excel 或 WPS 中打开该文件、保存后再导入"
    )


def test_a_formula_with_its_result_gives_the_result():
    sheet = (
        '<row r="1"><c r="A1"><f>1+2</f><v>3</v></c><c r="B1" t="str"><f>"甲"&amp;"乙"</f><v>甲乙</v></c>'
        '<c r="C1" t="str"><f>""</f><v></v></c><c r="D1"><f t="shared" ref="D1:D2" si="0"/><v>4</v></c></row>'
    )
    assert read(xlsx(sheet)) == [[3.0, "甲乙", "", 4.0]]


def test_rows_out_of_order_are_refused():
    """Excel writes rows in order; a file that repeats one row a million times is a bomb."""
    sheet = f'<row r="1">{inline("A1", "名称")}</row><row r="3">{inline("A3", "甲")}</row><row r="2">{inline("A2", "乙")}</row>'
    refused(xlsx(sheet), "行号顺序有误")
    refused(xlsx(f'<row r="1">{inline("A1", "名称")}</row>' * 2), "行号顺序有误")


def test_a_doctype_is_refused():
    source = xlsx(sheets='<sheet name="数据" sheetId="1" r:id="rId1"/>')
    parts = {i.filename: zipfile.ZipFile(source).read(i.filename) for i in zipfile.ZipFile(source).infolist()}
    parts["xl/workbook.xml"] = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + parts["xl/workbook.xml"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    refused(buf, "文档类型声明（DOCTYPE）")


# ── limits ────────────────────────────────────────────────────────────────────────────────────


def zipped(parts: dict[str, bytes | str], base: io.BytesIO) -> io.BytesIO:
    """`base` with some parts replaced, compressed as hard as zlib can (a few KB for MBs)."""
    src = zipfile.ZipFile(base)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name in src.namelist():
            z.writestr(name, parts.get(name, src.read(name)))
        for name in parts.keys() - set(src.namelist()):
            z.writestr(name, parts[name])
    buf.seek(0)
    return buf


def sheet_xml(body: str) -> str:
    return f'<worksheet xmlns="{MAIN}"><sheetData>{body}</sheetData></worksheet>'


def quick(seconds: float = 3):
    """A context that fails if its body takes longer than `seconds`."""

    class Quick:
        def __enter__(self):
            self.start = time.monotonic()

        def __exit__(self, *exc):
            elapsed = time.monotonic() - self.start
            assert elapsed < seconds, f"took {elapsed:.1f} s"

    return Quick()


@pytest.mark.parametrize(
    "body",
    [
        f'<row r="1">{inline("A1", "名称")}</row><row r="2">' + " " * 3_000_000,  # white space, no </row>
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>{"甲" * 1_000_000}</t></is></c></row>',  # one giant cell
    ],
    ids=["no-row-end", "giant-cell"],
)
def test_a_row_over_row_kb_is_refused(limits, body):
    limits["row_kb"] = 64
    source = zipped({"xl/worksheets/sheet1.xml": sheet_xml(body)}, xlsx())
    assert len(source.getvalue()) < 20_000
    with quick():
        refused(source, "文件中一行的内容超过64 KB（上限），可能是损坏或恶意的文件，已拒绝", limits)


def test_a_csv_row_over_row_kb_is_refused(limits):
    limits["row_kb"] = 64
    with quick():
        refused(
            io.BytesIO(("名称\n" + "甲" * 100_000 + "\n").encode()),
            "文件中一行的内容超过64 KB（上限）",
            limits,
        )
        # one quoted cell over many short lines is one row
        refused(
            io.BytesIO(('名称\n"' + "乙\n" * 50_000 + '"\n').encode("gb18030")),
            "文件中一行的内容超过64 KB（上限）",
            limits,
        )


def test_a_shared_string_without_its_end_is_refused(limits):
    limits["row_kb"] = 64
    source = zipped(
        {"xl/sharedStrings.xml": f'<sst xmlns="{MAIN}"><si><t>甲</t></si><si><t>' + "乙" * 2_000_000}, xlsx()
    )
    with quick():
        refused(source, "文件中一段文字的内容超过64 KB（上限）", limits)


def test_the_shared_strings_total_is_capped(limits):
    limits["strings_mb"] = 1
    shared = "".join(f"<si><t>湘M{n:05d}</t></si>" for n in range(20_000))  # 20,000 plates: 1.9 MB as str
    refused(
        xlsx('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', shared=shared),
        "文件中的文字超过1 MB（上限）",
        limits,
    )
    limits["strings_mb"] = 4
    source = xlsx('<row r="1"><c r="A1" t="s"><v>19999</v></c></row>', shared=shared)
    assert read(source, limits) == [["湘M19999"]]


def test_a_large_styles_part_is_refused(limits):
    limits["small_part_mb"] = 1
    styles = "<cellXfs>" + '<xf numFmtId="0"/>' * 200_000 + "</cellXfs>"  # 3.4 MB
    source = zipped(
        {"xl/styles.xml": f'<styleSheet xmlns="{MAIN}">{styles}</styleSheet>'},
        xlsx(f'<row r="1">{inline("A1", "名称")}</row>'),
    )
    with quick():
        refused(source, "文件解压后超过1 MB（上限），可能是损坏或恶意的文件，已拒绝", limits)


def test_a_sheet_over_part_mb_is_refused(limits):
    limits["part_mb"] = 2
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 100_000))  # 4.6 MB
    source = zipped({"xl/worksheets/sheet1.xml": sheet_xml(rows)}, xlsx())
    refused(source, "文件解压后超过2 MB（上限）", limits)
    limits["part_mb"] = 5
    assert len(read(source, limits)) == 99_999


def test_the_cells_are_capped(limits):
    limits["cells"] = 1000
    rows = "".join(
        f'<row r="{n}">' + "".join(f'<c r="{c}{n}"><v>1</v></c>' for c in "ABCDEFGHIJ") + "</row>"
        for n in range(1, 200)
    )
    refused(xlsx(rows), "文件中的单元格超过1000个（上限），请把数据分成几个文件分别导入", limits)
    refused(io.BytesIO(("a,b,c,d,e,f,g,h,i,j\n" * 200).encode()), "单元格超过1000个", limits)
    refused(ods_rows([[1] * 10] * 200), "单元格超过1000个", limits)
    refused(xls([("Data", 0, [number(0, 0, 1), number(99, 19, 1)])]), "单元格超过1000个", limits)  # 100 × 20
    limits["cells"] = 2000
    assert len(read(xlsx(rows), limits)) == 199


def test_reading_time_is_capped_but_not_the_callers(limits):
    limits["seconds"] = 0
    refused(make_xlsx([["名称"], ["甲"]]), "读取文件超过0秒（上限）", limits)
    limits["seconds"] = 1
    rows = []
    for row in open_rows(make_xlsx([["名称"], *[[f"甲{n}"] for n in range(5)]]), limits):
        time.sleep(0.3)  # the importer's work between rows is not reading
        rows.append(row)
    assert len(rows) == 6


def test_a_zip_with_a_huge_directory_is_refused(limits):
    limits["small_part_mb"] = 1
    source = zipped({f"xl/media/{n:06d}.bin": b"" for n in range(30_000)}, make_xlsx([["名称"]]))
    refused(source, "文件的压缩目录超过1 MB（上限）", limits)


@pytest.mark.parametrize(
    ("part", "text"),
    [
        ("sheet", "<c>" * 40_000),  # cells never ended
        ("sheet", '<c t="inlineStr"><is>' + "<t>" * 40_000 + "</is></c>"),  # texts never ended
        ("sheet", '<c r="B2" ' + "a" * 60_000 + "><v>1</v></c>"),  # an attribute without its "="
        ("shared", "<si>" * 40_000),  # shared strings never ended, at the end of the part
    ],
    ids=["c", "t", "attribute", "si"],
)
def test_a_file_whose_end_tags_are_missing_is_read_in_linear_time(part, text):
    """A pattern that scans to the end of the text from every start tag takes 30 s to minutes here."""
    sheet = f'<row r="1">{inline("A1", "名称")}</row>' + (
        f'<row r="2">{text}</row>' if part == "sheet" else ""
    )
    source = zipped(
        {
            "xl/worksheets/sheet1.xml": sheet_xml(sheet),
            "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">' + (text if part == "shared" else ""),
        },
        xlsx(),
    )
    with quick(5):
        rows = read(source)
    assert rows[0] == ["名称"] and rows[1:] in ([], [["", 1.0]])


def test_an_ods_that_repeats_a_cell_is_refused_before_calamine(monkeypatch, limits):
    """The 938-byte .ods that took 6 GB: one row of a value repeated 1,000 times, 50,000 times."""
    limits["cells"] = 20_000_000
    monkeypatch.setattr(calaminereader, "CalamineWorkbook", None)  # must not be reached
    source = ods(
        '<table:table table:name="数据"><table:table-row table:number-rows-repeated="50000">'
        '<table:table-cell table:number-columns-repeated="1000" office:value-type="float" office:value="1"/>'
        "</table:table-row></table:table>"
    )
    assert len(source.getvalue()) < 2000
    with quick(1):
        refused(source, "文件中的单元格超过2000万个（上限）", limits)


def test_an_ods_whose_text_repeats_is_refused(limits):
    limits["strings_mb"] = 1
    spaces = '<table:table-cell office:value-type="string"><text:p>甲<text:s text:c="900000000"/></text:p></table:table-cell>'
    refused(
        ods(f'<table:table table:name="数据"><table:table-row>{spaces}</table:table-row></table:table>'),
        "文字超过1 MB",
        limits,
    )
    long = ods_cell("乙" * 1000).replace(
        "<table:table-cell ", '<table:table-cell table:number-columns-repeated="1000" '
    )
    refused(
        ods(f'<table:table table:name="数据"><table:table-row>{long}</table:table-row></table:table>'),
        "文字超过1 MB",
        limits,
    )


READ_IN_A_FRESH_PROCESS = """
import json, sys
from sheets.read import open_rows
from sheets.readers import FileRefused
try:
    list(open_rows(sys.argv[1], json.loads(sys.argv[2])))
except FileRefused as e:
    print(e)
"""


@pytest.mark.parametrize(
    "cells",
    [
        [number(0, 0, 1), number(65535, 255, 1)],  # A1 and IV65536: a rectangle of 16.8 million
        [number(0, 0, 1), number(65535, 65535, 1)],  # a column no Excel has: calamine asks for 137 GB
        [record(0x0200, struct.pack("<IIHHH", 10, 5, 0, 1, 0)), number(0, 0, 1)],  # DIMENSIONS rows 10 to 4
    ],
    ids=["far-corner", "far-column", "dimensions"],
)
def test_an_xls_whose_cells_are_far_apart_is_refused_before_calamine_aborts(cells, tmp_path, limits):
    """Run in a process of its own: were the check missing, calamine would abort the process."""
    path = tmp_path / "hostile.xls"
    path.write_bytes(xls([("Data", 0, cells)]).getvalue())
    limits["cells"] = 10_000_000
    done = subprocess.run(
        [sys.executable, "-c", READ_IN_A_FRESH_PROCESS, str(path), json.dumps(limits)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "文件中的单元格超过1000万个（上限）" in done.stdout


def test_an_xls_formula_is_emptied_but_its_result_kept():
    """calamine renders a formula's tokens as text, which a hostile one makes take minutes; the
    tokens are dropped before calamine reads the file, the result it keeps stays."""
    # An integer, then 6,000 PtgAttrSpace of 255 spaces, each space inserted before the integer:
    # calamine takes half a minute over it.
    tokens = b"\x1e\x01\x00" + b"\x19\x40\x00\xff" * 6000
    formula = struct.pack("<HHHdHIH", 0, 1, 0, 7.0, 0, 0, len(tokens)) + tokens
    source = xls([("Data", 0, [label(0, 0, "名称"), record(0x06, formula)])])
    with quick():
        assert read(source) == [["名称", 7.0]]
