"""Reading and writing ledger workbooks.

Reading uses python-calamine (Rust), about ten times faster than openpyxl's read-only mode;
writing uses openpyxl's write-only mode, which streams rows without building a cell tree."""

import io
import zipfile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from brigade.ledger import Column, DateColumn, DateTimeColumn, DecimalColumn, LookupColumn

XLSX_MAGIC = b"PK\x03\x04"


class FileRefused(Exception):
    """The whole file is refused (not .xlsx, bad headers, too large); the message says why."""


def open_rows(source):
    """Yield the first sheet's rows as lists of Python values (str, float, int, bool, date,
    datetime or ''), the header row first. `source` is a path or a binary file object."""
    try:
        if hasattr(source, "read"):
            source.seek(0)
            head = source.read(4)
            source.seek(0)
            if head != XLSX_MAGIC:
                raise FileRefused(
                    "文件不是 .xlsx 格式的 Excel 工作簿，请用 Excel 或 WPS 另存为 .xlsx 后再导入"
                )
            book = CalamineWorkbook.from_filelike(source)
        else:
            with open(source, "rb") as fh:
                if fh.read(4) != XLSX_MAGIC:
                    raise FileRefused(
                        "文件不是 .xlsx 格式的 Excel 工作簿，请用 Excel 或 WPS 另存为 .xlsx 后再导入"
                    )
            book = CalamineWorkbook.from_path(str(source))
        if not book.sheet_names:
            raise FileRefused("工作簿中没有工作表")
        sheet = book.get_sheet_by_index(0)
        yield from sheet.iter_rows()
    except FileRefused:
        raise
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise FileRefused(f"无法读取该 Excel 文件（{e.__class__.__name__}），文件可能已损坏")
    except Exception as e:  # calamine's own errors (XmlError, ZipError …) share no base class
        if type(e).__module__.startswith("python_calamine"):
            raise FileRefused(f"无法读取该 Excel 文件：{e}")
        raise


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
    """The import template: header row, one example row, drop-downs for choice columns."""
    columns = ledger.columns_for(brigade)
    example = []
    for col in columns:
        if isinstance(col, LookupColumn):
            example.append((col.choices_for_template or [None])[0])
        else:
            example.append(col.example() if col.required else None)
    wb = Workbook()
    ws = wb.active
    ws.title = ledger.title[:31]
    _widths(ws, columns)
    ws.freeze_panes = "A2"
    ws.append(_header_cells(ws, columns))
    ws.append(_row_cells(ws, columns, example))
    _choice_lists(wb, ws, columns)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
