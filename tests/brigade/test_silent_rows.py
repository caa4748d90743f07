"""What a clerk does not see in a file is named in the preview before anything is written
(docs/imports.md, 看不到的内容): a hidden first sheet that was skipped, hidden rows and columns
that are imported, formulas whose saved result is imported (the system does not recalculate)."""

import io
import shutil
import subprocess
import zipfile

import pytest
from django.urls import reverse
from openpyxl import Workbook

from brigade.ledger import registry
from brigade.ledger.importer import ledger_import
from brigade.models import Job, Training
from tests.brigade.test_commands import run
from tests.brigade.test_import_export import TRAINING_HEADER, training_rows
from tests.conftest import login

SOFFICE = shutil.which("soffice")


def tricky_workbook() -> bytes:
    """A hidden first sheet 说明; the data on 数据, whose row 4 is hidden, column G (学习内容)
    hidden, and E3 (参加人数) a formula =1+1 whose saved result is a stale 999."""
    wb = Workbook()
    wb.active.title, wb.active["A1"] = "说明", "请勿导入本页"
    wb.active.sheet_state = "hidden"
    ws = wb.create_sheet("数据")
    ws.append(TRAINING_HEADER)
    for row in training_rows(5):
        ws.append(row)
    ws.row_dimensions[4].hidden = True
    ws.column_dimensions["G"].hidden = True
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl keeps no formula results: put in what a script (or a tampered file) would keep
    original = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                patched = data.replace(
                    b'<c r="E3" t="n"><v>21</v></c>', b'<c r="E3"><f>1+1</f><v>999</v></c>'
                )
                assert patched != data
                data = patched
            z.writestr(item, data)
    return out.getvalue()


def upload(client, content: bytes, name="台账.xlsx"):
    buf = io.BytesIO(content)
    buf.name = name
    client.post(reverse("ledger:import", args=["training"]), {"file": buf})
    return Job.objects.latest("pk")


def test_hidden_sheet_rows_columns_and_formulas_are_named_in_the_preview(clerk):
    client = login(clerk)
    job = upload(client, tricky_workbook())
    assert job.status == Job.Status.PREVIEW, job.result
    page = client.get(reverse("ledger:import_preview", args=["training", job.pk])).content.decode()
    assert "工作表「说明」是隐藏的，没有读取；读取的是第一张可见的工作表「数据」" in page
    assert "第4行在表格中是隐藏的（被筛选或手动隐藏），打开文件时看不到，但会照常导入" in page
    assert "「学习内容」列在表格中是隐藏的" in page
    assert "第3行「参加人数」列是公式 =1+1，保存的结果为 999" in page
    # imported as the preview said, with the warnings kept on the job
    client.post(reverse("ledger:import_confirm", args=["training", job.pk]))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and Training.objects.count() == 5
    assert Training.objects.get(name="培训1").attendees == 999
    assert len(job.result["warnings"]) == 4


def test_the_command_prints_them_too(brigade, tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(tricky_workbook())
    _, err = run("import_ledger", "training", str(path), "--brigade", "a", "--dry-run")
    assert "注意：第4行在表格中是隐藏的" in err and "注意：工作表「说明」是隐藏的" in err
    assert "第3行「参加人数」列是公式 =1+1" in err


def test_a_plain_file_has_no_warning(brigade):
    wb = Workbook()
    for row in [TRAINING_HEADER, *training_rows(3)]:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    result = ledger_import(ledger=registry.get("training"), brigade=brigade, source=buf, dry_run=True)
    assert result.ok and result.warnings == []


def test_only_data_rows_and_the_ledgers_columns_are_named(brigade):
    """A hidden title row above the header, and a hidden column the header leaves out, are not
    what is imported: not named."""
    wb = Workbook()
    ws = wb.active
    ws.append(["甲县大队2025年学法培训台账"])
    ws.append(TRAINING_HEADER)  # nothing above column H: it is not read
    for row in training_rows(3):
        ws.append([*row, "不读的备注"])
    ws.row_dimensions[1].hidden = True
    ws.column_dimensions["H"].hidden = True
    buf = io.BytesIO()
    wb.save(buf)
    result = ledger_import(ledger=registry.get("training"), brigade=brigade, source=buf, dry_run=True)
    assert result.ok and result.created == 3, result.errors
    assert result.warnings == []


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("target", ['xls:"MS Excel 97"', "ods"])
def test_xls_and_ods_name_them_too(brigade, tmp_path, target):
    source = tmp_path / "台账.xlsx"
    source.write_bytes(tricky_workbook())
    subprocess.run(
        f"{SOFFICE} -env:UserInstallation=file://{tmp_path}/lo --headless --norestore"
        f" --convert-to {target} --outdir {tmp_path} {source}",
        shell=True, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    suffix = target.split(":")[0]
    converted = tmp_path / f"台账.{suffix}"
    result = ledger_import(ledger=registry.get("training"), brigade=brigade, source=converted, dry_run=True)
    assert result.ok, result.errors
    text = "\n".join(result.warnings)
    assert "工作表「说明」是隐藏的" in text and "「数据」" in text, text
    assert "第4行在表格中是隐藏的" in text, text
    assert "「学习内容」列在表格中是隐藏的" in text, text
    assert "第3行「参加人数」列是公式" in text, text
    if suffix == "ods":
        assert "=1+1" in text, text


def _saved(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_workbook_opening_on_another_sheet_names_the_sheet_read(clerk):
    """Excel opens on the tab last looked at (<workbookView activeTab="1">); the first visible
    sheet is what is read (docs/imports.md): the preview says so, naming both."""
    wb = Workbook()
    wb.active.title = "旧台账"
    for row in [TRAINING_HEADER, *training_rows(2)]:
        wb.active.append(row)
    shown = wb.create_sheet("培训")
    for row in [TRAINING_HEADER, *training_rows(5)]:
        shown.append(row)
    wb.active = 1
    client = login(clerk)
    job = upload(client, _saved(wb))
    assert job.status == Job.Status.PREVIEW, job.result
    page = client.get(reverse("ledger:import_preview", args=["training", job.pk])).content.decode()
    assert "打开这个文件时显示的是工作表「培训」，但本系统只读第一张可见的工作表，读取的是「旧台账」" in page


def test_a_column_narrower_than_half_a_character_or_a_row_lower_than_a_point_is_named(brigade):
    wb = Workbook()
    for row in [TRAINING_HEADER, *training_rows(5)]:
        wb.active.append(row)
    wb.active.column_dimensions["G"].width = 0.01  # 学习内容: there, but not to be seen
    wb.active.row_dimensions[4].height = 0.01
    wb.active.column_dimensions["F"].width = 0.5  # narrow, but a sliver shows
    result = ledger_import(
        ledger=registry.get("training"), brigade=brigade, source=io.BytesIO(_saved(wb)), dry_run=True
    )
    assert result.ok, result.errors
    text = "\n".join(result.warnings)
    assert "「学习内容」列在表格中是隐藏的" in text and "学时" not in text, text
    assert "第4行在表格中是隐藏的" in text, text
