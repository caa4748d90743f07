"""Demo records of the brigade's own ledgers (training, meetings, regulations, roster)."""

import datetime
import random

from django.utils import timezone

from brigade.models import Meeting, Officer, Regulation, Training, Unit

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华文斌波宇浩凯健俊帆鹏辉林峰"
# Written the ways clerks write them: full titles, short names, 道交法 (reports/laws.py reads them all).
LAWS = [
    "《中华人民共和国道路交通安全法》", "道路交通安全法", "道交法实施条例", "行政处罚法", "《中华人民共和国行政强制法》",
    "《道路交通安全违法行为处理程序规定》", "道路交通事故处理程序规定", "《公安机关办理行政案件程序规定》",
    "民法典", "《法治政府建设实施纲要（2021-2025年）》", "个人信息保护法", "习近平法治思想",
]  # fmt: skip
REGULATIONS = [
    ("执法执勤规范", "执法规范"), ("执法记录仪使用管理规定", "执法规范"), ("案件审核审批制度", "执法规范"),
    ("重大执法决定法制审核制度", "执法规范"), ("行政处罚自由裁量基准", "执法规范"), ("涉案财物管理制度", "监督管理"),
    ("执法过错责任追究办法", "监督管理"), ("网上执法巡查制度", "监督管理"), ("执法质量考评办法", "监督管理"),
    ("警情回访制度", "监督管理"), ("民警绩效考核办法", "队伍管理"), ("辅警管理办法", "队伍管理"),
    ("学法用法制度", "队伍管理"), ("首违不罚清单", "执法规范"), ("轻微违法告知承诺制度", "执法规范"),
    ("事故快处快赔工作规范", "执法规范"), ("信访投诉办理制度", "其他"), ("政务公开制度", "其他"),
]  # fmt: skip


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def days_of(year: int, today: datetime.date):
    start = datetime.date(year, 1, 1)
    end = min(datetime.date(year, 12, 31), today)
    return start, (end - start).days


def random_day(rng, year, today):
    start, span = days_of(year, today)
    return start + datetime.timedelta(days=rng.randint(0, max(span, 0)))


def random_moment(rng, year, today, hours=None) -> datetime.datetime:
    """A local-time moment in `year`, not after `today` nor after now; `hours` weights the hour
    of day (24 weights), e.g. drink-driving checks peak in the evening."""
    tz = timezone.get_default_timezone()
    day = random_day(rng, year, today)
    hour = rng.choices(range(24), weights=hours)[0] if hours else rng.randrange(24)
    moment = datetime.datetime(
        day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=tz
    )
    now = timezone.now()
    return moment if moment <= now else now.astimezone(tz).replace(microsecond=0)


def populate(*, brigade, years, today, rng, save):
    """Fill the brigade's own ledgers for `years`; `save(model, objs)` writes with history."""
    for name in ("一中队", "二中队", "三中队", "事故中队", "秩序中队", "法制室"):
        Unit.objects.get_or_create(brigade=brigade, name=name)
    units = list(Unit.objects.filter(brigade=brigade).values_list("name", flat=True))

    officers, used = [], set()
    for i in range(140):
        category = "民警" if i < 62 else ("辅警" if i < 130 else "工勤人员")
        badge = f"{431100 + i:06d}" if category == "民警" else f"F{2000 + i}"
        if badge in used:
            continue
        used.add(badge)
        age = rng.randint(24, 58) if category == "民警" else rng.randint(21, 50)
        officers.append(
            Officer(
                brigade=brigade,
                badge_no=badge,
                name=person(rng),
                category=category,
                birth_date=datetime.date(today.year - age, rng.randint(1, 12), rng.randint(1, 28)),
                unit=rng.choice(units),
                qualification=rng.choice(["基本级"] * 6 + ["中级"] * 3 + ["高级"])
                if category == "民警"
                else "无",
                is_legal_officer="是" if category == "民警" and i % 9 == 0 else "否",
                status=rng.choice(["在职"] * 18 + ["借调", "退休"]),
            )
        )
    save(Officer, officers)

    trainings, meetings, regulations = [], [], []
    reg_pool = REGULATIONS[:]
    rng.shuffle(reg_pool)
    for n, year in enumerate(years):
        scale = 1.0 + 0.15 * n
        kinds = [
            ("领导班子集中学法", 12),
            ("全警培训", 6),
            ("专题学法", 8),
            ("岗位练兵", 10),
            ("执法资格考试", 1),
            ("法治讲座", 3),
        ]
        for kind, count in kinds:
            for _ in range(max(1, round(count * scale * rng.uniform(0.8, 1.2)))):
                law = rng.choice(LAWS)
                trainings.append(
                    Training(
                        brigade=brigade,
                        date=random_day(rng, year, today),
                        name=f"{law}{kind}",
                        kind=kind,
                        mode=rng.choice(["线下", "线下", "线上", "线上线下结合"]),
                        attendees=rng.randint(8, 15) if kind == "领导班子集中学法" else rng.randint(30, 120),
                        hours=rng.choice([1, 1.5, 2, 3, 4]),
                        content=f"学习{law}" + ("" if law.endswith("思想") else "及相关配套规定"),
                    )
                )
        for kind, count in [
            ("党委会", 24),
            ("法治建设专题会议", 4),
            ("执法监督委员会会议", 4),
            ("务虚会", 2),
            ("案件会商会", 10),
        ]:
            for _ in range(max(1, round(count * rng.uniform(0.8, 1.2)))):
                meetings.append(
                    Meeting(
                        brigade=brigade,
                        date=random_day(rng, year, today),
                        name=f"{year}年{kind}",
                        kind=kind,
                        chair=rng.choice(["大队长", "教导员"]),
                        topics="研究部署法治建设、执法规范化建设等工作",
                    )
                )
        for _ in range(6 + n * 2):
            if not reg_pool:
                break
            name, category = reg_pool.pop()
            regulations.append(
                Regulation(
                    brigade=brigade,
                    name=f"{brigade.short_name or ''}{name}",
                    date=random_day(rng, year, today),
                    category=category,
                    status=rng.choice(["新建", "新建", "修订"]),
                )
            )
    save(Training, trainings)
    save(Meeting, meetings)
    save(Regulation, regulations)
