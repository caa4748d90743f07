"""What the commands share: a ledger kind and a brigade code, turned into objects or a clear error."""

from django.core.management.base import CommandError

from brigade.ledger import registry
from brigade.models import Brigade


def ledger_or_error(kind):
    try:
        return registry.get(kind)
    except KeyError:
        raise CommandError(f"没有台账 {kind}，可用：{', '.join(lg.kind for lg in registry.all())}")


def brigade_or_error(code) -> Brigade:
    try:
        return Brigade.objects.get(code=code)
    except Brigade.DoesNotExist:
        raise CommandError(f"没有代码为 {code} 的大队")
