"""Reading and writing ledger workbooks.

Reading is the sheets package's (sheets.read.open_rows): whatever a clerk was sent, an .xlsx,
.xls, .ods or .csv, recognised by its content, every reader bounded by one Budget. The importer
reads through brigade.ledger.bounded, which runs it in a child process that the operating system
bounds; `open_rows` here reads in the calling process, within settings.IMPORT_LIMITS.

Writing uses openpyxl's write-only mode, which streams rows without building a cell tree."""

import datetime
import io

from django.conf import settings
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from brigade.ledger import LookupColumn
from brigade.ledger.columns import TEXT_EXAMPLE
from sheets import read
from sheets.read import NO_WORKBOOK, XLSB  # noqa: F401 — named here too
from sheets.readers import DAMAGED, FileRefused  # noqa: F401


def open_rows(source, notes=None):
    """sheets.read.open_rows within settings.IMPORT_LIMITS as they are now (tools and tests; the
    product reads uploads through brigade.ledger.bounded)."""
    return read.open_rows(source, settings.IMPORT_LIMITS, notes)


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _header_cells(ws, columns):
    cells = []
    for col in columns:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cells.append(cell)
    return cells


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
    if value == TEXT_EXAMPLE:
        return "文字" + ("（同一大队内不能重复）" if key else "")
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return str(value)
