"""Demo records of the mediation ledgers: several hundred accidents a year (mostly minor, most of
them settled by 快处快赔), ~1,300–1,600 police calls and ~100–200 complaints, each year with its
own volumes and rates."""

import datetime
from decimal import Decimal

from brigade.demo import random_day, random_moment
from mediation.models import AccidentCase, Complaint, PoliceCall

COUNTY_CODE = "431123"  # 双牌县
PLACES = [
    "G207国道K1826+300", "G207国道K1841+700", "S216省道K52+100", "S322省道K18+500", "二广高速双牌段K1412",
    "县城潇水中路与紫金路交叉口", "县城双牌大道", "县城泷泊路", "泷泊镇双峰村", "江村镇江村街",
    "五里牌镇集镇", "茶林镇桐子坳", "何家洞镇", "麻江镇", "理家坪乡坦田村",
]  # fmt: skip
DAY = [1, 1, 1, 1, 1, 2, 4, 8, 9, 8, 7, 6, 6, 6, 7, 8, 9, 9, 8, 6, 4, 3, 2, 1]

# 事故等级: (share, [(处理程序, weight)], [(调解方式, 调解结果, weight)], compensation range in yuan)
ACCIDENTS = {
    "轻微事故": (
        0.86,
        [("快处快赔", 72), ("简易程序", 28)],
        [("保险直赔", "调解成功", 45), ("现场调解", "调解成功", 40), ("现场调解", "调解未成功", 3),
         ("大队调解", "调解成功", 6), ("未调解", "未申请调解", 6)],
        (200, 6000),
    ),
    "一般事故": (
        0.125,
        [("一般程序", 85), ("简易程序", 15)],
        [("大队调解", "调解成功", 45), ("大队调解", "调解未成功", 10), ("人民调解委员会", "调解成功", 20),
         ("诉调对接", "调解成功", 10), ("诉调对接", "转诉讼", 5), ("未调解", "未申请调解", 10)],
        (5_000, 120_000),
    ),
    "重大事故": (
        0.015,
        [("一般程序", 1)],
        [("大队调解", "调解成功", 30), ("人民调解委员会", "调解成功", 20), ("诉调对接", "转诉讼", 30),
         ("未调解", "未申请调解", 20)],
        (150_000, 900_000),
    ),
}  # fmt: skip

CALLS = [("交通事故", 45), ("交通拥堵", 14), ("违法举报", 16), ("群众求助", 20), ("其他", 5)]
CALL_OUTCOMES = {
    "交通事故": ["已出警，指导当事人快处快赔", "已出警，事故移交事故中队处理", "已出警，当事人自行协商解决"],
    "交通拥堵": ["已出警疏导，交通恢复正常", "已协调路政清障，恢复通行"],
    "违法举报": ["已核查，违法行为已处理", "已核查，未发现违法行为", "已转非现场执法审核"],
    "群众求助": ["已帮助群众解决", "已护送至医院", "已联系家属接回"],
    "其他": ["已登记并告知处理渠道", "已移交相关部门"],
}
COMPLAINTS = [("12345热线", 40), ("信访", 8), ("网络平台", 18), ("电话", 14), ("来信", 3), ("现场", 9), ("上级转办", 8)]  # fmt: skip
COMPLAINT_TOPICS = {
    "执法投诉": ["对违停处罚有异议", "认为执勤民警执法不规范", "对电子警察抓拍有异议"],
    "交通秩序": ["反映学校门口上下学时段拥堵", "反映路口红绿灯配时不合理", "反映货车夜间超速"],
    "事故处理": ["对事故责任认定有异议", "反映事故赔偿调解进度慢", "询问事故处理进展"],
    "服务态度": ["反映窗口工作人员态度生硬", "反映电话无人接听"],
    "其他": ["咨询驾驶证业务", "建议增设交通标志"],
}


def populate(*, brigade, years, today, rng, save):
    """Fill the mediation ledgers for `years`; `save(model, objs)` writes with history."""
    accidents, calls, complaints = [], [], []
    for year in years:
        share_of_year = ((min(datetime.date(year, 12, 31), today) - datetime.date(year, 1, 1)).days + 1) / 365
        accidents += _accidents(brigade, year, today, rng, round(rng.uniform(380, 620) * share_of_year))
        calls += _calls(brigade, year, today, rng, round(rng.uniform(1_300, 1_600) * share_of_year))
        complaints += _complaints(brigade, year, today, rng, round(rng.uniform(100, 200) * share_of_year))
    save(AccidentCase, accidents)
    save(PoliceCall, calls)
    save(Complaint, complaints)


def _accidents(brigade, year, today, rng, volume):
    success = rng.uniform(0.85, 1.15)  # this year's mediation success, relative to the usual
    moments = sorted(random_moment(rng, year, today, DAY) for _ in range(volume))
    records = []
    for seq, moment in enumerate(moments, start=1):
        severity = rng.choices(list(ACCIDENTS), weights=[a[0] for a in ACCIDENTS.values()])[0]
        _share, procedures, mediations, (low, high) = ACCIDENTS[severity]
        procedure = rng.choices([p for p, _ in procedures], weights=[w for _, w in procedures])[0]
        weights = [w * (success if result == "调解成功" else 1) for _, result, w in mediations]
        method, result = rng.choices([(m, r) for m, r, _ in mediations], weights=weights)[0]
        if procedure == "快处快赔" and method not in ("保险直赔", "现场调解"):
            method, result = "保险直赔", "调解成功"
        days = rng.randint(0, 3) if procedure == "快处快赔" else rng.randint(5, 90)
        closed = moment.date() + datetime.timedelta(days=days)
        records.append(
            AccidentCase(
                brigade=brigade,
                case_no=f"{COUNTY_CODE}{year}{seq:05d}",
                occurred_at=moment,
                severity=severity,
                procedure=procedure,
                mediation_method=method,
                mediation_result=result,
                compensation=Decimal(rng.randrange(low, high, 100)) if result == "调解成功" else None,
                closed_date=closed if closed <= today else None,
                location=rng.choice(PLACES),
            )
        )
    return records


def _calls(brigade, year, today, rng, volume):
    unsatisfied = rng.uniform(0.01, 0.04)
    moments = sorted(random_moment(rng, year, today, DAY) for _ in range(volume))
    records = []
    for seq, moment in enumerate(moments, start=1):
        category = rng.choices([c for c, _ in CALLS], weights=[w for _, w in CALLS])[0]
        r = rng.random()
        follow_up = (
            "不满意"
            if r < unsatisfied
            else "未回访"
            if r < unsatisfied + 0.08
            else "基本满意"
            if r < unsatisfied + 0.2
            else "满意"
        )
        records.append(
            PoliceCall(
                brigade=brigade,
                # A few calls are logged by hand at the desk, without a 110 platform number.
                call_no="" if rng.random() < 0.03 else f"J{COUNTY_CODE}{year}{seq:06d}",
                received_at=moment,
                category=category,
                outcome=rng.choice(CALL_OUTCOMES[category]),
                follow_up=follow_up,
            )
        )
    return records


def _complaints(brigade, year, today, rng, volume):
    satisfied = rng.uniform(0.7, 0.85)
    days = sorted(random_day(rng, year, today) for _ in range(volume))
    records = []
    for seq, day in enumerate(days, start=1):
        channel = rng.choices([c for c, _ in COMPLAINTS], weights=[w for _, w in COMPLAINTS])[0]
        category = rng.choice(list(COMPLAINT_TOPICS))
        closed = day + datetime.timedelta(days=rng.randint(1, 30))
        if closed > today or rng.random() < 0.03:
            closed = None
        r = rng.random()
        satisfaction = (
            "未评价"
            if closed is None or r > 0.97
            else "满意"
            if r < satisfied
            else "基本满意"
            if r < 0.93
            else "不满意"
        )
        numbered = channel in ("12345热线", "网络平台", "上级转办", "信访") or rng.random() < 0.3
        records.append(
            Complaint(
                brigade=brigade,
                number=f"TS{year}{seq:04d}" if numbered else "",
                received_date=day,
                channel=channel,
                category=category,
                summary=rng.choice(COMPLAINT_TOPICS[category]),
                closed_date=closed,
                satisfaction=satisfaction,
            )
        )
    return records
