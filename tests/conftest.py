"""Shared fixtures: two brigades under one detachment, one user per role in each, and helpers
to make ledger workbooks in memory."""

import importlib
import io

import pytest
from django.core.cache import caches
from django.test import Client
from openpyxl import Workbook

from brigade.models import Brigade
from brigade.services import brigade_upsert, user_upsert

PASSWORD = "Test-Passw0rd!"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Hashing is deliberately slow in production; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # An in-process cache, emptied for each test.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test"}
    }
    caches["default"].clear()
    # A confirmed import runs as soon as it is queued, in the test's own process; the worker
    # process itself is exercised by tests/brigade/test_import_worker.py.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def detachment(db) -> Brigade:
    return brigade_upsert(code="zd", name="测试市公安局交通警察支队", short_name="测试支队")[0]


@pytest.fixture
def brigade(detachment) -> Brigade:
    return brigade_upsert(
        code="a",
        name="甲县公安局交通警察大队",
        short_name="甲县大队",
        superior="中共甲县县委",
        parent_code="zd",
    )[0]


@pytest.fixture
def other_brigade(db) -> Brigade:
    return brigade_upsert(code="b", name="乙县公安局交通警察大队", short_name="乙县大队")[0]


def _user(brigade, role, name=None, detachment=False):
    return user_upsert(
        username=name or f"{role}_{brigade.code}",
        brigade_code=brigade.code,
        role=role,
        detachment=detachment,
        password=PASSWORD,
    )[0]


@pytest.fixture
def clerk(brigade):
    return _user(brigade, "clerk")


@pytest.fixture
def legal(brigade):
    return _user(brigade, "legal")


@pytest.fixture
def leader(brigade):
    return _user(brigade, "leader")


@pytest.fixture
def admin_user(brigade):
    return _user(brigade, "admin")


@pytest.fixture
def outsider(other_brigade):
    """A clerk of another brigade: must never see or touch `brigade`'s records."""
    return _user(other_brigade, "clerk")


@pytest.fixture
def detachment_user(detachment):
    return _user(detachment, "leader", name="zhidui", detachment=True)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_clerk(clerk):
    return login(clerk)


@pytest.fixture
def as_legal(legal):
    return login(legal)


@pytest.fixture
def as_leader(leader):
    return login(leader)


@pytest.fixture
def as_outsider(outsider):
    return login(outsider)


def make_xlsx(rows) -> io.BytesIO:
    """A workbook whose first sheet holds `rows` (the header row first)."""
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "ledger.xlsx"
    return buf


@pytest.fixture
def violation_types(db):
    """The migration-loaded 违法行为 list, again: a transactional test's flush empties it."""
    from django.apps import apps

    load = importlib.import_module("enforcement.migrations.0002_violation_types").load
    load(apps, None)
