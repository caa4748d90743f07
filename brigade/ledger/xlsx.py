"""Reading and writing ledger workbooks.

Reading takes whatever a clerk was sent, recognised by its content, not its name: an .xlsx
from Excel, WPS or LibreOffice (streamed row by row by brigade.ledger.xlsxreader, so that an
import's memory does not grow with the file), an .xls of Excel 97-2003 or an .ods (python-calamine,
after brigade.ledger.calaminereader has checked what it would cost), or a .csv in UTF-8 or GB18030
(brigade.ledger.csvreader). All read through one Budget (brigade.ledger.readers), so that a
damaged or hostile file is refused quickly, in bounded memory, with a message in Chinese.

Writing uses openpyxl's write-only mode, which streams rows without building a cell tree."""

import contextlib
import datetime
import io
import struct
import zipfile
import zlib
from xml.parsers import expat

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from brigade.ledger import (
    Column,
    DateColumn,
    DateTimeColumn,
    DecimalColumn,
    LookupColumn,
    calaminereader,
    csvreader,
    readers,
    xlsxreader,
)
from brigade.ledger.readers import DAMAGED, FileRefused

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or an empty zip's directory
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
NO_WORKBOOK = "无法读取该 Excel 文件：文件中没有工作簿，可能已损坏或不是电子表格文件"
XLSB = "不支持 Excel 二进制工作簿（.xlsb）：请在 Excel 中另存为 .xlsx 后再导入"

# What a damaged file raises while it is read: a bad zip or deflate stream, XML that does not
# parse, text that does not decode (UnicodeDecodeError is a ValueError) or names an unknown
# encoding (LookupError), a part the workbook names but the zip lacks, zip compression that
# zipfile does not support (NotImplementedError is a RuntimeError), binary records cut short.
_BROKEN = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, LookupError,
    expat.ExpatError, RuntimeError, struct.error,
)  # fmt: skip


def open_rows(source):
    """Yield the first visible sheet's rows as lists of Python values (str, float, bool, date,
    datetime, time, timedelta or ''), the header row first. `source` is a path or a binary file
    object (seekable). A file that cannot or may not be read raises FileRefused.

    The first row yielded is the sheet's row 1 and an empty or missing row comes as an empty
    list, so that counting rows gives the numbers Excel shows; rows are not padded to the
    header's width, and rows after the last one with a value are not yielded. See
    brigade.ledger.xlsxreader for the values; a .csv gives text only."""
    budget = readers.Budget()  # the limits as they are now, for this file
    try:
        with _opened(source) as fh:
            yield from readers.metered(_batches(fh, budget), budget)
    except FileRefused:
        raise
    except _BROKEN:
        raise FileRefused(DAMAGED)


def _opened(source):
    if hasattr(source, "read"):
        source.seek(0)
        return contextlib.nullcontext(source)
    try:
        return open(source, "rb")
    except FileNotFoundError:
        raise FileRefused(f"找不到文件：{source}")
    except OSError:
        raise FileRefused(f"无法打开文件：{source}")


def _batches(fh, budget):
    """The rows in batches (see readers.metered), by what the file's first bytes say it is."""
    head = fh.read(8)
    fh.seek(0)
    if head[:4] in ZIP_MAGIC:
        with readers.open_zip(fh, budget) as zf:
            yield from _zip_batches(zf, budget)
    elif head == calaminereader.OLE_MAGIC:  # an OLE compound file: .xls, or an encrypted .xlsx
        yield from calaminereader.xls_batches(fh, budget)
    else:
        yield from csvreader.csv_batches(fh, budget)


def _zip_batches(zf, budget):
    """An .ods (its mimetype says so), else an .xlsx."""
    names = {name.lower(): name for name in zf.namelist()}
    if "mimetype" in names:
        mimetype = readers.read_member(zf, names["mimetype"], budget, budget.small_part_mb)
        if mimetype.strip().startswith(ODS_MIMETYPE):
            yield from calaminereader.ods_batches(zf, budget)
            return
        raise FileRefused(readers.UNRECOGNISED)  # a text document, a presentation …
    try:
        batches = xlsxreader.sheet_rows(zf, budget)
    except xlsxreader.NotSpreadsheetML:
        raise FileRefused(XLSB if "xl/workbook.bin" in names else NO_WORKBOOK)
    yield from batches


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_NUMBER_FORMATS = {DateColumn: "yyyy-mm-dd", DateTimeColumn: "yyyy-mm-dd hh:mm:ss", DecimalColumn: "0.00"}


def _header_cells(ws, columns):
    cells = []
    for col in columns:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cells.append(cell)
    return cells


def _row_cells(ws, columns, values):
    cells = []
    for col, value in zip(columns, values, strict=True):
        cell = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # text is text: never let a leading '=' become a formula
        fmt = _NUMBER_FORMATS.get(type(col))
        if fmt and value is not None:
            cell.number_format = fmt
        cells.append(cell)
    return cells


def write_workbook(title: str, columns: list[Column], rows) -> bytes:
    """A workbook with one sheet: the header row, then `rows` (iterables of cell values),
    streamed through openpyxl's write-only mode so a large export stays small in memory."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    _widths(ws, columns)
    ws.freeze_panes = "A2"
    ws.append(_header_cells(ws, columns))
    for values in rows:
        ws.append(_row_cells(ws, columns, values))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _widths(ws, columns):
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, len(col.header) * 2.4)


def _choice_lists(wb, ws, columns):
    """Drop-down lists for choice columns; the options live on a hidden sheet because Excel
    caps an inline list at 255 characters."""
    choice_cols = []
    for i, col in enumerate(columns, start=1):
        options = col.choices or (col.choices_for_template if isinstance(col, LookupColumn) else None)
        if options:
            choice_cols.append((i, col, options))
    if not choice_cols:
        return
    lists = wb.create_sheet("选项")
    lists.sheet_state = "hidden"
    for n, (i, col, options) in enumerate(choice_cols, start=1):
        for r, option in enumerate(options, start=1):
            lists.cell(row=r, column=n, value=option)
        letter = get_column_letter(n)
        dv = DataValidation(
            type="list",
            formula1=f"{quote_sheetname('选项')}!${letter}$1:${letter}${len(options)}",
            allow_blank=not col.required,
            showErrorMessage=True,
            errorTitle="不是可选值",
            error=f"{col.header}只能从下拉列表中选择",
        )
        dv.add(f"{get_column_letter(i)}2:{get_column_letter(i)}1048576")
        ws.add_data_validation(dv)


def template_workbook(ledger, brigade) -> bytes:
    """The import template: the header row and drop-downs for choice columns, ready for data.
    How to fill each column (required or not, an example) is on a second sheet, 填写说明, and
    in each header's note: an example row in the data sheet would be imported as a record."""
    columns = ledger.columns_for(brigade)
    wb = Workbook()
    ws = wb.active
    ws.title = ledger.title[:31]
    _widths(ws, columns)
    ws.freeze_panes = "A2"
    headers = _header_cells(ws, columns)
    guide = wb.create_sheet("填写说明")
    guide.append(["列", "是否必填", "示例或可选值"])
    for cell, col in zip(headers, columns, strict=True):
        example = _example(col, key=col.name in ledger.key)
        cell.comment = Comment(f"{'必填' if col.required else '可不填'}；示例：{example}", "台账系统")
        guide.append([col.header, "必填" if col.required else "可不填", example])
    guide.column_dimensions["A"].width, guide.column_dimensions["C"].width = 16, 60
    ws.append(headers)
    _choice_lists(wb, ws, columns)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _example(col, key=False) -> str:
    options = col.choices or (col.choices_for_template if isinstance(col, LookupColumn) else None)
    if options:
        return "、".join(map(str, options[:12])) + ("……" if len(options) > 12 else "")
    value = col.example()
    if isinstance(value, str) and value == col.placeholder:
        return "文字" + ("（同一大队内不能重复）" if key else "")
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return str(value)
