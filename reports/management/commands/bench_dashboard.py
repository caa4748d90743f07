"""Dashboard benchmark on a brigade with 1,000,000 violations and 100,000 other records."""

import statistics
import time

from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brigade.figures import Period, evaluate
from brigade.services import user_upsert
from reports import services
from reports.benchdata import BENCH_CODE, ensure_bench_brigade


class Command(BaseCommand):
    help = "驾驶舱性能基准：载入（或复用）100万条违法记录和10万条其他记录，测量驾驶舱服务端耗时和查询数"

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=50)
        parser.add_argument("--violations", type=int, default=1_000_000)
        parser.add_argument("--others", type=int, default=100_000)

    def handle(self, *args, requests, violations, others, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "请在 PostgreSQL 上运行：DATABASE_URL=postgres://… python manage.py bench_dashboard"
            )
        t = time.perf_counter()
        brigade = ensure_bench_brigade(violations=violations, others=others, stdout=self.stdout)
        self.stdout.write(f"基准数据就绪：{time.perf_counter() - t:.1f} s")
        user, _ = user_upsert(username="bench_leader", brigade_code=BENCH_CODE, role="leader")
        client = Client()
        client.force_login(user)
        caches["figures"].clear()
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            client.get("/")  # the first view after a change counts everything afresh
        cold, cold_queries = (time.perf_counter() - start) * 1000, len(captured)

        times, queries = [], []
        for _ in range(requests):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get("/")
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
            queries.append(len(captured))
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]

        today = timezone.localdate()
        caches["figures"].clear()
        start = time.perf_counter()
        evaluate(
            brigade_ids=[brigade.pk], period=Period.year_to_date(today.year, today), keys=["violations.total"]
        )
        single = (time.perf_counter() - start) * 1000
        caches["figures"].clear()
        start = time.perf_counter()
        evaluate(brigade_ids=[brigade.pk], period=Period.year(today.year - 1))
        every = (time.perf_counter() - start) * 1000

        # The annual report of last year, drafted and rendered as Word from the same records.
        report = services.report_create(brigade=brigade, year=today.year - 1)
        caches["figures"].clear()
        start = time.perf_counter()
        content, _ = services.report_render(report)
        render_ms = (time.perf_counter() - start) * 1000
        caches["figures"].clear()
        start = time.perf_counter()
        services.redraft_preview(report)
        draft_ms = (time.perf_counter() - start) * 1000

        w = self.stdout.write
        w(f"\n驾驶舱（{requests} 次请求，Django 测试客户端，{connection.vendor}）")
        w(f"  首次（台账有变化后的第一次，全部重新统计）：{cold:.0f} ms，{cold_queries} 条查询")
        w(f"  服务端耗时：中位数 {statistics.median(times):.0f} ms，p95 {p95:.0f} ms")
        w(f"  每次请求 SQL 查询数：{max(queries)}（最少 {min(queries)}）")
        w(f"  最大的单条聚合查询（违法记录，本年至今与去年同期，按月）：{single:.0f} ms")
        w(f"  全部指标整年计算（年度报告所用）：{every:.0f} ms")
        w(
            f"  年度报告整份生成（全部指标 + Word 文件 {len(content) // 1024} KB）：{render_ms:.0f} ms；按最新数据重新起草：{draft_ms:.0f} ms"
        )
