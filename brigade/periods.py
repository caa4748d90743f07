"""The periods figures are counted over: [start, end) in Beijing dates, the same days a year
earlier to compare with (docs/figures.md), and a period cut into whole months and month edges
(the rollups keep months, with each day's values for the edges)."""

import datetime
from dataclasses import dataclass

from django.utils import timezone


def _year_earlier(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Period:
    """[start, end) in local dates, and the same days a year earlier."""

    start: datetime.date
    end: datetime.date
    label: str = ""

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1), f"{year}年")

    @classmethod
    def year_to_date(cls, year: int, today: datetime.date | None = None) -> "Period":
        """The year so far: a past year whole, this year up to and including today."""
        today = today or timezone.localdate()
        if year < today.year:
            return cls.year(year)
        end = today + datetime.timedelta(days=1)
        return cls(datetime.date(year, 1, 1), end, f"{year}年1月1日至{today.month}月{today.day}日")

    @classmethod
    def months(cls, year: int, first: int, last: int) -> "Period":
        end = datetime.date(year + 1, 1, 1) if last == 12 else datetime.date(year, last + 1, 1)
        return cls(datetime.date(year, first, 1), end, f"{year}年{first}—{last}月")

    @property
    def previous(self) -> "Period":
        """The same days a year earlier: 29 February counts as 28 February, at either end (a
        period up to and including 28 February 2024 compares with one up to 28 February 2023)."""
        last = _year_earlier(self.end - datetime.timedelta(days=1))
        return Period(_year_earlier(self.start), last + datetime.timedelta(days=1), "去年同期")

    @property
    def is_whole_year(self) -> bool:
        return self.start.month == self.start.day == 1 and self.end == self.start.replace(
            year=self.start.year + 1
        )


def month_split(start: datetime.date, end: datetime.date):
    """[start, end) as the whole months it covers and the pieces of months at its edges:
    (whole months, {month: range of days})."""
    whole, parts = [], {}
    month = start.replace(day=1)
    while month < end:
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        first, last = max(start, month), min(end, following)
        if first == month and last == following:
            whole.append(month)
        elif first < last:
            parts[month] = range(first.day, (last - datetime.timedelta(days=1)).day + 1)
        month = following
    return whole, parts
