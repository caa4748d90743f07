from django.core.management.base import BaseCommand, CommandError

from brigade import access
from brigade.ledger import registry
from brigade.ledger.importer import ledger_import
from brigade.ledger.writing import ImportUnavailable
from brigade.ledger.xlsx import FileRefused
from brigade.management.arguments import brigade_or_error, ledger_or_error, operator


class Command(BaseCommand):
    help = "从表格文件（.xlsx、.xls、.ods、.csv）导入一个台账。任何一行有错都不写入，并列出每个错误的行和列。"

    def add_arguments(self, parser):
        parser.add_argument("kind", nargs="?", help="台账名称，见 --list")
        parser.add_argument("file", nargs="?", help="表格文件（.xlsx、.xls、.ods、.csv）")
        parser.add_argument("--brigade", help="大队代码")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--list", action="store_true", help="列出所有台账及其列")
        parser.add_argument(
            "--by",
            metavar="USERNAME",
            help="以哪位用户的名义导入（写入修改历史）：须是该大队在用的、角色可以导入的用户；不填则记录操作系统用户",
        )

    def handle(self, *args, kind, file, brigade, dry_run, list, by=None, **options):
        if list:
            for ledger in registry.all():
                key = f"  键：{ledger.key_header}" if ledger.key else ""
                self.stdout.write(f"{ledger.kind:<12} {ledger.title}{key}")
                self.stdout.write(
                    "             "
                    + "、".join(c.header + ("*" if c.required else "") for c in ledger.columns)
                )
            return
        if not (kind and file and brigade):
            raise CommandError(
                "用法：import_ledger KIND FILE --brigade CODE [--dry-run]，或 import_ledger --list"
            )
        ledger = ledger_or_error(kind)
        target = brigade_or_error(brigade)
        user, who = operator(by)
        if user is not None:
            _may_import(user, ledger, target)
        try:
            result = ledger_import(
                ledger=ledger,
                brigade=target,
                source=file,
                dry_run=dry_run,
                user=user,
                reason=f"命令行导入（{who}）：{file}",
            )
        except (FileRefused, ImportUnavailable) as e:
            raise CommandError(str(e))
        except FileNotFoundError:
            raise CommandError(f"找不到文件 {file}")
        for warning in result.warnings:
            self.stderr.write(f"注意：{warning}")
        for error in result.errors:
            self.stderr.write(str(error))
        if result.error_count > len(result.errors):
            self.stderr.write(f"……另有 {result.error_count - len(result.errors)} 处错误未列出")
        summary = f"{result.rows}行：新增{result.created}，更新{result.updated}，未变化{result.unchanged}，错误{result.error_count}"
        if not result.ok:
            raise CommandError(f"文件有错误，没有写入任何记录。{summary}")
        self.stdout.write(("检查通过（未写入）：" if dry_run else "导入完成：") + summary)


def _may_import(user, ledger, brigade) -> None:
    """--by names who the history will say imported: only someone who could have imported this
    file in the browser (an active user of that brigade whose role may add its records)."""
    if not user.is_active:
        raise CommandError(f"用户 {user.username} 已停用，不能以其名义导入（--by）")
    if user.brigade_id != brigade.pk or not access.can(user, access.ADD, ledger.model):
        unit = user.brigade.name if user.brigade_id else "未分配单位"
        level = "支队级" if user.is_detachment else ""
        raise CommandError(
            f"用户 {user.username}（{unit}，{level}{user.get_role_display()}）无权向{brigade.name}的"
            f"{ledger.title}台账导入，不能以其名义导入（--by）：须是该大队的录入员、法制员或管理员"
        )
