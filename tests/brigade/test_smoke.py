import pytest
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


@pytest.mark.parametrize(
    ("attribute", "value", "code"),
    [
        ("fields", ["date", "nmae"], "brigade.E102"),
        ("key", ["title"], "brigade.E103"),
        ("date_field", "name", "brigade.E104"),
        ("filters", ["kindd"], "brigade.E105"),
        ("filters", ["name"], "brigade.E105"),
        ("list_display", ["date", "hours_total"], "brigade.E106"),
        ("search", ["attendees"], "brigade.E107"),
        ("examples", {"nmae": "宪法学习"}, "brigade.E126"),
    ],
)
def test_a_mistyped_ledger_declaration_fails_the_system_check(attribute, value, code):
    import copy

    from brigade.ledger import registry
    from brigade.ledger.checks import check_ledger

    ledger = copy.copy(registry.get("training"))
    assert check_ledger(ledger) == []  # the real declaration is clean
    setattr(ledger, attribute, value)
    errors = check_ledger(ledger)
    assert [e.id for e in errors] == [code], errors
    assert "training" in errors[0].msg and attribute in errors[0].msg


def test_a_ledger_model_without_ordering_or_unique_key_fails_the_system_check(monkeypatch):
    import copy

    from brigade.ledger import registry
    from brigade.ledger.checks import check_ledger

    ledger = copy.copy(registry.get("violations"))
    monkeypatch.setattr(ledger.model._meta, "ordering", [])
    assert [e.id for e in check_ledger(ledger)] == ["brigade.E124"]
    monkeypatch.undo()
    ledger.key = ["occurred_at"]  # a key the database does not hold unique per brigade
    (error,) = check_ledger(ledger)
    assert error.id == "brigade.E125" and "UniqueConstraint(fields=['brigade', 'occurred_at'])" in error.msg


def test_every_declared_ledger_passes_the_system_check():
    from django.core.management import call_command

    call_command("check")  # raises SystemCheckError on any error


def test_the_production_settings_start_before_collectstatic(tmp_path):
    """`make serve` migrates before it collects the static files: nothing may need the static
    manifest while the project loads (a URL that resolved a static name at import did)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ENV_FILE": str(tmp_path / "none"),
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    checked = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=root, env=env, capture_output=True, timeout=120
    )
    assert checked.returncode == 0, checked.stderr.decode()[-2000:]


def test_a_mistyped_address_shows_the_chinese_page_in_development_too(as_clerk, settings):
    settings.DEBUG = True
    for address in ("/ledgers/no-such-ledger/", "/no/such/page/"):
        response = as_clerk.get(address)
        page = response.content.decode()
        assert (
            response.status_code == 404 and "Page not found" not in page and "Using the URLconf" not in page
        )
        assert "页面不存在" in page, address
