"""A streaming reader for the first worksheet of an .xlsx workbook.

Why it exists: python-calamine builds the whole sheet in memory (about 1 KB a ledger row: 475 MB
for 500,000 rows), so a large import's memory grew with the file. This reader decompresses the
sheet's XML in blocks of a few MB and yields one row at a time, at about calamine's speed.

How it reads: the sheet XML is cut into whole rows (`…</row>`) and each row's cells are matched by
one regular expression whose common forms (`<v>number</v>`, `<is><t>text</t></is>`) capture the
value directly; anything else (formulas, rich text, odd attribute order, quotes, whitespace) falls
to a general alternative that is parsed more slowly but fully. Values follow python-calamine, which
the importer used before: numbers are floats, date-formatted numbers are `date` (no time part),
`datetime` (rounded to whole seconds), `time` (serials below 1) or `timedelta` (elapsed formats
such as `[h]:mm`), booleans are bools, empty cells are "". Two deliberate differences: an error
cell (`#N/A`) yields its text where calamine gives "", and date-times are rounded to the second
where calamine keeps milliseconds.

Row numbers are kept: a row missing from the XML (Excel writes no element for an empty row)
yields an empty list, so that `enumerate(rows, start=2)` in the importer still names the row Excel
shows. Rows before the first non-empty one and after the last are not yielded (like calamine), so
the first row yielded is the header. Rows are not padded: a row ends with its last cell."""

import codecs
import datetime
import posixpath
import re
import zipfile
from functools import lru_cache
from xml.etree import ElementTree

BLOCK = 1 << 21  # bytes of sheet XML decompressed at a time
UNESCAPE_CACHE = 20_000  # distinct escaped texts remembered (repeated choice values, names …)

# Cell kinds, from the cell's `t` attribute and, for numbers, its style's number format.
NUMBER, SHARED, INLINE, DATE, BOOL, TEXT, ERROR, DURATION, ISODATE = range(9)

# Built-in number formats that show dates or times (ECMA-376 18.8.30, with the CJK ones),
# and the elapsed-time one, [h]:mm:ss.
_BUILTIN_DATE_FORMATS = {*range(14, 23), *range(27, 37), 45, 47, *range(50, 59)}
_BUILTIN_DURATION_FORMATS = {46}


class NotSpreadsheetML(Exception):
    """A zip archive without an .xlsx workbook part (an .ods or .xlsb, say)."""


class NoWorksheet(Exception):
    """A workbook without a worksheet."""


def sheet_rows(zf: zipfile.ZipFile):
    """The first worksheet's rows as lists of values (see the module's docstring).

    The workbook's parts (relationships, styles, shared strings) are read at once, so that a
    zip that is not an .xlsx raises NotSpreadsheetML here; the rows are then read lazily."""
    return _Workbook(zf).rows()


# ── the workbook's small parts ─────────────────────────────────────────────────────────────────


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _attr(element, name: str, default=None):
    """An attribute by local name, whatever its namespace (r:id in transitional or strict)."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return default


class _Workbook:
    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.names = {info.filename.lower(): info.filename for info in zf.infolist()}
        book = self._main_part()
        rels = self._relationships(book)
        root = ElementTree.fromstring(self._read(book))
        self.date1904 = False
        first = None
        for element in root.iter():
            tag = _local(element.tag)
            if tag == "workbookPr":
                self.date1904 = element.get("date1904", "").lower() in ("1", "true")
            elif tag == "sheet" and first is None:
                rel = rels.get(_attr(element, "id"))
                if rel and rel[0].endswith("/worksheet"):
                    first = rel[1]
        if first is None:
            raise NoWorksheet()
        self.sheet = self._member(first)
        if self.sheet is None:
            raise zipfile.BadZipFile(f"missing part {first}")
        by_type = {rel_type.rpartition("/")[2]: target for rel_type, target in rels.values()}
        styles = self._member(by_type.get("styles", "xl/styles.xml"))
        self.style_kinds = self._style_kinds(styles) if styles else []
        strings = self._member(by_type.get("sharedStrings", "xl/sharedStrings.xml"))
        self.shared = self._shared_strings(strings) if strings else []

    # Parts are looked up case-insensitively: some writers differ from their own references.
    def _member(self, path):
        return self.names.get(path.lower()) if path else None

    def _read(self, name) -> bytes:
        return self.zf.read(name)

    def _main_part(self) -> str:
        """The workbook part, as the package relationships name it (normally xl/workbook.xml)."""
        rels = self._member("_rels/.rels")
        if rels:
            root = ElementTree.fromstring(self._read(rels))
            for rel in root:
                if rel.get("Type", "").endswith("/officeDocument"):
                    name = self._member(_resolve("", rel.get("Target", "")))
                    if name and name.lower().endswith(".xml"):
                        return name
        name = self._member("xl/workbook.xml")
        if name is None:
            raise NotSpreadsheetML()
        return name

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (type, target part path) for `part`."""
        folder, _, base = part.rpartition("/")
        name = self._member(f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels")
        if name is None:
            return {}
        root = ElementTree.fromstring(self._read(name))
        return {
            rel.get("Id"): (rel.get("Type", ""), _resolve(folder, rel.get("Target", "")))
            for rel in root
            if rel.get("TargetMode") != "External"
        }

    def _style_kinds(self, name) -> list[int]:
        """Cell style index (the `s` attribute) → NUMBER, DATE or DURATION."""
        root = ElementTree.fromstring(self._read(name))
        custom, xfs = {}, []
        for element in root:
            tag = _local(element.tag)
            if tag == "numFmts":
                for fmt in element:
                    custom[fmt.get("numFmtId")] = fmt.get("formatCode", "")
            elif tag == "cellXfs":
                xfs = [xf.get("numFmtId", "0") for xf in element]
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
        """The shared strings table, read in blocks like the sheet (it can be large too)."""
        strings = []
        blocks = _blocks(self.zf, name)
        buf = next(blocks, "")
        prefix = _prefix(buf, "sst")
        p = _patterns(prefix)
        end = f"</{prefix}si>"
        findall, inline_text = p.si.findall, p.inline_text
        append = strings.append
        while True:
            cut = buf.rfind(end)
            if cut >= 0:
                cut += len(end)
                for text, other in findall(buf, 0, cut):
                    if text:
                        append(_unescape(text) if "&" in text else text)
                    else:
                        append(inline_text(other) if other else "")
                buf = buf[cut:]
            more = next(blocks, None)
            if more is None:
                return strings
            buf += more

    # ── the sheet ──────────────────────────────────────────────────────────────────────────────

    def rows(self):
        blocks = _blocks(self.zf, self.sheet)
        # Up to <sheetData>, whose prefix (usually none, "x:" from some .NET writers) the
        # patterns are built with.
        buf = ""
        for text in blocks:
            buf += text
            start = _SHEETDATA.search(buf)
            if start:
                break
            buf = buf[-200:]
        else:
            return
        if start.group(2):  # <sheetData/>
            return
        prefix = start.group(1) or ""
        p = _patterns(prefix)
        row_end, data_end = f"</{prefix}row>", f"</{prefix}sheetData>"
        buf = buf[start.end() :]

        shared, style_kinds = self.shared, self.style_kinds
        to_date, to_duration, unescape = _date_converter(self.date1904), _duration, _unescape
        findall, v_of, inline_text = p.cell.findall, p.v_of, p.inline_text
        row_open = f"<{prefix}row"
        kinds: dict[str, int] = {}  # a cell's attributes after r="…" → its kind
        cache: dict[str, str] = {}  # escaped text → text
        columns = _COLUMNS
        shared_kind, inline_kind, number_kind, date_kind = SHARED, INLINE, NUMBER, DATE
        last = 0  # the last row element's number
        last_yielded = None  # the last row yielded (None: none yet)
        done = False
        while not done:
            stop = buf.find(data_end)
            if stop >= 0:
                segment, done = buf[:stop], True
            else:
                cut = buf.rfind(row_end)
                more = next(blocks, None)
                if more is None:  # no </sheetData>: a truncated sheet, read what is there
                    segment, done = buf, True
                elif cut < 0:
                    buf += more
                    continue
                else:
                    cut += len(row_end)
                    segment, buf = buf[:cut], buf[cut:] + more
            for piece in segment.split(row_end):
                start = piece.find(row_open)
                if start < 0:
                    continue
                end = piece.find(">", start)
                while end > 0 and piece[end - 1] == "/":  # <row …/>: a row without cells
                    last = _row_number(piece[start:end], last)
                    start = piece.find(row_open, end)
                    if start < 0:
                        break
                    end = piece.find(">", start)
                if start < 0 or end < 0:
                    continue
                i = piece.find(' r="', start, end)
                if i > 0 and piece[i + 4 : piece.find('"', i + 4)].isdigit():
                    number = last = int(piece[i + 4 : piece.find('"', i + 4)])
                else:
                    number = last = _row_number(piece[start:end], last)

                row = []
                for col, attrs, v, other in findall(piece, end + 1):
                    try:
                        kind = kinds[attrs]
                    except KeyError:
                        kind, letters = _classify(attrs, style_kinds)
                        if letters is None:
                            kinds[attrs] = kind
                        else:
                            col = letters
                    if not v:
                        if other:
                            v = inline_text(other) if kind == inline_kind else v_of(other)
                        if not v:
                            value = ""
                            kind = -1
                    if kind == shared_kind:
                        try:
                            value = shared[int(v)]
                        except (IndexError, ValueError):
                            raise ValueError(f"shared string {v!r} out of range in row {number}")
                    elif kind == inline_kind:
                        if "&" in v and not other:
                            value = cache.get(v)
                            if value is None:
                                if len(cache) >= UNESCAPE_CACHE:
                                    cache.clear()
                                value = cache[v] = unescape(v)
                        else:
                            value = v
                    elif kind == number_kind:
                        try:
                            value = float(v)
                        except ValueError:
                            value = v.strip()
                    elif kind == date_kind:
                        try:
                            value = to_date(float(v))
                        except ValueError:
                            value = v.strip()
                    elif kind >= 0:
                        value = _other_value(kind, v, to_duration)
                    if col:
                        try:
                            index = columns[col]
                        except KeyError:
                            index = _column_index(col)
                        size = len(row)
                        if index == size:
                            row.append(value)
                        elif index > size:
                            row.extend([""] * (index - size))
                            row.append(value)
                        else:
                            row[index] = value
                    else:
                        row.append(value)

                if row.count("") == len(row):
                    continue  # nothing in it: yielded as a gap if a row with values follows
                if last_yielded is not None:
                    for _ in range(number - last_yielded - 1):
                        yield []
                yield row
                last_yielded = number


def _other_value(kind: int, v: str, to_duration):
    """The rarer cell kinds: formula text, errors, booleans, durations, ISO dates."""
    if kind == TEXT or kind == ERROR:
        return _unescape(v)
    if kind == BOOL:
        return v.strip() not in ("0", "false", "")
    if kind == DURATION:
        try:
            return to_duration(float(v))
        except ValueError:
            return v.strip()
    return _iso_date(_unescape(v))


def _row_number(tag: str, last: int) -> int:
    """The r="…" of a <row …> start tag, or the row after `last` when it has none."""
    for name, double, single in _ATTRIBUTE.findall(tag):
        if name == "r" and (double or single).strip().isdigit():
            return int(double or single)
    return last + 1


_SHEETDATA = re.compile(r"<([A-Za-z_][\w.-]*:)?sheetData\b[^>]*?(/?)>")
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ENTITY = re.compile(r"&(?:#([0-9]+)|#[xX]([0-9a-fA-F]+)|([A-Za-z]+));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)


def _resolve(folder: str, target: str) -> str:
    """A relationship's target as a path inside the zip."""
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(folder, target)) if folder else posixpath.normpath(target)


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


def _blocks(zf: zipfile.ZipFile, name: str):
    """A zip member's text, decompressed and decoded BLOCK bytes at a time."""
    with zf.open(name) as raw:
        data = raw.read(BLOCK)
        decoder = codecs.getincrementaldecoder(_encoding(data[:200]))()
        while data:
            yield decoder.decode(data)
            data = raw.read(BLOCK)
        tail = decoder.decode(b"", True)
        if tail:
            yield tail


def _entity(m) -> str:
    decimal, hexadecimal, name = m.groups()
    if name is not None:
        return _NAMED.get(name, m.group(0))
    try:
        return chr(int(decimal) if decimal is not None else int(hexadecimal, 16))
    except (ValueError, OverflowError):
        return m.group(0)


def _unescape(text: str) -> str:
    """XML character data → text: the five predefined entities and character references."""
    return _ENTITY.sub(_entity, text) if "&" in text else text


def _text(raw: str) -> str:
    """The content of a <t> element: entities, and the rare CDATA section, resolved."""
    if "<![CDATA[" not in raw:
        return _unescape(raw)
    parts, pos = [], 0
    for m in _CDATA.finditer(raw):
        parts.append(_unescape(raw[pos : m.start()]))
        parts.append(m.group(1))
        pos = m.end()
    parts.append(_unescape(raw[pos:]))
    return "".join(parts)


class _Patterns:
    """The regular expressions for one namespace prefix ("" or e.g. "x:")."""

    def __init__(self, prefix: str):
        q = re.escape(prefix)
        c, v, is_, t = (f"{q}{name}" for name in ("c", "v", "is", "t"))
        # A cell: (column letters when r="…" comes first, other attributes, the value of the
        # usual <v>…</v> or <is><t>…</t></is>, anything else inside the cell). Attributes hold
        # no "/" (r, s, t, cm, vm, ph), which lets the common cell match without backtracking.
        self.cell = re.compile(
            rf'<{c}\b(?: r="([A-Z]{{1,3}})[0-9]*")?([^>/]*)'
            rf"(?:/>|>(?:<{v}>|<{is_}><{t}>)([^<]*)(?:</{v}>|</{t}></{is_}>)</{c}>|>(.*?)</{c}>)",
            re.S,
        )
        self.v = re.compile(rf"<{v}(?:\s[^>]*)?>([^<]*)</{v}>")
        self.t = re.compile(rf"<{t}(?:\s[^>/]*)?>(.*?)</{t}>", re.S)
        self.phonetic = re.compile(rf"<{q}rPh\b.*?</{q}rPh>", re.S)
        # A shared string: (text of the usual <si><t>…</t></si>, anything else inside <si>).
        si = f"{q}si"
        self.si = re.compile(rf"<{si}>(?:<{t}>([^<]*)</{t}></{si}>|(.*?)</{si}>)|<{si}\s*/>", re.S)

    def v_of(self, content: str) -> str:
        m = self.v.search(content)
        return m.group(1) if m else ""

    def inline_text(self, content: str) -> str:
        """Rich text (<r><t>…</t></r> runs) or a <t> with attributes; phonetic runs left out."""
        if "rPh" in content:
            content = self.phonetic.sub("", content)
        return "".join(_text(t) for t in self.t.findall(content))


@lru_cache(maxsize=8)
def _patterns(prefix: str) -> _Patterns:
    return _Patterns(prefix)


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


_COLUMNS = {}
for _i in range(26 * 27):  # A … ZZ
    _name = chr(65 + _i % 26) if _i < 26 else chr(64 + _i // 26) + chr(65 + _i % 26)
    _COLUMNS[_name] = _column_index(_name)


def _classify(attrs: str, style_kinds: list[int]) -> tuple[int, str | None]:
    """A cell's kind from its attributes (after a leading r="…"), and its column letters when
    r="…" is among them (then the answer holds for this cell only)."""
    cell_type, style, letters = "n", 0, None
    for name, double, single in _ATTRIBUTE.findall(attrs):
        value = double or single
        if name == "t":
            cell_type = value
        elif name == "s":
            style = int(value) if value.isdigit() else 0
        elif name == "r":
            letters = "".join(ch for ch in value if ch.isalpha()).upper()
    kind = {
        "s": SHARED,
        "inlineStr": INLINE,
        "str": TEXT,
        "b": BOOL,
        "e": ERROR,
        "d": ISODATE,
    }.get(cell_type)
    if kind is None:
        kind = style_kinds[style] if style < len(style_kinds) else NUMBER
    return kind, letters


def format_kind(code: str) -> int:
    """DATE, DURATION or NUMBER for a custom number format, as calamine decides it: a date or
    time letter outside quotes, brackets and escapes in the first section; [h], [mm] … elapsed."""
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
            return NUMBER  # only the first section counts
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
    """Excel serial → date, datetime (whole seconds) or time (serials below 1, as calamine).

    1900 system: serial 1 is 1900-01-01 and Excel counts a 29 February 1900 that never was
    (serial 60), so serials below 60 are one day later than a plain count from 1899-12-30."""
    epoch = datetime.datetime(1904, 1, 1) if date1904 else datetime.datetime(1899, 12, 30)
    timedelta, time = datetime.timedelta, datetime.time

    def to_date(serial: float):
        if serial < 1:
            if serial < 0:
                return serial
            seconds = min(round(serial * 86400), 86399)
            return time(seconds // 3600, seconds // 60 % 60, seconds % 60)
        seconds = round((serial + 1 if serial < 60 and not date1904 else serial) * 86400)
        try:
            value = epoch + timedelta(seconds=seconds)
        except OverflowError:
            return serial
        return value if seconds % 86400 else value.date()

    return to_date


def _duration(serial: float) -> datetime.timedelta:
    return datetime.timedelta(seconds=round(serial * 86400))


def _iso_date(text: str):
    """A t="d" cell: ISO 8601 date or date-time (naive)."""
    text = text.strip()
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        return text
    value = value.replace(tzinfo=None)
    return value if ("T" in text or ":" in text) else value.date()
