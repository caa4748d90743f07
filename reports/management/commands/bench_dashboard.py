"""Dashboard and report-figure benchmark on PostgreSQL.

`--cold` (SQLite or PostgreSQL, on the data already loaded, e.g. the demo): the first dashboard
with nothing stored (as right after load_demo), and after an import touched a year of records,
each with and without the rollups refreshed by the writer (rollup.refresh), as figures.

Default: one brigade with 1,000,000 violations and 100,000 other records.
`--detachment`: ten brigades under one 支队, 110,000 violations a year each for three years
(3.3M) plus their other ledgers; one brigade's dashboard warm, right after a change in it and
right after a change in another brigade; the 支队's side-by-side view; the report's figures."""

import datetime
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import F
from django.test import Client
from django.utils import timezone

from brigade import rollup
from brigade.figures import Period, evaluate, indicators_of
from brigade.models import MonthlyRollup, Role, User
from brigade.services import user_upsert
from enforcement.models import Violation
from reports import services
from reports.benchdata import ensure_bench_brigade, ensure_bench_detachment


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def summary(times) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return f"中位数 {statistics.median(times):6.0f} ms，p95 {p95:6.0f} ms"


def touch(brigade):
    """A clerk corrects one of the last weeks' violations (a real write: the triggers fire)."""
    today = timezone.localdate()
    record = (
        Violation.objects.filter(
            brigade=brigade,
            occurred_at__date__gte=today - datetime.timedelta(days=28),
            occurred_at__date__lte=today,
        )
        .order_by("?")
        .only("pk", "outcome")
        .first()
    )
    record.outcome = "警告" if record.outcome != "警告" else "罚款"
    record.save(update_fields=["outcome"])


class Command(BaseCommand):
    help = "驾驶舱与报告指标性能基准（PostgreSQL）；--detachment 为支队规模（10个大队、330万条违法记录）"

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=30)
        parser.add_argument("--detachment", action="store_true", help="支队规模：10个大队×3年×11万条违法记录")
        parser.add_argument("--violations", type=int, default=None, help="每个大队的违法记录数")
        parser.add_argument("--others", type=int, default=None, help="每个大队的其他台账记录数")
        parser.add_argument(
            "--cold",
            action="store_true",
            help="在现有数据（如演示数据）上测量启动后、导入后的第一次驾驶舱（SQLite 或 PostgreSQL）",
        )

    def handle(self, *args, requests, detachment, violations, others, cold=False, **options):
        if cold:
            return self.cold()
        if connection.vendor != "postgresql":
            raise CommandError(
                "请在 PostgreSQL 上运行：DATABASE_URL=postgres://… python manage.py bench_dashboard"
            )
        self.requests = requests
        t = time.perf_counter()
        if detachment:
            zd, brigades = ensure_bench_detachment(
                violations=violations or 330_000, others=others or 30_000, stdout=self.stdout
            )
        else:
            zd, brigades = (
                None,
                [
                    ensure_bench_brigade(
                        violations=violations or 1_000_000, others=others or 100_000, stdout=self.stdout
                    )
                ],
            )
        self.stdout.write(f"基准数据就绪：{time.perf_counter() - t:.1f} s")
        self.run(zd, brigades)

    def run(self, zd, brigades):
        w = self.stdout.write
        first = brigades[0]
        today = timezone.localdate()
        total = Violation.objects.filter(brigade__in=brigades).count()
        w(
            f"\n{len(brigades)} 个大队，违法记录 {total:,} 条（{connection.vendor}，Django 测试客户端，服务端耗时）"
        )

        leader, _ = user_upsert(username=f"bench_leader_{first.code}", brigade_code=first.code, role="leader")
        client = Client()
        client.force_login(leader)

        # Baseline in the same run: counting the brigade's figures from the records themselves,
        # which is what every view after a change cost before the rollups.
        MonthlyRollup.objects.filter(brigade_id=first.pk).delete()
        cold = timed(lambda: client.get("/"))
        w(f"  基线：从台账记录直接统计一个大队的驾驶舱（无月度统计）：{cold:.0f} ms")

        def dashboard():
            response = client.get("/")
            assert response.status_code == 200

        warm = [timed(dashboard) for _ in range(self.requests)]
        captured = []
        with connection.execute_wrapper(lambda execute, sql, *a: captured.append(sql) or execute(sql, *a)):
            dashboard()
        after_own, after_other = [], []
        other = brigades[1] if len(brigades) > 1 else None
        for _ in range(self.requests):
            touch(first)
            after_own.append(timed(dashboard))
            if other:
                touch(other)
                after_other.append(timed(dashboard))
        base = statistics.median(warm)
        w(f"  驾驶舱（本大队）平时：          {summary(warm)}，每次 {len(captured)} 条查询")
        w(
            f"  本大队改动一条记录后的第一次：  {summary(after_own)}（平时的 {statistics.median(after_own) / base:.1f} 倍）"
        )
        if other:
            w(
                f"  别的大队改动一条记录后：        {summary(after_other)}（平时的 {statistics.median(after_other) / base:.1f} 倍）"
            )

        if zd is not None:
            viewer, _ = user_upsert(
                username="bench_zhidui", brigade_code=zd.code, role="leader", detachment=True
            )
            zd_client = Client()
            zd_client.force_login(viewer)

            def side_by_side():
                response = zd_client.get("/")
                assert response.status_code == 200 and "各大队对比" in response.content.decode()

            side_by_side()
            zd_warm = [timed(side_by_side) for _ in range(self.requests)]
            zd_after = []
            for _ in range(self.requests):
                touch(first)
                zd_after.append(timed(side_by_side))
            w(f"  支队并列对比（{len(brigades)} 个大队）平时：{summary(zd_warm)}")
            w(f"  支队并列对比，一个大队改动后：  {summary(zd_after)}")

        year = today.year - 1
        period = Period.year(year)
        ids = [first.pk]
        evaluate(brigade_ids=ids, period=period)
        report_warm = [timed(lambda: evaluate(brigade_ids=ids, period=period)) for _ in range(self.requests)]
        report_after = []
        last_year = Violation.objects.filter(brigade=first, occurred_at__year=year).only("pk", "outcome")
        for record in last_year.order_by("?")[: self.requests]:
            record.outcome = "警告" if record.outcome != "警告" else "罚款"
            record.save(update_fields=["outcome"])
            report_after.append(timed(lambda: evaluate(brigade_ids=ids, period=period)))
        w(f"  年度报告的全部指标（{year}年整年）平时：{summary(report_warm)}")
        w(f"  年度报告的全部指标，改动该年一条记录后：{summary(report_after)}")
        if zd is not None:
            every = [b.pk for b in brigades]
            evaluate(brigade_ids=every, period=period)
            zd_report = [timed(lambda: evaluate(brigade_ids=every, period=period)) for _ in range(5)]
            w(f"  支队汇总（{len(brigades)} 个大队）全年全部指标：{summary(zd_report)}")

        # What a change costs to count again: the days it touched (one here), not the month.
        month, indicators = today.replace(day=1), indicators_of(Violation)
        one_day = timed(lambda: rollup._count(Violation, indicators, {(first.pk, month): {today.day}}))
        one_month = timed(lambda: rollup._count(Violation, indicators, {(first.pk, month): None}))
        w(f"  改动后重新统计：一个大队一天的违法记录 {one_day:.0f} ms（整月则需 {one_month:.0f} ms）")

        report = services.report_create(brigade=first, year=year)
        render = timed(lambda: services.report_render(report))
        w(f"  年度报告整份生成（全部指标 + Word 文件）：{render:.0f} ms")

    def cold(self):
        """The first dashboard when the rollups hold nothing for the months it shows (after
        load_demo, or a restore of the ledgers alone) and after an import touched a year of one
        brigade's violations: as before (the page counts them) and as now (the writer has
        refreshed them, rollup.refresh). Each first view from a new client, then one warm."""
        w = self.stdout.write
        leader = (
            User.objects.filter(role=Role.LEADER, is_active=True, brigade__isnull=False)
            .order_by("pk")
            .first()
        )
        if leader is None:
            raise CommandError("没有可用的领导账号：请先载入数据（manage.py load_demo）")
        brigade = leader.brigade
        total = Violation.objects.filter(brigade=brigade).count()
        w(f"{brigade}：违法记录 {total:,} 条（{connection.vendor}，Django 测试客户端，服务端耗时）")

        def first_view() -> str:
            client = Client()
            client.force_login(leader)
            times = []
            for _ in range(2):
                start = time.perf_counter()
                assert client.get("/").status_code == 200
                times.append((time.perf_counter() - start) * 1000)
            return f"第一次 {times[0]:6.0f} ms，随后 {times[1]:5.0f} ms"

        def touch_year():
            """What an import of a year's records leaves: a mark on every day it wrote."""
            this_year = Violation.objects.filter(brigade=brigade, occurred_at__year=timezone.localdate().year)
            return this_year.update(outcome=F("outcome"))

        def timed_refresh() -> str:
            start = time.perf_counter()
            buckets = rollup.refresh()
            return f"重新统计 {buckets} 个月度统计 {(time.perf_counter() - start) * 1000:.0f} ms"

        def as_loaded():
            """As load_demo leaves the database: every record marked, nothing stored yet."""
            MonthlyRollup.objects.all().delete()
            for model in rollup.tracked_models():
                name = rollup.date_field(model).name
                model._default_manager.update(**{name: F(name)})

        rollup.refresh()
        first_view()  # Python's own first request (imports, templates) is not what is measured
        as_loaded()
        w(f"  载入数据后，改进前（页面自己统计全部月份）：{first_view()}")
        as_loaded()
        w(f"  载入数据后，改进后（载入时已统计：{timed_refresh()}）：{first_view()}")
        touched = touch_year()
        w(f"  导入后（{touched:,} 条本年记录），改进前（页面重新统计）：{first_view()}")
        touch_year()
        w(f"  导入后，改进后（导入进程写入后已统计：{timed_refresh()}）：{first_view()}")
