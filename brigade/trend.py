"""The one rule for how a figure moved since last year. Pure: no models, no database.

The dashboard colours a card by it, the report's prose says 上升/下降/持平 by it, and the
material for 不足和原因 takes what got worse by it, so the three can never disagree."""

from decimal import ROUND_HALF_UP, Decimal, localcontext


def round2(value) -> Decimal:
    """Two decimals, half up: the precision every figure and change is phrased with."""
    with localcontext() as ctx:
        ctx.prec = 60
        return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def trend(current, previous, *, rate: bool = False) -> str | None:
    """ "up", "down" or "flat" as the change is phrased; None when a side has no data.

    Rates compare in points at two decimals (87.001% and 86.999% both read 87%: flat). Counts
    are flat when equal, or when the change in percent of last year's value rounds to 0.00%
    (与去年同期基本持平); from a zero base any increase is "up".

    >>> trend(5, 3), trend(3, 5), trend(4, 4), trend(200001, 200000), trend(5, 0)
    ('up', 'down', 'flat', 'flat', 'up')
    >>> trend(Decimal("86.999"), Decimal("87.001"), rate=True), trend(None, 5)
    ('flat', None)
    """
    if current is None or previous is None:
        return None
    current, previous = Decimal(str(current)), Decimal(str(previous))
    if rate:
        current, previous = round2(current), round2(previous)
    elif previous and current != previous and round2(abs(current - previous) * 100 / previous) == 0:
        return "flat"
    return "up" if current > previous else "down" if current < previous else "flat"
