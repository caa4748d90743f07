"""Brigade scoping and roles on every ledger URL: another brigade's record is a 404 on every
URL, a leader's write is a 403, a detachment user reads their brigades and writes nothing. The same
on every ledger: tests/brigade/test_ledgers.py; every POST-only view: test_post_only_views.py."""

import datetime
import io

import pytest
from django.urls import reverse

from brigade.ledger.xlsx import open_rows
from brigade.models import Meeting, Training
from tests.conftest import login


@pytest.fixture
def training(brigade):
    return Training.objects.create(
        brigade=brigade,
        date=datetime.date(2025, 3, 5),
        name="道路交通安全法专题学法",
        kind="专题学法",
        mode="线下",
        attendees=40,
    )


RECORD_URLS = ["detail", "update", "delete", "history"]


@pytest.mark.parametrize("name", RECORD_URLS)
def test_outsider_gets_404_on_every_record_url(as_outsider, training, name):
    url = reverse(f"ledger:{name}", args=["training", training.pk])
    assert as_outsider.get(url).status_code == 404
    assert as_outsider.post(url, {"name": "改掉"}).status_code == 404
    training.refresh_from_db()
    assert training.name == "道路交通安全法专题学法"


def test_outsider_never_sees_the_record_in_list_or_export(as_outsider, training):
    page = as_outsider.get(reverse("ledger:list", args=["training"])).content.decode()
    assert "道路交通安全法专题学法" not in page
    export = as_outsider.get(reverse("ledger:export", args=["training"]))
    rows = list(open_rows(io.BytesIO(b"".join(export.streaming_content))))
    assert rows[0][:2] == ["日期", "名称"] and len(rows) == 1  # the header, and no record of ours


@pytest.mark.parametrize("name", ["update", "delete"])
def test_leader_cannot_write(as_leader, training, name):
    url = reverse(f"ledger:{name}", args=["training", training.pk])
    assert as_leader.get(url).status_code == 403
    assert as_leader.post(url, {"name": "改掉"}).status_code == 403
    assert Training.objects.get(pk=training.pk).name == "道路交通安全法专题学法"


@pytest.mark.parametrize("name", ["create", "import", "import_template"])
def test_leader_cannot_reach_write_pages(as_leader, brigade, name):
    url = reverse(f"ledger:{name}", args=["training"])
    assert as_leader.get(url).status_code == 403
    assert as_leader.post(url, {}).status_code == 403


def test_leader_reads_lists_but_not_the_roster(as_leader, training):
    assert as_leader.get(reverse("ledger:list", args=["training"])).status_code == 200
    assert as_leader.get(reverse("ledger:detail", args=["training", training.pk])).status_code == 200
    # the roster is person-level data: clerks and legal officers only
    assert as_leader.get(reverse("ledger:list", args=["officers"])).status_code == 403
    assert as_leader.get(reverse("ledger:export", args=["officers"])).status_code == 403


def test_unknown_ledger_is_404(as_clerk):
    assert as_clerk.get("/ledgers/nonsense/").status_code == 404


def test_detachment_user_reads_child_brigades_and_writes_nothing(detachment_user, training, other_brigade):
    client = login(detachment_user)
    Meeting.objects.create(
        brigade=other_brigade, date=datetime.date(2025, 1, 2), name="乙县党委会", kind="党委会"
    )
    page = client.get(reverse("ledger:list", args=["training"])).content.decode()
    assert "道路交通安全法专题学法" in page
    assert client.get(reverse("ledger:detail", args=["training", training.pk])).status_code == 200
    # 乙县 is not under this detachment
    assert "乙县党委会" not in client.get(reverse("ledger:list", args=["meetings"])).content.decode()
    assert client.post(reverse("ledger:update", args=["training", training.pk]), {}).status_code == 403
    assert client.post(reverse("ledger:create", args=["training"]), {}).status_code == 403
