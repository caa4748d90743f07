"""Reading an uploaded spreadsheet, whatever it is: an .xlsx from Excel, WPS or LibreOffice
(streamed row by row by sheets.xlsxreader, so that memory does not grow with the file), an
.xls of Excel 97-2003 or an .ods (python-calamine, after sheets.calaminereader has checked what
it would cost), or a .csv in UTF-8 or GB18030 (sheets.csvreader), recognised by its content,
not its name. All read through one Budget (sheets.readers), so that a damaged or hostile file
is refused quickly, with a message in Chinese.

The product reads uploads through brigade.ledger.bounded, which runs this in a child process
bounded by the operating system; `open_rows` here reads in the calling process (tests, tools)."""

import contextlib
import struct
import zipfile
import zlib
from xml.parsers import expat

from sheets import calaminereader, csvreader, readers, xlsxreader
from sheets.readers import DAMAGED, FileRefused

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or an empty zip's directory
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
NO_WORKBOOK = "无法读取该 Excel 文件：文件中没有工作簿，可能已损坏或不是电子表格文件"
XLSB = "不支持 Excel 二进制工作簿（.xlsb）：请在 Excel 中另存为 .xlsx 后再导入"

# What a damaged file raises while it is read: a bad zip or deflate stream, XML that does not
# parse, text that does not decode (UnicodeDecodeError is a ValueError) or names an unknown
# encoding (LookupError), a part the workbook names but the zip lacks, zip compression that
# zipfile does not support (NotImplementedError is a RuntimeError), binary records cut short.
BROKEN = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, LookupError,
    expat.ExpatError, RuntimeError, struct.error,
)  # fmt: skip


def open_rows(source, limits: dict, notes: readers.Notes | None = None):
    """Yield the first visible sheet's rows as lists of Python values (str, float, bool, date,
    datetime, time, timedelta or ''), the header row first. `source` is a path or a binary file
    object (seekable); `limits` what reading it may cost (readers.Budget; the product's are
    settings.IMPORT_LIMITS). A file that cannot or may not be read, or would cost more, raises
    FileRefused. `notes`, when given, is filled with what the rows do not show (hidden sheets and
    rows, formulas).

    The first row yielded is the sheet's row 1 and an empty or missing row comes as an empty
    list, so that counting rows gives the numbers Excel shows; rows are not padded to the
    header's width, and rows after the last one with a value are not yielded. See
    sheets.xlsxreader for the values; a .csv gives text only."""
    budget = readers.Budget(limits)
    try:
        with opened(source) as fh:
            yield from readers.metered(batches(fh, budget, notes or readers.Notes()), budget)
    except FileRefused:
        raise
    except BROKEN:
        raise FileRefused(DAMAGED)


def opened(source):
    if hasattr(source, "read"):
        source.seek(0)
        return contextlib.nullcontext(source)
    try:
        return open(source, "rb")
    except FileNotFoundError:
        raise FileRefused(f"找不到文件：{source}")
    except OSError:
        raise FileRefused(f"无法打开文件：{source}")


def batches(fh, budget, notes):
    """The rows in batches (see readers.metered), by what the file's first bytes say it is."""
    head = fh.read(8)
    fh.seek(0)
    if head[:4] in ZIP_MAGIC:
        with readers.open_zip(fh, budget) as zf:
            yield from _zip_batches(zf, budget, notes)
    elif head == calaminereader.OLE_MAGIC:  # an OLE compound file: .xls, or an encrypted .xlsx
        yield from calaminereader.xls_batches(fh, budget, notes)
    else:
        yield from csvreader.csv_batches(fh, budget)


def _zip_batches(zf, budget, notes):
    """An .ods (its mimetype says so), else an .xlsx."""
    names = {name.lower(): name for name in zf.namelist()}
    if "mimetype" in names:
        mimetype = readers.read_member(zf, names["mimetype"], budget, budget.small_part_mb)
        if mimetype.strip().startswith(ODS_MIMETYPE):
            yield from calaminereader.ods_batches(zf, budget, notes)
            return
        raise FileRefused(readers.UNRECOGNISED)  # a text document, a presentation …
    try:
        found = xlsxreader.sheet_rows(zf, budget, notes)
    except xlsxreader.NotSpreadsheetML:
        raise FileRefused(XLSB if "xl/workbook.bin" in names else NO_WORKBOOK)
    yield from found
