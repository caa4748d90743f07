"""The brigade's own ledgers' rules (docs/ledgers.md, brigade/): what the suite over every ledger
(tests/brigade/test_ledgers.py) does not cover."""

import pytest

from tests.records import refused


@pytest.mark.parametrize(
    "kind, changes, field, message",
    [
        ("training", {"hours": "0"}, "hours", "必须大于0"),
        ("training", {"attendees": "0"}, "attendees", "确保该值大于或等于1。"),
    ],
)
def test_the_brigades_own_ledgers_rules(brigade, kind, changes, field, message):
    assert message in refused(kind, brigade, **changes)[field]
