from django.urls import reverse


def test_login_page_is_chinese(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_every_page_needs_login(client, db):
    response = client.get(reverse("ledger:list", args=["training"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
