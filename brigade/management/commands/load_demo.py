"""The demo `make run` opens on: the 永州支队 with three brigades of different sizes (双牌 the
largest, with three years of records; 新田 and 江永 with two, 江永 better than last year and 新田
worse, so the 支队's comparison ranks them), a user for every role, and a draft of 双牌's report
on this year, so that the data check (数据核对) and the report have something to show."""

import datetime
import importlib
import random
import re
from dataclasses import dataclass

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from brigade import rollup
from brigade.ledger import registry
from brigade.ledger.writing import _history_columns
from brigade.models import Role, Training, User
from brigade.services import brigade_upsert, user_upsert

DEMO_PASSWORD = "Fazhi@2026"
REASON = "演示数据"
# Apps whose demo.py fills their ledgers, in the order their records depend on each other.
# Each app's demo module (<app>/demo.py): `populate(...)` writes a brigade's records; `finish(...)`,
# after every brigade is loaded, makes what starts from the records (the reports app: a draft).
DEMO_APPS = ["brigade", "enforcement", "mediation", "publicity", "reports"]
# The demo apps write 双牌's place names into places, and its 行政区划代码 (431123) at the head
# of 决定书编号, 事故编号 and 警情编号 (a code followed by more digits: a 警号 may read 431123 too).
HOME_PLACE, HOME_CODE = "双牌", "431123"
NUMBER_HEAD = re.compile(rf"(?<!\d){HOME_CODE}(?=\d{{6}})")
# Ledgers whose volume follows the county's size (a smaller county finds fewer violations);
# training, meetings and regulations are the brigade's own programme, whatever its size.
# Named by ledger kind (brigade/ledger): the organisation's package imports no data app.
SIZED = {"violations", "calls", "accidents", "complaints", "events", "media", "officers"}
# Outcomes whose this-year-against-last a brigade's `trend` sets (fewer is better for the first
# two, more is better for the third): what the 支队's comparison ranks and colours.
FEWER_IS_BETTER, MORE_IS_BETTER = ("accidents", "complaints"), ("events",)


@dataclass(frozen=True)
class DemoBrigade:
    code: str
    name: str
    short_name: str
    superior: str
    doc_prefix: str
    signer: str
    place: str  # replaces 双牌 in the records' places
    county: str  # 行政区划代码 in 决定书编号, 事故编号, 警情编号
    years: int  # years of records, this one included
    scale: float = 1.0  # share of a 双牌-sized year kept
    trend: float | None = None  # this year's accidents and complaints against the same period last year
    # A ledger whose records of one past month of this year were "not entered": what 数据核对 finds.
    unrecorded: str | None = None


DETACHMENT = {
    "code": "yongzhou", "name": "永州市公安局交通警察支队", "short_name": "永州支队", "superior": "中共永州市委",
    "doc_prefix": "永公交", "signer": "王立新",
}  # fmt: skip
BRIGADES = [
    DemoBrigade("demo", "双牌县公安局交通警察大队", "双牌大队", "中共双牌县委", "双公交", "张建国", "双牌", "431123", 3,
                unrecorded="supervision"),
    DemoBrigade("jiangyong", "江永县公安局交通警察大队", "江永大队", "中共江永县委", "江永公交", "欧阳文斌",
                "江永", "431125", 2, scale=0.45, trend=0.7),
    DemoBrigade("xintian", "新田县公安局交通警察大队", "新田大队", "中共新田县委", "新公交", "蒋志刚",
                "新田", "431128", 2, scale=0.7, trend=1.35),
]  # fmt: skip
# username, unit, role, 支队级, full name (as 签发人 and the history print it), what they do in the tour
DEMO_USERS = [
    ("clerk", "demo", Role.CLERK, False, "王小明", "录入、导入双牌大队的台账"),
    ("legal", "demo", Role.LEGAL, False, "李卫东", "起草年度报告、数据核对、公开版与保密审查"),
    ("leader", "demo", Role.LEADER, False, "张建国", "审核、签发双牌大队的报告"),
    ("admin", "demo", Role.ADMIN, False, "赵磊", "在“系统管理”中维护用户、单位、违法行为目录"),
    ("zhidui", "yongzhou", Role.LEADER, True, "王立新", "看各大队并列对比，签发支队的报告"),
    ("zhidui_legal", "yongzhou", Role.LEGAL, True, "刘晓燕", "起草支队的报告（汇总各大队）"),
]


class Command(BaseCommand):
    help = "载入演示数据：永州支队及所辖三个大队、每个角色的演示用户、各大队近两三年的台账记录和本年度报告草稿。只载入一次。"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, seed, **options):
        brigade_upsert(**DETACHMENT)
        units = {}
        for spec in BRIGADES:
            units[spec.code], _ = brigade_upsert(
                code=spec.code,
                name=spec.name,
                short_name=spec.short_name,
                superior=spec.superior,
                doc_prefix=spec.doc_prefix,
                signer=spec.signer,
                parent_code=DETACHMENT["code"],
            )
        existing = set(
            User.objects.filter(username__in=[u[0] for u in DEMO_USERS]).values_list("username", flat=True)
        )
        for username, unit, role, detachment, name, _ in DEMO_USERS:
            # The password is hashed for a new user only (0.3 s each): a second start stays quick.
            user_upsert(
                username=username,
                brigade_code=unit,
                role=role,
                detachment=detachment,
                password=None if username in existing else DEMO_PASSWORD,
                full_name=name,
            )

        today = timezone.localdate()
        missing = [s for s in BRIGADES if not Training.objects.filter(brigade=units[s.code]).exists()]
        if not missing:
            self.stdout.write("演示数据已存在，未重复载入。")
        for n, spec in enumerate(BRIGADES):
            if spec in missing:
                rng = random.Random(seed if n == 0 else seed * 100 + n)
                self._populate(spec, units[spec.code], today, rng)
        rollup.refresh()  # the months counted now, not by the first dashboard (rollup.refresh)
        for module in _demo_modules():
            if hasattr(module, "finish"):
                module.finish(
                    brigades=[units[s.code] for s in BRIGADES], today=today, write=self.stdout.write
                )

        self.stdout.write(f"\n演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, unit, role, detachment, name, does in DEMO_USERS:
            where = DETACHMENT["short_name"] if detachment else units[unit].short_name
            self.stdout.write(f"  {username:<13}{name}（{where}{Role(role).label}）：{does}")

    @transaction.atomic
    def _populate(self, spec: DemoBrigade, brigade, today: datetime.date, rng: random.Random):
        years = list(range(today.year - spec.years + 1, today.year + 1))
        self.stdout.write(
            f"{brigade.short_name}（{years[0]}年1月1日至{today.year}年{today.month}月{today.day}日）：",
            ending="",
        )
        first = True

        def save(model, objs):  # each ledger named as it is written, on the brigade's line
            nonlocal first
            objs = _shaped(spec, model, objs, today, rng)
            if spec.place != HOME_PLACE:
                _localise(model, objs, spec)
            _create_with_history(model, objs, brigade)
            self.stdout.write(f"{'' if first else '、'}{model._meta.verbose_name}{len(objs)}条", ending="")
            self.stdout.flush()
            first = False

        for module in _demo_modules():
            if hasattr(module, "populate"):
                module.populate(brigade=brigade, years=years, today=today, rng=rng, save=save)
        self.stdout.write("")


def _demo_modules():
    for app in DEMO_APPS:
        if apps.is_installed(app):
            try:
                yield importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError:
                continue


def _year_of(value) -> int:
    return timezone.localtime(value).year if isinstance(value, datetime.datetime) else value.year


def _same_period(value, today: datetime.date) -> bool:
    """Whether a record of last year falls in the part of it that this year has had so far."""
    day = timezone.localtime(value).date() if isinstance(value, datetime.datetime) else value
    return (day.month, day.day) <= (today.month, today.day)


def _kind_of(model) -> str | None:
    return next((ledger.kind for ledger in registry.all() if ledger.model is model), None)


def _shaped(spec: DemoBrigade, model, objs: list, today: datetime.date, rng: random.Random) -> list:
    """The records a brigade of `spec`'s size and trend keeps of a 双牌-sized draw: `scale` of
    the sized ledgers, and this year's outcomes set against last year's same period by `trend`
    (the draw alone may go either way)."""
    share = {}
    kind = _kind_of(model)
    if spec.trend is not None and kind in FEWER_IS_BETTER + MORE_IS_BETTER:
        field = rollup.date_field(model).attname
        this = sum(1 for o in objs if _year_of(getattr(o, field)) == today.year)
        last = sum(
            1
            for o in objs
            if _year_of(getattr(o, field)) == today.year - 1 and _same_period(getattr(o, field), today)
        )
        want = spec.trend if kind in FEWER_IS_BETTER else 1 / spec.trend
        if this and last:  # keep this/last = want by thinning the year that has too many
            if this > want * last:
                share[today.year] = want * last / this
            else:
                share[today.year - 1] = this / (want * last)
    if kind == spec.unrecorded and today.month > 2:
        gap = (today.year, today.month - 2)  # judged by the data check (the month under way is not)
        field = rollup.date_field(model).attname
        objs = [o for o in objs if (getattr(o, field).year, getattr(o, field).month) != gap]
    scale = spec.scale if kind in SIZED else 1.0
    if scale == 1.0 and not share:
        return objs
    field = rollup.date_field(model).attname if share else None
    return [
        o
        for o in objs
        if rng.random() < scale * (share.get(_year_of(getattr(o, field)), 1.0) if field else 1.0)
    ]


def _localise(model, objs: list, spec: DemoBrigade):
    """双牌's place names and county code in the records' text, made the brigade's own."""
    texts = [
        f.attname for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)
    ]
    for o in objs:
        for name in texts:
            value = getattr(o, name)
            if value and (HOME_PLACE in value or HOME_CODE in value):
                setattr(o, name, NUMBER_HEAD.sub(spec.county, value.replace(HOME_PLACE, spec.place)))


def _create_with_history(model, objs: list, brigade):
    """The records by bulk_create, then their history rows ('+', 演示数据) in one INSERT … SELECT
    from the records just written: the rows bulk_create_with_history would write, without building
    a Python object for each (it took half of the demo's load time)."""
    before = model.objects.filter(brigade=brigade).aggregate(last=Max("pk"))["last"] or 0
    model.objects.bulk_create(objs, batch_size=2000)
    q = connection.ops.quote_name
    columns = ", ".join(q(c) for c in _history_columns(model))
    history = model.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(history)} ({columns}, history_date, history_change_reason, history_type, "
            f"history_user_id) SELECT {columns}, %s, %s, '+', NULL FROM {q(model._meta.db_table)} "
            f"WHERE brigade_id = %s AND {q(model._meta.pk.column)} > %s",
            [timezone.now(), REASON, brigade.pk, before],
        )
