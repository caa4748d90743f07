"""The one policy: who sees what, and who may do what to what.

A user sees their own brigade; a detachment-level user sees their detachment and the
brigades under it, read-only. Someone else's record is a 404, never a 403, so that its
existence does not leak; a write the user's role does not allow is a 403.

Every view and service asks here: `may(user, action, obj)` / `require(user, action, obj)`, where
`obj` is a ledger's model (view/add/change/delete of its records) or an object a later layer owns
(a report): that layer declares its rules with `@rule(Model, action, refusal)` (reports/policy.py),
so that the answer for each (kind of object, action) lives in one place and the imports still
flow one way (tests/test_layers.py)."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from brigade.models import Brigade

READ, ADD, CHANGE, DELETE = "view", "add", "change", "delete"


def visible_brigades(user):
    if not user.is_authenticated:
        return Brigade.objects.none()
    if user.is_superuser and user.brigade_id is None:
        return Brigade.objects.all()
    if user.brigade_id is None:
        return Brigade.objects.none()
    if user.is_detachment:
        return Brigade.objects.filter(Q(pk=user.brigade_id) | Q(parent_id=user.brigade_id))
    return Brigade.objects.filter(pk=user.brigade_id)


def scope(queryset, user):
    """Restrict a queryset of brigade-owned records to what `user` may see."""
    if user.is_superuser and user.brigade_id is None:
        return queryset
    if user.is_detachment:
        return queryset.filter(Q(brigade_id=user.brigade_id) | Q(brigade__parent_id=user.brigade_id))
    return queryset.filter(brigade_id=user.brigade_id)


def get_scoped_or_404(queryset, user, **lookup):
    try:
        return scope(queryset, user).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404("记录不存在或不属于本单位")


def can(user, action, model) -> bool:
    """May `user` do `action` (view/add/change/delete) on records of `model`?"""
    if not user.is_authenticated:
        return False
    if action != READ and (user.is_detachment or user.brigade_id is None):
        return False  # detachment users read only; a write needs a home brigade
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")


_RULES: dict[tuple[type, str], tuple[Callable, str]] = {}


def rule(model: type, action: str, refusal: str):
    """Declare who may do `action` to an object of `model`: the decorated `fn(user, obj) -> bool`;
    `refusal` is what a user refused is told (PermissionDenied, a 403 page)."""

    def register(fn):
        if (model, action) in _RULES:
            raise ValueError(f"rule {model.__name__}.{action} declared twice")
        _RULES[(model, action)] = (fn, refusal)
        return fn

    return register


def _rule(action: str, obj) -> tuple[Callable, str]:
    for klass in type(obj).__mro__:
        if (klass, action) in _RULES:
            return _RULES[(klass, action)]
    raise LookupError(f"no rule for {action!r} on {type(obj).__name__}")  # a programming error


def may(user, action: str, obj) -> bool:
    """May `user` do `action` to `obj`: a ledger's model (its records) or a declared object."""
    if isinstance(obj, type):
        return can(user, action, obj)
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(_rule(action, obj)[0](user, obj))


def require(user, action: str, obj):
    """`may`, or PermissionDenied saying who may."""
    if not may(user, action, obj):
        raise PermissionDenied("您的角色无权进行此操作" if isinstance(obj, type) else _rule(action, obj)[1])


def has_role_perm(user, codename) -> bool:
    """A brigade-wide permission such as restoring a record or unlocking a year."""
    return user.is_authenticated and not user.is_detachment and user.has_perm(f"brigade.{codename}")


def has_unit_perm(user, codename) -> bool:
    """A permission over the work of the user's own unit, its annual report and its year's lock:
    a detachment-level user holds it for the 支队's own report (they write no brigade's records,
    `has_role_perm`), a brigade's user for their brigade's. Callers check that the report is the
    user's unit's."""
    return user.is_authenticated and user.brigade_id is not None and user.has_perm(f"brigade.{codename}")


def has_view_perm(user, codename) -> bool:
    """A read-only brigade-wide permission (the dashboard, the reports): detachment users too."""
    return user.is_authenticated and user.has_perm(f"brigade.{codename}")
