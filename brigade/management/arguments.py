"""What the commands share: a ledger kind and a brigade code, turned into objects or a clear error."""

import getpass
import os

from django.core.management.base import CommandError

from brigade.ledger import registry
from brigade.models import Brigade, User


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


def operator(username):
    """Who a command writes as: the user named by --by (who must exist), or else nobody in the
    system, with the operating-system account named in the reason. Returns (user, description)."""
    if username:
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"没有用户名为 {username} 的用户（--by）")
        return user, f"用户 {user.username}"
    try:
        account = getpass.getuser()
    except (KeyError, OSError):  # no name for this process's uid (a bare container)
        account = f"uid {os.getuid()}"
    return None, f"操作系统用户 {account}"
