"""File names made from titles users type: one file, never a path, whatever the title holds;
offered for download with every byte of the name encoded (RFC 5987)."""

from pathlib import Path
from urllib.parse import unquote

import pytest
from django.urls import reverse

from brigade import outputs
from brigade.filenames import MAX_BYTES, content_disposition, safe_filename
from brigade.models import Job
from tests.conftest import login

NASTY = {
    "parent": "../../etc/passwd",
    "dots": "甲县大队..报告",
    "slash": "2024/2025年度报告",
    "backslash": "..\\..\\windows\\报告",
    "nul": "报告\x00.exe",
    "newlines": "报告\r\n第二行\n",
    "long": "很" * 300,
    "windows": 'a:b*c?d"e<f>g|h',
    "rtl": "报告\u202excod.exe",
    "dot-first": ".bashrc",
    "device": "CON",
    "empty": "../..",
}


@pytest.mark.parametrize("title", NASTY.values(), ids=NASTY.keys())
@pytest.mark.parametrize("extension", ["", ".pdf", ".docx"])
def test_a_title_becomes_one_safe_file_name(title, extension):
    name = safe_filename(title + extension)
    assert name == Path(name).name and name not in ("", ".", "..")
    assert "/" not in name and "\\" not in name and ".." not in name
    assert not any(ord(ch) < 32 or ch in "\x7f\u202e" for ch in name)
    assert not name.startswith((".", " ")) and len(name.encode()) <= MAX_BYTES
    assert name.endswith(extension)
    assert name.split(".")[0].upper() not in ("CON", "NUL")


def test_chinese_is_kept_and_a_long_title_is_cut_on_a_character():
    title = "双牌县公安局交通警察大队关于2025年法治政府建设情况的报告（公开版）"
    assert safe_filename(f"{title}.docx") == f"{title}.docx"
    assert safe_filename("2024/2025年度报告.pdf") == "2024_2025年度报告.pdf"
    assert safe_filename("报告\r\n第二行.pdf") == "报告 第二行.pdf"
    cut = safe_filename("很" * 300 + ".pdf")
    assert cut == "很" * ((MAX_BYTES - 4) // 3) + ".pdf"


def test_the_download_header_encodes_every_byte_of_the_name():
    header = content_disposition("2024/2025年度报告（公开版）.pdf")
    assert header.startswith("attachment; filename*=UTF-8''") and "/" not in header
    assert unquote(header.split("''", 1)[1]) == "2024_2025年度报告（公开版）.pdf"
    ascii_header = content_disposition('a"b\\c.xlsx')
    assert ascii_header == "attachment; filename=\"a_b_c.xlsx\"; filename*=UTF-8''a_b_c.xlsx"


@pytest.fixture
def producer_of(monkeypatch):
    """Register a test producer whose file is named after `title`."""

    def register(title):
        monkeypatch.setitem(
            outputs.PRODUCERS, "test", lambda job, progress: outputs.Made(title, "application/pdf", [b"%PDF"])
        )
        monkeypatch.setitem(outputs.MAY, "test", lambda job: True)

    return register


@pytest.mark.parametrize("title", NASTY.values(), ids=NASTY.keys())
def test_a_file_made_for_any_title_is_written_in_the_outputs_folder_and_downloads(
    clerk, settings, producer_of, title
):
    producer_of(f"{title}（公开版）.pdf")
    # the job's own title as a form would take it (no NUL: PostgreSQL keeps none); the file's name as given
    job = Job.objects.create(
        user=clerk, brigade=clerk.brigade, kind="test", title=title.replace("\x00", "")[:200]
    )
    assert outputs.job_run(job_id=job.pk) == Job.Status.DONE
    job.refresh_from_db()
    stored = Path(settings.MEDIA_ROOT, job.file.name).resolve()
    outputs_folder = Path(settings.MEDIA_ROOT, "outputs").resolve()
    assert stored.is_file() and stored.parent.parent.parent == outputs_folder  # outputs/YYYY/MM/<file>
    assert job.filename == safe_filename(job.filename) and job.filename.endswith(".pdf")
    assert len(title) > 100 or job.filename.endswith("（公开版）.pdf")  # a long title is cut, its end with it
    response = login(clerk).get(reverse("output_download", args=[job.pk]))
    header = response["Content-Disposition"]
    assert header.startswith("attachment; filename") and "/" not in header.split("filename", 1)[1]
    assert unquote(header.split("''", 1)[1]) == job.filename
    assert b"".join(response.streaming_content) == b"%PDF"


def test_a_ledger_download_is_offered_under_an_encoded_name(as_clerk):
    header = as_clerk.get(reverse("ledger:import_template", args=["training"]))["Content-Disposition"]
    assert header == content_disposition("学法培训-导入模板.xlsx")
