import datetime
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from brigade.ledger import CellError, registry
from brigade.ledger.exporter import ledger_export
from brigade.ledger.importer import ledger_import
from brigade.ledger.xlsx import FileRefused
from brigade.models import Job, Officer, Regulation, Training
from tests.conftest import make_xlsx

TRAINING_HEADER = ["日期", "名称", "类型", "形式", "参加人数", "学时", "学习内容"]


def training_rows(n, start=0):
    return [
        [datetime.date(2025, 1 + i % 12, 1 + i % 28), f"培训{i}", "专题学法", "线下", 20 + i, 2, ""]
        for i in range(start, start + n)
    ]


def do_import(kind, brigade, rows, **kwargs):
    return ledger_import(ledger=registry.get(kind), brigade=brigade, source=make_xlsx(rows), **kwargs)


def test_one_bad_row_writes_nothing_and_is_named(brigade):
    rows = training_rows(50)
    rows[36][4] = "很多"  # row 38 in Excel: the header is row 1
    result = do_import("training", brigade, [TRAINING_HEADER, *rows])
    assert not result.ok and not result.written
    assert [(e.row, e.column) for e in result.errors] == [(38, "参加人数")]
    assert "「很多」不是整数" in result.errors[0].message
    assert not Training.objects.exists()


def test_every_bad_cell_is_listed_with_its_reason(brigade):
    rows = training_rows(3)
    rows[0][2] = "喝茶"
    rows[1][0] = "2025-13-45"
    rows[2][1] = None
    rows[2][5] = -1
    result = do_import("training", brigade, [TRAINING_HEADER, *rows], dry_run=True)
    found = {(e.row, e.column): e.message for e in result.errors}
    assert "不是可选值" in found[(2, "类型")]
    assert "不是存在的日期" in found[(3, "日期")]
    assert found[(4, "名称")] == "必填，不能为空"
    assert found[(4, "学时")] == "必须大于0"


def test_dates_accept_excel_dates_and_the_text_forms(brigade):
    rows = training_rows(4)
    rows[1][0] = "2024-03-05"
    rows[2][0] = "2024/3/5"
    rows[3][0] = "2024年3月5日"
    result = do_import("training", brigade, [TRAINING_HEADER, *rows])
    assert result.ok, result.errors
    dates = sorted(Training.objects.values_list("date", flat=True))
    assert dates.count(datetime.date(2024, 3, 5)) == 3


def test_reimport_of_same_file_creates_no_duplicate(brigade):
    keyless = [TRAINING_HEADER, *training_rows(20)]
    assert do_import("training", brigade, keyless).created == 20
    again = do_import("training", brigade, keyless)
    assert (again.created, again.unchanged) == (0, 20)
    assert Training.objects.count() == 20

    header = ["制度名称", "发布日期", "类别", "状态"]
    keyed = [header, ["执法过错责任追究办法", "2025-01-02", "监督管理", "新建"]]
    assert do_import("regulations", brigade, keyed).created == 1
    changed = [header, ["执法过错责任追究办法", "2025-01-02", "监督管理", "修订"]]
    result = do_import("regulations", brigade, changed)
    assert (result.created, result.updated) == (0, 1)
    assert Regulation.objects.get().status == "修订"
    assert Regulation.objects.get().history.first().history_change_reason == "Excel导入"


def test_a_key_repeated_inside_one_file_is_an_error(brigade):
    header = ["制度名称", "发布日期", "类别", "状态"]
    rows = [header, ["甲制度", "2025-01-02", "其他", "新建"], ["甲制度", "2025-02-02", "其他", "新建"]]
    result = do_import("regulations", brigade, rows)
    assert [(e.row, e.message) for e in result.errors] == [(3, "与第2行重复（制度名称相同）")]
    assert not Regulation.objects.exists()


def test_export_reimports_unchanged_including_formula_like_text(brigade):
    Training.objects.create(
        brigade=brigade, date=datetime.date(2025, 5, 1), name="=HYPERLINK(\"http://x\")", kind="全警培训",
        mode="线上", attendees=12, hours="1.5", content="+1 @all -x",
    )  # fmt: skip
    Officer.objects.create(
        brigade=brigade, badge_no="000123", name="张三", category="民警", birth_date="1980-02-03"
    )
    for kind in ("training", "officers"):
        ledger = registry.get(kind)
        content = ledger_export(ledger=ledger, queryset=ledger.queryset().filter(brigade=brigade))
        result = ledger_import(ledger=ledger, brigade=brigade, source=io.BytesIO(content))
        assert result.ok and (result.created, result.updated, result.unchanged) == (0, 0, 1), kind
    # the formula-like text is a plain text cell, neutralised for the spreadsheet
    ledger = registry.get("training")
    sheet = load_workbook(io.BytesIO(ledger_export(ledger=ledger, queryset=Training.objects.all()))).active
    name = sheet.cell(row=2, column=2)
    assert name.data_type == "s" and name.value.startswith("'=")
    assert Officer.objects.get().badge_no == "000123"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["日期", "名称", "类型", "形式", "参加人数", "学时"], "缺少的列：学习内容"),
        ([*TRAINING_HEADER, "备注"], "无法识别的列：备注"),
        (["日期", "日期", "名称", "类型", "形式", "参加人数", "学时", "学习内容"], "重复的列：日期"),
    ],
)
def test_wrong_headers_are_refused_by_name(brigade, header, expected):
    with pytest.raises(FileRefused, match=expected):
        do_import("training", brigade, [header])


def test_column_order_is_free(brigade):
    header = list(reversed(TRAINING_HEADER))
    rows = [list(reversed(r)) for r in training_rows(2)]
    assert do_import("training", brigade, [header, *rows]).created == 2


def test_browser_import_preview_then_confirm(as_clerk, brigade, clerk):
    upload = make_xlsx([TRAINING_HEADER, *training_rows(3)])
    response = as_clerk.post(reverse("ledger:import", args=["training"]), {"file": upload})
    job = Job.objects.get()
    assert response["Location"] == reverse("ledger:import_preview", args=["training", job.pk])
    preview = as_clerk.get(response["Location"]).content.decode()
    assert "将新增：3" in preview and not Training.objects.exists()
    confirm = reverse("ledger:import_confirm", args=["training", job.pk])
    assert as_clerk.post(confirm).status_code == 302
    assert Training.objects.count() == 3
    assert Training.objects.first().history.get().history_user == clerk
    # confirming the same job again does not import twice
    as_clerk.post(confirm)
    assert Training.objects.count() == 3


def test_browser_import_with_a_bad_row_shows_it_and_cannot_be_confirmed(as_clerk):
    rows = training_rows(3)
    rows[1][3] = "飞行"
    upload = make_xlsx([TRAINING_HEADER, *rows])
    response = as_clerk.post(reverse("ledger:import", args=["training"]), {"file": upload}, follow=True)
    page = response.content.decode()
    assert "第3行" in page and "形式" in page and "「飞行」不是可选值" in page
    job = Job.objects.get()
    assert job.status == Job.Status.REFUSED
    as_clerk.post(reverse("ledger:import_confirm", args=["training", job.pk]))
    assert not Training.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("ledger.txt", b"a,b\n1,2\n", "不是表格文件"),
        ("ledger.csv", b"a,b\n1,2\n", "表头不符合本台账模板"),
        ("ledger.xlsx", b"\x00\x01\x02\xff\xfe\x00binary", "文件格式无法识别"),
    ],
)
def test_browser_refuses_files_that_are_not_ledgers(as_clerk, name, content, message):
    upload = io.BytesIO(content)
    upload.name = name
    page = as_clerk.post(reverse("ledger:import", args=["training"]), {"file": upload}).content.decode()
    assert message in page
    assert not Job.objects.exists()


def test_browser_refuses_files_over_the_size_limit(as_clerk, settings):
    settings.IMPORT_MAX_MB = 0
    upload = make_xlsx([TRAINING_HEADER, *training_rows(2)])
    page = as_clerk.post(reverse("ledger:import", args=["training"]), {"file": upload}).content.decode()
    assert "文件太大" in page


def test_template_has_the_header_dropdowns_and_a_guide_but_no_example_row(as_clerk):
    response = as_clerk.get(reverse("ledger:import_template", args=["training"]))
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == TRAINING_HEADER and sheet.max_row == 1
    assert "必填" in sheet.cell(row=1, column=1).comment.text
    lists = [dv.sqref for dv in sheet.data_validations.dataValidation]
    assert any("C2" in str(r) for r in lists) and any("D2" in str(r) for r in lists)
    guide = {row[0]: row[1:] for row in book["填写说明"].iter_rows(min_row=2, values_only=True)}
    assert guide["类型"][0] == "必填" and "领导班子集中学法" in guide["类型"][1]


def test_the_template_imports_nothing_and_an_old_templates_example_row_is_skipped(as_clerk, brigade):
    content = as_clerk.get(reverse("ledger:import_template", args=["training"])).content
    training = registry.get("training")
    result = ledger_import(ledger=training, brigade=brigade, source=io.BytesIO(content), dry_run=True)
    assert result.ok and result.created == 0
    # An earlier version's template: its example row, left in, beside a real row.
    example = ["2026-11-01", "示例名称", "领导班子集中学法", "线下", 1, None, None]
    rows = [TRAINING_HEADER, example, *training_rows(1)]
    result = ledger_import(ledger=training, brigade=brigade, source=make_xlsx(rows))
    assert result.ok and result.created == 1
    assert not Training.objects.filter(name="示例名称").exists()


def test_a_second_upload_of_a_file_being_imported_is_refused(as_clerk, clerk, brigade):
    content = make_xlsx([TRAINING_HEADER, *training_rows(3)]).getvalue()
    upload = io.BytesIO(content)
    upload.name = "a.xlsx"
    as_clerk.post(reverse("ledger:import", args=["training"]), {"file": upload})
    job = Job.objects.get()
    job.status = Job.Status.QUEUED  # as if it had just been confirmed
    job.save()
    again = io.BytesIO(content)
    again.name = "a-copy.xlsx"
    page = as_clerk.post(reverse("ledger:import", args=["training"]), {"file": again}).content.decode()
    assert "同一文件正在导入中" in page and Job.objects.count() == 1


def test_a_confirmed_file_is_queued_for_the_worker_and_the_page_follows_it(as_clerk, clerk, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # no worker yet
    upload = make_xlsx([TRAINING_HEADER, *training_rows(25)])
    as_clerk.post(reverse("ledger:import", args=["training"]), {"file": upload})
    job = Job.objects.get()
    response = as_clerk.post(reverse("ledger:import_confirm", args=["training", job.pk]))
    assert response["Location"] == reverse("ledger:import_preview", args=["training", job.pk])
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and not Training.objects.exists()
    page = as_clerk.get(reverse("ledger:import_preview", args=["training", job.pk])).content.decode()
    assert "已排入导入队列" in page
    # confirming again does not queue it twice
    as_clerk.post(reverse("ledger:import_confirm", args=["training", job.pk]))
    assert (
        "不能再次导入"
        in as_clerk.get(reverse("ledger:import_preview", args=["training", job.pk])).content.decode()
    )

    from brigade import outputs

    assert outputs.job_run(job_id=job.pk) == Job.Status.DONE  # what the worker does
    assert outputs.job_run(job_id=job.pk) == "not queued"  # a second delivery changes nothing
    progress = as_clerk.get(reverse("ledger:import_progress", args=["training", job.pk])).json()
    assert progress["status"] == "done" and progress["done"] == progress["total"] == 25
    assert Training.objects.count() == 25
    page = as_clerk.get(reverse("ledger:import_preview", args=["training", job.pk])).content.decode()
    assert "已导入：新增25条" in page
    job.refresh_from_db()
    assert not job.file  # a finished import's upload is not kept


def test_cells_no_database_could_keep_are_errors_not_crashes(brigade):
    rows = training_rows(4)
    rows[0][5] = "1e300"  # 学时
    rows[1][1] = "名称_x0000_含控制字符"  # Excel's escape of a NUL character
    rows[3][0] = "0001-01-01"
    result = do_import("training", brigade, [TRAINING_HEADER, *rows])
    found = {(e.row, e.column): e.message for e in result.errors}
    assert found[(2, "学时")] == "「1e300」太大"
    assert "无法保存" in found[(3, "名称")]
    assert "不能早于1900年1月1日" in found[(5, "日期")]
    assert not Training.objects.exists()
    with pytest.raises(CellError, match="无法保存"):
        registry.get("training").column("name").parse("孤立代理\ud800")  # a stray &#xD800;


def _raw_sheet(cells: str) -> io.BytesIO:
    """A workbook whose sheet XML is written by hand: a header row and one row of `cells`."""
    import zipfile

    header = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(TRAINING_HEADER)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData><row r="1">{header}</row><row r="2">{cells}</row></sheetData></worksheet>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    buf.seek(0)
    buf.name = "hand.xlsx"
    return buf


@pytest.mark.parametrize(
    ("cell", "column", "message"),
    [
        ('<c r="E2"><v>inf</v></c>', "参加人数", "「无穷大」不是整数"),
        ('<c r="F2"><v>nan</v></c>', "学时", "「非数字」不是数字"),
        ('<c r="F2"><v>1e999</v></c>', "学时", "「无穷大」不是数字"),
        ('<c r="A2" t="b"><v>1</v></c>', "日期", "「是」不是日期"),
        ('<c r="E2" t="inlineStr"><is><t>&#xD800;</t></is></c>', "参加人数", "不是整数"),
    ],
)
def test_cells_a_file_should_not_hold_are_named_in_chinese_never_a_server_error(
    as_clerk, cell, column, message
):
    good = '<c r="A2" t="inlineStr"><is><t>2025-03-05</t></is></c><c r="B2" t="inlineStr"><is><t>学法</t></is></c>' \
           '<c r="C2" t="inlineStr"><is><t>专题学法</t></is></c><c r="D2" t="inlineStr"><is><t>线下</t></is></c>' \
           '<c r="E2"><v>10</v></c><c r="F2"><v>2</v></c>'  # fmt: skip
    ref = cell.split('"')[1]
    cells = re.sub(f'<c r="{ref}"[^>]*>.*?</c>', cell, good) if f'r="{ref}"' in good else good + cell
    response = as_clerk.post(
        reverse("ledger:import", args=["training"]), {"file": _raw_sheet(cells)}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert column in page and message in page
    assert not Training.objects.exists()
