import importlib
import random

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from brigade.models import Training
from brigade.services import brigade_upsert, user_upsert

DEMO_PASSWORD = "Fazhi@2026"
# Full names as a report prints them: the leader who signs (签发) is its 签发人.
DEMO_USERS = [
    ("clerk", "clerk", False, "王小明"),
    ("legal", "legal", False, "李卫东"),
    ("leader", "leader", False, "张建国"),
    ("admin", "admin", False, "管理员"),
]
# Apps whose demo.py fills their ledgers, in the order their records depend on each other.
DEMO_APPS = ["brigade", "enforcement", "mediation", "publicity"]


class Command(BaseCommand):
    help = "载入演示数据：一个演示大队（含上级支队）、每个角色一个演示用户、近三年的各类台账记录。只在首次运行时载入。"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, seed, **options):
        detachment, _ = brigade_upsert(
            code="yongzhou", name="永州市公安局交通警察支队", short_name="永州支队", superior="中共永州市委",
            doc_prefix="永公交",
        )  # fmt: skip
        brigade, _ = brigade_upsert(
            code="demo", name="双牌县公安局交通警察大队", short_name="双牌大队", superior="中共双牌县委",
            doc_prefix="双公交", signer="张建国", parent_code="yongzhou",
        )  # fmt: skip
        for username, role, _, name in DEMO_USERS:
            user_upsert(
                username=username, brigade_code="demo", role=role, password=DEMO_PASSWORD, full_name=name
            )
        user_upsert(
            username="zhidui", brigade_code="yongzhou", role="leader", detachment=True,
            password=DEMO_PASSWORD, full_name="支队 法制科",
        )  # fmt: skip
        # The 支队's legal officer: drafts the 支队's own report, summed over its brigades.
        user_upsert(
            username="zhidui_legal", brigade_code="yongzhou", role="legal", detachment=True,
            password=DEMO_PASSWORD, full_name="支队法制员",
        )  # fmt: skip

        if Training.objects.filter(brigade=brigade).exists():
            self.stdout.write("演示数据已存在，未重复载入。")
        else:
            self._populate(brigade, seed)

        self.stdout.write(f"\n演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, role, _, name in DEMO_USERS:
            self.stdout.write(f"  {username:<8} {name}（{role}）")
        self.stdout.write("  zhidui   支队级用户（领导），可查看所辖各大队（只读），签发支队的报告")
        self.stdout.write("  zhidui_legal 支队法制员，起草支队的报告（汇总所辖各大队）")

    @transaction.atomic
    def _populate(self, brigade, seed):
        today = timezone.localdate()
        years = [today.year - 2, today.year - 1, today.year]
        rng = random.Random(seed)

        def save(model, objs):
            bulk_create_with_history(objs, model, batch_size=2000, default_change_reason="演示数据")
            self.stdout.write(f"  {model._meta.verbose_name}：{len(objs)} 条")

        self.stdout.write(f"载入 {brigade} {years[0]}年1月1日至{today:%Y年%m月%d日}的演示数据……")
        for app in DEMO_APPS:
            if apps.is_installed(app):
                try:
                    module = importlib.import_module(f"{app}.demo")
                except ModuleNotFoundError:
                    continue
                module.populate(brigade=brigade, years=years, today=today, rng=rng, save=save)
