from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from brigade.models import Brigade
from brigade.services import brigade_upsert


class Command(BaseCommand):
    help = "新增或更新一个大队（或支队）。再次运行同一代码会更新，不会重复。"

    def add_arguments(self, parser):
        parser.add_argument("code", help="简短代码，如 shuangpai")
        parser.add_argument("--name", required=True, help="全称，如 双牌县公安局交通警察大队")
        parser.add_argument("--short", dest="short_name", help="简称")
        parser.add_argument("--superior", help="主送机关，如 中共双牌县委")
        parser.add_argument("--doc-prefix", help="发文机关代字，如 淄公交川政")
        parser.add_argument("--signer", help="默认签发人")
        parser.add_argument("--parent", help="上级支队的代码")

    def handle(self, *args, code, name, short_name, superior, doc_prefix, signer, parent, **options):
        try:
            brigade, created = brigade_upsert(
                code=code,
                name=name,
                short_name=short_name,
                superior=superior,
                doc_prefix=doc_prefix,
                signer=signer,
                parent_code=parent,
            )
        except Brigade.DoesNotExist:
            raise CommandError(f"没有代码为 {parent} 的上级支队，请先创建它")
        except (ValidationError, ValueError) as e:
            raise CommandError("; ".join(getattr(e, "messages", [str(e)])))
        self.stdout.write(f"{'已创建' if created else '已更新'}：{brigade.code} {brigade.name}")
