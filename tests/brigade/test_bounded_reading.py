"""Every upload is parsed in a child process the operating system bounds (brigade/ledger/bounded.py):
a hostile file costs the web worker nothing it keeps, crossing a limit is a refusal in Chinese on
the page (never an error page), and the text a file makes the database store is counted as stored,
every reference to a shared string included."""

import io
import re
import zipfile

import pytest
from django.urls import reverse

from brigade.ledger import bounded, registry
from brigade.ledger.importer import ledger_import
from brigade.ledger.xlsx import FileRefused
from brigade.models import Job, Training
from sheets.tests.test_xlsx_reader import build, inline
from tests.brigade.test_import_export import TRAINING_HEADER
from tests.conftest import login

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def ods(table_xml: str) -> io.BytesIO:
    """An .ods whose content.xml holds `table_xml` (one or more <table:table>)."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS} office:version="1.2">'
        f"<office:body><office:spreadsheet>{table_xml}</office:spreadsheet></office:body></office:document-content>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
    buf.seek(0)
    buf.name = "台账.ods"
    return buf


def text_cell(value: str) -> str:
    return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'


def hostile_ods(rows=5_990, repeat=1_000) -> io.BytesIO:
    """The attacker's file: a training header, then `rows` rows of `repeat` cells holding 1, in
    well under a kilobyte."""
    header = "<table:table-row>" + "".join(text_cell(h) for h in TRAINING_HEADER) + "</table:table-row>"
    data = (
        f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell office:value-type="float" '
        f'office:value="1" table:number-columns-repeated="{repeat}"/></table:table-row>'
    )
    return ods(f'<table:table table:name="数据">{header}{data}</table:table>')


def memory_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def reset_peak() -> bool:
    """Start counting this process's peak resident memory (VmHWM) again from now."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def is_chinese_refusal(message: str) -> bool:
    """Chinese, naming no Python exception (a word of Latin letters other than the allowed)."""
    rest = re.sub(r"Excel|WPS|LibreOffice|MB|KB|[A-Z]{1,3}[0-9]*", "", message)
    return bool(re.search(r"[\u4e00-\u9fff]", message)) and not re.search(r"[A-Za-z]{2,}", rest)


def preview(client, upload):
    return client.post(reverse("ledger:import", args=["training"]), {"file": upload})


# ── the parent's memory ───────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("rows", [5_990, 4_000])
def test_a_hostile_ods_costs_the_web_worker_nothing(clerk, rows):
    """The attacker's 6 million cells need more than the child may have (512 MB): refused. Two
    thirds of them fit: read in the child, of which this process gets the ledger's 7 columns."""
    client = login(clerk)
    upload = hostile_ods(rows=rows)
    assert len(upload.getvalue()) < 2000
    preview(client, hostile_ods(rows=3, repeat=3))  # the first preview's imports
    rss_before = memory_kb("VmRSS")
    if not reset_peak():
        pytest.skip("this kernel cannot reset the peak resident memory")
    response = preview(client, upload)
    peak, rss_after = memory_kb("VmHWM"), memory_kb("VmRSS")
    if rows == 5_990:
        assert response.status_code == 200
        message = re.search(r'<div class="msg error">(.*?)</div>', response.content.decode(), re.S).group(1)
        assert "读取该文件需要的内存超过512 MB（上限）" in message and is_chinese_refusal(message), message
    else:
        assert response.status_code == 302  # a preview listing the rows' errors
        job = Job.objects.latest("pk")
        assert job.status == Job.Status.REFUSED and job.result["rows"] == rows
    # In the web worker it took 880 MB at its peak and kept 505 MB; here the child paid.
    assert (peak - rss_before) < 80 * 1024, f"peak grew by {(peak - rss_before) // 1024} MB"
    assert (rss_after - rss_before) < 30 * 1024, f"kept {(rss_after - rss_before) // 1024} MB"


def test_the_child_gives_only_the_ledgers_columns_after_the_header(brigade):
    rows = bounded.open_rows(hostile_ods(rows=20, repeat=1_000))
    with rows:
        header = next(rows)
        assert header == TRAINING_HEADER
        mapping = [(i, None) for i in (0, 2, 4)]
        assert rows.keep(mapping) == [(0, None), (1, None), (2, None)]
        rest = list(rows)
    assert len(rest) == 20 and all(row == [1.0, 1.0, 1.0] for row in rest)


def test_a_file_over_the_memory_limit_is_refused_in_chinese_on_the_page(clerk, settings):
    settings.IMPORT_PROCESS = {**settings.IMPORT_PROCESS, "memory_mb": 120}
    response = preview(login(clerk), hostile_ods())
    assert response.status_code == 200
    page = response.content.decode()
    message = re.search(r'<div class="msg error">(.*?)</div>', page, re.S).group(1)
    assert "读取该文件需要的内存超过120 MB（上限）" in message and is_chinese_refusal(message), message
    assert not Job.objects.exists() or Job.objects.get().file.name == ""


def test_a_file_over_the_cpu_limit_is_refused_in_chinese(brigade, settings, tmp_path):
    settings.IMPORT_PROCESS = {**settings.IMPORT_PROCESS, "cpu_seconds": 1}
    settings.IMPORT_LIMITS = {**settings.IMPORT_LIMITS, "cells": 50_000_000, "text_chars": 100_000_000}
    path = tmp_path / "big.csv"
    path.write_bytes("日期,名称\n".encode() + b"2025-01-02,abcdefgh\n" * 4_000_000)
    with pytest.raises(FileRefused) as caught, bounded.open_rows(path) as rows:
        for _ in rows:
            pass
    message = str(caught.value)
    assert "计算时间超过1秒（上限）" in message and is_chinese_refusal(message), message


def test_a_file_over_the_wall_clock_is_refused_in_chinese(brigade, settings, tmp_path):
    settings.IMPORT_LIMITS = {
        **settings.IMPORT_LIMITS,
        "cells": 50_000_000,
        "text_chars": 100_000_000,
        "seconds": 1,
    }
    path = tmp_path / "big.csv"
    path.write_bytes("日期,名称\n".encode() + b"2025-01-02,abcdefgh\n" * 4_000_000)
    with pytest.raises(FileRefused) as caught, bounded.open_rows(path) as rows:
        for _ in rows:
            pass
    message = str(caught.value)
    assert "读取文件超过1秒（上限）" in message and is_chinese_refusal(message), message


def test_the_child_ends_with_the_rows_it_was_reading(brigade):
    rows = bounded.open_rows(hostile_ods(rows=50, repeat=5))
    next(rows)
    process = rows.process
    rows.close()
    assert process.poll() is not None


# ── the text stored ───────────────────────────────────────────────────────────────────────────


def training_sheet(rows: int, content_cell) -> str:
    """A training sheet of `rows` rows whose 学习内容 cell is `content_cell(row number)`."""
    letters = "ABCDEFG"
    xml = (
        '<row r="1">' + "".join(inline(f"{letters[i]}1", h) for i, h in enumerate(TRAINING_HEADER)) + "</row>"
    )
    for n in range(2, rows + 2):
        cells = [inline(f"A{n}", "2025-03-05"), inline(f"B{n}", f"培训{n}"), inline(f"C{n}", "专题学法"),
                 inline(f"D{n}", "线下"), f'<c r="E{n}"><v>20</v></c>', f'<c r="F{n}"><v>2</v></c>', content_cell(n)]  # fmt: skip
        xml += f'<row r="{n}">' + "".join(cells) + "</row>"
    return xml


def shared(n):
    return f'<c r="G{n}" t="s"><v>0</v></c>'


def test_one_long_shared_string_named_by_300_rows_is_refused_naming_the_cell(clerk, brigade):
    upload = build(training_sheet(300, shared), shared=[f"<si><t>{'学' * 900_000}</t></si>"])
    assert len(upload.getvalue()) < 700_000
    with pytest.raises(FileRefused) as caught:
        ledger_import(ledger=registry.get("training"), brigade=brigade, source=upload)
    message = str(caught.value)
    assert "第2行G列单元格的文字有900000个字符，超过一格最多32767个字符" in message, message
    assert is_chinese_refusal(message)
    assert not Training.objects.exists() and not Training.history.exists()
    upload.seek(0)
    upload.name = "培训.xlsx"
    page = preview(login(clerk), upload).content.decode()
    assert "第2行G列单元格的文字有900000个字符" in page
    assert not Job.objects.exists()


def test_text_is_counted_at_every_reference_against_the_limit(brigade, settings):
    upload = build(training_sheet(300, shared), shared=[f"<si><t>{'学' * 2_000}</t></si>"])  # 600,000 stored
    settings.IMPORT_LIMITS = {**settings.IMPORT_LIMITS, "text_chars": 500_000}
    with pytest.raises(FileRefused) as caught:
        ledger_import(ledger=registry.get("training"), brigade=brigade, source=upload, dry_run=True)
    message = str(caught.value)
    assert "文件中的文字超过50万字（上限；每个单元格都计算在内" in message and is_chinese_refusal(message), (
        message
    )
    settings.IMPORT_LIMITS = {**settings.IMPORT_LIMITS, "text_chars": 1_000_000}
    result = ledger_import(ledger=registry.get("training"), brigade=brigade, source=upload, dry_run=True)
    assert result.ok and result.created == 300


def test_chunks_of_long_cells_are_cut_by_text(brigade, monkeypatch):
    from brigade.ledger import importer

    sizes = []
    original = importer._parse_chunk
    monkeypatch.setattr(
        importer, "_parse_chunk", lambda chunk, *a: sizes.append(len(chunk)) or original(chunk, *a)
    )
    monkeypatch.setattr(importer, "CHUNK_CHARS", 10_000)
    upload = build(training_sheet(300, lambda n: inline(f"G{n}", "学" * 2_000)))
    result = ledger_import(ledger=registry.get("training"), brigade=brigade, source=upload, dry_run=True)
    assert result.ok and sum(sizes) == 300
    assert max(sizes) < 100, sizes  # not one chunk of 300 rows of 2,000 characters


# ── the admin's reference lists ───────────────────────────────────────────────────────────────


def test_the_admins_list_imports_are_parsed_in_the_child_too(admin_user, monkeypatch):
    """系统管理's 导入 (django-import-export) read .xlsx with openpyxl in the web worker."""
    from enforcement.models import ViolationType

    url = reverse("admin:enforcement_violationtype_import")
    sheet = (
        '<row r="1">' + inline("A1", "名称") + inline("B1", "统计分组") + inline("C1", "排序") + "</row>"
        + '<row r="2">' + inline("A2", "飙" * 40_000) + '<c r="C2"><v>3</v></c></row>'
    )  # fmt: skip
    upload = build(sheet)
    upload.name = "目录.xlsx"
    response = login(admin_user).post(url, {"import_file": upload, "format": "0", "resource": "0"})
    page = response.content.decode()
    assert response.status_code == 200 and "第2行A列单元格的文字有40000个字符" in page
    assert not ViolationType.objects.filter(name__startswith="飙").exists()

    started = []
    real = bounded.BoundedRows.__init__
    monkeypatch.setattr(
        bounded.BoundedRows, "__init__", lambda self, source: started.append(1) or real(self, source)
    )
    upload = build(sheet.replace("飙" * 40_000, "驾驶拼装车"))
    upload.name = "目录.xlsx"
    response = login(admin_user).post(url, {"import_file": upload, "format": "0", "resource": "0"})
    assert "驾驶拼装车" in response.content.decode() and response.context.get("confirm_form") is not None
    assert started == [1]
