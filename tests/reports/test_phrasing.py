"""reports.phrasing: figures phrased as Chinese official prose writes them (docs/phrasing.md).

Pure functions: no database, no `db` fixture.
"""

import doctest
from datetime import date, datetime
from decimal import Decimal

import pytest

from brigade.figures import Figure, Rate
from reports import phrasing
from reports.phrasing import (
    amount_yuan,
    change,
    change_amount,
    cn_date,
    count,
    join_titles,
    percent,
    rate_change,
)


def test_docstring_examples():
    result = doctest.testmod(phrasing, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


# --------------------------------------------------------------------------- count


@pytest.mark.parametrize(
    "n, expected",
    [
        (0, "0"),
        (1, "1"),
        (1169, "1169"),
        (44150, "44150"),
        (90000, "90000"),  # below 100000: exact, not 9万
        (99999, "99999"),
        (100000, "10万"),
        (100001, "10万余"),
        (100099, "10万余"),
        (100100, "10.01万"),
        (113600, "11.36万"),
        (120000, "12万"),
        (120050, "12万余"),  # 12.005万 cut to 12.00
        (123400, "12.34万"),
        (430512, "43.05万余"),
        (430000, "43万"),
        (999999, "99.99万余"),  # cut, never rounded up to 100万
        (1000000, "100万"),
        (1234567, "123.45万余"),
        (100000000, "10000万"),
    ],
)
def test_count(n, expected):
    assert count(n) == expected


@pytest.mark.parametrize("n", [-1, -100000])
def test_count_negative_is_value_error(n):
    with pytest.raises(ValueError):
        count(n)


@pytest.mark.parametrize("n", [1.0, Decimal("5"), "5", None, True])
def test_count_rejects_non_integers(n):
    with pytest.raises(TypeError):
        count(n)


# --------------------------------------------------------------------------- percent


@pytest.mark.parametrize(
    "value, expected",
    [
        (11.4833, "11.48%"),
        (78.3, "78.3%"),
        (100, "100%"),
        (0, "0%"),
        (12.5, "12.5%"),
        (0.004, "0%"),
        (0.005, "0.01%"),  # half up
        (11.485, "11.49%"),  # half up, not the float's 11.484999…
        (11.475, "11.48%"),
        (2.675, "2.68%"),  # round(2.675, 2) is 2.67 in binary float
        (0.1 + 0.2, "0.3%"),  # float noise
        (33.33333333333333, "33.33%"),
        (66.66666666666667, "66.67%"),
        (Decimal("11.485"), "11.49%"),
        (Decimal("87.50"), "87.5%"),
        (Decimal("100.00"), "100%"),
        (Decimal("1E+2"), "100%"),
        (Decimal("0.0000"), "0%"),
        (-3.5, "-3.5%"),
        (-0.004, "0%"),  # never "-0%"
        (250, "250%"),
    ],
)
def test_percent(value, expected):
    assert percent(value) == expected


@pytest.mark.parametrize("value", [None, "12", True])
def test_percent_rejects_non_numbers(value):
    with pytest.raises(TypeError):
        percent(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN")])
def test_percent_rejects_non_finite(value):
    with pytest.raises(ValueError):
        percent(value)


# --------------------------------------------------------------------------- change


@pytest.mark.parametrize(
    "current, previous, expected",
    [
        (9, 8, "较去年同期上升12.5%"),
        (8852, 10000, "较去年同期下降11.48%"),
        (1355, 1531, "较去年同期下降11.5%"),
        (10, 100, "较去年同期下降90%"),
        (200, 100, "较去年同期上升100%"),
        (0, 5, "较去年同期下降100%"),
        (8, 8, "与去年同期持平"),
        (0, 0, "与去年同期持平"),
        (5, 0, "去年同期为0"),
        (1, 0, "去年同期为0"),
        (200001, 200000, "与去年同期基本持平"),  # 0.0005% phrases as 0%
        (199999, 200000, "与去年同期基本持平"),
        (20001, 20000, "较去年同期上升0.01%"),  # 0.005% rounds half up to 0.01%
        (Decimal("9"), Decimal("8"), "较去年同期上升12.5%"),
        (9.0, 8.0, "较去年同期上升12.5%"),
        (Decimal("8.0"), 8, "与去年同期持平"),
    ],
)
def test_change(current, previous, expected):
    assert change(current, previous) == expected


def test_change_rounds_half_up():
    # 11.485%: (100000 - 88515) / 100000
    assert change(88515, 100000) == "较去年同期下降11.49%"
    assert change(111485, 100000) == "较去年同期上升11.49%"


@pytest.mark.parametrize("current, previous", [(-1, 5), (5, -1)])
def test_change_negative_is_value_error(current, previous):
    with pytest.raises(ValueError):
        change(current, previous)
    with pytest.raises(ValueError):
        change_amount(current, previous)


@pytest.mark.parametrize("current, previous", [(None, 5), (5, None)])
def test_change_none_is_type_error(current, previous):
    with pytest.raises(TypeError):
        change(current, previous)


@pytest.mark.parametrize(
    "current, previous, unit, expected",
    [
        (1160, 1000, "起", "同比增加160起"),
        (77, 100, "起", "同比减少23起"),
        (77, 100, "件", "同比减少23件"),
        (8, 8, "起", "与去年同期持平"),
        (0, 0, "起", "与去年同期持平"),
        (5, 0, "起", "同比增加5起"),
        (0, 5, "人次", "同比减少5人次"),
        (99999, 0, "起", "同比增加99999起"),
        (100000, 0, "起", "同比增加10万起"),
        (230512, 100000, "次", "同比增加13.05万余次"),
        (Decimal("12.5"), 10, "万元", "同比增加2.5万元"),
    ],
)
def test_change_amount(current, previous, unit, expected):
    assert change_amount(current, previous, unit) == expected


def test_change_amount_default_unit():
    assert change_amount(1160, 1000) == "同比增加160起"


# --------------------------------------------------------------------------- rate_change


@pytest.mark.parametrize(
    "name, current, previous, expected",
    [
        ("相符率", 87, 65, "相符率由去年的65%提升到87%"),
        ("执法记录仪相符率", 87, 65, "执法记录仪相符率由去年的65%提升到87%"),
        ("相符率", 65, 87, "相符率由去年的87%下降到65%"),
        ("相符率", 87, 87, "相符率与去年持平，均为87%"),
        ("相符率", 87, 87.001, "相符率与去年持平，均为87%"),  # equal once phrased
        ("相符率", Decimal("87.50"), 87.5, "相符率与去年持平，均为87.5%"),
        ("办结率", 100, 98.456, "办结率由去年的98.46%提升到100%"),
        ("相符率", 0.1 + 0.2, 0.2, "相符率由去年的0.2%提升到0.3%"),
        ("相符率", 87, None, "相符率为87%"),
        ("相符率", None, 87, None),
        ("相符率", None, None, None),
    ],
)
def test_rate_change(name, current, previous, expected):
    assert rate_change(name, current, previous) == expected


@pytest.mark.parametrize("higher_is_better", [True, False])
def test_rate_change_wording_ignores_better_or_worse(higher_is_better):
    assert rate_change("投诉率", 5, 3, higher_is_better=higher_is_better) == "投诉率由去年的3%提升到5%"
    assert rate_change("投诉率", 3, 5, higher_is_better=higher_is_better) == "投诉率由去年的5%下降到3%"


@pytest.mark.parametrize(
    "current, previous, higher_is_better, expected",
    [
        (65, 87, True, True),
        (87, 65, True, False),
        (87, 87, True, False),
        (87, 87.001, True, False),
        (86.999, 87.001, True, False),
        (86.99, 87.001, True, True),
        (12, 5, False, True),
        (5, 12, False, False),
        (None, 5, True, False),
        (5, None, False, False),
    ],
)
def test_worse_is_the_phrased_change_in_the_wrong_direction(current, previous, higher_is_better, expected):
    """One rule: a rate the prose calls 持平 (87% and 87.001%) is not material for 不足."""
    rate = Rate("x.rate", "相符率", "x.a", "x.b", higher_is_better=higher_is_better)
    figure = Figure(rate, current, previous)
    assert figure.worse is expected
    if current is not None and previous is not None:
        flat = "持平" in rate_change("相符率", current, previous)
        assert (figure.trend == "flat") is flat


# --------------------------------------------------------------------------- amount_yuan


@pytest.mark.parametrize(
    "value, expected",
    [
        (0, "0元"),
        (5000, "5000元"),
        (Decimal("5000.00"), "5000元"),
        (Decimal("5000.50"), "5000.5元"),
        (Decimal("5000.55"), "5000.55元"),
        (Decimal("5000.555"), "5000.56元"),  # half up to the 分
        (200.1 + 0.2, "200.3元"),
        (Decimal("99999.99"), "99999.99元"),
        (Decimal("99999.996"), "10万元"),  # rounds to 100000.00
        (100000, "10万元"),
        (Decimal("100000.50"), "10万余元"),
        (1234500, "123.45万元"),
        (Decimal("1234500.00"), "123.45万元"),
        (1234567, "123.45万余元"),
        (430512, "43.05万余元"),
    ],
)
def test_amount_yuan(value, expected):
    assert amount_yuan(value) == expected


def test_amount_yuan_negative_is_value_error():
    with pytest.raises(ValueError):
        amount_yuan(Decimal("-0.01"))


# --------------------------------------------------------------------------- cn_date


@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2023, 12, 19), "2023年12月19日"),
        (date(2024, 1, 5), "2024年1月5日"),
        (date(2021, 10, 1), "2021年10月1日"),
        (datetime(2024, 1, 12, 9, 30), "2024年1月12日"),
    ],
)
def test_cn_date(d, expected):
    assert cn_date(d) == expected


def test_cn_date_rejects_strings():
    with pytest.raises(TypeError):
        cn_date("2023-12-19")


# --------------------------------------------------------------------------- join_titles


@pytest.mark.parametrize(
    "names, limit, expected",
    [
        (["A", "B", "C"], None, "《A》《B》《C》"),
        (["A", "B", "C"], 2, "《A》《B》等"),
        (["A", "B", "C"], 3, "《A》《B》《C》"),
        (["A", "B"], 5, "《A》《B》"),
        (["A"], 1, "《A》"),
        ([], None, ""),
        ([], 2, ""),
        (["《民法典》", "安全生产法"], None, "《民法典》《安全生产法》"),
        ([" 民法典 ", "", "  "], None, "《民法典》"),
        (("A", "B", "C"), 1, "《A》等"),
    ],
)
def test_join_titles(names, limit, expected):
    assert join_titles(names, limit) == expected


def test_join_titles_with_caller_total():
    names = [f"制度{i}" for i in range(1, 14)]
    assert f"{join_titles(names, 2)}{len(names)}项制度" == "《制度1》《制度2》等13项制度"


@pytest.mark.parametrize("limit", [0, -1])
def test_join_titles_bad_limit(limit):
    with pytest.raises(ValueError):
        join_titles(["A"], limit)
