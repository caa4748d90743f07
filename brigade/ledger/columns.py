"""The columns of a ledger's Excel file: each model field of a declaration becomes a Column that
parses a cell into the field's value (with the field's own validators, docs/imports.md) and
renders a value back into a cell."""

import datetime
import decimal
import math
import re
from collections import Counter
from functools import cached_property

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator, MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from brigade import rules

FORMULA_PREFIXES = ("=", "+", "-", "@")
# Examples of a value (Column.example): a past day, so that a date-time example is never in the
# future whatever the hour; and a text column's word, which the template's guide explains.
EXAMPLE_DAY = datetime.date(2025, 3, 5)
TEXT_EXAMPLE = "文字"


class CellError(ValueError):
    """A cell that cannot become a value; the message is shown to the user as is."""


_DATE_RE = re.compile(
    r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?\s*秒?)?\s*$"
)


def parse_date_text(text: str) -> datetime.datetime | datetime.date:
    """`2024-03-05`, `2024/3/5`, `2024年3月5日`, optionally followed by `14:30[:00]`."""
    m = _DATE_RE.match(text)
    if not m:
        raise CellError(f"「{text}」不是有效日期，应写作 2024-03-05、2024/3/5 或 2024年3月5日")
    y, mo, d, h, mi, s = m.groups()
    try:
        if h is None:
            return datetime.date(int(y), int(mo), int(d))
        return datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
    except ValueError:
        raise CellError(f"「{text}」不是存在的日期")


def _storable(text: str) -> bool:
    """False for text no database can keep: lone surrogates (from a stray &#xD800; in the XML)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# A cell the fast paths leave to `parse`: it starts with ' (our export's formula guard) or white
# space, or ends with white space (to be trimmed). Cells are joined by NUL for the search.
_EDGES = re.compile(r"(?:\A|\x00)['\s]|\s(?:\x00|\Z)")
_NUMBER_TYPES = frozenset({bool, int, float})


def _distinct(cells) -> set | None:
    """The distinct cells of a column, or None where equal cells may differ as cells: 1, 1.0
    and TRUE are equal in Python but not to a column (TRUE is not a number); so are -0.0 and
    0.0 (an amount of -0.00), date-times of one instant in two offsets, and the two readings
    of a wall time that daylight saving repeats (fold)."""
    types = set(map(type, cells))
    if len(_NUMBER_TYPES & types) > 1:
        return None
    try:
        distinct = set(cells)
    except TypeError:
        return None
    if float in types and 0.0 in distinct and any(v == 0 and math.copysign(1, v) < 0 for v in cells):
        return None  # the set keeps one zero of the two
    if (datetime.datetime in types or datetime.time in types) and any(
        v.__class__ in (datetime.datetime, datetime.time) and (v.tzinfo is not None or v.fold) for v in cells
    ):
        return None
    return distinct


def whole_seconds(value: datetime.datetime) -> datetime.datetime:
    """Excel keeps times as fractions of a day, so 14:30 may come back as 14:29:59.999998."""
    if value.microsecond:
        value = value.replace(microsecond=0) + datetime.timedelta(seconds=value.microsecond >= 500_000)
    return value


def quoted(raw) -> str:
    """A cell as a message quotes it, in the user's terms: 「是」 for Excel's TRUE, 「36:00:00」
    for a duration, 「无穷大」 for a number too large for the file to hold."""
    if isinstance(raw, bool):
        return "「是」" if raw else "「否」"
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return "「无穷大」" if math.isinf(raw) else "「非数字」"
        return f"「{raw:g}」"
    if isinstance(raw, datetime.timedelta):
        hours, rest = divmod(int(raw.total_seconds()), 3600)
        return f"「{hours}:{rest // 60:02d}:{rest % 60:02d}」"
    return f"「{raw}」"


def _amount(n: int) -> str:
    """A count as a message writes it: 3200, or 3.2万 from ten thousand on."""
    return str(n) if n < 10_000 else f"{n / 10_000:.1f}".removesuffix(".0") + "万"


class Column:
    """One Excel column of a ledger, bound to one model field.

    `parse` turns a cell (as the reader gives it: str, float, int, bool, date, datetime or None)
    into the field's Python value and runs the field's own validators, so that a cell is held
    to exactly the rules the form holds it to."""

    def __init__(self, field: models.Field, header: str | None = None):
        self.field = field
        self.name = field.name
        self.attname = field.attname
        self.header = header or str(field.verbose_name)
        self.required = not field.blank
        self.choices = [str(value) for value, _ in field.flatchoices] if field.choices else None
        # A TextField's max_length is the form's only (the database column stays text), so the
        # import holds a long note to it here, as it holds a CharField to its own.
        self.max_length = field.max_length if isinstance(field, models.CharField | models.TextField) else None
        # Max length is checked here with a clearer message; the rest run as the form runs them.
        self.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
        self.default = field.get_default() if field.has_default() else (None if field.null else "")

    # ── value → page ──────────────────────────────────────────────────────────────────────────
    def display(self, value) -> str:
        """The value as every page shows it: date-times in Beijing time to the minute
        (2026-11-20 10:00), dates as 2026-11-20, a choice by its label, a reference by its name."""
        if value is None or value == "":
            return ""
        if isinstance(value, datetime.datetime):
            return f"{timezone.localtime(value) if timezone.is_aware(value) else value:%Y-%m-%d %H:%M}"
        if isinstance(value, datetime.date):
            return f"{value:%Y-%m-%d}"
        if isinstance(value, bool):
            return "是" if value else "否"
        if self.field.choices:
            return str(self._labels.get(value, value))
        return str(value)

    @cached_property
    def _labels(self) -> dict:
        return dict(self.field.flatchoices)

    # ── cell → value ──────────────────────────────────────────────────────────────────────────
    def parse(self, raw):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if self.required:
                raise CellError("必填，不能为空")
            return self.default
        value = self.convert(raw)
        for validate in self.validators:
            try:
                validate(value)
            except ValidationError as e:
                raise CellError("；".join(e.messages))
        return value

    def convert(self, raw):
        text = self.text(raw)
        if self.choices is not None and text not in self.choices:
            raise CellError(f"「{text}」不是可选值，应为：{'、'.join(self.choices)}")
        if self.max_length and len(text) > self.max_length:
            raise CellError(f"超过{self.max_length}字（本格{_amount(len(text))}字）")
        return text

    def fast_parser(self):
        """`parse` for large imports: a shortcut for the common, well-formed cell that holds it
        to the same rules (read off the same validators), handing anything else to `parse`."""
        parse = self.parse
        if self.validators:
            return parse
        empty = self._empty_shortcut()
        if self.choices is not None:
            allowed = frozenset(self.choices)

            def fast_choice(raw):
                return raw if raw.__class__ is str and raw in allowed else empty(raw)

            return fast_choice
        limit = self.max_length or 1 << 30

        def fast_text(raw):
            if (
                raw.__class__ is str
                and 0 < len(raw) <= limit
                and raw[0] != "'"
                and not raw[0].isspace()
                and not raw[-1].isspace()
                and "\x00" not in raw
                and (raw.isascii() or _storable(raw))
            ):
                return raw
            return empty(raw)

        return fast_text

    def parse_column(self, cells) -> tuple[list, dict[int, str]]:
        """`parse` over one column of an import's chunk: the values, and the message of each
        cell that failed, by its position (its value is None).

        A column is judged whole where it can be, at C speed, by the same rules: a column of
        plain texts, or of date-times, by `fast_column`; a column of few distinct cells (a
        choice, a name, an amount) by parsing each distinct cell once. Anything else goes cell
        by cell through `fast_parser`. A cell is parsed once only, and its own refusal is what
        is reported: parsed again later, a time a moment in the future might pass."""
        values = self.fast_column(cells)
        if values is not None:
            return values, {}
        parse = self.fast_parser()
        distinct = _distinct(cells)
        if distinct is not None and len(distinct) * 4 <= len(cells):
            memo, refused = {}, {}
            for raw in distinct:
                try:
                    memo[raw] = parse(raw)
                except CellError as e:
                    refused[raw] = str(e)
            if not refused:
                return list(map(memo.__getitem__, cells)), {}
            return [memo.get(raw) for raw in cells], {
                i: refused[raw] for i, raw in enumerate(cells) if raw in refused
            }
        values, failed = [], {}
        for i, raw in enumerate(cells):
            try:
                values.append(parse(raw))
            except CellError as e:
                values.append(None)
                failed[i] = str(e)
        return values, failed

    def fast_column(self, cells) -> list | None:
        """The values of a whole column when every cell is plainly good, else None. A text column
        is checked as one string: the cells joined by NUL (which no good cell holds). Only a
        column that converts as text (not a subclass's number, date or name) is judged so."""
        if self.validators or not cells or type(self).convert is not Column.convert:
            return None
        keeps_empty = not self.required and self.default == ""  # an empty cell stays ""
        if self.choices is not None:
            allowed = self._allowed | {""} if keeps_empty else self._allowed
            return list(cells) if allowed.issuperset(cells) else None
        try:
            joined = "\x00".join(cells)
        except TypeError:  # a number, a date: cell by cell
            return None
        lengths = list(map(len, cells))
        if (
            joined.count("\x00") == len(cells) - 1
            and max(lengths) <= (self.max_length or 1 << 30)
            and (keeps_empty or min(lengths) > 0)
            and not _EDGES.search(joined)
            and (joined.isascii() or _storable(joined))
        ):
            return list(cells)
        return None

    @cached_property
    def _allowed(self) -> frozenset:
        return frozenset(self.choices)

    def _empty_shortcut(self):
        """The parse of an empty cell of an optional column is its default; the rest is `parse`."""
        parse, default = self.parse, self.default
        if self.required or isinstance(default, list | dict):
            return parse
        return lambda raw: default if raw == "" or raw is None else parse(raw)

    @staticmethod
    def text(raw) -> str:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)  # a number typed into a text column, e.g. a badge number
        elif isinstance(raw, bool | datetime.timedelta) or (
            isinstance(raw, float) and not math.isfinite(raw)
        ):
            # TRUE → 是, a duration → 36:00:00, an overflowing number → 无穷大
            raw = quoted(raw)[1:-1]
        elif isinstance(raw, datetime.datetime):
            raw = raw.strftime("%Y-%m-%d %H:%M:%S")
        elif isinstance(raw, datetime.date):
            raw = raw.isoformat()
        text = str(raw).strip()
        if "\x00" in text or not _storable(text):
            raise CellError("含有无法保存的控制字符或无效字符，请删除后再导入")
        if text[:1] == "'" and text[1:2] in FORMULA_PREFIXES:
            text = text[1:]  # our own export's guard against formulas, see to_cell
        return text

    # ── value → cell ──────────────────────────────────────────────────────────────────────────
    @property
    def export_path(self) -> str:
        """What `values_list` reads for this column on export."""
        return self.attname

    def name_of(self, value):
        """The value as an export path reads it (a lookup column's id becomes its name)."""
        return value

    def cell_writer(self):
        """`to_cell` for many values at once (an export), with what it looks up done once."""
        return self.to_cell

    def to_cell(self, value):
        if value is None:
            return None
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            return "'" + value  # written as text, never evaluated by a spreadsheet
        return value

    @property
    def placeholder(self) -> str:
        """What the templates of earlier versions put in their example row (never imported)."""
        return f"示例{self.header}"

    # The declaration's example for this field (`Ledger.examples`), where the type's would not do.
    given_example = None

    def example(self):
        """A valid value of the column: what the import template's guide shows and what the suite
        over every ledger enters (tests/records.py). The type's, unless the declaration gives one."""
        return self.type_example() if self.given_example is None else self.given_example

    def type_example(self):
        return self.choices[0] if self.choices else TEXT_EXAMPLE


def _bounds(validators):
    """(lowest, highest) allowed by Min/Max validators and `rules.positive`, or None when some
    other validator is present (then only the full `parse` may judge a cell)."""
    lo, hi = -(1 << 63), 1 << 63
    for v in validators:
        if isinstance(v, MinValueValidator) and not callable(v.limit_value):
            lo = max(lo, v.limit_value)
        elif isinstance(v, MaxValueValidator) and not callable(v.limit_value):
            hi = min(hi, v.limit_value)
        elif v is rules.positive:
            lo = max(lo, 1)
        else:
            return None
    return lo, hi


class IntegerColumn(Column):
    def fast_parser(self):
        bounds, parse = _bounds(self.validators), self._empty_shortcut()
        if bounds is None:
            return self.parse
        lo, hi = bounds

        def fast_int(raw):
            if raw.__class__ is float and raw.is_integer() and lo <= raw <= hi:
                return int(raw)
            if raw.__class__ is int and lo <= raw <= hi:
                return raw
            return parse(raw)

        return fast_int

    def convert(self, raw):
        if isinstance(raw, bool):
            raise CellError("应为整数")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float):
            if raw.is_integer():
                return int(raw)
            raise CellError(f"{quoted(raw)}不是整数")
        text = str(raw).strip().replace(",", "")
        try:
            return int(text)
        except ValueError:
            raise CellError(f"「{text}」不是整数")

    def type_example(self):
        return self.default if isinstance(self.default, int) else 1


class DecimalColumn(Column):
    def fast_parser(self):
        # DecimalValidator's digit limits are the `hi` below; the other validators are bounds.
        others = [v for v in self.validators if not isinstance(v, DecimalValidator)]
        bounds, parse = _bounds(others), self._empty_shortcut()
        if bounds is None:
            return self.parse
        lo, hi = bounds
        hi = min(hi, 10 ** (self.field.max_digits - self.field.decimal_places) - 1)
        exponent = decimal.Decimal(1).scaleb(-self.field.decimal_places)

        def fast_decimal(raw):
            # bounds first: inf and nan fail them (and int() of them would raise)
            if (raw.__class__ is float or raw.__class__ is int) and lo <= raw <= hi and raw == int(raw):
                return decimal.Decimal(raw).quantize(exponent)  # exact for a whole float, -0.0 too
            return parse(raw)

        return fast_decimal

    def convert(self, raw):
        if isinstance(raw, bool):
            raise CellError("应为数字")
        try:
            value = decimal.Decimal(str(raw).strip().replace(",", ""))
        except decimal.InvalidOperation:
            raise CellError(f"{quoted(raw)}不是数字")
        if not value.is_finite():
            raise CellError(f"{quoted(raw)}不是数字")
        exponent = decimal.Decimal(1).scaleb(-self.field.decimal_places)
        try:
            value = value.quantize(exponent, rounding=decimal.ROUND_HALF_UP)
        except decimal.InvalidOperation:
            raise CellError(f"{quoted(raw)}太大")
        if len(value.as_tuple().digits) > self.field.max_digits:
            raise CellError(f"{quoted(raw)}太大")
        return value

    def type_example(self):
        return 100


def _date_shortcut_allowed(validators):
    return all(v is rules.not_in_future for v in validators)


class DateColumn(Column):
    def fast_parser(self):
        if not _date_shortcut_allowed(self.validators):
            return self.parse
        parse, today = self._empty_shortcut(), timezone.localdate()
        datetime_class, date_class = datetime.datetime, datetime.date

        def fast_date(raw):
            if raw.__class__ is datetime_class:
                raw = raw.date()
            if raw.__class__ is date_class and rules.EARLIEST <= raw <= today:
                return raw
            return parse(raw)

        return fast_date

    def convert(self, raw):
        if isinstance(raw, datetime.datetime):
            return raw.date()
        if isinstance(raw, datetime.date):
            return raw
        if isinstance(raw, int | float):
            raise CellError(f"{quoted(raw)}不是日期，请使用日期格式的单元格或写作 2024-03-05")
        value = parse_date_text(str(raw))
        return value.date() if isinstance(value, datetime.datetime) else value

    def type_example(self):
        return EXAMPLE_DAY


class DateTimeColumn(Column):
    """Date or date-time: a bare date means the start of that day, Beijing time."""

    def convert(self, raw):
        if isinstance(raw, str):
            raw = parse_date_text(raw)
        if isinstance(raw, datetime.datetime):
            value = whole_seconds(raw)
        elif isinstance(raw, datetime.date):
            value = datetime.datetime(raw.year, raw.month, raw.day)
        else:
            raise CellError(f"{quoted(raw)}不是日期时间，请写作 2024-03-05 14:30")
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def fast_parser(self):
        if not _date_shortcut_allowed(self.validators):
            return self.parse
        parse, now = self._empty_shortcut(), timezone.now()
        tz = timezone.get_current_timezone()
        datetime_class = datetime.datetime

        def fast_datetime(raw):
            if raw.__class__ is datetime_class and raw.tzinfo is None:
                if raw.year >= rules.EARLIEST.year:
                    value = timezone.make_aware(whole_seconds(raw), tz)
                    if value <= now:
                        return value
            return parse(raw)

        return fast_datetime

    def fast_column(self, cells):
        """A column of naive date-times in whole seconds, none earlier than the earliest year
        allowed and all a day or more before now (so that no daylight-saving shift can put one
        after it), becomes aware in one pass; any other goes cell by cell."""
        if not cells or not _date_shortcut_allowed(self.validators):
            return None
        datetime_class, date_class = datetime.datetime, datetime.date
        if date_class in set(map(type, cells)):  # a date-time at midnight comes as a date
            cells = [
                datetime_class(v.year, v.month, v.day) if v.__class__ is date_class else v for v in cells
            ]
        if any(v.__class__ is not datetime_class or v.tzinfo is not None or v.microsecond for v in cells):
            return None
        tz = timezone.get_current_timezone()
        latest = timezone.localtime(timezone.now(), tz).replace(tzinfo=None) - datetime.timedelta(days=1)
        if min(cells).year < rules.EARLIEST.year or max(cells) > latest:
            return None
        return [v.replace(tzinfo=tz) for v in cells]

    def to_cell(self, value):
        return None if value is None else timezone.localtime(value).replace(tzinfo=None)

    def cell_writer(self):
        tz = timezone.get_current_timezone()  # once per export, not once per record
        return lambda value: None if value is None else value.astimezone(tz).replace(tzinfo=None)

    def type_example(self):
        return datetime.datetime.combine(EXAMPLE_DAY, datetime.time(9, 30))


class LookupColumn(Column):
    """A foreign key written in Excel by name (违法行为 → ViolationType, 专项行动 → Campaign).

    `lookup_field` is the name attribute; targets with a `brigade` field are limited to the
    importing brigade. `bind(brigade)` loads the name → id table once per import."""

    def __init__(self, field, header=None, lookup_field="name"):
        super().__init__(field, header)
        self.lookup_field = lookup_field
        self.target = field.related_model
        self.scoped = any(f.name == "brigade" for f in self.target._meta.fields)
        self._ids: dict[str, int] | None = None
        self._names: dict[int, str] | None = None
        self._ambiguous: set[str] = set()
        self.default = None

    def queryset(self, brigade):
        qs = self.target._default_manager.all()
        return qs.filter(brigade=brigade) if self.scoped else qs

    def bind(self, brigade):
        pairs = list(self.queryset(brigade).values_list(self.lookup_field, "pk"))
        self._ids = {str(name): pk for name, pk in pairs}
        self._names = {pk: str(name) for name, pk in pairs}
        # A name shared by two records (two campaigns of one name, different start dates) cannot
        # say which one is meant: refuse it rather than pick one at random.
        counts = Counter(str(name) for name, _ in pairs)
        self._ambiguous = {name for name, n in counts.items() if n > 1}

    def convert(self, raw):
        text = self.text(raw)
        if text in self._ambiguous:
            raise CellError(
                f"本大队有多条名为「{text}」的{self.target._meta.verbose_name}，无法确定是哪一条；"
                f"请先在{self.target._meta.verbose_name}台账中把名称改为互不相同"
            )
        try:
            return self._ids[text]
        except KeyError:
            where = "本大队的" if self.scoped else ""
            raise CellError(f"「{text}」不在{where}{self.target._meta.verbose_name}名单中")

    def fast_parser(self):
        ids, ambiguous, parse = self._ids, self._ambiguous, self._empty_shortcut()

        def fast_lookup(raw):
            # only a name that `text` leaves as it is: no white space to trim, no export guard
            pk = ids.get(raw) if raw.__class__ is str else None
            if pk is None or raw in ambiguous or raw[:1] == "'" or raw[:1].isspace() or raw[-1:].isspace():
                return parse(raw)
            return pk

        return fast_lookup

    @property
    def export_path(self) -> str:
        return f"{self.name}__{self.lookup_field}"

    def name_of(self, pk) -> str | None:
        return None if pk is None else self._names.get(pk)

    @property
    def choices_for_template(self):
        return list(self._names.values()) if self._names else None


def column_for(field: models.Field) -> Column:
    if isinstance(field, models.ForeignKey):
        return LookupColumn(field)
    if isinstance(field, models.DateTimeField):
        return DateTimeColumn(field)
    if isinstance(field, models.DateField):
        return DateColumn(field)
    if isinstance(field, models.DecimalField):
        return DecimalColumn(field)
    if isinstance(field, models.IntegerField) and not field.choices:
        return IntegerColumn(field)
    return Column(field)
