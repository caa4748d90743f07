import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from brigade.models import Brigade, Role
from brigade.services import user_upsert


class Command(BaseCommand):
    help = "新增或更新一个用户及其单位和角色。再次运行会更新，不会重复。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--brigade", required=True, help="所属单位代码")
        parser.add_argument(
            "--role",
            required=True,
            choices=Role.values,
            help="clerk 录入员 | legal 法制员 | leader 领导 | admin 管理员",
        )
        parser.add_argument(
            "--detachment", action="store_true", help="支队级用户：可查看所辖各大队，不能修改"
        )
        parser.add_argument("--name", help="姓名（领导的姓名即签发人）")
        parser.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（第一行）")

    def handle(self, *args, username, brigade, role, detachment, name, password_stdin, **options):
        password = sys.stdin.readline().rstrip("\n") if password_stdin else None
        if password_stdin and not password:
            raise CommandError("标准输入中没有密码")
        try:
            user, created = user_upsert(
                username=username,
                brigade_code=brigade,
                role=role,
                detachment=detachment,
                password=password,
                full_name=name,
            )
        except Brigade.DoesNotExist:
            raise CommandError(f"没有代码为 {brigade} 的单位，请先运行 add_brigade")
        except ValidationError as e:
            raise CommandError("密码不符合要求：" + " ".join(e.messages))
        self.stdout.write(
            f"{'已创建' if created else '已更新'}：{user.username}（{user.get_role_display()}，{user.brigade}）"
        )
        if created and not password:
            self.stdout.write("该用户尚无密码，请用 --password-stdin 设置后再登录")
        if role == Role.LEADER and not user.get_full_name().strip():
            # A leader's name is printed as 签发人 on what they sign (reports/services.signer_name).
            self.stdout.write(
                f"该领导尚无姓名，签发的报告将印“签发人：{user.username}”；请用 --name 填写姓名"
            )
