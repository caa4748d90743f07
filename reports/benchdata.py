"""Benchmark data, generated inside PostgreSQL (generate_series) in seconds rather than through
Python: a brigade with 1,000,000 violations and 100,000 other records over three years, or a
detachment of ten brigades with 330,000 violations each (110,000 a year) and their other ledgers."""

import datetime

from django.db import connection, transaction
from django.utils import timezone

from brigade.models import Brigade, Meeting, Regulation, Training
from enforcement.models import Campaign, SupervisionCheck, Violation
from mediation.models import AccidentCase, Complaint, PoliceCall
from publicity.models import MediaWork, PublicityEvent

BENCH_CODE = "benchdash"
DETACHMENT_CODE = "benchzd"


def _pick(values, expr="random()"):
    """SQL choosing one of `values` at random (evenly)."""
    array = "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"
    return f"({array})[1 + floor({expr} * {len(values)})::int]"


def ensure_bench_detachment(*, brigades=10, violations=330_000, others=30_000, stdout=None):
    """The benchmark detachment and its brigades, each filled once; later calls reuse them."""
    detachment, _ = Brigade.objects.get_or_create(
        code=DETACHMENT_CODE, defaults={"name": "基准市公安局交通警察支队", "short_name": "基准支队"}
    )
    members = []
    for n in range(1, brigades + 1):
        if stdout:
            stdout.write(f"大队 {n}/{brigades}")
        members.append(
            ensure_bench_brigade(
                code=f"bench{n:02d}",
                name=f"基准{n}县公安局交通警察大队",
                short_name=f"基准{n}县大队",
                parent=detachment,
                violations=violations,
                others=others,
                stdout=stdout,
                vacuum=False,
            )
        )
    _vacuum()
    return detachment, members


def _vacuum():
    with connection.cursor() as cursor:
        # As autovacuum would in time: statistics, and the visibility map that lets the lists'
        # counts use index-only scans.
        cursor.execute("VACUUM ANALYZE")


def ensure_bench_brigade(
    *,
    code=BENCH_CODE,
    name="基准测试县公安局交通警察大队",
    short_name="基准大队",
    parent=None,
    violations=1_000_000,
    others=100_000,
    stdout=None,
    vacuum=True,
) -> Brigade:
    """A benchmark brigade, filled once; later calls reuse it."""
    brigade, _ = Brigade.objects.get_or_create(
        code=code,
        defaults={"name": name, "short_name": short_name, "superior": "中共基准县委", "parent": parent},
    )
    if Violation.objects.filter(brigade=brigade).exists():
        return brigade
    if connection.vendor != "postgresql":
        raise RuntimeError("基准数据只在 PostgreSQL 上生成（DATABASE_URL=postgres://…）")
    today = timezone.localdate()
    start = datetime.date(today.year - 2, 1, 1)
    days = (today - start).days
    now = timezone.now()
    b = brigade.pk
    t = lambda model: connection.ops.quote_name(model._meta.db_table)  # noqa: E731
    per_model = others // 10
    day = f"(DATE '{start}' + floor(random() * {days})::int)"
    moment = f"(TIMESTAMPTZ '{start} 00:00+08' + random() * INTERVAL '{days} days')"
    statements = [
        f"""INSERT INTO {t(Violation)} (brigade_id, created_at, updated_at, decision_no, occurred_at,
            violation_type_id, method, outcome, fine, points, location, plate, officer, campaign_id)
            SELECT {b}, %(now)s, %(now)s, 'B' || lpad(g::text, 15, '0'), {moment},
              (ARRAY(SELECT id FROM {t(Violation.violation_type.field.related_model)} ORDER BY id))[1 + floor(random() * 16)::int],
              CASE WHEN random() < 0.6 THEN '现场' ELSE '非现场' END,
              o.outcome, CASE WHEN o.outcome IN ('警告', '不予处罚') THEN NULL ELSE 200 END, 3, '国道', '', '', NULL
            FROM generate_series(1, {violations}) g
            CROSS JOIN LATERAL (SELECT {_pick(["罚款"] * 16 + ["警告", "警告", "不予处罚", "从轻处罚"], "(random() + g * 0)")} AS outcome) o""",
        f"""INSERT INTO {t(AccidentCase)} (brigade_id, created_at, updated_at, case_no, occurred_at, severity,
            procedure, mediation_method, mediation_result, compensation, closed_date, location)
            SELECT {b}, %(now)s, %(now)s, 'A' || g, {moment}, {_pick(["轻微事故"] * 8 + ["一般事故", "重大事故"])},
              {_pick(["快处快赔", "简易程序", "一般程序"])}, {_pick(["现场调解", "大队调解", "人民调解委员会", "保险直赔"])},
              {_pick(["调解成功"] * 8 + ["调解未成功", "未申请调解"])}, 1000, NULL, ''
            FROM generate_series(1, {per_model * 2}) g""",
        f"""INSERT INTO {t(PoliceCall)} (brigade_id, created_at, updated_at, call_no, received_at, category, outcome, follow_up)
            SELECT {b}, %(now)s, %(now)s, 'C' || g, {moment}, {_pick(["交通事故", "交通拥堵", "违法举报", "群众求助", "其他"])},
              '', {_pick(["满意", "满意", "基本满意", "不满意", "未回访"])}
            FROM generate_series(1, {per_model * 2}) g""",
        f"""INSERT INTO {t(Complaint)} (brigade_id, created_at, updated_at, number, received_date, channel, category,
            summary, closed_date, satisfaction)
            SELECT {b}, %(now)s, %(now)s, 'Q' || g, {day}, {_pick(["12345热线", "信访", "网络平台", "电话", "来信", "现场", "上级转办"])},
              {_pick(["执法投诉", "交通秩序", "事故处理", "服务态度", "其他"])}, '', NULL, {_pick(["满意", "基本满意", "不满意", "未评价"])}
            FROM generate_series(1, {per_model}) g""",
        f"""INSERT INTO {t(PublicityEvent)} (brigade_id, created_at, updated_at, date, name, kind, audience, place,
            attendees, materials)
            SELECT {b}, %(now)s, %(now)s, {day}, '宣传活动' || g, {_pick(PublicityEvent.Kind.values)},
              {_pick(PublicityEvent.Audience.values)}, '', 100, 200
            FROM generate_series(1, {per_model}) g""",
        f"""INSERT INTO {t(MediaWork)} (brigade_id, created_at, updated_at, date, title, kind, platform, quantity, views)
            SELECT {b}, %(now)s, %(now)s, {day}, '作品' || g, {_pick(MediaWork.Kind.values)}, {_pick(MediaWork.Platform.values)}, 1, 500
            FROM generate_series(1, {per_model}) g""",
        f"""INSERT INTO {t(Training)} (brigade_id, created_at, updated_at, date, name, kind, mode, attendees, hours, content)
            SELECT {b}, %(now)s, %(now)s, {day}, '培训' || g, {_pick(Training.Kind.values)}, '线下', 50, 2, ''
            FROM generate_series(1, {per_model}) g""",
        f"""INSERT INTO {t(Meeting)} (brigade_id, created_at, updated_at, date, name, kind, chair, topics)
            SELECT {b}, %(now)s, %(now)s, {day}, '会议' || g, {_pick(Meeting.Kind.values)}, '', ''
            FROM generate_series(1, {per_model}) g""",
        f"""INSERT INTO {t(SupervisionCheck)} (brigade_id, created_at, updated_at, date, kind, checked, passed,
            problems_found, problems_fixed, notices, note)
            SELECT {b}, %(now)s, %(now)s, {day}, {_pick(SupervisionCheck.Kind.values)}, 20, 17, 4, 3, 1, ''
            FROM generate_series(1, {per_model}) g""",
        f"""INSERT INTO {t(Campaign)} (brigade_id, created_at, updated_at, name, start_date, end_date, kind, partners,
            officers, batches)
            SELECT {b}, %(now)s, %(now)s, '专项行动' || g, {day}, NULL, {_pick(Campaign.Kind.values)}, '', 30, 1
            FROM generate_series(1, 60) g""",  # about twenty a year, as brigades run them
        f"""INSERT INTO {t(Regulation)} (brigade_id, created_at, updated_at, name, date, category, status)
            SELECT {b}, %(now)s, %(now)s, '制度' || g, {day}, {_pick(Regulation.Category.values)}, {_pick(Regulation.Status.values)}
            FROM generate_series(1, 300) g""",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            if stdout:
                stdout.write("  " + sql.split("(")[0].strip())
            cursor.execute(sql, {"now": now})
    if vacuum:
        _vacuum()
    return brigade
