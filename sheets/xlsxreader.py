"""A streaming reader for the first visible worksheet of an .xlsx workbook.

Why it exists: python-calamine builds the whole sheet in memory (475 MB for a 500,000-row ledger
file), so an import's memory grew with the file. This reader decompresses the sheet's XML a block
at a time and yields one row at a time, in a few MB whatever the file, at about calamine's speed.

How it reads: the workbook's small parts (relationships, styles) are parsed first, and the shared
strings, which cells name at random, are loaded (one str per distinct text). The sheet's XML is
then decompressed in blocks of 256 KB, cut after each block's last whole row, split into rows by
one regular expression and each row into cells by another, whose common forms (`<v>…</v>`,
`<is><t>…</t></is>`) capture the value itself. Anything else (formulas, rich text, attributes in
another order or quoted with ', white space between elements) matches a general alternative that
is parsed more slowly but fully.

Values are those python-calamine gave, which the importer used before: text as str (entities,
Excel's _xHHHH_ escapes and line ends resolved), numbers as float, booleans as bool, empty cells
as "", and numbers whose style has a date format as `date` (no time of day), `datetime`, `time`
(serials below 1) or `timedelta` (elapsed formats such as [h]:mm). Two deliberate differences:
an error cell (#N/A) gives its text where calamine gives "", and date-times are rounded to the
second (Excel stores fractions of a day) where calamine keeps milliseconds.

Two refusals: a shared-string index that is negative or past the table's end, and a formula
whose result the file does not keep (a file written by a script and never opened in Excel),
both naming the cell. A hidden first sheet is skipped: the sheet read is the first visible one.
What the rows do not show is noted (readers.Notes) for the importer to name: the hidden sheets
skipped, the tab the workbook opens on when it is another sheet (<workbookView activeTab="…">),
rows marked hidden="1" or lower than a point (ht="0.01"), columns hidden in <cols> or narrower
than half a character (width="0.01"), and each formula with its text and the saved result read
for it. Looking for them costs a substring search per row.

What reading may cost is bounded (sheets.readers.Budget): every part is decompressed
under a cap, a row or shared string that does not end within row_kb is refused, the shared
strings' total and the sheet's cells are counted a block at a time, and the regular
expressions stop at the next element of the same name, so that a file whose end tags are
missing takes linear, not quadratic, time.

Rows keep their numbers: the first row yielded is the sheet's row 1, and a row the XML skips
(Excel writes nothing for an empty row) or that holds no value comes as an empty list, so that
counting rows gives the numbers Excel shows. Rows after the last one with a value are not
yielded. Rows are not padded: a row ends with its last cell (calamine pads every row to the
sheet's width, and drops empty columns on the left)."""

import codecs
import datetime
import posixpath
import re
import sys
import zipfile
from functools import lru_cache
from itertools import chain
from operator import itemgetter

from sheets.readers import NO_SHEET, Budget, FileRefused, Notes, decoded, member_blocks, start_tags

BLOCK = 1 << 18  # bytes of XML decompressed at a time (as fast as 1 MB, in 3 MB of RSS, not 16)
TEXT_CACHE = 4096  # escaped inline texts remembered with their text (choice values repeat)

# Cell kinds, from the cell's t="…" and, for numbers, its style's number format.
NUMBER, SHARED, INLINE, DATE, BOOL, TEXT, ERROR, DURATION, ISODATE = range(9)
_TYPES = {"s": SHARED, "inlineStr": INLINE, "str": TEXT, "b": BOOL, "e": ERROR, "d": ISODATE}

# Built-in number formats showing dates or times (ECMA-376 18.8.30 and the CJK ones), and the
# elapsed-time one, [h]:mm:ss.
_BUILTIN_DATE_FORMATS = {*range(14, 23), *range(27, 37), 45, 47, *range(50, 59)}
_BUILTIN_DURATION_FORMATS = {46}


# A column narrower than half a character, a row lower than a point: hidden in all but name.
MIN_WIDTH, MIN_HEIGHT = 0.5, 1.0
_LOW = 'ht="0'  # how a row of height 0.x (hidden so) starts: only those rows are looked at closer


def _below(value: str | None, limit: float) -> bool:
    """Whether an attribute's number (width, ht) is below `limit`; False when it is none."""
    try:
        return float(value) < limit
    except (TypeError, ValueError):
        return False


class NotSpreadsheetML(Exception):
    """A zip archive without an .xlsx workbook part (an .ods or an .xlsb, say)."""


MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384
OUT_OF_BOUNDS = "文件中的行号或列号超出 Excel 的范围（最多1048576行、16384列），文件可能已损坏"
OUT_OF_ORDER = "文件中的行号顺序有误（同一行出现两次，或后面的行号更小），文件可能已损坏"
NO_CACHED_VALUE = "是公式，但文件中没有保存计算结果：请在 Excel 或 WPS 中打开该文件、保存后再导入"


class _BadCell(ValueError):
    """A cell that makes the whole file unreadable; the message (after the cell's name) says why.
    A ValueError, so that the fast path hands the row to the careful one, which names the cell."""


def sheet_rows(zf: zipfile.ZipFile, budget: Budget, notes: Notes | None = None):
    """The first visible worksheet's rows, in batches for readers.metered (a list per block of
    the sheet's XML, in which an int n stands for n empty rows; see the module's docstring).

    The workbook's small parts are read at once, so that a zip that is not an .xlsx raises
    NotSpreadsheetML here; the rows are read as they are iterated, while `zf` stays open."""
    return _Workbook(zf, budget, notes or Notes()).rows()


class _Workbook:
    def __init__(self, zf: zipfile.ZipFile, budget: Budget, notes: Notes):
        self.zf, self.budget, self.notes = zf, budget, notes
        # Parts are looked up case-insensitively: some writers differ from their own references.
        self.names = {info.filename.lower(): info.filename for info in zf.infolist()}
        book = self._main_part()
        rels = self._relationships(book)
        self.date1904, first, active, index = False, None, None, -1
        for _, tag, attrs in self._tags(book):
            if tag == "workbookPr":
                self.date1904 = attrs.get("date1904", "").lower() in ("1", "true")
            elif tag == "workbookView" and active is None:  # the first window's tab
                active = int(attrs["activeTab"]) if attrs.get("activeTab", "").strip().isdigit() else 0
            elif tag == "sheet":
                index += 1
                rel = rels.get(attrs.get("id"))  # r:id; a chartsheet's relationship is not a worksheet
                visible = attrs.get("state", "visible") == "visible"
                worksheet = bool(rel and rel[0].endswith("/worksheet"))
                if first is None and not visible:
                    notes.skipped.append(attrs.get("name", ""))
                elif first is None and worksheet:
                    first = rel[1]
                    notes.sheet = attrs.get("name", "")
                elif index == (active or 0) and visible and worksheet:
                    # Excel opens on another tab: the clerk sees that sheet, the first is read.
                    notes.active = attrs.get("name", "")
        if first is None:
            raise FileRefused(NO_SHEET)
        self.sheet = self._member(first)
        if self.sheet is None:
            raise zipfile.BadZipFile(f"the workbook names a sheet {first} that the file lacks")
        by_type = {rel_type.rpartition("/")[2]: target for rel_type, target in rels.values()}
        styles = self._member(by_type.get("styles", "xl/styles.xml"))
        self.style_kinds = self._style_kinds(styles) if styles else []
        strings = self._member(by_type.get("sharedStrings", "xl/sharedStrings.xml"))
        self.shared = self._shared_strings(strings) if strings else []

    def _member(self, path):
        return self.names.get(path.lower()) if path else None

    def _tags(self, name):
        """The start tags of a part read whole (workbook, relationships, styles), within the
        small parts' limit."""
        return start_tags(member_blocks(self.zf, name, self.budget, self.budget.small_part_mb, BLOCK))

    def _blocks(self, name):
        """A large part's text (the sheet, the shared strings), a block at a time, within the
        parts' limit."""
        blocks = member_blocks(self.zf, name, self.budget, self.budget.part_mb, BLOCK)
        head = next(blocks, b"")
        return decoded(chain((head,), blocks), _encoding(head[:200]))

    def _main_part(self) -> str:
        """The workbook part, as the package relationships name it (normally xl/workbook.xml)."""
        rels = self._member("_rels/.rels")
        if rels:
            for depth, tag, attrs in self._tags(rels):
                if depth == 1 and tag == "Relationship" and attrs.get("Type", "").endswith("/officeDocument"):
                    name = self._member(_resolve("", attrs.get("Target", "")))
                    if name and name.lower().endswith(".xml"):
                        return name
        name = self._member("xl/workbook.xml")
        if name is None:
            raise NotSpreadsheetML()
        return name

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (type, path of the target part) for `part`."""
        folder, _, base = part.rpartition("/")
        name = self._member(f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels")
        if name is None:
            return {}
        return {
            attrs.get("Id"): (attrs.get("Type", ""), _resolve(folder, attrs.get("Target", "")))
            for depth, tag, attrs in self._tags(name)
            if depth == 1 and attrs.get("TargetMode") != "External"
        }

    def _style_kinds(self, name) -> list[int]:
        """Cell style index (a cell's s="…") → NUMBER, DATE or DURATION."""
        custom, xfs, section = {}, [], None
        for depth, tag, attrs in self._tags(name):
            if depth == 1:
                section = tag
            elif depth == 2 and section == "numFmts":
                custom[attrs.get("numFmtId")] = attrs.get("formatCode", "")
            elif depth == 2 and section == "cellXfs":
                xfs.append(attrs.get("numFmtId", "0"))
        kinds = []
        for fmt_id in xfs:
            if fmt_id in custom:
                kinds.append(format_kind(custom[fmt_id]))
            elif fmt_id.isdigit() and int(fmt_id) in _BUILTIN_DATE_FORMATS:
                kinds.append(DATE)
            elif fmt_id.isdigit() and int(fmt_id) in _BUILTIN_DURATION_FORMATS:
                kinds.append(DURATION)
            else:
                kinds.append(NUMBER)
        return kinds

    def _shared_strings(self, name) -> list[str]:
        """The shared strings table (one str per distinct text), read in blocks like the sheet:
        with many distinct texts (decision numbers, plates) its XML is large too. What the strings
        take in memory is counted against strings_mb, a block at a time."""
        strings = []
        blocks = self._blocks(name)
        buf = next(blocks, "")
        prefix = _prefix(buf, "sst")
        p = _patterns(prefix)
        end, findall, rich_text = f"</{prefix}si>", p.si.findall, p.rich_text
        budget, size = self.budget, sys.getsizeof
        while buf:
            more = next(blocks, None)
            cut = len(buf) if more is None else buf.rfind(end) + len(end)
            if cut >= len(end) or more is None:
                found = [
                    rich_text(other) if other else _t_string(text) if text else ""
                    for text, other in findall(buf, 0, cut)
                ]
                budget.add_strings(sum(map(size, found)) + 8 * len(found))  # 8: the list's pointer
                strings += found
                buf = buf[cut:]
            else:
                budget.row(len(buf), "一段文字")  # an <si> longer than a block, not ended yet
            buf += more or ""
        return strings

    # ── the sheet ──────────────────────────────────────────────────────────────────────────────

    def _sheet_data(self):
        """(namespace prefix, texts that each end with a whole row) of the sheet's <sheetData>.

        The prefix is usually "", or "x:" from some .NET writers; the patterns are built with it."""
        blocks = self._blocks(self.sheet)
        buf = ""
        for text in blocks:
            buf += text
            start = _SHEETDATA.search(buf)
            self._hidden_columns(buf[: start.start() if start else max(len(buf) - 200, buf.rfind("<"))])
            if start:
                break
            buf = buf[max(len(buf) - 200, buf.rfind("<")) :]  # a tag may straddle two blocks
        else:
            return "", iter(())
        prefix = start.group(1) or ""
        if start.group(2):  # <sheetData/>
            return prefix, iter(())
        return prefix, _whole_rows(
            blocks, buf[start.end() :], f"</{prefix}row>", f"</{prefix}sheetData>", self.budget
        )

    def _hidden_columns(self, text: str) -> None:
        """Note the columns a <col min="…" max="…" hidden="1"/> hides, in the text before
        <sheetData>, and those it makes narrower than half a character (width="0.01"): hidden
        in all but name."""
        if "hidden" not in text and "width" not in text:
            return
        for attrs in _COL.findall(text):
            found = {name: double or single for name, double, single in _ATTRIBUTE.findall(attrs)}
            hidden = found.get("hidden", "").strip() in ("1", "true") or _below(found.get("width"), MIN_WIDTH)
            if hidden and found.get("min", "").isdigit():
                first = int(found["min"]) - 1
                last = min(
                    int(found.get("max") or 0) if found.get("max", "").isdigit() else first + 1, first + 256
                )
                hidden = self.notes.hidden_columns
                hidden += [c for c in range(first, last) if c not in hidden][: Notes.KEPT - len(hidden)]

    def _look_closer(self, number: int, row_attrs: str, text: str, found, row: list) -> None:
        """Note a hidden row and the row's formulas (only called for a row that may have either)."""
        if "hidden" in row_attrs or "ht=" in row_attrs:
            found = {name: double or single for name, double, single in _ATTRIBUTE.findall(row_attrs)}
            if found.get("hidden", "").strip() in ("1", "true") or _below(found.get("ht"), MIN_HEIGHT):
                self.notes.hidden_row(number)
        if "<f" in text or ":f" in text:
            formula = self._formula
            for position, (col, _, _, other) in enumerate(found):
                if other and self._has_formula(other):
                    index = (_COLUMNS.get(col) or _column_index(col)) if col else position
                    m = formula(other)
                    value = row[index] if index < len(row) else ""
                    self.notes.formula(number, index, _string(m.group(1)) if m else "", value)

    def rows(self):
        """The rows in batches, one per text cut from the sheet's XML; the cells are counted
        against the limit once per batch."""
        prefix, segments = self._sheet_data()
        p = _patterns(prefix)
        self._formula, self._has_formula = p.formula_text, p.formula
        look_closer = self._look_closer
        cells = _Cells(self, p)
        split, findall = p.row.split, p.cell.findall
        kinds, general, rare, fill = cells.kinds, cells.general, cells.rare, cells.fill
        shared, cache_get, to_date = self.shared, cells.cache.get, cells.to_date
        SHARED_, INLINE_, NUMBER_, DATE_ = SHARED, INLINE, NUMBER, DATE  # locals: faster in the hot loop
        sequence, first, space = _SEQUENCES, itemgetter(0), _SPACE
        add_cells = self.budget.add_cells
        last = 0  # the number of the last <row> read
        last_yielded = 0  # the number of the last row yielded
        for segment in segments:
            batch, seen = [], 0
            # [text before the first row, r, other attributes, the row's cells, r, …]
            parts = iter(split(segment))
            next(parts)
            for r, row_attrs, text in zip(parts, parts, parts, strict=False):  # in threes
                number = int(r) if r else _row_number(row_attrs, last)
                if not last < number <= MAX_ROWS:  # rows come in order (a bomb repeats one)
                    raise FileRefused(OUT_OF_ORDER if number <= last else OUT_OF_BOUNDS)
                last = number
                found = findall(text)
                seen += len(found)
                try:
                    # The common cells in one comprehension (the hot loop of an import). A new
                    # attribute string (KeyError) or a value unlike its type (ValueError …) sends
                    # the row cell by cell through `cells.row`. A shared string's index must be
                    # all digits: shared[int("-1")] would be the last string.
                    row = [
                        general(k, other)
                        if other
                        else shared[int(v)]
                        if k == SHARED_ and v.isdigit()
                        else (v.strip(space) if "&" not in v and "_x" not in v else cache_get(v) or fill(v))
                        if k == INLINE_
                        else float(v)
                        if k == NUMBER_ and v
                        else to_date(float(v))
                        if k == DATE_ and v
                        else ""
                        if not v
                        else rare(k, v)
                        for _, attrs, v, other in found
                        for k in (kinds[attrs],)
                    ]
                    if list(map(first, found)) != sequence[len(row)]:
                        row = cells.place(found, row)  # cells skipped, or without r="…"
                except (KeyError, ValueError, IndexError, OverflowError):
                    row = cells.row(found, number)
                if row.count("") == len(row):
                    continue  # nothing in it: yielded as a gap if a row with values follows
                if "hidden" in row_attrs or "f>" in text or "f " in text or _LOW in row_attrs:
                    look_closer(number, row_attrs, text, found, row)
                if number > last_yielded + 1:
                    batch.append(number - last_yielded - 1)
                batch.append(row)
                last_yielded = number
            add_cells(seen)
            yield batch


def _whole_rows(blocks, buf: str, row_end: str, data_end: str, budget: Budget):
    """Texts cut from the blocks after <sheetData>, each ending with a whole row, up to
    </sheetData> (or the end of a sheet that lacks it). A row that has not ended within the
    row limit is refused, rather than held whole (white space without </row>, a giant cell)."""
    while True:
        stop = buf.find(data_end)
        if stop >= 0:
            yield buf[:stop]
            return
        more = next(blocks, None)
        if more is None:
            yield buf
            return
        cut = buf.rfind(row_end)
        if cut < 0:  # a row longer than a block
            buf += more
            budget.row(len(buf))
            continue
        cut += len(row_end)
        yield buf[:cut]
        buf = buf[cut:] + more


class _Cells:
    """Cells off the fast path: new attribute strings, general content (formulas, rich text,
    whitespace), the rarer types, cells out of place or without r="…", malformed values."""

    def __init__(self, book: _Workbook, patterns: "_Patterns"):
        self.shared, self.style_kinds = book.shared, book.style_kinds
        self.to_date = _date_converter(book.date1904)
        self.v_of, self.rich_text, self.formula = patterns.v_of, patterns.rich_text, patterns.formula
        self.kinds: dict[str, int] = {}  # a cell's attributes (after a leading r="…") → its kind
        self.cache: dict[str, str] = {}  # escaped inline text → text

    def fill(self, raw: str) -> str:
        """The text of an escaped inline string, remembered: the same values repeat."""
        if len(self.cache) >= TEXT_CACHE:
            self.cache.clear()
        text = self.cache[raw] = _t_string(raw)
        return text

    def general(self, kind: int, content: str):
        """A cell with more than a bare <v>: a formula gives the result the file keeps with it,
        and is refused without one (a formula's text result may be empty: <v></v>)."""
        if kind == INLINE:
            return self.rich_text(content)
        v = self.v_of(content)
        if (v is None or not v and kind != TEXT) and self.formula(content):
            raise _BadCell(NO_CACHED_VALUE)
        return self.value(kind, v or "")

    @staticmethod
    def rare(kind: int, v: str):
        """Formula text, errors, booleans, durations, ISO dates; a ValueError for a shared
        string whose index is not all digits, which sends the row to the careful path."""
        if kind == TEXT or kind == ERROR:
            return _string(v)
        if kind == BOOL:
            return v.strip() not in ("0", "false", "")
        if kind == DURATION:
            return datetime.timedelta(seconds=round(float(v) * 86400))
        if kind == ISODATE:
            return _iso_date(_unescape(v))
        raise ValueError(v)

    def value(self, kind: int, v: str):
        """A value from the cell's kind and the text of its <v>, leniently: a number that is
        not one is kept as text."""
        if not v:
            return ""
        if kind == SHARED:
            index = v.strip()
            if index.isdigit() and int(index) < len(self.shared):
                return self.shared[int(index)]
            raise _BadCell(f"引用了不存在的共享字符串（编号 {index}），文件可能已损坏")
        if kind == INLINE:
            return _t_string(v)
        try:
            if kind == NUMBER:
                return float(v)
            if kind == DATE:
                return self.to_date(float(v))
            return self.rare(kind, v)
        except (ValueError, OverflowError):
            return _string(v).strip()

    def row(self, found, number: int) -> list:
        """One row, cell by cell."""
        row = []
        for col, attrs, v, other in found:
            kind = self.kinds.get(attrs)
            if kind is None:
                kind, letters = _classify(attrs, self.style_kinds)
                if letters is None:
                    self.kinds[attrs] = kind
                else:
                    col = letters
            try:
                value = self.general(kind, other) if other else self.value(kind, v)
            except _BadCell as e:
                raise FileRefused(f"单元格 {col or column_name(len(row))}{number} {e}")
            _put(row, col, value)
        return row

    @staticmethod
    def place(found, values) -> list:
        row = []
        for cell, value in zip(found, values, strict=True):
            _put(row, cell[0], value)
        return row


def _put(row: list, col: str, value):
    """Put `value` in column `col` (letters), or after the row's last cell when col is ""."""
    if not col:
        row.append(value)
        return
    index = _COLUMNS.get(col)
    if index is None:
        index = _column_index(col)
        if index >= MAX_COLUMNS:
            raise FileRefused(OUT_OF_BOUNDS)
    size = len(row)
    if index == size:
        row.append(value)
    elif index > size:
        row.extend([""] * (index - size))
        row.append(value)
    else:
        row[index] = value


# ── XML text ───────────────────────────────────────────────────────────────────────────────────

# Every pattern here runs in linear time whatever the text: an attribute list stops at "<", an
# element's content at the next start tag of the same name (see _content), an attribute name
# only starts after a character that cannot be in one.
_SHEETDATA = re.compile(r"<([A-Za-z_][\w.-]*:)?sheetData\b[^<>]*?(/?)>")
_COL = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?col\b([^<>]*)>")
_ATTRIBUTE = re.compile(r"""(?<![\w:.-])([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ENTITY = re.compile(r"&(?:#([0-9]+)|#[xX]([0-9a-fA-F]+)|([A-Za-z]+));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")  # Excel's escape of control characters
_SPACE = " \t\n\r"  # XML's white space, trimmed from a <t> without xml:space="preserve"


def _resolve(folder: str, target: str) -> str:
    """A relationship's target as a path inside the zip."""
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(folder, target) if folder else target)


def _prefix(head: str, tag: str) -> str:
    m = re.search(rf"<([A-Za-z_][\w.-]*:)?{tag}\b", head)
    return (m.group(1) or "") if m else ""


def _encoding(head: bytes) -> str:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if head[:3] == codecs.BOM_UTF8:
        return "utf-8-sig"
    m = re.match(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""", head)
    return m.group(1).decode("ascii") if m else "utf-8"


def _entity(m) -> str:
    decimal, hexadecimal, name = m.groups()
    if name is not None:
        return _NAMED.get(name, m.group(0))
    try:
        return chr(int(decimal) if decimal is not None else int(hexadecimal, 16))
    except (ValueError, OverflowError):
        return m.group(0)


class _Entities(dict):
    """Entity name ("amp", "#20013", "#x4E2D") → its character, learnt as they come."""

    def __missing__(self, name: str) -> str:
        if name[:2] in ("#x", "#X"):
            char = chr(int(name[2:], 16))
        elif name[:1] == "#" and name[1:].isdigit():
            char = chr(int(name[1:]))
        else:
            raise KeyError(name)
        self[name] = char
        return char


_ENTITIES = _Entities(_NAMED)


def _unescape(text: str) -> str:
    """XML character data → text: the five predefined entities and character references.

    Splitting at "&" is twice as fast as a regex substitution with a callback; a malformed or
    unknown reference goes to the substitution, which leaves it as it is."""
    if "&" not in text:
        return text
    parts = text.split("&")
    out = [parts[0]]
    entities = _ENTITIES
    try:
        for part in parts[1:]:
            name, semicolon, rest = part.partition(";")
            out.append(entities[name] if semicolon else entities[""])
            out.append(rest)
    except (KeyError, ValueError, OverflowError):
        return _ENTITY.sub(_entity, text)
    return "".join(out)


def _excel_unescape(text: str) -> str:
    """Excel writes control characters in text as _xHHHH_ (a carriage return is _x000D_),
    and an underscore that would start such a sequence as _x005F_."""
    if "_x" not in text:
        return text
    return _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _string(raw: str) -> str:
    """A cell's text from the character data of its <v> (t="str", t="e")."""
    return _excel_unescape(_unescape(raw))


def _t_string(raw: str) -> str:
    """A text from the character data of a <t> without xml:space="preserve", which (as for
    calamine) loses white space at its ends."""
    return _excel_unescape(_unescape(raw).strip(_SPACE))


def _cdata_text(raw: str) -> str:
    """The character data of a <t> element: entities resolved, and the rare CDATA section."""
    if "<![CDATA[" not in raw:
        return _unescape(raw)
    parts, pos = [], 0
    for m in _CDATA.finditer(raw, 0, raw.rfind("]]>") + 3):  # none can end after the last ]]>
        parts += [_unescape(raw[pos : m.start()]), m.group(1)]
        pos = m.end()
    parts.append(_unescape(raw[pos:]))
    return "".join(parts)


def _content(tag: str) -> str:
    """A pattern for an element's content and end tag that gives up at the next start tag of
    the same name: `(.*?)</c>` would scan to the end of the text from every <c> of a row whose
    end tags are missing (quadratic time, hours for a row of a MB). The runs of text are matched
    possessively, so that a failure does not backtrack into them."""
    return rf"((?:[^<]++|<(?!{tag}\b))*?)</{tag}>"


class _Patterns:
    """The regular expressions for one namespace prefix ("" or e.g. "x:")."""

    def __init__(self, prefix: str):
        q = re.escape(prefix)
        c, v, is_, t, si, f = (f"{q}{name}" for name in ("c", "v", "is", "t", "si", "f"))
        # A row's start tag: (r when it comes first, the other attributes). A <row …/> has no
        # cells, so the text up to the next row's tag holds none.
        self.row = re.compile(rf'<{q}row\b(?: r="([0-9]+)")?([^<>]*)>')
        # A cell: (column letters when r="…" comes first, the other attributes, the value of the
        # usual <v>…</v> or <is><t>…</t></is>, or else everything inside the cell). Attributes
        # hold no "/" (r, s, t, cm, vm, ph), which lets the common cell match without backtracking.
        self.cell = re.compile(
            rf'<{c}\b(?: r="([A-Z]{{1,3}})[0-9]*")?([^<>/]*)'
            rf"(?:/>|>(?:<{v}>|<{is_}><{t}>)([^<]*)(?:</{v}>|</{t}></{is_}>)</{c}>|>{_content(c)})",
        )
        self.v = re.compile(rf"<{v}(?:\s[^<>]*)?>([^<]*)</{v}>")
        self.t = re.compile(rf"<{t}(\s[^<>/]*)?>{_content(t)}")
        self.phonetic = re.compile(rf"<{q}rPh\b{_content(f'{q}rPh')}")
        self.formula = re.compile(rf"<{f}[\s/>]").search
        self.formula_text = re.compile(rf"<{f}(?:\s[^<>]*)?>([^<]*)</{f}>").search
        # A shared string: (text of the usual <si><t>…</t></si>, or else everything inside).
        self.si = re.compile(rf"<{si}>(?:<{t}>([^<]*)</{t}></{si}>|{_content(si)})|<{si}\s*/>")

    def v_of(self, content: str) -> str | None:
        """The text of the cell's <v>, None when it has none."""
        m = self.v.search(content)
        return m.group(1) if m else None

    def rich_text(self, content: str) -> str:
        """The text of an <is> or <si>: its <t>, or its runs' (<r><t>…</t></r>) joined, without
        the phonetic guides (<rPh>) that Japanese Excel adds."""
        if "rPh" in content:
            content = self.phonetic.sub("", content)
        texts = [
            _cdata_text(t) if "preserve" in attrs else _cdata_text(t).strip(_SPACE)
            for attrs, t in self.t.findall(content)
        ]
        return _excel_unescape("".join(texts))


@lru_cache(maxsize=8)
def _patterns(prefix: str) -> _Patterns:
    return _Patterns(prefix)


# ── cells ──────────────────────────────────────────────────────────────────────────────────────


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def column_name(index: int) -> str:
    """0 → "A", 26 → "AA": the letters of a column index."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


_LETTERS = [chr(65 + i % 26) if i < 26 else chr(64 + i // 26) + chr(65 + i % 26) for i in range(26 * 27)]
_COLUMNS = {name: i for i, name in enumerate(_LETTERS)}  # A … ZZ → 0 … 701


class _Sequences(dict):
    """n → ["A", "B", …] (n letters): the columns of a row whose n cells are all in place."""

    def __missing__(self, n):
        value = self[n] = [_LETTERS[i] if i < len(_LETTERS) else None for i in range(n)]
        return value


_SEQUENCES = _Sequences()


def _row_number(attrs: str, last: int) -> int:
    """The r="…" among a <row>'s attributes, or the row after `last` when it has none."""
    for name, double, single in _ATTRIBUTE.findall(attrs):
        if name == "r" and (double or single).strip().isdigit():
            return int(double or single)
    return last + 1


def _classify(attrs: str, style_kinds: list[int]) -> tuple[int, str | None]:
    """A cell's kind from its attributes (those after a leading r="…"), and its column letters
    when r="…" is among them (then the answer holds for this cell only)."""
    cell_type, style, letters = "n", 0, None
    for name, double, single in _ATTRIBUTE.findall(attrs):
        value = double or single
        if name == "t":
            cell_type = value
        elif name == "s":
            style = int(value) if value.isdigit() else 0
        elif name == "r":
            letters = "".join(ch for ch in value if ch.isalpha()).upper()
    kind = _TYPES.get(cell_type)
    if kind is None:
        kind = style_kinds[style] if style < len(style_kinds) else NUMBER
    return kind, letters


def format_kind(code: str) -> int:
    """DATE, DURATION or NUMBER for a custom number format, decided as calamine decides it: a
    date or time letter outside quotes, brackets and escapes, in the first section only; an
    elapsed-time bracket ([h], [mm], [ss]) makes a duration."""
    escaped = quoted = hms = ampm = False
    brackets, prev = 0, " "
    for ch in code:
        if escaped:
            escaped = False
        elif ch in "_\\":
            escaped = True
        elif quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == ";":
            return NUMBER
        elif ch == "[":
            brackets += 1
        elif ch == "]" and brackets == 1 and hms:
            return DURATION
        elif ch == "]":
            brackets = max(brackets - 1, 0)
        elif brackets == 0 and not ampm and ch in "aA":
            ampm = True
        elif brackets == 0 and ampm and ch in "pmPM/":
            return DATE
        elif brackets == 0 and not ampm and ch in "dmhysDMHYS":
            return DATE
        elif not (hms and ch.lower() == prev.lower()):
            hms = prev == "[" and ch in "mhsMHS"
        prev = ch
    return NUMBER


def _date_converter(date1904: bool):
    """Excel serial → date, datetime (whole seconds), or time for a serial below 1 (as calamine).

    In the 1900 system serial 1 is 1900-01-01 and Excel counts a 29 February 1900 that never
    was (serial 60), so serials below 60 are one day later than a count from 1899-12-30; in
    the 1904 system serial 0 is 1904-01-01."""
    epoch = datetime.datetime(1904, 1, 1) if date1904 else datetime.datetime(1899, 12, 30)
    timedelta, time = datetime.timedelta, datetime.time

    def to_date(serial: float):
        if serial < 1:  # below 1 (negative ones too, which Excel shows as #####): the time of day
            seconds = min(round(serial * 86400) % 86400, 86399)
            return time(seconds // 3600, seconds // 60 % 60, seconds % 60)
        seconds = round((serial + 1 if serial < 60 and not date1904 else serial) * 86400)
        try:
            value = epoch + timedelta(0, seconds)  # positional: twice as fast as seconds=…
        except OverflowError:
            return serial  # past 9999-12-31
        return value if seconds % 86400 else value.date()

    return to_date


def _iso_date(text: str):
    """A t="d" cell: an ISO 8601 date or date-time (naive)."""
    text = text.strip()
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        return text
    value = value.replace(tzinfo=None)
    return value if ("T" in text or ":" in text) else value.date()
