"""Every ledger of the registry through the shared machinery (docs/ledgers.md): the form, its
Chinese errors, the list's filters, the export that re-imports unchanged, and brigade scoping —
each on real records of two brigades. The apps' own rules are in tests/<app>/test_rules.py."""

import dataclasses
import io
import re
from pathlib import Path

import pytest
from django.db import models
from django.urls import reverse
from openpyxl import load_workbook

from brigade import rules
from brigade.ledger import DateColumn, DateTimeColumn, DecimalColumn, IntegerColumn, LookupColumn, registry
from brigade.ledger.exporter import ledger_export
from brigade.ledger.importer import ledger_import
from brigade.ledger.xlsx import open_rows
from tests.conftest import login
from tests.records import (
    DISTINCT,
    a_year_earlier,
    blanks,
    choice_filter,
    good,
    in_two_hours,
    make,
    tomorrow,
    year_of,
)

KINDS = [ledger.kind for ledger in registry.all()]
KEYED = [ledger.kind for ledger in registry.all() if ledger.key]
DATED = [ledger.kind for ledger in registry.all() if ledger.date_field]
# kind → (a choice field among the declared filters, a value, another)
FILTERS = {ledger.kind: choice_filter(ledger) for ledger in registry.all() if choice_filter(ledger)}
BLANKS = {ledger.kind: blanks(ledger) for ledger in registry.all()}


def bad_values(ledger):
    """What every form refuses, read off the declaration: a required column left empty, a value
    not among a column's choices, a date after today or a time after now. A ledger's own rules
    (bounds, rules between columns) are its app's tests/<app>/test_rules.py."""
    for col in ledger.columns:
        if col.required:
            yield col.name, "", "这个字段是必填项。"
        if col.choices:
            yield col.name, "不在选项中", "选择一个有效的选项"
        if rules.not_in_future in col.field.validators:
            if isinstance(col, DateTimeColumn):
                yield col.name, "in two hours", "不能晚于当前时间"
            else:
                yield col.name, "tomorrow", "不能晚于今天"


BAD = [(ledger.kind, *case) for ledger in registry.all() for case in bad_values(ledger)]

# ── docs/ledgers.md: each ledger's section is the contract of its columns ────────────────────────
DOC = Path(__file__).resolve().parents[2] / "docs" / "ledgers.md"
SECTION = re.compile(r"^### (?P<title>\S+) `(?P<kind>\w+)`（`(?P<model>\w+)`）\s*$")
TABLE_HEAD = ["列", "类型", "必填"]
PLACES = "一两三四"


@dataclasses.dataclass
class Section:
    """One ledger as docs/ledgers.md writes it: heading, prose (键, 日期字段) and column table."""

    title: str
    model: str
    prose: str = ""
    rows: list = dataclasses.field(default_factory=list)


def documented(text: str) -> dict[str, Section]:
    sections, current, table = {}, None, None
    for line in text.splitlines():
        if heading := SECTION.match(line):
            current = sections[heading["kind"]] = Section(heading["title"], heading["model"])
            table = None
        elif line.startswith("#"):
            current = None
        elif current is None:
            continue
        elif line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if table is None and cells[:3] == TABLE_HEAD and not current.rows:
                table = current.rows
            elif table is not None and not set(cells[0]) <= set("-: "):
                table.append(cells)
        else:
            if table is None and not current.rows:
                current.prose += line
            table = None
    return sections


def type_said(col) -> str | None:
    """What the 类型 cell must say of a column, or None where it names a reference list."""
    if col.choices:
        return "、".join(col.choices)
    if isinstance(col, LookupColumn):
        return None
    if isinstance(col, DateTimeColumn):
        return "日期或日期时间"
    if isinstance(col, DateColumn):
        return "日期"
    if isinstance(col, IntegerColumn):
        return "整数"
    if isinstance(col, DecimalColumn):
        return f"（{PLACES[col.field.decimal_places - 1]}位小数）"
    if isinstance(col.field, models.TextField):
        return "长文字" + (f"，≤{col.max_length} 字" if col.max_length else "")
    return f"文字，≤{col.max_length} 字"


def doc_mismatches(text: str) -> list[str]:
    """Where docs/ledgers.md and the declarations differ: a ledger on one side only, its title,
    model, key, date field, and each column's header, order, type or choices, and whether it is
    required. Either side changed alone shows here."""
    sections = documented(text)
    problems = [
        f"{k}：只在{'文档' if k in sections else '代码'}中" for k in sorted(set(sections) ^ set(KINDS))
    ]
    for ledger in registry.all():
        doc = sections.get(ledger.kind)
        if doc is None:
            continue

        def said(what, doc_value, code_value, kind=ledger.kind):
            problems.append(f"{kind} {what}：文档为 {doc_value!r}，代码为 {code_value!r}")

        if (doc.title, doc.model) != (ledger.title, ledger.model.__name__):
            said("标题", (doc.title, doc.model), (ledger.title, ledger.model.__name__))
        key = re.search(r"键：\*\*(.+?)\*\*", doc.prose)
        key = key[1].replace(" + ", "+") if key else ("" if "没有键" in doc.prose else None)
        if key != ledger.key_header:
            said("键", key, ledger.key_header)
        if ("`key_optional`" in doc.prose) != ledger.key_optional:
            said("key_optional", "`key_optional`" in doc.prose, ledger.key_optional)
        day = re.search(r"日期字段：\*\*(.+?)\*\*", doc.prose)
        day = day[1] if day else ("" if "没有日期字段" in doc.prose else None)
        if day != (ledger.column(ledger.date_field).header if ledger.date_field else ""):
            said("日期字段", day, ledger.date_field)
        headers = [row[0] for row in doc.rows]
        if headers != [c.header for c in ledger.columns]:
            said("列", headers, [c.header for c in ledger.columns])
            continue
        for col, (header, kind, required, *_) in zip(ledger.columns, doc.rows, strict=True):
            if required != ("是" if col.required else "否"):
                said(f"“{header}”必填", required, col.required)
            expected = type_said(col)
            if expected is None:
                ok = kind.endswith("名称")
            elif isinstance(col, IntegerColumn | DecimalColumn):
                ok = kind.startswith(expected) or expected in kind
            else:
                ok = kind == expected
            if not ok:
                said(f"“{header}”类型", kind, expected or "……名称")
    return problems


def records_of(kind):
    return registry.get(kind).model._default_manager


def exported(kind, brigade) -> io.BytesIO:
    ledger = registry.get(kind)
    return io.BytesIO(ledger_export(ledger=ledger, queryset=ledger.queryset().filter(brigade=brigade)))


def test_the_declarations_are_what_docs_ledgers_md_says():
    assert doc_mismatches(DOC.read_text(encoding="utf-8")) == []


def test_the_doc_or_the_code_changed_alone_is_caught(monkeypatch):
    text = DOC.read_text(encoding="utf-8")
    assert "| 执法方式 | 现场、非现场 | 是 | |" in text and "键：**事故编号**" in text
    drifted = text.replace(
        "| 执法方式 | 现场、非现场 | 是 | |", "| 执法方式 | 现场、非现场、电子监控 | 是 | |"
    )
    drifted = drifted.replace("键：**事故编号**", "键：**事故时间**").replace(
        "| 播放阅读量 | 整数 | 否 | ≥0 |\n", ""
    )
    assert doc_mismatches(drifted) == [
        "violations “执法方式”类型：文档为 '现场、非现场、电子监控'，代码为 '现场、非现场'",
        "accidents 键：文档为 '事故时间'，代码为 '事故编号'",
        "media 列：文档为 ['发布日期', '标题', '作品类型', '发布平台', '数量']，"
        "代码为 ['发布日期', '标题', '作品类型', '发布平台', '数量', '播放阅读量']",
    ]
    calls = registry.get("calls")
    monkeypatch.setattr(calls, "key_optional", False)
    monkeypatch.setattr(calls.column("category"), "choices", ["交通事故", "其他"])
    monkeypatch.setattr(registry.get("training").column("name"), "required", False)
    assert doc_mismatches(text) == [
        "calls key_optional：文档为 True，代码为 False",
        "calls “警情类别”类型：文档为 '交通事故、交通拥堵、违法举报、群众求助、其他'，代码为 '交通事故、其他'",
        "training “名称”必填：文档为 '是'，代码为 False",
    ]


def test_every_declared_example_names_a_field_of_its_ledger():
    for ledger in registry.all():
        assert set(ledger.examples) <= set(ledger.fields), ledger.kind


@pytest.mark.parametrize("kind", KINDS)
def test_clerk_creates_a_record_through_the_form(as_clerk, brigade, kind):
    marker = {DISTINCT[kind]: "甲县新录入的记录"}
    response = as_clerk.post(reverse("ledger:create", args=[kind]), good(kind) | marker)
    record = records_of(kind).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:detail", args=[kind, record.pk])
    assert record.brigade == brigade
    page = as_clerk.get(response["Location"]).content.decode()
    assert "甲县新录入的记录" in page and "创建" in page  # the history shows the creation


@pytest.mark.parametrize("kind, field, value, message", BAD)
def test_a_bad_value_is_refused_with_the_fields_chinese_error(as_clerk, kind, field, value, message):
    value = {"tomorrow": tomorrow(), "in two hours": in_two_hours()}.get(value, value)
    response = as_clerk.post(reverse("ledger:create", args=[kind]), good(kind) | {field: value})
    assert response.status_code == 200, "a bad form is shown again, not saved"
    errors = response.context["form"].errors
    assert any(message in e for e in errors.get(field, [])), errors
    assert not records_of(kind).exists()


@pytest.mark.parametrize("kind", KEYED)
def test_a_key_is_unique_within_the_brigade_only(as_clerk, brigade, other_brigade, kind):
    make(kind, other_brigade)  # the same key in another brigade is no clash
    url = reverse("ledger:create", args=[kind])
    assert as_clerk.post(url, good(kind)).status_code == 302
    response = as_clerk.post(url, good(kind))
    assert response.status_code == 200
    errors = [e for messages in response.context["form"].errors.values() for e in messages]
    assert f"本大队已有{registry.get(kind).key_header}相同的记录" in "".join(errors), errors
    assert records_of(kind).filter(brigade=brigade).count() == 1


@pytest.mark.parametrize("kind", DATED)
def test_list_filters_by_year(as_clerk, brigade, other_brigade, kind):
    distinct = DISTINCT[kind]
    wanted = make(kind, brigade, **{distinct: "甲1"})
    make(kind, brigade, **{distinct: "甲2"}, **a_year_earlier(kind))
    make(kind, other_brigade, **{distinct: "乙1"})
    response = as_clerk.get(reverse("ledger:list", args=[kind]), {"year": year_of(kind)})
    assert [obj.pk for obj in response.context["object_list"]] == [wanted.pk]
    assert "共 1 条" in response.content.decode()


@pytest.mark.parametrize("kind", list(FILTERS))
def test_list_filters_by_a_choice(as_clerk, brigade, other_brigade, kind):
    field, value, other = FILTERS[kind]
    distinct = DISTINCT[kind]
    wanted = make(kind, brigade, **{field: value, distinct: "甲1"})
    make(kind, brigade, **{field: other, distinct: "甲2"})
    make(kind, other_brigade, **{field: value, distinct: "乙1"})
    response = as_clerk.get(reverse("ledger:list", args=[kind]), {field: value})
    assert [obj.pk for obj in response.context["object_list"]] == [wanted.pk]
    assert "共 1 条" in response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_export_has_the_docs_columns_and_reimports_unchanged(brigade, other_brigade, kind):
    make(kind, brigade)
    make(kind, brigade, **{DISTINCT[kind]: "2"} | BLANKS[kind])
    make(kind, other_brigade)  # not in this brigade's export, and untouched by its import
    before = records_of(kind).count()

    content = exported(kind, brigade)
    sheet = load_workbook(content).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header == [row[0] for row in documented(DOC.read_text(encoding="utf-8"))[kind].rows]
    assert sheet.max_row == 3  # the header and this brigade's two records

    result = ledger_import(ledger=registry.get(kind), brigade=brigade, source=content)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert records_of(kind).count() == before


@pytest.mark.parametrize("kind", KINDS)
def test_another_brigades_record_is_not_found_on_any_of_its_urls(as_outsider, brigade, other_brigade, kind):
    ours = make(kind, brigade, **{DISTINCT[kind]: "甲县记录"})
    theirs = make(kind, other_brigade, **{DISTINCT[kind]: "乙县记录"})
    for name in ("detail", "update", "delete", "history"):
        assert as_outsider.get(reverse(f"ledger:{name}", args=[kind, theirs.pk])).status_code == 200
        assert as_outsider.get(reverse(f"ledger:{name}", args=[kind, ours.pk])).status_code == 404
    update = as_outsider.post(reverse("ledger:update", args=[kind, ours.pk]), good(kind))
    delete = as_outsider.post(reverse("ledger:delete", args=[kind, ours.pk]))
    assert update.status_code == delete.status_code == 404
    ours.refresh_from_db()
    assert ours.brigade == brigade and getattr(ours, DISTINCT[kind]) == "甲县记录"


@pytest.mark.parametrize("kind", KINDS)
def test_every_ledger_list_and_export_shows_only_the_users_brigade(
    as_clerk, as_outsider, brigade, other_brigade, kind
):
    ours = make(kind, brigade, **{DISTINCT[kind]: "甲县记录"})
    theirs = make(kind, other_brigade, **{DISTINCT[kind]: "乙县记录"})
    for client, shown, hidden in [(as_clerk, ours, "乙县记录"), (as_outsider, theirs, "甲县记录")]:
        listed = client.get(reverse("ledger:list", args=[kind]))
        assert [obj.pk for obj in listed.context["object_list"]] == [shown.pk]
        export = client.get(reverse("ledger:export", args=[kind]))
        cells = [c for row in open_rows(io.BytesIO(b"".join(export.streaming_content))) for c in row]
        assert getattr(shown, DISTINCT[kind]) in cells and hidden not in cells


@pytest.mark.parametrize("kind", KINDS)
def test_a_leader_changes_no_record(brigade, leader, kind):
    record = make(kind, brigade, **{DISTINCT[kind]: "甲县记录"})
    client = login(leader)
    update = client.post(reverse("ledger:update", args=[kind, record.pk]), good(kind))
    delete = client.post(reverse("ledger:delete", args=[kind, record.pk]))
    assert update.status_code == delete.status_code == 403
    record.refresh_from_db()
    assert getattr(record, DISTINCT[kind]) == "甲县记录"
