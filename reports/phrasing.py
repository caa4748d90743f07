"""Figures phrased the way Chinese official prose writes them (docs/phrasing.md;
the seed reports in /work/shared/seeds).

Pure functions: no models, no database. The annual report and the dashboard both use them, so a
figure reads the same everywhere.

Rules, in short:

* a count below 100000 is exact, with no separators (``1169``); from 100000 up it is in 万 with at
  most two decimals, *cut* rather than rounded, trailing zeros dropped, and ``余`` when the cut
  dropped something (``11.36万``, ``43.05万余``);
* a percentage has at most two decimals, rounded half up, trailing zeros dropped (``11.48%``);
* year over year: ``较去年同期上升12.5%`` / ``较去年同期下降11.48%`` / ``与去年同期持平``, and
  ``去年同期为0`` when there is nothing to take a percentage of;
* a rate compares in points: ``相符率由去年的65%提升到87%``.

All arithmetic is Decimal; a float is converted through ``str()`` so that ``0.1 + 0.2`` reads as
``0.3`` and ``11.485`` rounds half up to ``11.49``.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, localcontext

from brigade.trend import round2, trend

__all__ = [
    "WAN_THRESHOLD",
    "amount_yuan",
    "change",
    "change_amount",
    "cn_date",
    "count",
    "join_titles",
    "quoted",
    "target_count",
    "percent",
    "rate_change",
]

#: From this value up, counts and amounts are written in 万.
WAN_THRESHOLD = 100000

_WAN = 10000
# Enough digits that quantizing or dividing any realistic figure is exact at two decimals.
_PREC = 60

_FLAT = "与去年同期持平"
# The ways the seeds compare with last year, so that a paragraph need not say 较去年同期 every
# time: lead → (its "equal" form, its "last year was nothing" form). Values that differ but
# phrase as 0% (under 0.005%) are 基本持平: "上升0%" contradicts itself, "上升0.01%" overstates.
LEADS = {
    "较去年同期": ("与去年同期", "去年同期为0"),
    "同比": ("同比", "上年同期为0"),
    "较上年": ("与上年", "上年为0"),
}


# --------------------------------------------------------------------------- helpers


def _decimal(value: object, what: str = "value") -> Decimal:
    """A finite Decimal from an int, float (via ``str()``) or Decimal; TypeError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"{what} must be an int, float or Decimal, not {type(value).__name__}")
    d = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not d.is_finite():
        raise ValueError(f"{what} must be finite, not {value!r}")
    return d


def _non_negative(value: object, what: str) -> Decimal:
    d = _decimal(value, what)
    if d < 0:
        raise ValueError(f"{what} must not be negative, not {value!r}")
    return d


def _plain(d: Decimal) -> str:
    """Fixed-point text without trailing zeros (``12.50`` → ``12.5``, ``100`` → ``100``, never ``-0``)."""
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _wan(d: Decimal) -> str:
    """A non-negative value in 万: two decimals cut (not rounded), ``余`` when the cut dropped something."""
    hundredths = int(d // (_WAN // 100))  # whole 0.01万 (= 100) in d
    text = _plain(Decimal(hundredths).scaleb(-2)) + "万"
    if hundredths * (_WAN // 100) != d:
        text += "余"
    return text


def _quantity(d: Decimal) -> str:
    """A non-negative quantity: exact (up to two decimals, half up) below 100000, else in 万."""
    if d >= WAN_THRESHOLD:
        return _wan(d)
    rounded = round2(d)
    # 99999.996 rounds up to 100000.00, which is written in 万 like any other 100000.
    return _wan(rounded) if rounded >= WAN_THRESHOLD else _plain(rounded)


# --------------------------------------------------------------------------- figures


def count(n: int) -> str:
    """A count of things (起, 次, 人次, 件…), without its unit.

    Below 100000 exact and without separators; from 100000 up in 万 with at most two decimals,
    cut rather than rounded, trailing zeros dropped, ``余`` when the cut dropped something.
    The caller appends the unit: ``f"查处酒醉驾{count(n)}起"``.

    >>> count(1169), count(44150), count(0), count(99999)
    ('1169', '44150', '0', '99999')
    >>> count(100000), count(113600), count(430512), count(120050)
    ('10万', '11.36万', '43.05万余', '12万余')
    >>> count(1000000), count(1234567)
    ('100万', '123.45万余')
    >>> count(-1)
    Traceback (most recent call last):
    ...
    ValueError: count must not be negative, not -1

    Any integer type is accepted (``int``, numpy integers…); a bool, float or Decimal is a
    TypeError, since a count is whole. Values of 1亿 and more stay in 万 (``12345.67万``).
    """
    if isinstance(n, bool):
        raise TypeError("count must be an integer, not bool")
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"count must not be negative, not {n!r}")
    return str(n) if n < WAN_THRESHOLD else _wan(Decimal(n))


def percent(value: int | float | Decimal) -> str:
    """A percentage number (``11.4833`` means 11.4833%) with at most two decimals, half up.

    >>> percent(11.4833), percent(78.3), percent(100), percent(0), percent(12.5)
    ('11.48%', '78.3%', '100%', '0%', '12.5%')
    >>> percent(11.485), percent(0.004), percent(0.1 + 0.2), percent(Decimal("87.50"))
    ('11.49%', '0%', '0.3%', '87.5%')

    A negative value keeps its sign (``-3.5%``); one that rounds to zero reads ``0%``.
    """
    return _plain(round2(_decimal(value))) + "%"


def amount_yuan(value: int | float | Decimal) -> str:
    """Money in 元, with the 万 rule of :func:`count` from 100000 up.

    Below 100000: at most two decimals (分), half up, trailing zeros dropped (``.00`` goes,
    ``5000.50`` reads ``5000.5元``). From 100000 up: in 万, cut to two decimals, ``余`` when the
    cut dropped something (including stray 元 or 分).

    >>> amount_yuan(5000), amount_yuan(Decimal("5000.00")), amount_yuan(Decimal("5000.5"))
    ('5000元', '5000元', '5000.5元')
    >>> amount_yuan(1234500), amount_yuan(1234567), amount_yuan(100000)
    ('123.45万元', '123.45万余元', '10万元')
    >>> amount_yuan(-1)
    Traceback (most recent call last):
    ...
    ValueError: amount must not be negative, not -1
    """
    return _quantity(_non_negative(value, "amount")) + "元"


# --------------------------------------------------------------------------- year over year


def change(
    current: int | float | Decimal, previous: int | float | Decimal, *, lead: str = "较去年同期"
) -> str:
    """Year over year of a count, as a percentage of last year's figure.

    ``|current - previous| / previous × 100`` phrased by :func:`percent`.

    >>> change(8852, 10000)
    '较去年同期下降11.48%'
    >>> change(9, 8), change(8, 8), change(0, 0), change(5, 0), change(0, 5)
    ('较去年同期上升12.5%', '与去年同期持平', '与去年同期持平', '去年同期为0', '较去年同期下降100%')

    When the values differ but the change phrases as ``0%`` (less than 0.005%), the result is
    ``与去年同期基本持平``: "上升0%" contradicts itself and "上升0.01%" overstates the change.

    >>> change(200001, 200000)
    '与去年同期基本持平'

    ``lead`` is one of :data:`LEADS`, the seeds' other ways of saying it:

    >>> change(9, 8, lead="同比"), change(8, 8, lead="较上年"), change(5, 0, lead="同比")
    ('同比上升12.5%', '与上年持平', '上年同期为0')

    Negative values are a ValueError.
    """
    cur = _non_negative(current, "current")
    prev = _non_negative(previous, "previous")
    same, nothing = LEADS[lead]
    direction = trend(cur, prev)
    if direction == "flat":
        return f"{same}持平" if cur == prev else f"{same}基本持平"
    if prev == 0:
        return nothing
    with localcontext() as ctx:
        ctx.prec = _PREC
        phrased = percent(abs(cur - prev) * 100 / prev)
    return f"{lead}{'上升' if direction == 'up' else '下降'}{phrased}"


def change_amount(current: int | float | Decimal, previous: int | float | Decimal, unit: str = "起") -> str:
    """Year over year as a difference: ``同比增加160起`` / ``同比减少23起`` / ``与去年同期持平``.

    The difference is phrased by the same rule as :func:`count` (with up to two decimals below
    100000 for non-whole figures), then ``unit``.

    >>> change_amount(1160, 1000), change_amount(77, 100, "件"), change_amount(8, 8)
    ('同比增加160起', '同比减少23件', '与去年同期持平')
    >>> change_amount(5, 0), change_amount(0, 0), change_amount(230512, 100000, "次")
    ('同比增加5起', '与去年同期持平', '同比增加13.05万余次')
    """
    cur = _non_negative(current, "current")
    prev = _non_negative(previous, "previous")
    if cur == prev:
        return _FLAT
    return f"同比{'增加' if cur > prev else '减少'}{_quantity(abs(cur - prev))}{unit}"


def rate_change(
    name: str,
    current_rate: int | float | Decimal | None,
    previous_rate: int | float | Decimal | None,
    *,
    higher_is_better: bool = True,
    base: str = "去年",
) -> str | None:
    """A rate compared with last year's in points; rates are percentage numbers (65 means 65%).
    ``base`` names last year's side: 去年, 上年, or 去年同期 for a part of the year.

    ``提升到`` when the rate rose and ``下降到`` when it fell, whether that is better or worse
    (``higher_is_better`` does not change the wording). Equal means equal once phrased (``87.001`` and ``87`` are both ``87%``).

    >>> rate_change("执法记录仪相符率", 87, 65)
    '执法记录仪相符率由去年的65%提升到87%'
    >>> rate_change("相符率", 65, 87), rate_change("相符率", 87, 87.001)
    ('相符率由去年的87%下降到65%', '相符率与去年持平，均为87%')
    >>> rate_change("相符率", 87, None), rate_change("相符率", None, 87) is None
    ('相符率为87%', True)
    >>> rate_change("办结率", 91.67, 94.95, base="去年同期")
    '办结率由去年同期的94.95%下降到91.67%'
    """
    if current_rate is None:
        return None
    cur = round2(_decimal(current_rate, "current_rate"))
    if previous_rate is None:
        return f"{name}为{percent(cur)}"
    prev = round2(_decimal(previous_rate, "previous_rate"))
    direction = trend(cur, prev, rate=True)
    if direction == "flat":
        return f"{name}与{base}持平，均为{percent(cur)}"
    return f"{name}由{base}的{percent(prev)}{'提升到' if direction == 'up' else '下降到'}{percent(cur)}"


# --------------------------------------------------------------------------- text


def cn_date(d: date) -> str:
    """A date as GB/T 9704 writes the 成文日期: Arabic numerals, no zero padding.

    >>> cn_date(date(2023, 12, 19)), cn_date(date(2024, 1, 5))
    ('2023年12月19日', '2024年1月5日')
    """
    if not isinstance(d, date):
        raise TypeError(f"d must be a date, not {type(d).__name__}")
    return f"{d.year}年{d.month}月{d.day}日"


def join_titles(names: Iterable[str], limit: int | None = None) -> str:
    """Titles of documents or regulations in 书名号, run together as official prose lists them.

    With ``limit`` and more names than that, the first ``limit`` and ``等``; the caller adds the
    total (``f"{join_titles(names, 2)}{len(names)}项制度"``). Names already wrapped in 《》 are
    not wrapped twice; blank names are skipped.

    >>> join_titles(["A", "B", "C"]), join_titles(["A", "B", "C"], limit=2), join_titles(["A", "B"], 2)
    ('《A》《B》《C》', '《A》《B》等', '《A》《B》')
    >>> join_titles(["《民法典》", " 安全生产法 ", ""]), join_titles([]), join_titles(["A", "《A》"])
    ('《民法典》《安全生产法》', '', '《A》')
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit!r}")
    titles = [t for t in (name.strip().removeprefix("《").removesuffix("》").strip() for name in names) if t]
    titles = list(dict.fromkeys(titles))  # two brigades' rules of one name are named once
    shown = titles if limit is None else titles[:limit]
    text = "".join(f"《{t}》" for t in shown)
    return text + "等" if len(shown) < len(titles) else text


_INNER = str.maketrans({"“": "‘", "”": "’", '"': "’"})


def quoted(names: Iterable[str]) -> str:
    """Names in double quotes, run together (``“A”“B”``), each named once; quotes inside a
    name become single quotes, as official prose nests them (and a straight ``"`` pair too).

    >>> quoted(["2025年11月摩托车“炸街”专项整治", "春运", "春运"])
    '“2025年11月摩托车‘炸街’专项整治”“春运”'
    >>> quoted(['"炸街"整治'])
    '“‘炸街’整治”'
    """
    shown = []
    for name in dict.fromkeys(n.strip() for n in names):
        if not name:
            continue
        inner = name
        if '"' in inner:  # straight quotes pair up: open, close, open…
            parts = inner.split('"')
            inner = "".join(p + ("‘" if i % 2 == 0 else "’") for i, p in enumerate(parts[:-1])) + parts[-1]
        shown.append(f"“{inner.translate(_INNER)}”")
    return "".join(shown)


def target_count(n: int | float | Decimal, *, above: int | float | Decimal = -1) -> str:
    """A count to reach, for a target (恢复到…以上): cut down to its two leading digits, so the
    target is a round figure not above the value it comes from, and written in 万 from 10000 up
    (a target is a round figure, not a reported one: ``6.8万``, not ``68000``).

    >>> target_count(76516), target_count(34562), target_count(1416), target_count(9), target_count(120050)
    ('7.6万', '3.4万', '1400', '9', '12万')

    A target must be more than where the figure stands (``above``): one more digit until it is.

    >>> target_count(14801400, above=14006400), target_count(1416, above=1416)
    ('1480万', '1416')
    """
    exact = int(_non_negative(n, "n"))
    digits, kept = len(str(exact)), 2
    while True:
        step = 10 ** max(digits - kept, 0)
        value = exact // step * step
        if value > above or step == 1:
            break
        kept += 1
    if value >= _WAN:
        return _plain(Decimal(value) / _WAN) + "万"
    return str(value)
