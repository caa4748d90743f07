"""Demo records of the enforcement ledgers: a county brigade's violations (~25,000–40,000 a year,
about 60% on site), its campaigns and its supervision checks. Every year draws its own volumes
and proportions, so that year-over-year figures differ as they do in real reports."""

import datetime
from decimal import Decimal

from brigade.demo import person, random_day, random_moment
from brigade.models import Officer
from enforcement.models import Campaign, SupervisionCheck, Violation, ViolationType

COUNTY_CODE = "431123"  # 双牌县
TOWNS = ["泷泊镇", "江村镇", "五里牌镇", "茶林镇", "何家洞镇", "麻江镇", "塘底乡", "上梧江瑶族乡", "理家坪乡", "打鼓坪乡"]  # fmt: skip
ROADS = [
    "G207国道", "S216省道", "S322省道", "二广高速双牌段", "县城潇水中路", "县城紫金路", "县城双牌大道",
    "县城泷泊路", "县乡道X021线", "县乡道X035线",
]  # fmt: skip
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"

# name: (share of the year's violations in %, share handled on site, fine range in yuan, points)
TYPES = {
    "酒后驾驶": (0, 1.0, (1000, 2000), 12),  # drawn apart, see _violations
    "醉酒驾驶": (0, 1.0, None, None),
    "超速": (9.0, 0.25, (200, 2000), 6),
    "货车超载": (1.5, 0.9, (500, 2000), 6),
    "客车超员": (0.4, 0.9, (500, 2000), 6),
    "疲劳驾驶": (0.6, 0.5, (200, 200), 12),
    "电动自行车驾乘人员不戴安全头盔": (12.0, 1.0, (20, 50), None),
    "摩托车驾乘人员不戴安全头盔": (5.0, 1.0, (50, 200), 1),
    "违法载人": (4.0, 0.9, (50, 200), 0),
    "无证驾驶": (1.8, 1.0, (200, 2000), None),
    "无牌无证或假套牌": (2.5, 0.9, (200, 5000), 12),
    "闯红灯": (6.0, 0.15, (200, 200), 6),
    "违法停车": (22.0, 0.3, (100, 200), 0),
    "不系安全带": (9.0, 0.3, (50, 50), 2),
    "驾驶时接打电话": (4.0, 0.3, (50, 200), 3),
    "其他": (22.2, 0.8, (50, 200), 0),
}
HELMETS = {"电动自行车驾乘人员不戴安全头盔", "摩托车驾乘人员不戴安全头盔"}
NIGHT = [6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 8]  # drink-driving checks
DAY = [1, 1, 1, 1, 1, 2, 4, 8, 9, 9, 8, 7, 6, 6, 7, 8, 9, 9, 8, 6, 4, 3, 2, 1]

# theme, 行动类型, 联合部门, violation types the campaign targets
CAMPAIGNS = [
    ("酒驾醉驾集中整治", "集中整治", "", {"酒后驾驶", "醉酒驾驶"}),
    ("夏夜治安巡查宣防统一行动", "统一行动", "", {"酒后驾驶", "醉酒驾驶", "无证驾驶"}),
    ("电动自行车头盔佩戴专项整治", "专项整治", "", HELMETS),
    ("农村道路交通安全百日行动", "百日行动", "", {"摩托车驾乘人员不戴安全头盔", "违法载人", "无证驾驶"}),
    ("货车超限超载联合治理", "联合执法", "交通运输局", {"货车超载"}),
    ("客运车辆安全隐患清零行动", "专项整治", "", {"客车超员", "疲劳驾驶", "超速"}),
    ("春运交通安全保卫统一行动", "统一行动", "", {"超速", "客车超员", "疲劳驾驶", "酒后驾驶"}),
    ("“三超一疲劳”集中整治", "集中整治", "", {"超速", "货车超载", "客车超员", "疲劳驾驶"}),
    ("涉牌涉证违法专项整治", "专项整治", "", {"无证驾驶", "无牌无证或假套牌"}),
    ("危化品运输车辆联合检查", "联合执法", "应急管理局", {"超速", "疲劳驾驶"}),
    ("非法营运联合整治", "联合执法", "交通运输局", {"客车超员", "违法载人"}),
    ("校车及接送学生车辆联合检查", "联合执法", "教育局", {"违法载人", "客车超员"}),
    ("城区交通秩序集中整治", "集中整治", "", {"闯红灯", "违法停车", "不系安全带", "驾驶时接打电话"}),
    ("摩托车“炸街”专项整治", "专项整治", "", {"超速", "无牌无证或假套牌"}),
    ("国庆假期交通安全统一行动", "统一行动", "", {"酒后驾驶", "超速", "客车超员"}),
    ("农机安全联合执法", "联合执法", "农业农村局", {"违法载人"}),
]
DAYS = {
    "集中整治": (3, 15),
    "统一行动": (1, 3),
    "专项整治": (30, 90),
    "百日行动": (100, 100),
    "联合执法": (1, 10),
}

# 监督类型: checks a year, what one check covers (条, 卷 or 起)
SUPERVISION = {
    "网上执法巡查": (40, (50, 300)),
    "现场执法检查": (15, (5, 30)),
    "执法质量考评": (4, (20, 60)),
    "案卷评查": (12, (10, 40)),
    "执法记录仪检查": (12, (30, 120)),
    "案件审核会商": (10, (2, 8)),
    "警情回访": (12, (30, 100)),
}


def populate(*, brigade, years, today, rng, save):
    """Fill the enforcement ledgers for `years`; `save(model, objs)` writes with history."""
    campaigns, targets = _campaigns(brigade, years, today, rng)
    save(Campaign, campaigns)
    save(Violation, _violations(brigade, years, today, rng, targets))
    save(SupervisionCheck, _supervision(brigade, years, today, rng))


def _campaigns(brigade, years, today, rng):
    campaigns, targets = [], {}  # targets: campaign name → the violation types it goes after
    for year in years:
        for _ in range(rng.randint(15, 30)):
            theme, kind, partners, types = rng.choice(CAMPAIGNS)
            start = random_day(rng, year, today)
            name = f"{year}年{start.month}月{theme}"
            if name in targets:
                continue
            targets[name] = types
            days = rng.randint(*DAYS[kind])
            end = start + datetime.timedelta(days=days - 1)
            campaigns.append(
                Campaign(
                    brigade=brigade,
                    name=name,
                    start_date=start,
                    end_date=end if end <= today else None,
                    kind=kind,
                    partners=partners,
                    officers=rng.randint(4, 12) * min(days, 20),
                    batches=rng.randint(1, 3) if kind == "统一行动" else rng.randint(1, 12),
                )
            )
    return campaigns, targets


def _violations(brigade, years, today, rng, targets):
    types = dict(ViolationType.objects.values_list("name", "pk"))
    officers = list(
        Officer.objects.filter(brigade=brigade, category="民警").values_list("name", flat=True)
    ) or [person(rng) for _ in range(40)]
    active = _campaign_days(brigade, today, targets)
    money = {n: Decimal(n) for n in range(0, 5001)}
    violations = []
    for n, year in enumerate(years):
        start, end = datetime.date(year, 1, 1), min(datetime.date(year, 12, 31), today)
        share_of_year = ((end - start).days + 1) / 365
        volume = round(rng.uniform(28_000, 40_000) * share_of_year)
        # Drink-driving is the report's headline figure: keep it in its usual 1,000–1,500 a year.
        drunk = round(rng.uniform(1_000, 1_500) * share_of_year)
        weights = {name: spec[0] * rng.uniform(0.8, 1.25) for name, spec in TYPES.items() if spec[0] != 0}
        # Flexible enforcement (首违不罚, warnings) grows from year to year, as the brief's reports do.
        flexible = 0.015 + 0.01 * n + rng.uniform(0, 0.01)
        names = rng.choices(list(weights), weights=list(weights.values()), k=volume - drunk)
        names += rng.choices(["酒后驾驶", "醉酒驾驶"], weights=[83, 17], k=drunk)
        moments = sorted(
            (random_moment(rng, year, today, NIGHT if t in ("酒后驾驶", "醉酒驾驶") else DAY), t)
            for t in names
        )
        for seq, (moment, name) in enumerate(moments, start=1):
            _share, on_site, fines, points = TYPES[name]
            outcome, fine, pts = _outcome(rng, name, fines, points, flexible)
            method = "现场" if rng.random() < on_site else "非现场"
            campaign = None
            for campaign_id, targets in active.get(moment.date(), ()):
                if name in targets and rng.random() < 0.6:
                    campaign = campaign_id
                    break
            violations.append(
                Violation(
                    brigade=brigade,
                    decision_no=f"{COUNTY_CODE}{year % 100:02d}{seq:08d}",
                    occurred_at=moment,
                    violation_type_id=types[name],
                    method=method,
                    outcome=outcome,
                    fine=None if fine is None else money.get(fine, Decimal(fine)),
                    points=pts,
                    location=f"{rng.choice(TOWNS)}{rng.choice(ROADS)}",
                    plate="" if name in HELMETS and rng.random() < 0.5 else _plate(rng),
                    officer=rng.choice(officers) if method == "现场" else "",
                    campaign_id=campaign,
                )
            )
    return violations


def _outcome(rng, name, fines, points, flexible):
    """(处理结果, 罚款金额, 记分) of one violation, roughly as the law and local practice have it."""
    if name == "醉酒驾驶":
        return ("移送追究刑事责任", None, None) if rng.random() < 0.95 else ("吊销驾驶证", None, None)
    if name == "酒后驾驶":
        r = rng.random()
        if r < 0.08:
            return "行政拘留", rng.choice((1000, 1500, 2000)), 12
        if r < 0.12:
            return "吊销驾驶证", 2000, None
    if name == "无证驾驶" and rng.random() < 0.15:
        return "行政拘留", rng.choice((1000, 1500, 2000)), None
    low, high = fines
    fine = rng.randrange(low, high + 1, 10) if high > low else low
    r = rng.random()
    flex = flexible * (3 if name in HELMETS else 1)
    if name not in ("酒后驾驶", "无证驾驶", "无牌无证或假套牌") and r < flex:
        return ("警告", None, 0) if r < flex * 0.7 else ("不予处罚", None, None)
    if r < flex + 0.012:
        return "从轻处罚", max(low, fine // 2 // 10 * 10), points
    if r < flex + 0.018:
        return "减轻处罚", max(10, low // 2), points
    return "罚款", fine, points


def _plate(rng):
    tail = "".join(rng.choice(PLATE_LETTERS + "0123456789" * 3) for _ in range(4))
    return f"湘M{rng.choice(PLATE_LETTERS)}{tail}"


def _campaign_days(brigade, today, targets):
    """Day → [(campaign id, violation types it targets)] for the campaigns just saved."""
    days: dict[datetime.date, list] = {}
    for pk, name, start, end in Campaign.objects.filter(brigade=brigade).values_list(
        "pk", "name", "start_date", "end_date"
    ):
        day = start
        while day <= (end or today):
            days.setdefault(day, []).append((pk, targets.get(name, ())))
            day += datetime.timedelta(days=1)
    return days


def _supervision(brigade, years, today, rng):
    checks = []
    for n, year in enumerate(years):
        # The body-camera conformity rate improves year on year (e.g. 65% → 87% in the brief).
        camera_rate = min(0.97, 0.62 + 0.11 * n + rng.uniform(0, 0.06))
        for kind, (per_year, (low, high)) in SUPERVISION.items():
            for _ in range(max(1, round(per_year * rng.uniform(0.75, 1.25)))):
                checked = rng.randint(low, high)
                rate = camera_rate if kind == "执法记录仪检查" else rng.uniform(0.85, 1.0)
                passed = round(checked * min(1.0, rate * rng.uniform(0.95, 1.05)))
                found = rng.choice((0, 0, 1, 1, 2, 3, 4, 6)) if kind != "警情回访" else rng.randint(0, 2)
                fixed = found if rng.random() < 0.8 else rng.randint(0, found)
                has_pass = kind in ("执法记录仪检查", "案卷评查", "执法质量考评", "网上执法巡查")
                checks.append(
                    SupervisionCheck(
                        brigade=brigade,
                        date=random_day(rng, year, today),
                        kind=kind,
                        checked=checked,
                        passed=passed if has_pass else None,
                        problems_found=found,
                        problems_fixed=fixed,
                        notices=1 if found and rng.random() < 0.4 else 0,
                        note=f"发现问题{found}个，已整改{fixed}个" if found else "",
                    )
                )
    return checks
