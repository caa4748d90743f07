"""Benchmark of the ledger importer on a large violations file (issue: high-volume import).

Prints, for one generated file, in one run: a bare read with python-calamine (the baseline the
targets are ratios of), a bare read with our streaming reader, our whole import (read, validate,
de-duplicate, write with history, commit) in a worker-like process of its own with that
process's peak RSS, a re-import of the unchanged file (preview: recognised, then compared row by
row), an export of the records, and django-import-export's default `import_data` on a plain
ModelResource of the same model, measured on a slice and scaled. Everything is written for a
throw-away brigade, removed at the end with all that was written for it (the baseline's slice
is rolled back), so the database is left as found."""

import datetime
import multiprocessing
import random
import resource
import time
from pathlib import Path

import django
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from brigade.ledger import registry
from brigade.ledger.exporter import ledger_export
from brigade.ledger.importer import ledger_import
from brigade.ledger.xlsx import open_rows
from brigade.models import Brigade, ImportFingerprint, RollupMark
from enforcement.models import Violation, ViolationType

HEADER = [
    "决定书编号",
    "违法时间",
    "违法行为",
    "执法方式",
    "处理结果",
    "罚款金额",
    "记分",
    "违法地点",
    "号牌号码",
    "执勤民警",
    "专项行动",
]
ROADS = ["G207国道", "S216省道", "潇水大道", "泷泊镇建设路", "双牌大道", "县城环城路", "茶林镇街道"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A violations file as the national platform exports it: real Excel date-times, text
    numbers, the occasional blank optional cell."""
    rng = random.Random(seed)
    types = list(ViolationType.objects.values_list("name", flat=True))
    outcomes = (
        ["罚款"] * 80
        + ["警告"] * 12
        + ["不予处罚", "从轻处罚", "减轻处罚", "行政拘留", "吊销驾驶证", "移送追究刑事责任"]
    )
    start = datetime.datetime(2025, 1, 1)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("违法查处")
    ws.append(HEADER)
    for i in range(rows):
        outcome = rng.choice(outcomes)
        ws.append(
            [
                f"43112310{i:08d}",
                start + datetime.timedelta(seconds=rng.randrange(0, 365 * 86400)),
                rng.choice(types),
                "现场" if rng.random() < 0.6 else "非现场",
                outcome,
                rng.choice([50, 100, 150, 200, 500, 1000]) if outcome == "罚款" else None,
                rng.choice([0, 0, 1, 3, 6, 9, 12]),
                rng.choice(ROADS),
                f"湘M{rng.randrange(10000, 99999)}",
                f"民警{rng.randrange(1, 60)}",
                None,
            ]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _import_alone(path: str, warm_up: str, brigade_pk: int):
    """The import as the worker runs it, in a process of its own that has previewed one small
    file before (a worker is long-lived): (seconds, records created, the first errors, resident
    memory before, peak resident memory)."""
    ledger, brigade = registry.get("violations"), Brigade.objects.get(pk=brigade_pk)
    ledger_import(ledger=ledger, brigade=brigade, source=Path(warm_up), dry_run=True)
    before = peak_rss_mb()
    t = time.perf_counter()
    result = ledger_import(ledger=ledger, brigade=brigade, source=Path(path), reason="基准测试")
    seconds = time.perf_counter() - t
    return (
        seconds,
        result.created if result.written else 0,
        [str(e) for e in result.errors[:5]],
        before,
        peak_rss_mb(),
    )


def _drop_brigade(brigade):
    """Remove the throw-away brigade and everything the benchmark wrote for it."""
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (Violation.history.model, Violation):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE brigade_id = %s", [brigade.pk])
        brigade.delete()
    if connection.vendor == "postgresql":
        # The next run would otherwise import beside 100,000 dead rows per run where autovacuum is off.
        with connection.cursor() as cursor:
            for model in (Violation.history.model, Violation, RollupMark):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def peak_rss_mb() -> float:
    """This process's peak resident memory: Linux's VmHWM, which (unlike ru_maxrss) a process
    started by fork and exec does not inherit from its parent."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = (
        "导入性能基准：生成违法查处台账文件，导入到临时大队（最后回滚），并与裸读和 django-import-export 对比"
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument(
            "--baseline-rows", type=int, default=2_000, help="django-import-export 实测的行数（再按比例折算）"
        )
        parser.add_argument("--no-baseline", action="store_true")

    def handle(self, *args, rows, baseline_rows, no_baseline, **options):
        path = Path(settings.BASE_DIR) / "var" / "bench" / f"violations-{rows}.xlsx"
        if not path.exists():
            self.stdout.write(f"生成 {rows} 行的违法查处台账 {path} ……")
            generate(path, rows)
        size_mb = path.stat().st_size / 1024 / 1024
        warm_up = path.with_name("violations-200.xlsx")
        if not warm_up.exists():
            generate(warm_up, 200, seed=8)

        t = time.perf_counter()
        count = sum(1 for _ in open_rows(path)) - 1
        bare = time.perf_counter() - t
        t = time.perf_counter()
        calamine = sum(1 for _ in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()) - 1
        bare_calamine = time.perf_counter() - t
        assert calamine == count, (calamine, count)

        ledger = registry.get("violations")
        brigade = Brigade.objects.create(code=f"bench{int(time.time())}", name=f"基准测试大队{time.time()}")
        try:
            # Committed for real, so that the foreign-key checks at commit are counted too; in a
            # process of its own, as the worker runs it, so that its peak memory is its own (this
            # one has held calamine's whole sheet).
            with multiprocessing.get_context("spawn").Pool(1, initializer=django.setup) as pool:
                ours, created, errors, rss_before, peak = pool.apply(
                    _import_alone, (str(path), str(warm_up), brigade.pk)
                )
            assert created == count, errors
            t = time.perf_counter()
            again = ledger_import(ledger=ledger, brigade=brigade, source=path, dry_run=True)
            reimport = time.perf_counter() - t
            assert again.unchanged == count and again.recognised, (again.created, again.updated)
            # The same preview compared row by row, as for a file not seen before or records
            # changed since: the fingerprint of the file is forgotten first.
            ImportFingerprint.objects.filter(brigade=brigade).delete()
            t = time.perf_counter()
            compared = ledger_import(ledger=ledger, brigade=brigade, source=path, dry_run=True)
            row_by_row = time.perf_counter() - t
            assert compared.unchanged == count and not compared.recognised
            t = time.perf_counter()
            exported = ledger_export(ledger=ledger, queryset=Violation.objects.filter(brigade=brigade))
            export = time.perf_counter() - t
        finally:
            _drop_brigade(brigade)

        baseline = None if no_baseline else self._baseline(path, min(baseline_rows, count))

        w = self.stdout.write
        w(f"\n文件：{count} 行，{size_mb:.1f} MB（{connection.vendor}）")
        w(f"基线：python-calamine 仅读取文件：{bare_calamine:.2f} s")
        w(f"本系统仅读取文件（流式读取器）：{bare:.2f} s（calamine 的 {bare / bare_calamine:.2f} 倍）")
        w(
            f"本系统导入（读取+校验+去重+写入含历史）：{ours:.2f} s，{count / ours:,.0f} 行/s"
            f"（calamine 裸读的 {ours / bare_calamine:.1f} 倍，目标 ≤ 3 倍）"
        )
        w(f"进程内存峰值：{peak:.0f} MB（导入前 {rss_before:.0f} MB）")
        if baseline:
            secs, measured = baseline
            w(
                f"对照：django-import-export 默认 import_data：{secs * count / measured:.1f} s（实测 {measured} 行 {secs:.2f} s，按比例折算）"
            )
        w(f"再次导入同一文件（预览，全部未变化，认出是已导入的文件）：{reimport:.2f} s（目标 ≤ 2 s）")
        w(
            f"同一预览逐行比较（未认出，如记录已有改动时）：{row_by_row:.2f} s（calamine 裸读的 {row_by_row / bare_calamine:.1f} 倍）"
        )
        w(f"导出 {count} 行：{export:.2f} s，{len(exported) / 1024 / 1024:.1f} MB（目标 ≤ 5 s）")

    def _baseline(self, path, n):
        """django-import-export's default import_data on a plain ModelResource, on `n` rows."""
        import tablib
        from import_export import resources

        class ViolationResource(resources.ModelResource):
            class Meta:
                model = Violation
                fields = (
                    "id",
                    "brigade",
                    "decision_no",
                    "occurred_at",
                    "violation_type",
                    "method",
                    "outcome",
                    "fine",
                    "points",
                    "location",
                    "plate",
                    "officer",
                )

        type_ids = dict(ViolationType.objects.values_list("name", "pk"))
        rows = open_rows(path)
        next(rows)
        with transaction.atomic():
            brigade = Brigade.objects.create(
                code=f"benchb{int(time.time())}", name=f"基准对照大队{time.time()}"
            )
            data = tablib.Dataset(headers=list(ViolationResource.Meta.fields))
            for _, row in zip(range(n), rows, strict=False):
                data.append([None, brigade.pk, row[0], row[1], type_ids[row[2]], *row[3:10]])
            t = time.perf_counter()
            result = ViolationResource().import_data(data, dry_run=False)
            secs = time.perf_counter() - t
            assert not result.has_errors()
            transaction.set_rollback(True)
        return secs, n
