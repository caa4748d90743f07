"""What the readers of uploaded files share: the refusal, and the limits on what reading one file
may cost.

A clerk's file may be damaged or hostile: a 1 KB zip can expand to gigabytes, a row can lack its
end, an .ods can repeat one cell a billion times, and an .xls can name a cell so far away that
python-calamine asks for 137 GB at once and aborts the process. So every reader reads through a
Budget made from the limits its caller passes (the product's are settings.IMPORT_LIMITS):
decompressed bytes, rows, text and cells are counted as they are read (or, for python-calamine,
counted before it is handed the file), the reader's own time is clocked, and going over any
limit refuses the file with a message that names the limit. The counting is done per block of
input, never per cell, so that it costs nothing measurable on a 500,000-row file; only the text
given out is measured cell by cell, a batch at a time, because what is stored is every cell's
text, however often a file names one shared string.

These counts are the fast first checks. Behind them, every upload is read in a child process
that the operating system bounds (brigade.ledger.bounded): what a count does not foresee cannot
grow the web worker or the import worker. Nothing in this package imports Django or the rest of
the project, so that the child starts in a fraction of a second; the limits are passed to it."""

import codecs
import struct
import time
import zipfile
from dataclasses import dataclass, field
from xml.parsers import expat


class FileRefused(Exception):
    """The whole file is refused (unreadable, not a spreadsheet, bad headers, over a limit); the
    message, in Chinese, says why and is shown to the clerk as it is."""


DAMAGED = "无法读取该 Excel 文件，文件可能已损坏：请在 Excel 或 WPS 中打开并另存为 .xlsx 后再导入"
ENCRYPTED = "文件已加密，请取消密码后再导入"
UNRECOGNISED = "文件格式无法识别：请上传 .xlsx、.xls、.ods 或 .csv 文件"
HOSTILE = "可能是损坏或恶意的文件，已拒绝"
NO_SHEET = "工作簿中没有工作表，或所有工作表都已隐藏"
CELL_CHARS = 32_767  # the most text an Excel cell can hold


def _count(n: int) -> str:
    """20000000 → "2000万": how the messages write large counts."""
    return f"{n // 10000}万" if n >= 10000 and n % 10000 == 0 else str(n)


class Budget:
    """What reading one file may still cost, within `limits`: the caller's (the product passes
    settings.IMPORT_LIMITS as they are when the file is opened, so that a deployment or a test can
    change them without a restart; the parent process passes them on to the child that reads)."""

    def __init__(self, limits: dict):
        self.part_mb = limits["part_mb"]
        self.small_part_mb = limits["small_part_mb"]
        self.row_kb = limits["row_kb"]
        self.strings_mb = limits["strings_mb"]
        self.max_cells = limits["cells"]
        self.seconds = limits["seconds"]
        self.max_text = limits.get("text_chars", 50_000_000)
        self.row_chars = self.row_kb << 10
        self.cells = 0  # cells read (or that python-calamine will hold)
        self.text = 0  # characters of text given out, every cell counted (a shared string each time)
        self.strings = 0  # bytes of text held for the whole file (shared strings, calamine's copies)
        self.spent = 0.0  # seconds of reading before the current stretch
        self.since = None  # when the current stretch of reading began; None while the caller works

    def part(self, total: int, limit_mb: int, what: str = "文件解压后") -> None:
        """`total` bytes of one part (decompressed, or of a stream read whole) so far."""
        if total > limit_mb << 20:
            raise FileRefused(f"{what}超过{limit_mb} MB（上限），{HOSTILE}")

    def row(self, length: int, what: str = "一行") -> None:
        """`length` characters of one row (or one text) not yet ended."""
        if length > self.row_chars:
            raise FileRefused(f"文件中{what}的内容超过{self.row_kb} KB（上限），{HOSTILE}")

    def add_strings(self, nbytes: int) -> None:
        self.strings += nbytes
        if self.strings > self.strings_mb << 20:
            raise FileRefused(f"文件中的文字超过{self.strings_mb} MB（上限），文件过大或已损坏，已拒绝")

    def add_text(self, n: int) -> None:
        self.text += n
        if self.text > self.max_text:
            raise FileRefused(
                f"文件中的文字超过{_count(self.max_text)}字（上限；每个单元格都计算在内，"
                f"同一段文字被多个单元格引用时按引用次数计算），文件过大或是恶意构造的，已拒绝"
            )

    def add_cells(self, n: int) -> None:
        self.cells += n
        if self.cells > self.max_cells:
            raise FileRefused(
                f"文件中的单元格超过{_count(self.max_cells)}个（上限），请把数据分成几个文件分别导入"
            )

    def resume(self) -> None:
        self.since = time.monotonic()

    def pause(self) -> None:
        self.tick()
        self.spent += time.monotonic() - self.since
        self.since = None

    def tick(self) -> None:
        """Called by the readers once per block: refuses the file once reading it has taken
        longer than the limit (the time the caller spends on the rows is not counted)."""
        if self.since is not None and self.spent + time.monotonic() - self.since > self.seconds:
            raise FileRefused(f"读取文件超过{self.seconds}秒（上限），文件过大或已损坏，已拒绝")


def column_letters(index: int) -> str:
    """0 → "A", 26 → "AA": the letters of a column index."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def text_of(batch, budget: Budget, first: int) -> int:
    """The characters of text in `batch` (rows as lists, ints for empty rows, the first of them
    row `first`), counted against the budget cell by cell: a cell that names one shared string
    of 900,000 characters 300 times is 270 million characters once stored. A cell longer than
    Excel allows refuses the file, naming it. Returns the count."""
    texts = [c for row in batch if row.__class__ is list for c in row if c.__class__ is str]
    total = sum(map(len, texts))
    if total > CELL_CHARS and max(map(len, texts)) > CELL_CHARS:
        number = first
        for row in batch:
            if row.__class__ is int:
                number += row
                continue
            for index, cell in enumerate(row):
                if cell.__class__ is str and len(cell) > CELL_CHARS:
                    raise FileRefused(
                        f"第{number}行{column_letters(index)}列单元格的文字有{len(cell)}个字符，超过一格最多"
                        f"{CELL_CHARS}个字符（Excel 的上限），文件可能已损坏或是恶意构造的，已拒绝"
                    )
            number += 1
    budget.add_text(total)
    return total


def rows_in(batch) -> int:
    """How many sheet rows `batch` covers (an int n stands for n empty rows)."""
    gaps = [row for row in batch if row.__class__ is int]
    return len(batch) - len(gaps) + sum(gaps)


@dataclass
class Notes:
    """What the clerk does not see in the rows: a first sheet skipped because it is hidden, rows
    hidden in the sheet, formulas whose saved result is what is read. Positions are the sheet's
    (row numbers as Excel shows them, column indexes from 0); a few are kept, all are counted."""

    KEPT = 200

    sheet: str = ""  # the name of the sheet read
    skipped: list = field(default_factory=list)  # hidden sheets before it, by name
    active: str = ""  # the sheet the workbook opens on (its active tab), when it is another one
    hidden_rows: list = field(default_factory=list)  # row numbers (with a value)
    hidden_row_count: int = 0
    hidden_columns: list = field(default_factory=list)  # column indexes
    formulas: list = field(default_factory=list)  # (row, column, formula text or "", saved result)
    formula_count: int = 0

    def hidden_row(self, number: int) -> None:
        self.hidden_row_count += 1
        if len(self.hidden_rows) < self.KEPT:
            self.hidden_rows.append(number)

    def formula(self, row: int, column: int, text: str, value) -> None:
        self.formula_count += 1
        if len(self.formulas) < self.KEPT:
            self.formulas.append((row, column, text[:200], value))

    def as_tuple(self) -> tuple:
        """Plain values only, to be passed from the child that reads the file."""
        return (
            self.sheet,
            list(self.skipped),
            list(self.hidden_rows),
            self.hidden_row_count,
            sorted(self.hidden_columns)[: self.KEPT],
            list(self.formulas),
            self.formula_count,
            self.active,
        )

    @classmethod
    def from_tuple(cls, values) -> "Notes":
        sheet, skipped, rows, row_count, columns, formulas, formula_count, active = values
        return cls(
            str(sheet),
            [str(s) for s in skipped],
            str(active),
            [int(r) for r in rows],
            int(row_count),
            [int(c) for c in columns],
            [tuple(f) for f in formulas],
            int(formula_count),
        )

    def active_sheet(self) -> str | None:
        """The preview's word when the workbook opens on a sheet other than the one read: the
        clerk saw that sheet last, the first visible one is what is imported (docs/imports.md)."""
        if not self.active or self.active == self.sheet:
            return None
        return (
            f"打开这个文件时显示的是工作表「{self.active}」，但本系统只读第一张可见的工作表，读取的是「{self.sheet}」。"
            f"如果要导入的是「{self.active}」，请在 Excel 或 WPS 中把它拖到最前面（或删除前面的工作表），保存后重新上传"
        )


def metered(batches, budget: Budget):
    """The rows of `batches`, lists in which a row is a list and an int n stands for n empty
    rows. Only the time spent making each batch is clocked: the importer validates and writes
    the rows between batches, and a slow database must not make a good file too slow to read.
    The text of each batch is counted (`text_of`) before its rows are given out."""
    number = 1
    while True:
        budget.resume()
        batch = next(batches, None)
        budget.pause()
        if batch is None:
            return
        text_of(batch, budget, number)
        number += rows_in(batch)
        for row in batch:
            if row.__class__ is int:
                for _ in range(row):
                    yield []
            else:
                yield row


def counted(read, budget: Budget, limit_mb: int, size: int, what: str = "文件解压后"):
    """The bytes `read(size)` gives, a block at a time, counted against `limit_mb`; the clock
    is checked once per block."""
    total = 0
    while data := read(size):
        total += len(data)
        budget.part(total, limit_mb, what)
        budget.tick()
        yield data


def member_blocks(zf, name: str, budget: Budget, limit_mb: int, size: int):
    """A zip member's bytes, decompressed `size` bytes at a time and counted against
    `limit_mb`: the size the zip declares is not trusted (a zip bomb declares what it likes)."""
    if zf.getinfo(name).flag_bits & 0x1:
        raise FileRefused(ENCRYPTED)
    with zf.open(name) as raw:
        yield from counted(raw.read, budget, limit_mb, size)


def read_member(zf, name: str, budget: Budget, limit_mb: int) -> bytes:
    """A whole zip member, within `limit_mb` (for the small parts a reader needs at once)."""
    return b"".join(member_blocks(zf, name, budget, limit_mb, 1 << 16))


def decoded(blocks, encoding: str):
    """Text from byte blocks, decoded strictly as `encoding`, with line ends normalised to \\n
    as an XML parser does (and as the csv module needs for a file from an old Mac); a \\r
    ending a block waits for the next."""
    decoder = codecs.getincrementaldecoder(encoding)()
    held = ""
    for data in blocks:
        text = held + decoder.decode(data)
        held = ""
        if "\r" in text:
            if text[-1] == "\r":
                text, held = text[:-1], "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if text:
            yield text
    text = held + decoder.decode(b"", final=True)
    if text:
        yield text.replace("\r", "\n")


def _no_doctype(*args):
    raise FileRefused(f"文件中含有文档类型声明（DOCTYPE），电子表格文件不会有，{HOSTILE}")


def xml_parser(namespaces: bool):
    """An expat parser that refuses a DOCTYPE: no spreadsheet part has one, and it is where
    entity bombs live. With `namespaces`, names come as "uri}local"."""
    parser = expat.ParserCreate(namespace_separator="}" if namespaces else None)
    parser.StartDoctypeDeclHandler = _no_doctype
    return parser


def start_tags(blocks):
    """(depth, local name, attributes by local name) of each start tag of an XML part, the root
    at depth 0, parsed a block at a time without building a tree: a tree of 16 MB of tiny
    elements would take gigabytes."""
    parser = xml_parser(namespaces=True)
    found, depth = [], [0]

    def start(name, attrs):
        found.append((depth[0], name.rpartition("}")[2], {k.rpartition("}")[2]: v for k, v in attrs.items()}))
        depth[0] += 1

    def end(name):
        depth[0] -= 1

    parser.StartElementHandler, parser.EndElementHandler = start, end
    for data in blocks:
        parser.Parse(data, False)
        yield from found
        found.clear()
    parser.Parse(b"", True)
    yield from found


def open_zip(fh, budget: Budget) -> zipfile.ZipFile:
    """A zip archive, once its central directory, which zipfile reads whole (at some 500 bytes
    of memory an entry), is known to be within the small parts' limit."""
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(size - min(size, 22 + 0xFFFF))  # the end record, and the comment that may follow it
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if 0 <= at <= len(tail) - 22:
        directory = struct.unpack_from("<I", tail, at + 12)[0]
        if (
            directory == 0xFFFFFFFF and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07"
        ):  # zip64's end record
            fh.seek(struct.unpack_from("<Q", tail, at - 12)[0])
            record = fh.read(56)
            if record[:4] == b"PK\x06\x06":
                directory = struct.unpack_from("<Q", record, 40)[0]
        budget.part(directory, budget.small_part_mb, "文件的压缩目录")
    fh.seek(0)
    return zipfile.ZipFile(fh)
