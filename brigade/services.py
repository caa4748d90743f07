"""Administrative actions shared by the command line and the demo data: each is idempotent,
so running it again updates what exists and never duplicates it."""

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from brigade.models import Brigade, Role, User
from brigade.roles import assign_role


@transaction.atomic
def brigade_upsert(
    *,
    code: str,
    name: str,
    short_name: str | None = None,
    superior: str | None = None,
    doc_prefix: str | None = None,
    signer: str | None = None,
    parent_code: str | None = None,
) -> tuple[Brigade, bool]:
    brigade = Brigade.objects.filter(code=code).first() or Brigade(code=code)
    created = brigade.pk is None
    brigade.name = name
    for attr, value in [
        ("short_name", short_name),
        ("superior", superior),
        ("doc_prefix", doc_prefix),
        ("signer", signer),
    ]:
        if value is not None:
            setattr(brigade, attr, value)
    if parent_code is not None:
        brigade.parent = Brigade.objects.get(code=parent_code) if parent_code else None
        if brigade.parent_id and brigade.parent.code == code:
            raise ValueError("上级支队不能是自己")
    brigade.full_clean()
    brigade.save()
    return brigade, created


@transaction.atomic
def user_upsert(
    *,
    username: str,
    brigade_code: str,
    role: str,
    detachment: bool = False,
    password: str | None = None,
    full_name: str | None = None,
) -> tuple[User, bool]:
    if role not in Role.values:
        raise ValueError(f"未知角色 {role}，应为：{', '.join(Role.values)}")
    brigade = Brigade.objects.get(code=brigade_code)
    user = User.objects.filter(username=username).first() or User(username=username)
    created = user.pk is None
    user.brigade = brigade
    user.is_detachment = detachment
    if full_name is not None:
        user.first_name = full_name
    if password is not None:
        validate_password(password, user)
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.save()
    assign_role(user, role)
    return user, created
