"""What one import or one form save can store is bounded by what a clerk keeps: each long note of a
ledger (学习内容, 研究事项, 备注, 内容摘要) has a length, declared once on its model field and held
by the form and by the import alike, and a file's text as a whole is capped (issue 21, F2: one
32,000-character shared string named by 1,500 rows grew the database by 300 MB)."""

import datetime
import io
import re

import pytest
from django.urls import reverse

from brigade.ledger import registry
from brigade.ledger.importer import ledger_import
from brigade.ledger.xlsx import FileRefused
from brigade.models import Meeting, Training
from enforcement.models import SupervisionCheck
from mediation.models import Complaint
from sheets.tests.test_xlsx_reader import build, inline
from tests.brigade.test_import_export import TRAINING_HEADER
from tests.conftest import login, make_xlsx

NOTES = [  # (ledger, model, field, header, what a clerk writes there at most)
    ("training", Training, "content", "学习内容", 2000),
    ("meetings", Meeting, "topics", "研究事项", 2000),
    ("supervision", SupervisionCheck, "note", "备注", 1000),
    ("complaints", Complaint, "summary", "内容摘要", 1000),
]
GOOD_ROWS = {
    "training": [datetime.date(2025, 3, 5), "宪法专题学法", "专题学法", "线下", 35, 2, ""],
    "meetings": [datetime.date(2025, 3, 5), "法治建设专题会", "法治建设专题会议", "大队长", ""],
    "supervision": [datetime.date(2025, 3, 5), "案件审核会商", 10, 9, 2, 2, 1, ""],
    "complaints": ["TS2025001", datetime.date(2025, 3, 5), "12345热线", "执法投诉", "", None, "满意"],
}
GOOD_FORMS = {
    "training": {"date": "2025-03-05", "name": "宪法专题学法", "kind": "专题学法", "mode": "线下",
                 "attendees": "35", "hours": "2"},
    "meetings": {"date": "2025-03-05", "name": "法治建设专题会", "kind": "法治建设专题会议"},
    "supervision": {"date": "2025-03-05", "kind": "案件审核会商", "checked": "10", "passed": "9",
                    "problems_found": "2", "problems_fixed": "2", "notices": "1"},
    "complaints": {"number": "TS2025001", "received_date": "2025-03-05", "channel": "12345热线",
                   "category": "执法投诉", "satisfaction": "满意"},
}  # fmt: skip


def note_sheet(kind, notes):
    """The ledger's header and one good row per note, the note in its column."""
    ledger = registry.get(kind)
    headers = [c.header for c in ledger.columns]
    at = [c.name for c in ledger.columns].index(next(n[2] for n in NOTES if n[0] == kind))
    rows = []
    for i, note in enumerate(notes):
        row = list(GOOD_ROWS[kind])
        if kind == "complaints":
            row[0] = f"TS2025{i:04d}"
        row[at] = note
        rows.append(row)
    return make_xlsx([headers, *rows])


def shared_note_file(rows: int, note: str) -> io.BytesIO:
    """The attack of issue 21: a training file whose 学习内容 names one shared string in every row."""
    letters = "ABCDEFG"
    xml = (
        '<row r="1">' + "".join(inline(f"{letters[i]}1", h) for i, h in enumerate(TRAINING_HEADER)) + "</row>"
    )
    for n in range(2, rows + 2):
        xml += (
            f'<row r="{n}">{inline(f"A{n}", "2025-03-05")}{inline(f"B{n}", f"培训{n}")}'
            f'{inline(f"C{n}", "全警培训")}{inline(f"D{n}", "线下")}<c r="E{n}"><v>10</v></c>'
            f'<c r="F{n}"><v>2</v></c><c r="G{n}" t="s"><v>0</v></c></row>'
        )
    return build(xml, shared=[f"<si><t>{note}</t></si>"])


def long_text(n: int) -> str:
    return "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(n))


# ── at import ─────────────────────────────────────────────────────────────────────────────────


def test_one_long_shared_note_named_by_many_rows_is_refused_naming_each_row_and_column(brigade, clerk):
    upload = shared_note_file(30, long_text(32_000))  # 960,000 characters, under any file's cap
    result = ledger_import(ledger=registry.get("training"), brigade=brigade, source=upload)
    assert not result.ok and not result.written
    assert str(result.errors[0]) == "第2行「学习内容」列：超过2000字（本格3.2万字）"
    assert {(e.row, e.column) for e in result.errors} >= {(2, "学习内容"), (12, "学习内容")}
    assert not Training.objects.exists() and not Training.history.exists()

    upload.seek(0)
    upload.name = "培训.xlsx"
    url = reverse("ledger:import", args=["training"])
    page = login(clerk).post(url, {"file": upload}, follow=True).content.decode()
    assert "<td>第12行</td><td>学习内容</td><td>超过2000字（本格3.2万字）</td>" in page
    assert not Training.objects.exists()


def test_the_attack_file_of_issue_21_stores_nothing(brigade):
    """1,500 rows naming one 32,000-character string: 48 million characters, over the file's cap."""
    upload = shared_note_file(1500, long_text(32_000))
    with pytest.raises(FileRefused) as caught:
        ledger_import(ledger=registry.get("training"), brigade=brigade, source=upload)
    assert "文件中的文字超过" in str(caught.value)
    assert not Training.objects.exists() and not Training.history.exists()


def test_notes_within_their_length_named_row_after_row_are_capped_by_the_files_size(brigade):
    """Every cell within its length (a 200-character name, a 2,000-character note), one shared
    string each, 13,500 rows told apart by 参加人数 alone: 30 million characters, under the cap
    of any file, from a file of 47 KB. It would store 250 MB; the text a file may have stored
    grows with its size, so it is refused."""
    name, note = long_text(200), long_text(2000)[::-1]
    rows = "".join(
        f'<row><c t="inlineStr"><is><t>2025-03-05</t></is></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c>'
        f'<c t="s"><v>3</v></c><c><v>{n}</v></c><c><v>2</v></c><c t="s"><v>0</v></c></row>'
        for n in range(1, 13_501)
    )
    header = (
        "<row>" + "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in TRAINING_HEADER) + "</row>"
    )
    shared = [f"<si><t>{t}</t></si>" for t in (note, name, "全警培训", "线下")]
    upload = build(header + rows, shared=shared)
    assert len(upload.getvalue()) < 60_000
    with pytest.raises(FileRefused) as caught:
        ledger_import(ledger=registry.get("training"), brigade=brigade, source=upload)
    cap = re.search(r"文件中的文字超过(\d+)万字（上限", str(caught.value))
    assert cap and int(cap.group(1)) < 200, str(caught.value)  # 30 a byte, not 3000万
    assert not Training.objects.exists()


@pytest.mark.parametrize("kind,model,field,header,limit", NOTES)
def test_each_note_takes_its_length_and_not_one_character_more(brigade, kind, model, field, header, limit):
    ledger = registry.get(kind)
    upload = note_sheet(kind, [long_text(limit), long_text(limit + 1), "短的说明"])
    result = ledger_import(ledger=ledger, brigade=brigade, source=upload, dry_run=True)
    assert [str(e) for e in result.errors] == [f"第3行「{header}」列：超过{limit}字（本格{limit + 1}字）"]

    upload = note_sheet(kind, [long_text(limit), "短的说明"])
    result = ledger_import(ledger=ledger, brigade=brigade, source=upload)
    assert result.ok and result.created == 2
    assert sorted(len(v) for v in model.objects.values_list(field, flat=True)) == [4, limit]


def test_a_chunk_judges_a_long_note_the_same_on_every_path(brigade):
    """A column of plain texts, of few distinct cells, or cell by cell: the same refusal."""
    col = registry.get("training").column("content")
    long, ok = long_text(2001), long_text(2000)
    for cells in ([long] * 40, [ok] * 39 + [long], [f"{i}{ok[:1998]}" for i in range(40)] + [long]):
        values, failed = col.parse_column(cells)
        assert failed == {i: "超过2000字（本格2001字）" for i, c in enumerate(cells) if c == long}
        assert all(v is None for i, v in enumerate(values) if i in failed)


# ── in the form ───────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("kind,model,field,header,limit", NOTES)
def test_a_form_with_an_over_long_note_is_refused_at_that_field(as_clerk, kind, model, field, header, limit):
    url = reverse("ledger:create", args=[kind])
    response = as_clerk.post(url, GOOD_FORMS[kind] | {field: long_text(limit + 1)})
    assert response.status_code == 200 and not model.objects.exists()
    assert response.context["form"].errors == {field: [f"超过{limit}字（现有{limit + 1}字），请精简后再保存"]}
    page = response.content.decode()
    row = page[page.index(f">{header}</label>") :]
    assert row.index(f"超过{limit}字") < row.index("</div>")  # under the note's own label
    assert f'maxlength="{limit}"' in page  # the browser stops the typing there too

    assert as_clerk.post(url, GOOD_FORMS[kind] | {field: long_text(limit)}).status_code == 302
    assert len(getattr(model.objects.get(), field)) == limit


# ── an ordinary file ──────────────────────────────────────────────────────────────────────────


def test_an_ordinary_30000_row_import_still_passes(brigade):
    notes = ["学习《中华人民共和国道路交通安全法》及实施条例", "行政处罚法专题：" + long_text(300), ""]
    rows = [
        [datetime.date(2025, 1 + i % 12, 1 + i % 28), f"培训{i}", "专题学法", "线下", 20, 2, notes[i % 3]]
        for i in range(30_000)
    ]
    result = ledger_import(
        ledger=registry.get("training"), brigade=brigade, source=make_xlsx([TRAINING_HEADER, *rows])
    )
    assert result.ok and result.created == 30_000
    assert Training.objects.count() == 30_000
