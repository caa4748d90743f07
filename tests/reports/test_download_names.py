"""A report's title is typed by a user: its downloads are offered under a safe name that keeps
what the file is (草稿, 第N版定稿, 公开版)."""

from urllib.parse import unquote

from django.urls import reverse

from reports import services


def test_a_report_titled_with_a_path_downloads_under_one_safe_name(brigade, legal, as_legal):
    report = services.report_create(brigade=brigade, year=2025, user=legal)
    report.title = "../../etc/关于2025年" + "很长的标题" * 30  # 167 characters: the field holds 200
    report.save()
    header = as_legal.get(reverse("reports:download", args=[report.pk]))["Content-Disposition"]
    assert "/" not in header and ".." not in header
    name = unquote(header.split("UTF-8''")[1])
    assert name.endswith("（草稿）.docx") and "/" not in name and len(name.encode()) <= 180
