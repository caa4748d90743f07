"""The drafted report reads like the seeds (/work/shared/seeds, quoted here): their number forms,
their comparisons, and no stock phrase said twice in a part (domain.md §4, reports/phrasing.py)."""

import datetime
import re
from collections import Counter

import pytest
from django.utils import timezone

from reports import phrasing, services
from tests.reports.test_drilldown import sampled_demo  # noqa: F401 — the demo's records, thinned

# (seed, what the seed writes, what the phrasing module writes for numbers of that shape)
SEED_FORMS = [
    ("000", "较去年同期相比下降11.48%", lambda: phrasing.change(4427, 5001)),
    ("000", "较全年同期下降78.3%", lambda: phrasing.change(217, 1000)),
    ("003", "11.36万起", lambda: phrasing.count(113600) + "起"),
    ("001", "记录仪相符率由去年的不足65%提升到87%", lambda: phrasing.rate_change("记录仪相符率", 87, 65)),
    ("002", "办结率达到100%", lambda: "办结率达到" + phrasing.percent(100)),
    ("000", "截止2021年12月1日", lambda: "截止" + phrasing.cn_date(datetime.date(2021, 12, 1))),
]


def _normal(text: str) -> str:
    """The seed's words without its slips (相比 after 较去年同期, 全年 for 去年, 不足): what
    domain.md §4 keeps of them."""
    return text.replace("相比", "").replace("较全年同期", "较去年同期").replace("不足", "")


@pytest.mark.parametrize("seed, written, ours", SEED_FORMS, ids=[f"{s}:{w}" for s, w, _ in SEED_FORMS])
def test_numbers_are_phrased_as_the_seeds_phrase_them(seed, written, ours):
    assert ours() == _normal(written)


CLAUSE = re.compile(r"[^，。；：、！？\n]+")


def test_no_stock_phrase_twice_in_a_part(sampled_demo, legal):  # noqa: F811
    """A clause without a figure in it (a stock phrase: 取得明显成效, 进一步规范执法行为 …) appears at most
    once in each part of the drafted report."""
    year = timezone.localdate().year - 1
    report = services.report_create(brigade=sampled_demo, year=year, user=legal)
    parts: dict[str, list[str]] = {}
    for section in report.sections.all():
        parts.setdefault(section.key.split(".")[0], []).append(section.body)
    checked = 0
    for part, bodies in parts.items():
        clauses = [c.strip() for c in CLAUSE.findall("\n".join(bodies))]
        stock = Counter(c for c in clauses if len(c) >= 6 and not re.search(r"\d", c))
        repeated = {c: n for c, n in stock.items() if n > 1}
        assert not repeated, (part, repeated)
        checked += len(stock)
    assert checked > 20  # the draft has prose to check
