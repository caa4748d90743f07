"""A .csv file: text in UTF-8 (with or without the BOM Excel writes) or GB18030 (what Excel and
WPS write as "CSV" on a Chinese Windows), recognised by decoding it, not by its name.

The whole file is decoded once to choose the encoding (UTF-8 strictly, else GB18030): a guess
from its first bytes would meet a character it cannot decode after rows had been imported. It
is then read a block at a time by the csv module, through lines cut here, so that a line (or a
quoted cell over many lines) longer than row_kb is refused before it is held whole. Every cell
is text, an empty cell "", a row ends with its last non-empty cell, and a row with none is an
empty list, as for the other formats. A file that does not decode, or holds NUL bytes, is not
text; one that starts with "<" is a web page or XML saved as "Excel" by some systems."""

import codecs
import csv

from sheets.readers import UNRECOGNISED, Budget, FileRefused, counted, decoded

BLOCK = 1 << 18
ROWS_PER_BATCH = 2048
ENCODINGS = ("utf-8-sig", "gb18030")  # utf-8-sig reads UTF-8 with or without a BOM
MARKUP = (
    "该文件是网页（HTML）或 XML 格式，不是真正的 Excel 文件（一些系统导出的“Excel”就是这样）："
    "请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
)


def csv_batches(fh, budget: Budget):
    """The rows in batches for readers.metered."""
    encoding = _encoding(fh, budget)
    fh.seek(0)
    lines = _Lines(decoded(_blocks(fh, budget), encoding), budget)
    # The csv module's own cap on a field is process-wide; it is only ever raised, to the row
    # limit, which _Lines enforces for the whole row.
    csv.field_size_limit(max(csv.field_size_limit(), budget.row_chars))
    reader = csv.reader(lines)
    batch, gap, cells = [], 0, 0
    try:
        for row in reader:
            lines.length = 0  # the next row starts
            while row and row[-1] == "":
                row.pop()
            if not row:
                gap += 1
                continue
            if gap:
                batch.append(gap)
                gap = 0
            batch.append(row)
            cells += len(row)
            if len(batch) >= ROWS_PER_BATCH:
                budget.add_cells(cells)
                yield batch
                batch, cells = [], 0
    except csv.Error:
        raise FileRefused(f"无法读取该 CSV 文件：第{reader.line_num}行的格式有误")
    budget.add_cells(cells)
    yield batch


def _blocks(fh, budget: Budget):
    return counted(fh.read, budget, budget.part_mb, BLOCK, "文件")


UTF16 = (
    "这个文件是 UTF-16 编码的文本（Excel 另存为“Unicode 文本”时就是这样），本系统读取 UTF-8 或 GBK（GB18030）编码的 .csv："
    "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”，或直接上传 .xlsx 文件"
)


def _utf16_text(head: bytes) -> bool:
    """The start of a UTF-16 table: it decodes, and has the separators a table's text has."""
    text = head[: len(head) // 2 * 2].decode("utf-16", "replace")
    return "\ufffd" not in text[:-1] and any(sep in text for sep in ",\t\n")


def _encoding(fh, budget: Budget) -> str:
    head = fh.read(BLOCK)
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and _utf16_text(head):
        raise FileRefused(UTF16)
    if b"\0" in head:
        raise FileRefused(UNRECOGNISED)
    for encoding in ENCODINGS:
        fh.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for data in _blocks(fh, budget):
                decoder.decode(data)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if head.decode(encoding, "ignore").lstrip().startswith("<"):
            raise FileRefused(MARKUP)
        return encoding
    raise FileRefused(UNRECOGNISED)


class _Lines:
    """The text's lines, each with its "\\n", for csv.reader; `length` counts the characters of
    the row being read (the caller sets it to 0 when a row is done), refused over row_kb."""

    def __init__(self, texts, budget: Budget):
        self.texts, self.budget, self.length = texts, budget, 0

    def __iter__(self):
        held, check = "", self.budget.row
        for text in self.texts:
            *lines, held = (held + text).split("\n")
            for line in lines:
                self.length += len(line) + 1
                check(self.length)
                yield line + "\n"
            check(self.length + len(held))
        if held:
            yield held
