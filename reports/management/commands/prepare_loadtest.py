from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from brigade.figures import Period, evaluate
from brigade.models import MonthlyRollup, RollupMark
from brigade.services import user_upsert
from reports import services
from reports.benchdata import BENCH_CODE, ensure_bench_brigade


class Command(BaseCommand):
    help = "为压力测试准备基准大队（100万条违法记录）、三个账号和上年度报告"

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True)

    def handle(self, *args, password, **options):
        brigade = ensure_bench_brigade(stdout=self.stdout)
        for role in ("clerk", "leader", "legal"):
            user_upsert(username=f"load_{role}", brigade_code=BENCH_CODE, role=role, password=password)
        today = timezone.localdate()
        # A deployment in use has its monthly rollups counted; count them once before the run.
        for period in (Period.year_to_date(today.year, today), Period.year(today.year - 1)):
            evaluate(brigade_ids=[brigade.pk], period=period)
        report = services.report_create(brigade=brigade, year=today.year - 1)
        if connection.vendor == "postgresql":
            # What autovacuum does between runs in a deployment (some machines run PostgreSQL with
            # it off): the tables every save and every view write to start without dead rows.
            with connection.cursor() as cursor:
                for model in (RollupMark, MonthlyRollup, Session):
                    cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        self.stdout.write(f"REPORT_ID={report.pk}")
