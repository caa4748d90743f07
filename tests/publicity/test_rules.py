"""The publicity ledgers' own rules (docs/ledgers.md, publicity/): what the suite over every
ledger (tests/brigade/test_ledgers.py) does not cover."""

from django.urls import reverse

from publicity.models import MediaWork
from tests.records import good


def test_blank_quantity_counts_one_work(as_clerk):
    as_clerk.post(reverse("ledger:create", args=["media"]), good("media") | {"quantity": ""})
    assert MediaWork.objects.get().quantity == 1
