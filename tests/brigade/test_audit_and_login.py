import datetime

from django.urls import reverse

from brigade.ledger import version_of
from brigade.models import Training

DATA = {"date": "2025-03-05", "name": "民法典讲座", "kind": "法治讲座", "mode": "线下", "attendees": "60"}


def test_delete_is_kept_and_a_legal_officer_restores_it(as_clerk, as_legal, legal, brigade):
    as_clerk.post(reverse("ledger:create", args=["training"]), DATA)
    record = Training.objects.get()
    as_clerk.post(
        reverse("ledger:update", args=["training", record.pk]),
        DATA | {"attendees": "70", "version": version_of(record)},
    )
    as_clerk.post(reverse("ledger:delete", args=["training", record.pk]))
    assert not Training.objects.exists()

    # a clerk cannot restore; the legal officer sees the deleted record and restores it
    version = Training.history.get(history_type="-")
    assert as_clerk.post(reverse("ledger:restore", args=["training", version.history_id])).status_code == 403
    deleted = as_legal.get(reverse("ledger:deleted", args=["training"])).content.decode()
    assert "民法典讲座" in deleted
    as_legal.post(reverse("ledger:restore", args=["training", version.history_id]))
    restored = Training.objects.get()
    assert (restored.pk, restored.attendees, restored.brigade) == (record.pk, 70, brigade)
    kinds = list(
        restored.history.order_by("history_date").values_list("history_type", "history_user__username")
    )
    assert kinds == [("+", "clerk_a"), ("~", "clerk_a"), ("-", "clerk_a"), ("+", legal.username)]
    assert not as_legal.get(reverse("ledger:deleted", args=["training"])).context["object_list"]


def test_history_is_on_the_record_page(as_clerk, brigade):
    record = Training.objects.create(
        brigade=brigade,
        date=datetime.date(2025, 1, 1),
        name="旧名称",
        kind="专题学法",
        mode="线下",
        attendees=5,
    )
    as_clerk.post(
        reverse("ledger:update", args=["training", record.pk]),
        DATA | {"name": "新名称", "version": version_of(record)},
    )
    page = as_clerk.get(reverse("ledger:detail", args=["training", record.pk])).content.decode()
    assert "名称：旧名称 → 新名称" in page and "clerk_a" in page


def test_login_locks_after_repeated_failures(client, clerk, settings):
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": clerk.username, "password": "wrong"})
        assert response.status_code == 200
    assert client.post(url, {"username": clerk.username, "password": "wrong"}).status_code == 429
    locked = client.post(url, {"username": clerk.username, "password": "Test-Passw0rd!"})
    assert locked.status_code == 429
    assert "账号已临时锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_correct_login_lands_on_home(client, clerk):
    response = client.post(reverse("login"), {"username": clerk.username, "password": "Test-Passw0rd!"})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_wrong_password_message_is_chinese(client, clerk):
    page = client.post(reverse("login"), {"username": clerk.username, "password": "nope"}).content.decode()
    assert "请输入一个正确的" in page


def test_restore_when_the_key_was_reused_is_refused_with_a_message(as_clerk, as_legal, brigade):
    from brigade.models import Regulation

    data = {"name": "执法过错责任追究办法", "date": "2025-02-01", "category": "监督管理", "status": "新建"}
    as_clerk.post(reverse("ledger:create", args=["regulations"]), data)
    old = Regulation.objects.get()
    as_clerk.post(reverse("ledger:delete", args=["regulations", old.pk]))
    as_clerk.post(reverse("ledger:create", args=["regulations"]), data | {"status": "修订"})
    version = Regulation.history.get(history_type="-")
    response = as_legal.post(reverse("ledger:restore", args=["regulations", version.history_id]), follow=True)
    assert "不能恢复" in response.content.decode()
    assert Regulation.objects.get().status == "修订"


def test_a_campaign_named_by_violations_cannot_be_deleted(as_clerk, brigade):
    from enforcement.models import Campaign, Violation, ViolationType

    campaign = Campaign.objects.create(
        brigade=brigade, name="夏季整治", start_date="2025-06-01", kind="集中整治", officers=10
    )
    Violation.objects.create(
        brigade=brigade,
        decision_no="X1",
        occurred_at="2025-06-02T10:00+08:00",
        method="现场",
        outcome="罚款",
        violation_type=ViolationType.objects.get(name="超速"),
        campaign=campaign,
    )
    response = as_clerk.post(reverse("ledger:delete", args=["campaigns", campaign.pk]), follow=True)
    assert "不能删除：有1条违法查处记录引用了它" in response.content.decode()
    assert Campaign.objects.filter(pk=campaign.pk).exists()
