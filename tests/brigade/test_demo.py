"""The demo `make run` opens on: a 支队 whose brigades differ, named people who sign, a draft for
the data check, loaded once; and the Makefile's steps the README describes."""

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from brigade.models import Brigade, Training, User
from brigade.periods import Period
from enforcement.models import Violation
from reports import quality
from reports.dashboard import compare
from reports.models import AnnualReport
from reports.services import signer_name

ROOT = Path(__file__).resolve().parents[2]


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_demo_detachment_shows_the_whole_product_and_loads_once(db):
    out = load_demo()
    today = timezone.localdate()
    brigades = list(Brigade.objects.filter(parent__code="yongzhou").order_by("pk"))
    ids = [b.pk for b in brigades]
    assert len(brigades) >= 3

    # Two years of records each, and brigades of different sizes.
    for b in brigades:
        years = {d.year for d in Violation.objects.filter(brigade=b).dates("occurred_at", "year")}
        assert {today.year - 1, today.year} <= years, b.short_name
    sizes = [Violation.objects.filter(brigade_id=b).count() for b in ids]
    assert len(set(sizes)) == len(sizes)

    # The 支队's comparison ranks them: accidents (fewer is better) in three different places,
    # one brigade better than last year and one worse.
    comparison = compare(brigade_ids=ids, period=Period.year_to_date(today.year, today))
    accidents = next(r for r in comparison["rows"] if r["label"] == "交通事故")
    assert sorted(c["rank"] for c in accidents["cells"]) == [1, 2, 3]
    if today.timetuple().tm_yday > 60:  # this year has had enough days to differ from the last
        tones = {c["tone"] for c in accidents["cells"]}
        assert {"good", "bad"} <= tones

    # Its records are its own county's: numbers and places not 双牌's.
    jiangyong = Brigade.objects.get(code="jiangyong")
    assert Violation.objects.filter(brigade=jiangyong, decision_no__startswith="431125").exists()
    assert not Violation.objects.filter(brigade=jiangyong, location__contains="双牌").exists()

    # Real names: a document the 支队's leader signs reads 签发人：王立新, not a label.
    for username in ("zhidui", "zhidui_legal", "leader", "legal"):
        name = signer_name(User.objects.get(username=username))
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name) and "支队" not in name and "法制" not in name

    # This year's report of 双牌 is a draft, and its data check finds the month not entered.
    report = AnnualReport.objects.get(brigade__code="demo", year=today.year)
    assert report.status == AnnualReport.Status.DRAFT
    assert report.doc_number == f"双公交〔{today.year}〕3号"  # 提交领导签发 takes it as it is
    if today.month > 2:
        texts = [w["text"] for w in quality.data_warnings(brigade_ids=[report.brigade_id], year=today.year)]
        assert any(f"{today.year}年{today.month - 2}月" in t and "执法监督" in t for t in texts), texts

    # The 支队 leader sees the comparison on the dashboard.
    client = Client()
    client.force_login(User.objects.get(username="zhidui"))
    page = client.get(reverse("home")).content.decode()
    assert all(b.short_name in page for b in brigades) and "第1名" in page

    # The accounts are listed in Chinese, with what each does.
    assert "zhidui_legal" in out and "刘晓燕（永州支队法制员）" in out and "（clerk）" not in out

    # Loaded once: a second run writes nothing and keeps the draft.
    counts = (Training.objects.count(), Violation.objects.count(), AnnualReport.objects.count())
    again = load_demo()
    assert "演示数据已存在" in again
    assert (Training.objects.count(), Violation.objects.count(), AnnualReport.objects.count()) == counts


def test_sqlite_is_not_warned_about_the_covering_index(db):
    """The checks migrate runs print no models.W040 on SQLite, and the index keeps its INCLUDE
    columns for PostgreSQL."""
    out, err = io.StringIO(), io.StringIO()
    call_command("check", "--database", "default", stdout=out, stderr=err)
    assert "W040" not in out.getvalue() + err.getvalue() and "no issues" in out.getvalue()
    index = next(i for i in Violation._meta.indexes if i.name == "violation_brigade_time_idx")
    assert index.include


@pytest.mark.skipif(shutil.which("make") is None, reason="make 未安装")
def test_make_run_says_each_step_and_takes_a_host():
    out = subprocess.run(
        ["make", "-n", "run", "HOST=0.0.0.0:8080"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    steps = ["正在建立数据库", "正在载入演示数据", "请用浏览器打开 http://127.0.0.1:8080/"]
    assert all(step in out for step in steps), out
    assert "runserver --skip-checks --noreload 0.0.0.0:8080" in out
