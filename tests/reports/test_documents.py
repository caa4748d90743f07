"""Documents declared once (reports/documents.py): `check` validates each declaration, a redraft
adds the parts a declaration has gained, and reports made before kinds existed migrate untouched."""

import dataclasses
import datetime
import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from brigade.models import Training
from reports import documents, services
from reports.checks import check_documents
from reports.documents import LEVEL1, LEVEL2, Part

YEAR = 2025


def _errors(**changes) -> list:
    annual = documents.get("annual")
    documents._registry["annual"] = dataclasses.replace(annual, **changes)
    try:
        return check_documents()
    finally:
        documents._registry["annual"] = annual


def test_the_declared_documents_pass_the_check():
    assert check_documents() == []
    assert [d.kind for d in documents.all_kinds()] == ["annual"]


def draft_nothing(facts) -> str:
    return ""


def draft_naming_a_key(facts) -> str:
    return str(facts.f["training.sessions"])


@pytest.mark.parametrize(
    "changes, code, words",
    [
        ({"period": "week"}, "E011", "week"),
        ({"levels": ("county",)}, "E010", "county"),
        ({"signs": "sign_everything"}, "E012", "sign_everything"),
        ({"template": documents.get("annual").template.with_name("missing.docx")}, "E013", "missing.docx"),
        ({"parts": (Part("1", LEVEL1, "一"), Part("1", LEVEL1, "二"))}, "E015", "'1'"),
        ({"parts": (Part("1.a", LEVEL2, "无上级标题"),)}, "E016", "1.a"),
        ({"parts": (Part("1", LEVEL1, "一", "drafting:draft_studyy"),)}, "E017", "draft_studyy"),
        (
            {"parts": (Part("1", LEVEL1, "一", draft_nothing, ("training.sesions",)),)},
            "E018",
            "training.sesions",
        ),
        ({"parts": (Part("1", LEVEL1, "一", draft_naming_a_key),)}, "E019", "training.sessions"),
    ],
)
def test_a_broken_declaration_fails_the_system_check(changes, code, words):
    errors = _errors(**changes)
    assert [e.id for e in errors] == [f"reports.{code}"], errors
    assert words in errors[0].msg


def draft_new_part(facts) -> str:
    n = facts.f["training.sessions"].current
    return f"今年共组织学法培训{n:g}期。"


@pytest.mark.django_db
def test_a_redraft_adds_the_parts_a_declaration_has_gained(brigade, legal):
    Training.objects.create(
        brigade=brigade,
        date=datetime.date(YEAR, 3, 1),
        name="宪法学习",
        kind="专题学法",
        mode="线下",
        attendees=30,
    )
    report = services.report_create(brigade=brigade, year=YEAR)
    before = list(report.sections.values_list("key", flat=True))
    annual = documents.get("annual")
    new_parts = (
        *annual.parts[:-1],
        Part("6", LEVEL1, "新增的部分"),
        Part("6.a", LEVEL2, "学法培训期数", draft_new_part, ("training.sessions",)),
        annual.parts[-1],
    )
    documents._registry["annual"] = dataclasses.replace(annual, parts=new_parts)
    try:
        changes = services.redraft_preview(report)
        added = [c for c in changes if c.get("added")]
        assert [c["section"].key for c in added] == ["6.a"]
        assert added[0]["new"] == "今年共组织学法培训1期。"
        count = services.redraft_apply(report=report, keys=["6.a"], user=legal)
        keys = list(report.sections.values_list("key", flat=True))
        assert count == 1
        assert keys == [*before[:-1], "6", "6.a", before[-1]]
        section = report.sections.get(key="6.a")
        assert section.body == section.draft == "今年共组织学法培训1期。"
        assert section.history.first().history_user == legal
        headings = [s["heading"] for s in services.report_context(report, annex=None)["sections"]]
        assert "五、新增的部分" in headings  # 其他需要报告的情况 (empty) still left out
        assert services.redraft_preview(report) == [] or all(
            not c.get("added") for c in services.redraft_preview(report)
        )
    finally:
        documents._registry["annual"] = annual


@pytest.mark.django_db(transaction=True)
def test_reports_made_before_kinds_existed_migrate_untouched():
    executor = MigrationExecutor(connection)
    before, after = ("reports", "0008_public_flag_override"), ("reports", "0009_document_kind_period")
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    Brigade = old.get_model("brigade", "Brigade")
    AnnualReport = old.get_model("reports", "AnnualReport")
    FinalVersion = old.get_model("reports", "FinalVersion")
    ReportSection = old.get_model("reports", "ReportSection")
    unit = Brigade.objects.create(name="迁移测试大队", code="migr")
    content = bytes(range(256)) * 40
    sha = hashlib.sha256(content).hexdigest()
    report = AnnualReport.objects.create(
        brigade=unit,
        year=2024,
        title="迁移测试大队关于2024年法治政府建设情况的报告",
        addressee="县委",
        issuer="迁移测试大队",
        date=datetime.date(2025, 1, 10),
        opening="开头",
        status="final",
        final_docx=content,
        final_sha256=sha,
        finalised_at=datetime.datetime(2025, 1, 10, 8, tzinfo=datetime.UTC),
    )
    ReportSection.objects.create(report=report, key="1", order=0, level=1, title="一", body="原文")
    FinalVersion.objects.create(
        report=report,
        number=1,
        docx=content,
        sha256=sha,
        finalised_at=datetime.datetime(2025, 1, 10, 8, tzinfo=datetime.UTC),
    )

    executor = MigrationExecutor(connection)
    executor.migrate([after])
    new = executor.loader.project_state([after]).apps
    migrated = new.get_model("reports", "AnnualReport").objects.get(pk=report.pk)
    version = new.get_model("reports", "FinalVersion").objects.get(report_id=report.pk)
    assert (migrated.kind, migrated.period_start, migrated.period_end) == (
        "annual",
        datetime.date(2024, 1, 1),
        datetime.date(2024, 12, 31),
    )
    assert bytes(migrated.final_docx) == content and migrated.final_sha256 == sha
    assert hashlib.sha256(bytes(version.docx)).hexdigest() == sha == version.sha256
    assert new.get_model("reports", "ReportSection").objects.get(report_id=report.pk).body == "原文"
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_a_kind_declared_not_to_lock_its_period_leaves_the_ledgers_open(brigade, leader):
    from brigade.models import YearLock

    report = services.report_create(brigade=brigade, year=YEAR)
    annual = documents.get("annual")
    documents._registry["annual"] = dataclasses.replace(annual, locks_period=False)
    try:
        assert "不锁定台账" in services.sign_locks(report)
        services.report_finalise(report=report, user=leader)
        assert report.final_sha256 and not YearLock.objects.filter(brigade=brigade, year=YEAR).exists()
        report = services.report_transition(report=report, to="draft", user=leader, reason="数字有误")
        assert report.status == "draft" and report.final_versions.get().withdrawn_reason == "数字有误"
    finally:
        documents._registry["annual"] = annual
    report2 = services.report_create(brigade=brigade, year=YEAR - 1)
    services.report_finalise(report=report2, user=leader)
    assert YearLock.objects.filter(brigade=brigade, year=YEAR - 1, locked=True).exists()


@pytest.mark.django_db
def test_a_kind_is_made_only_for_the_levels_it_is_declared_for(brigade, detachment):
    from django.core.exceptions import ValidationError

    annual = documents.get("annual")
    documents._registry["annual"] = dataclasses.replace(annual, levels=(documents.BRIGADE,))
    try:
        with pytest.raises(ValidationError, match="不由支队撰写"):
            services.report_create(brigade=detachment, year=YEAR)
        assert services.report_create(brigade=brigade, year=YEAR).kind == "annual"
    finally:
        documents._registry["annual"] = annual


@pytest.mark.django_db
def test_the_new_report_page_makes_the_declared_kind_it_is_asked_for(brigade, legal):
    from django.urls import reverse

    from reports.models import AnnualReport
    from tests.conftest import login

    Training.objects.create(brigade=brigade, date=datetime.date(YEAR, 3, 1), name="宪法学习", kind="专题学法",
                            mode="线下", attendees=30)  # fmt: skip
    client = login(legal)
    refused = client.post(reverse("reports:new"), {"year": YEAR, "kind": "weekly"}, follow=True)
    assert "请选择有效的文书种类" in refused.content.decode() and not AnnualReport.objects.exists()
    made = client.post(reverse("reports:new"), {"year": YEAR, "kind": "annual"})
    report = AnnualReport.objects.get()
    assert made["Location"] == reverse("reports:detail", args=[report.pk]) and report.kind == "annual"


@pytest.mark.django_db
def test_a_detachments_brigade_table_only_for_a_kind_declared_with_one(brigade, detachment):
    report = services.report_create(brigade=detachment, year=YEAR)
    assert services.report_annex(report) is not None  # the annual report of a 支队 carries it
    annual = documents.get("annual")
    documents._registry["annual"] = dataclasses.replace(annual, unit_table=False)
    try:
        assert services.report_annex(report) is None
        assert "annex" not in services.report_render(report)[1]
    finally:
        documents._registry["annual"] = annual
