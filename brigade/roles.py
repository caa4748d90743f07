"""The four roles of the brief as Django groups with real permissions.

`ensure_roles()` is idempotent; it runs after every migrate so that a new ledger's
permissions reach the groups without a hand-written migration."""

from django.contrib.auth.models import Group, Permission

from brigade.models import Role

ROLE_GROUPS = {Role.CLERK: "录入员", Role.LEGAL: "法制员", Role.LEADER: "领导", Role.ADMIN: "管理员"}

_CLERK_EXTRA = ["brigade.view_dashboard"]
_LEGAL_EXTRA = _CLERK_EXTRA + [
    "brigade.restore_record",
    "brigade.unlock_year",
    "brigade.manage_report",
    "brigade.view_report",
]
_LEADER_EXTRA = ["brigade.view_dashboard", "brigade.view_report", "brigade.sign_report"]


def _perm_names(role) -> set[str]:
    from brigade.ledger import registry

    names: set[str] = set()
    for ledger in registry.all():
        opts = ledger.model._meta
        if role in (Role.CLERK, Role.LEGAL, Role.ADMIN):
            names |= {f"{opts.app_label}.{a}_{opts.model_name}" for a in ("view", "add", "change", "delete")}
        elif role == Role.LEADER and not ledger.personal_data:
            names.add(f"{opts.app_label}.view_{opts.model_name}")
    names |= set(
        {
            Role.CLERK: _CLERK_EXTRA,
            Role.LEGAL: _LEGAL_EXTRA,
            Role.LEADER: _LEADER_EXTRA,
            Role.ADMIN: _LEGAL_EXTRA,  # signing (签发) is the brigade leader's alone
        }[role]
    )
    return names


def ensure_roles(**kwargs):
    for role, group_name in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = _perm_names(role)
        perms = [
            p
            for p in Permission.objects.select_related("content_type")
            if f"{p.content_type.app_label}.{p.codename}" in wanted
        ]
        group.permissions.set(perms)


def role_flags(user) -> None:
    """Make `user` staff and superuser exactly when their role is 管理员 (not saved)."""
    user.is_staff = user.is_superuser = user.role == Role.ADMIN


def assign_role(user, role, *, save=True):
    """Put `user` in exactly the group of `role` (and make admins staff). `save=False` when the
    caller has just saved the user with `role_flags` applied (the admin's import)."""
    user.role = role
    role_flags(user)
    if save:
        user.save()
    groups = Group.objects.filter(name__in=ROLE_GROUPS.values())
    user.groups.remove(*groups)
    user.groups.add(Group.objects.get(name=ROLE_GROUPS[Role(role)]))
