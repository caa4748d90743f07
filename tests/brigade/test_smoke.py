from django.urls import reverse


def test_login_page_is_chinese(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_every_page_needs_login(client, db):
    response = client.get(reverse("ledger:list", args=["training"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_pages_forbid_inline_scripts_and_have_none(as_clerk, as_legal):
    from pathlib import Path

    response = as_clerk.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy and "object-src 'none'" in policy
    import re

    templates = Path(__file__).resolve().parents[2] / "templates"
    for template in templates.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=|<style|\sstyle=", text), template
