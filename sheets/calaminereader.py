""".xls and .ods, read by python-calamine once it is known what reading them will cost.

python-calamine parses every sheet of an .xls or .ods when it opens the file and holds each as a
rectangle from its first to its last cell, so that a small file can ask for any amount of memory
(an .xls naming cells A1 and a far corner asks for 137 GB at once, and the process aborts; an
.ods repeating one row 50,000 times and a cell 1,000 times in it took 6 GB), and a formula's
tokens can make it spin for minutes. It cannot be stopped once it has started, so its input is
measured first, the way it will read it, and charged to the Budget (sheets.readers):

- .xls: the workbook stream is taken out of its OLE container and its records walked as
  calamine walks them (xls.rs): the rectangle of each sheet's cells (and the room a DIMENSIONS
  record makes it reserve), and the text of every cell that names a shared string (each gets
  its own copy). Formulas are emptied (their results are kept), and calamine reads a new
  container holding that one stream, so that what it reads is exactly what was measured.
- .ods: content.xml is streamed through expat, repeats counted as calamine expands them (a cell
  or row with no value repeated to the end of the sheet, as LibreOffice writes, costs nothing),
  and calamine reads a new zip holding just the parts it needs, copied from the ones measured.

The sheet read is the first visible worksheet. Rows are given in sheet coordinates, as the .xlsx
reader gives them: calamine's rows start at the first cell's column and are padded to the
rectangle's width, so the empty columns before it are put back and the padding after each row's
last value is dropped; whole numbers come as float.

What calamine's values do not show is found on the same walk and noted (readers.Notes): the
hidden sheets before the one read (calamine's metadata), hidden rows and columns (.xls: ROW and
COLINFO records; .ods: table:visibility) and formulas (.xls: FORMULA records; .ods:
table:formula, with its text), each formula with the saved result that is read for it."""

import bisect
import struct
import tempfile
import zipfile
from dataclasses import dataclass, field

from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

from sheets.readers import (
    DAMAGED,
    ENCRYPTED,
    HOSTILE,
    NO_SHEET,
    UNRECOGNISED,
    Budget,
    FileRefused,
    Notes,
    member_blocks,
    read_member,
    xml_parser,
)

BLOCK = 1 << 18  # bytes of content.xml decompressed at a time
ROWS_PER_BATCH = 2048
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # where calamine stops an .ods's repeats


@dataclass
class _Marks:
    """What one sheet's records say that its values do not: formulas (row, column, text) and
    hidden rows (as ranges) and columns, a bounded number of each kept, the formulas counted."""

    formulas: list = field(default_factory=list)
    formula_count: int = 0
    hidden: list = field(default_factory=list)  # (first row, rows), in order; row numbers from 1
    columns: list = field(default_factory=list)

    def formula(self, row: int, column: int, text: str = "") -> None:
        self.formula_count += 1
        if len(self.formulas) < Notes.KEPT:
            self.formulas.append((row, column, text))

    def hide_rows(self, first: int, count: int) -> None:
        if len(self.hidden) < 4 * Notes.KEPT:
            self.hidden.append((first, count))

    def hide_columns(self, first: int, count: int) -> None:
        self.columns += range(first, first + min(count, Notes.KEPT - len(self.columns)))


def xls_batches(fh, budget: Budget, notes: Notes | None = None):
    """An Excel 97-2003 workbook (or another OLE container, refused)."""
    marks = []
    stream = _measured(_Compound(fh).workbook(budget), budget, marks)
    with tempfile.NamedTemporaryFile(suffix=".xls") as copy:  # calamine knows the format by the suffix
        _write_container(copy, stream)
        del stream
        yield from _sheet_batches(copy.name, notes or Notes(), marks)


def ods_batches(zf: zipfile.ZipFile, budget: Budget, notes: Notes | None = None):
    """An OpenDocument spreadsheet (LibreOffice, WPS, Excel's "Save as .ods")."""
    names = {name.lower(): name for name in zf.namelist()}
    manifest, content = names.get("meta-inf/manifest.xml"), names.get("content.xml")
    if content is None:
        raise FileRefused(DAMAGED)
    if manifest and b"encryption-data" in read_member(zf, manifest, budget, budget.small_part_mb):
        raise FileRefused(ENCRYPTED)
    with tempfile.NamedTemporaryFile(suffix=".ods") as copy:
        with zipfile.ZipFile(copy, "w") as out:
            out.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
            out.writestr("META-INF/manifest.xml", _MANIFEST)
            with out.open("content.xml", "w", force_zip64=True) as written:
                marks = _measure_content(
                    member_blocks(zf, content, budget, budget.part_mb, BLOCK), written, budget
                )
        copy.flush()
        yield from _sheet_batches(copy.name, notes or Notes(), marks)


_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


# ── calamine ───────────────────────────────────────────────────────────────────────────────────


def _sheet_batches(path: str, notes: Notes, marks: list):
    """The first visible worksheet's rows, in batches for readers.metered; `marks` are each
    sheet's (_Marks), in the workbook's order, noted for the sheet read."""
    try:
        book = CalamineWorkbook.from_path(path)
        metadata = book.sheets_metadata
        visible = [
            i
            for i, sheet in enumerate(metadata)
            if sheet.visible == SheetVisibleEnum.Visible and sheet.typ == SheetTypeEnum.WorkSheet
        ]
        sheet = book.get_sheet_by_index(visible[0]) if visible else None
        if visible:
            notes.sheet = metadata[visible[0]].name
            notes.skipped += [s.name for s in metadata[: visible[0]] if s.visible != SheetVisibleEnum.Visible]
    except PasswordError:
        raise FileRefused(ENCRYPTED)
    except CalamineError:
        raise FileRefused(DAMAGED)
    except BaseException as e:  # a panic in calamine's Rust, on a record it does not expect
        if type(e).__module__ == "pyo3_runtime":
            raise FileRefused(DAMAGED)
        raise
    if sheet is None:
        raise FileRefused(NO_SHEET)
    if sheet.start is None:
        return  # an empty sheet (whose iter_rows would panic)
    mark = marks[visible[0]] if visible[0] < len(marks) else _Marks()
    notes.hidden_columns += mark.columns
    notes.formula_count = mark.formula_count
    formulas = {}  # row → [(column, text)] of the formulas kept
    for row, column, text in mark.formulas:
        formulas.setdefault(row, []).append((column, text))
    hidden = sorted(mark.hidden)
    starts = [first for first, _ in hidden]
    pad = [""] * sheet.start[1]
    batch, gap = [], 0  # gap: empty rows before the next row with a value
    # from row 1 (empty up to the first cell), from the first cell's column
    for number, values in enumerate(sheet.iter_rows(), start=1):
        while values and values[-1] == "":
            values.pop()
        if not values:
            gap += 1
            continue
        if gap:
            batch.append(gap)
            gap = 0
        row = pad + [float(v) if v.__class__ is int else v for v in values]
        batch.append(row)
        if number in formulas:
            for column, text in formulas.pop(number):
                notes.formulas.append((number, column, text[:200], row[column] if column < len(row) else ""))
        if hidden:
            at = bisect.bisect_right(starts, number) - 1
            if at >= 0 and number < hidden[at][0] + hidden[at][1]:
                notes.hidden_row(number)
        if len(batch) >= ROWS_PER_BATCH:
            yield batch
            batch = []
    yield batch


# ── .xls ───────────────────────────────────────────────────────────────────────────────────────

END_OF_CHAIN, FREE, FAT_SECTOR, NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class _Compound:
    """An OLE compound file [MS-CFB], read just far enough to take out the workbook stream: the
    container of an .xls, and (with an EncryptedPackage stream) of an .xlsx with a password."""

    def __init__(self, fh):
        self.fh = fh
        fh.seek(0, 2)
        size = fh.tell()
        if size < 1024:
            raise FileRefused(DAMAGED)
        header = self._read(0, 512)
        shift, mini_shift = struct.unpack_from("<HH", header, 30)
        if header[:8] != OLE_MAGIC or shift not in (9, 12) or mini_shift != 6:
            raise FileRefused(DAMAGED)
        self.sector = 1 << shift
        self.count = (size + self.sector - 1) // self.sector - 1  # sectors after the header's
        n_fat, first_dir, _, self.mini_cutoff, first_mini_fat, _, first_difat, n_difat = struct.unpack_from(
            "<8I", header, 44
        )
        difat = list(struct.unpack_from("<109I", header, 76))
        sector = first_difat
        for _ in range(min(n_difat, self.count)):
            if sector >= END_OF_CHAIN:
                break
            entries = struct.unpack(f"<{self.sector // 4}I", self._sector(sector))
            difat += entries[:-1]
            sector = entries[-1]
        if n_fat > min(len(difat), self.count):
            raise FileRefused(DAMAGED)
        self.fat = b"".join(self._sector(s) for s in difat[:n_fat])
        self.fat = struct.unpack(f"<{len(self.fat) // 4}I", self.fat)
        directory = b"".join(self._sector(s) for s in self._chain(first_dir, self.fat))
        self.entries = [
            (
                directory[at : at + 64].decode("utf-16-le", "replace")[: max(0, length // 2 - 1)],
                kind,
                start,
                low if self.sector == 512 else low | high << 32,  # version 3 leaves the high half unused
            )
            for at in range(0, len(directory) - 127, 128)
            for length, kind, start, low, high in [struct.unpack_from("<HB49xIII", directory, at + 64)]
        ]
        if not self.entries:
            raise FileRefused(DAMAGED)
        self.first_mini_fat = first_mini_fat

    def _read(self, offset: int, size: int) -> bytes:
        self.fh.seek(offset)
        return self.fh.read(size).ljust(size, b"\0")  # a last sector cut short reads as zeros

    def _sector(self, sector: int) -> bytes:
        if sector >= self.count:
            raise FileRefused(DAMAGED)
        return self._read((sector + 1) * self.sector, self.sector)

    @staticmethod
    def _chain(start: int, fat) -> list[int]:
        """The sectors of a chain; one that loops or leaves the table is refused."""
        chain = []
        while start != END_OF_CHAIN:
            if start >= len(fat) or len(chain) >= len(fat):
                raise FileRefused(DAMAGED)
            chain.append(start)
            start = fat[start]
        return chain

    def workbook(self, budget: Budget) -> bytes:
        """The workbook stream, under the name calamine looks for first."""
        by_name = {}
        for name, kind, start, size in self.entries:
            by_name.setdefault(name, (kind, start, size))
        if "EncryptedPackage" in by_name or "EncryptionInfo" in by_name:
            raise FileRefused(ENCRYPTED)
        found = next((by_name[n] for n in ("Workbook", "Book", "WORKBOOK", "BOOK") if n in by_name), None)
        if found is None or found[0] != 2:
            raise FileRefused(UNRECOGNISED)  # a Word or PowerPoint 97-2003 file, say
        _, start, size = found
        budget.part(size, budget.part_mb, "文件中的工作簿数据")
        if size >= self.mini_cutoff:
            data = b"".join(self._sector(s) for s in self._chain(start, self.fat))
        else:  # a small stream lives in 64-byte pieces of the root entry's stream
            _, _, root_start, _ = self.entries[0]
            mini = b"".join(self._sector(s) for s in self._chain(root_start, self.fat))
            mini_fat = b"".join(self._sector(s) for s in self._chain(self.first_mini_fat, self.fat))
            mini_fat = struct.unpack(f"<{len(mini_fat) // 4}I", mini_fat)
            data = b"".join(mini[s * 64 : s * 64 + 64] for s in self._chain(start, mini_fat))
        if len(data) < size:
            raise FileRefused(DAMAGED)
        return data[:size]


# BIFF record types (MS-XLS 2.3).
_EOF, _BOF, _FILEPASS, _BOUNDSHEET, _SST, _CONTINUE, _DIMENSIONS = (
    0x0A,
    0x0809,
    0x2F,
    0x85,
    0xFC,
    0x3C,
    0x0200,
)
_FORMULA, _LABELSST, _MULRK, _ROW, _COLINFO = 0x06, 0xFD, 0xBD, 0x0208, 0x7D
_CELLS = {0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, _LABELSST, _FORMULA}  # number, label, rstring, boolerr, rk
_HEADER = struct.Struct("<HH")
FORMULA_TEXT = 100  # bytes: the text calamine makes of an emptied formula ("Unrecognised formula …")


def _records(stream: bytes, pos: int):
    """(type, start, end) of each record from `pos`; a record cut short is a damaged file."""
    unpack, size = _HEADER.unpack_from, len(stream)
    while pos + 4 <= size:
        kind, length = unpack(stream, pos)
        start, pos = pos + 4, pos + 4 + length
        if pos > size:
            raise FileRefused(DAMAGED)
        yield kind, start, pos


def _measured(stream: bytes, budget: Budget, marks: list) -> bytearray:
    """The workbook stream with its formulas emptied, once what calamine will hold for it
    (every sheet: it reads them all) is within the budget; each sheet's _Marks appended to
    `marks`."""
    stream = bytearray(stream)
    sheets, strings = [], []  # where each sheet's records start; each shared string's length
    table = None  # the shared string table's parts: the record after its counts, CONTINUE records
    for kind, start, end in _records(stream, 0):
        if table is not None and kind == _CONTINUE:
            table.append(stream[start:end])
            continue
        if table is not None:
            strings, table = _string_lengths(table), None
        if kind == _FILEPASS:
            raise FileRefused(ENCRYPTED)
        if kind == _BOUNDSHEET:
            sheets.append(struct.unpack_from("<I", stream, start)[0])
        elif kind == _SST:
            table = [stream[start + 8 : end]]
        elif kind == _EOF:
            break
    if table is not None:
        strings = _string_lengths(table)
    for pos in sheets:
        if pos >= len(stream):
            raise FileRefused(DAMAGED)
        mark = _Marks()
        marks.append(mark)
        cells, text = _sheet_cost(stream, pos, strings, budget, mark)
        budget.add_cells(cells)
        budget.add_strings(text)
    return stream


def _string_lengths(parts: list) -> list[int]:
    """The length in UTF-8 bytes (at most) of each string of the shared string table, walked as
    calamine reads it (read_rich_extended_string): characters split across CONTINUE records
    start again with a byte saying whether they take one byte or two."""
    lengths = []
    parts = iter(parts)
    data, at = next(parts), 0
    while True:
        if at >= len(data):
            data, at = next(parts, None), 0
            if data is None:
                return lengths
            continue
        count, flags = struct.unpack_from("<HB", data, at)
        at += 3
        runs = extra = 0
        if flags & 0x8:
            runs = struct.unpack_from("<H", data, at)[0]
            at += 2
        if flags & 0x4:
            extra = struct.unpack_from("<i", data, at)[0]
            at += 4
        if extra < 0:
            raise FileRefused(DAMAGED)
        width, left = 2 if flags & 0x1 else 1, count
        while left:
            n = min(left, (len(data) - at) // width)
            at, left = at + n * width, left - n
            if left:
                data = next(parts, b"")
                if not data:
                    raise FileRefused(DAMAGED)
                width, at = 2 if data[0] & 0x1 else 1, 1
        skip = 4 * runs + extra  # formatting runs and phonetic data
        while skip:
            if at >= len(data):
                data, at = next(parts, b""), 0
                if not data:
                    raise FileRefused(DAMAGED)
            step = min(skip, len(data) - at)
            at, skip = at + step, skip - step
        lengths.append(3 * count)


def _sheet_cost(
    stream: bytearray, pos: int, strings: list[int], budget: Budget, mark: _Marks
) -> tuple[int, int]:
    """(cells, bytes of text) calamine will hold for the sheet whose records start at `pos`:
    the rectangle from its first to its last cell, or the room its DIMENSIONS record reserves if
    larger; a copy of the shared string each LABELSST cell names. Formulas are emptied on the
    way: their tokens could make calamine's text of them take minutes or gigabytes."""
    top = left = 1 << 32
    bottom = right = -1
    reserved = text = 0
    depth, seen_bof, unpack = 0, False, struct.unpack_from
    for n, (kind, start, end) in enumerate(_records(stream, pos)):
        if n & 0xFFFF == 0:
            budget.tick()
        if depth:  # an embedded chart's records, which calamine skips
            depth += kind == _BOF
            depth -= kind == _EOF
            continue
        if kind in _CELLS:
            row, col = unpack("<HH", stream, start)
            last = col
            if kind == _LABELSST:
                index = unpack("<I", stream, start + 6)[0]
                text += strings[index] if index < len(strings) else 0
            elif kind == _FORMULA:
                if end - start < 22:
                    raise FileRefused(DAMAGED)  # calamine would panic reading its tokens
                stream[start + 20 : start + 22] = b"\0\0"  # no tokens; the result stays
                text += FORMULA_TEXT
                mark.formula(row + 1, col)
        elif kind == _MULRK:
            row, col = unpack("<HH", stream, start)
            last = max(col, unpack("<H", stream, end - 2)[0])
        elif kind == _BOF:
            depth, seen_bof = depth + seen_bof, True
            continue
        elif kind == _DIMENSIONS:
            reserved = max(reserved, _reserved(stream[start:end]))
            continue
        elif kind == _ROW and end - start >= 14:
            if unpack("<H", stream, start + 12)[0] & 0x20:  # fDyZero: the row is hidden
                mark.hide_rows(unpack("<H", stream, start)[0] + 1, 1)
            continue
        elif kind == _COLINFO and end - start >= 10:
            first, last = unpack("<HH", stream, start)
            if unpack("<H", stream, start + 8)[0] & 0x1 and last >= first:  # fHidden
                mark.hide_columns(first, last - first + 1)
            continue
        elif kind == _EOF:
            break
        else:
            continue
        top, bottom, left, right = min(top, row), max(bottom, row), min(left, col), max(right, last)
    cells = (bottom - top + 1) * (right - left + 1) if bottom >= 0 else 0  # calamine's from_sparse
    return max(cells, reserved), text


def _reserved(data: bytes) -> int:
    """The cells calamine reserves for a DIMENSIONS record (parse_dimensions), in its unsigned
    32-bit arithmetic: a last row before the first wraps round to four billion."""
    if len(data) == 10:
        first_row, last_row, first_col, last_col = struct.unpack_from("<4H", data)
    elif len(data) == 14:
        first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", data)
    else:
        return 0  # calamine refuses the file
    if first_col > 0xFF or last_col < first_col:
        first_col = 0
    if last_row < 1 or last_col < 1:
        return 1
    return ((last_row - first_row) % (1 << 32)) * ((last_col - first_col) % (1 << 32))


def _write_container(out, stream: bytearray) -> None:
    """Write a compound file of 4096-byte sectors holding one stream, "Workbook", to `out`:
    [header][stream][the root's sector][FAT][directory]. The root entry is given a (zero-length)
    sector of its own: calamine refuses a version 4 file whose root has none."""
    size = max(len(stream), 4096)  # not under the mini stream's cutoff
    data = (size + 4095) // 4096
    fat = 1
    while fat * 1024 < data + 1 + fat + 1:
        fat += 1
    if fat > 109:  # more than the header's list of FAT sectors can name
        raise FileRefused(f"文件中的工作簿数据超过{109 * 1024 * 4096 >> 20} MB（上限），{HOSTILE}")
    table = [*range(1, data), END_OF_CHAIN, END_OF_CHAIN] + [FAT_SECTOR] * fat + [END_OF_CHAIN]
    table += [FREE] * (fat * 1024 - len(table))
    root, first_fat, directory = data, data + 1, data + 1 + fat
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        OLE_MAGIC,
        b"",
        0x3E,
        4,
        0xFFFE,
        12,
        6,
        b"",
        1,
        fat,
        directory,
        0,
        4096,
        END_OF_CHAIN,
        0,
        END_OF_CHAIN,
        0,
    ) + struct.pack("<109I", *range(first_fat, first_fat + fat), *[FREE] * (109 - fat))
    out.write(header.ljust(4096, b"\0"))
    out.write(stream)
    out.write(bytes((data + 1) * 4096 - len(stream)))
    out.write(struct.pack(f"<{len(table)}I", *table))
    out.write(_entry("Root Entry", 5, root, 0) + _entry("Workbook", 2, 0, size) + bytes(30 * 128))
    out.flush()


def _entry(name: str, kind: int, start: int, size: int) -> bytes:
    """A directory entry; the root's one child is entry 1."""
    encoded = (name + "\0").encode("utf-16-le")
    child = 1 if kind == 5 else NO_STREAM
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        encoded,
        len(encoded),
        kind,
        1,
        NO_STREAM,
        NO_STREAM,
        child,
        b"",
        0,
        0,
        0,
        start,
        size,
    )


# ── .ods ───────────────────────────────────────────────────────────────────────────────────────

_VALUES = (
    "office:value",
    "office:string-value",
    "office:date-value",
    "office:time-value",
    "office:boolean-value",
)


def _measure_content(blocks, out, budget: Budget) -> list:
    """Copy content.xml to `out`, charging the budget with what calamine will hold for it (ods.rs):
    for every table, the rectangle from its first row with a value to its last, repeats
    included, as wide as its widest row (up to its last cell with a value); and the text of
    every cell as many times as it is repeated. Names are matched with their prefixes, as
    calamine matches them."""
    parser = xml_parser(namespaces=False)
    parser.buffer_text = True  # a cell's text in one call, not one per line or entity
    tables = _Tables(budget, parser)
    parser.StartElementHandler, parser.EndElementHandler = tables.start, tables.end
    for data in blocks:
        parser.Parse(data, False)
        out.write(data)
    parser.Parse(b"", True)
    return tables.marks


_CELL = ("table:table-cell", "table:covered-table-cell")


class _Tables:
    """The running count of _measure_content, fed by expat's callbacks. The cells are charged as
    the rectangle grows, the text row by row, so that a hostile table is refused on the way. The
    text is only listened to in a cell whose value it is (a callback per text costs seconds)."""

    def __init__(self, budget: Budget, parser):
        self.budget, self.parser = budget, parser
        self.in_table = self.reading = False
        self.inside = 0  # elements open in the current cell, itself included
        self.marks = []  # each table's _Marks

    def start(self, name, attrs):
        if self.inside:
            self.inside += 1
            if self.reading and name == "text:s":
                self.cell_text += _repeat(attrs, "text:c")  # that many spaces
        elif name == "table:table" and not self.in_table:
            self.in_table = True
            self.rows = 0  # rows so far, repeats included (calamine stops at MAX_ROWS)
            self.first = self.end_row = None  # the first row with a value, the row after the last
            self.width = self.charged = self.columns = 0
            self.mark = _Marks()
            self.marks.append(self.mark)
        elif name == "table:table-column" and self.in_table:
            repeat = min(_repeat(attrs, "table:number-columns-repeated"), MAX_COLUMNS - self.columns)
            if attrs.get("table:visibility", "visible") != "visible":
                self.mark.hide_columns(self.columns, repeat)
            self.columns += repeat
        elif name == "table:table-row" and self.in_table:
            self.repeat_rows = min(_repeat(attrs, "table:number-rows-repeated"), MAX_ROWS - self.rows)
            self.col = self.row_width = self.row_text = 0
            if attrs.get("table:visibility", "visible") != "visible" and self.repeat_rows:
                self.mark.hide_rows(self.rows + 1, self.repeat_rows)
        elif name in _CELL and self.in_table:
            self.inside = 1
            self.repeat = min(_repeat(attrs, "table:number-columns-repeated"), MAX_COLUMNS - self.col)
            given = [attrs[key] for key in _VALUES if key in attrs]
            formula = attrs.get("table:formula", "")
            if formula:
                self._formula(
                    formula.partition(":")[2] if formula.startswith(("of:", "oooc:", "msoxl:")) else formula
                )
            self.reading = not given and attrs.get("office:value-type") == "string"  # the text is the value
            self.has_value = bool(given or formula or self.reading)
            self.cell_text = sum(len(v.encode()) for v in given) + len(formula.encode())
            if self.reading:
                self.parser.CharacterDataHandler = self.text

    def _formula(self, text: str) -> None:
        """Note a formula cell, repeated over `repeat` columns and `repeat_rows` rows."""
        mark = self.mark
        for r in range(self.repeat_rows):
            for n in range(self.repeat):
                if len(mark.formulas) >= Notes.KEPT:
                    mark.formula_count += self.repeat * self.repeat_rows - r * self.repeat - n
                    return
                mark.formula(self.rows + 1 + r, self.col + n, text)

    def text(self, data):
        self.cell_text += len(data.encode())

    def end(self, name):
        if self.inside:
            self.inside -= 1
            if not self.inside:  # the cell's end
                self.reading, self.parser.CharacterDataHandler = False, None
                self.col += self.repeat
                if self.has_value:
                    self.row_width = self.col
                    self.row_text += self.cell_text * self.repeat
        elif name == "table:table-row" and self.in_table:
            if self.row_width:
                if self.first is None:
                    self.first = self.rows
                self.end_row = self.rows + self.repeat_rows
                self.width = max(self.width, self.row_width)
                box = (self.end_row - self.first) * self.width
                self.budget.add_cells(box - self.charged)
                self.charged = box
                # the row as read, then once per repeat in calamine's rectangle
                self.budget.add_strings(self.row_text * (self.repeat_rows + 1))
            self.rows += self.repeat_rows
        elif name == "table:table":
            self.in_table = False


def _repeat(attrs, name: str) -> int:
    value = attrs.get(name)
    if value is None:
        return 1
    if not value.strip().isdigit():
        raise FileRefused(DAMAGED)
    return int(value)
