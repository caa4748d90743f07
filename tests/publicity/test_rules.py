"""The publicity ledgers' own rules (docs/ledgers.md, publicity/): what the suite over every
ledger (tests/brigade/test_ledgers.py) does not cover."""

import pytest
from django.urls import reverse

from publicity.models import MediaWork
from tests.records import good, refused


def test_blank_quantity_counts_one_work(as_clerk):
    as_clerk.post(reverse("ledger:create", args=["media"]), good("media") | {"quantity": ""})
    assert MediaWork.objects.get().quantity == 1


@pytest.mark.parametrize(
    "kind, changes, field, message",
    [
        ("events", {"attendees": "-5"}, "attendees", "确保该值大于或等于0。"),
        ("events", {"materials": "-1"}, "materials", "确保该值大于或等于0。"),
        ("media", {"quantity": "0"}, "quantity", "确保该值大于或等于1。"),
        ("media", {"views": "-1"}, "views", "确保该值大于或等于0。"),
    ],
)
def test_the_publicity_ledgers_own_rules(brigade, kind, changes, field, message):
    assert message in refused(kind, brigade, **changes)[field]
