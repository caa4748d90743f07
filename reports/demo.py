"""The demo's documents (brigade/management/commands/load_demo.py calls `finish` once every
brigade's records are loaded): this year's report of the first brigade, drafted by its legal
officer, so that 数据核对, 公开版 and 签发 have something to start from."""

import datetime

from brigade.models import User
from reports import services
from reports.models import AnnualReport


def finish(*, brigades, today: datetime.date, write) -> None:
    """An existing report (drafted, edited or signed) is left as it is."""
    brigade = brigades[0]
    legal = User.objects.get(username="legal")
    new = not AnnualReport.objects.filter(brigade=brigade, kind="annual", year=today.year).exists()
    report = services.report_create(brigade=brigade, year=today.year, user=legal)
    if new and brigade.doc_prefix:
        # The serial the officer would fill in, of the year it is signed (this one, in the demo):
        # without it, 提交领导签发 asks for it first.
        report.doc_number = f"{brigade.doc_prefix}〔{today.year}〕3号"
        report._history_user, report._change_reason = legal, "填写发文字号"
        report.save(update_fields=["doc_number"])
    write(f"{brigade.short_name}{report.year}年度报告：{report.get_status_display()}")
