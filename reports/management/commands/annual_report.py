from pathlib import Path

from django.core.management.base import BaseCommand

from brigade.management.arguments import brigade_or_error
from reports import documents, services
from reports.models import AnnualReport


class Command(BaseCommand):
    help = (
        "写出某大队或支队某年度的法治政府建设情况报告（.docx）；支队的报告汇总所辖各大队的数字，附各大队主要指标情况表。"
        "已定稿的报告写出定稿时保存的文件，逐字节相同。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--brigade", required=True, help="大队或支队的代码")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--output", required=True, help="输出文件，如 report.docx")
        parser.add_argument(
            "--kind",
            default="annual",
            choices=[d.kind for d in documents.all_kinds()],
            help="文书种类（reports/documents.py 中声明的），默认 annual：年度法治政府建设情况报告",
        )

    def handle(self, *args, brigade, year, output, kind, **options):
        target = brigade_or_error(brigade)
        report = AnnualReport.objects.filter(brigade=target, kind=kind, year=year).first()
        if report is None:
            report = services.report_create(brigade=target, year=year, kind=kind)
            self.stdout.write(f"已根据台账起草《{report.title}》（草稿）")
        content = services.report_document(report)
        Path(output).write_bytes(content)
        state = "定稿文件" if report.is_final else "草稿"
        self.stdout.write(f"已写出{state}：{output}（{len(content)} 字节）")
