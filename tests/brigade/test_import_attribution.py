"""Who the history says imported a file: on the command line only a user who could have imported
it in the browser may be named (--by), and a preview confirmed by another clerk is recorded as
the confirming clerk's."""

import pytest
from django.core.management import CommandError
from django.urls import reverse

from brigade.models import Job, Training
from brigade.services import user_upsert
from tests.brigade.test_commands import run
from tests.brigade.test_import_export import TRAINING_HEADER, training_rows
from tests.conftest import PASSWORD, login, make_xlsx


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.xlsx"
    path.write_bytes(make_xlsx([TRAINING_HEADER, *training_rows(2)]).getvalue())
    return str(path)


@pytest.mark.parametrize("dry_run", [False, True])
def test_by_a_leader_is_refused_in_chinese_and_nothing_is_written(brigade, leader, good, dry_run):
    args = ["import_ledger", "training", good, "--brigade", "a", "--by", leader.username]
    with pytest.raises(CommandError) as caught:
        run(*args, *(["--dry-run"] if dry_run else []))
    message = str(caught.value)
    assert f"用户 {leader.username}" in message and "领导" in message and "无权" in message, message
    assert not Training.objects.exists() and not Training.history.exists()


def test_by_a_clerk_of_another_brigade_is_refused(brigade, outsider, good):
    with pytest.raises(
        CommandError, match=f"用户 {outsider.username}（乙县公安局交通警察大队，录入员）无权向甲县"
    ):
        run("import_ledger", "training", good, "--brigade", "a", "--by", outsider.username)
    assert not Training.objects.exists()


def test_by_a_detachment_user_or_an_inactive_clerk_is_refused(brigade, detachment, clerk, good):
    chief = user_upsert(
        username="zd_legal", brigade_code="zd", role="legal", detachment=True, password=PASSWORD
    )[0]
    with pytest.raises(CommandError, match="支队级法制员）无权"):
        run("import_ledger", "training", good, "--brigade", "a", "--by", chief.username)
    clerk.is_active = False
    clerk.save()
    with pytest.raises(CommandError, match=f"用户 {clerk.username} 已停用"):
        run("import_ledger", "training", good, "--brigade", "a", "--by", clerk.username)
    assert not Training.objects.exists()


def test_by_a_legal_officer_of_the_brigade_is_recorded(brigade, legal, good):
    run("import_ledger", "training", good, "--brigade", "a", "--by", legal.username)
    assert {h.history_user for h in Training.history.all()} == {legal}


def test_a_preview_confirmed_by_another_clerk_is_recorded_as_theirs(brigade, clerk):
    second = user_upsert(username="clerk2_a", brigade_code="a", role="clerk", password=PASSWORD)[0]
    login(clerk).post(reverse("ledger:import", args=["training"]),
                      {"file": make_xlsx([TRAINING_HEADER, *training_rows(3)])})  # fmt: skip
    job = Job.objects.get()
    assert job.status == Job.Status.PREVIEW and job.user == clerk
    response = login(second).post(reverse("ledger:import_confirm", args=["training", job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.confirmed_by == second and job.user == clerk
    assert Training.history.count() == 3
    assert {h.history_user for h in Training.history.all()} == {second}
    record = Training.objects.first()
    page = login(clerk).get(reverse("ledger:history", args=["training", record.pk])).content.decode()
    assert str(second) in page
    preview = login(clerk).get(reverse("ledger:import_preview", args=["training", job.pk])).content.decode()
    assert f"确认导入：{second}" in preview
