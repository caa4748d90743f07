import datetime

from django.urls import reverse

from brigade.models import Training

DATA = {"date": "2025-03-05", "name": "民法典讲座", "kind": "法治讲座", "mode": "线下", "attendees": "60"}


def test_delete_is_kept_and_a_legal_officer_restores_it(as_clerk, as_legal, legal, brigade):
    as_clerk.post(reverse("ledger:create", args=["training"]), DATA)
    record = Training.objects.get()
    as_clerk.post(reverse("ledger:update", args=["training", record.pk]), DATA | {"attendees": "70"})
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
    as_clerk.post(reverse("ledger:update", args=["training", record.pk]), DATA | {"name": "新名称"})
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
