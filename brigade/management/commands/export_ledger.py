from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from brigade.ledger.exporter import ledger_export
from brigade.management.arguments import brigade_or_error, ledger_or_error


class Command(BaseCommand):
    help = "把一个大队的台账导出为 .xlsx（与导入模板同列，可原样再导入）。"

    def add_arguments(self, parser):
        parser.add_argument("kind")
        parser.add_argument("file")
        parser.add_argument("--brigade", required=True)
        parser.add_argument("--year", type=int, help="只导出该年度的记录")

    def handle(self, *args, kind, file, brigade, year, **options):
        ledger = ledger_or_error(kind)
        target = brigade_or_error(brigade)
        qs = ledger.queryset().filter(brigade=target)
        if year:
            if not ledger.date_field:
                raise CommandError(f"{ledger.title}台账不按年度划分，不能使用 --year")
            qs = qs.filter(**{f"{ledger.date_field}__year": year})
        Path(file).write_bytes(ledger_export(ledger=ledger, queryset=qs))
        self.stdout.write(f"已导出 {qs.count()} 条{ledger.title}记录到 {file}")
