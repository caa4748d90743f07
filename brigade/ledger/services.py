"""The writes of a ledger record that apply rules beyond its form: deleting one, restoring a
deleted one from its history. Each checks its year inside its own transaction (locks.hold_years),
is attributed by the history middleware and says why in the history; a refusal is a
ValidationError whose message is shown to the user as it is, a wait for another write (an
import) among them once it has lasted its bound (brigade/ledger/saving.py)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.utils import timezone

from brigade import locks
from brigade.ledger.saving import Busy, bounded_write


def _date(ledger, record):
    return getattr(record, ledger.date_field) if ledger.date_field else None


def record_delete(*, ledger, record) -> None:
    """Delete `record` (kept in its history, from where a legal officer can restore it)."""
    record._change_reason = "在网页上删除"
    try:
        with bounded_write(ledger=ledger, brigade_id=record.brigade_id, action="删除"):
            locks.check_open(brigade_id=record.brigade_id, ledger=ledger, values=[_date(ledger, record)])
            record.delete()
    except ProtectedError as e:
        kinds = "、".join(sorted({str(obj._meta.verbose_name) for obj in e.protected_objects}))
        raise ValidationError(
            f"不能删除：有{len(e.protected_objects)}条{kinds}记录引用了它，请先修改那些记录"
        )
    except Busy as e:
        raise ValidationError(e.message, code="busy")


def record_restore(*, ledger, version):
    """Bring a deleted record back as it was when deleted (`version`: its history row of the
    deletion). Refused when its year is locked, its key has been used again meanwhile, or what
    it refers to is gone."""
    if ledger.model._default_manager.filter(pk=version.instance.pk).exists():
        raise ValidationError("该记录已经恢复过了", code="restored")
    record = version.instance
    record._change_reason = f"从删除记录恢复（{timezone.localtime(version.history_date):%Y-%m-%d %H:%M}删除）"
    try:
        with bounded_write(ledger=ledger, brigade_id=record.brigade_id, action="恢复"):
            locks.check_open(brigade_id=record.brigade_id, ledger=ledger, values=[_date(ledger, record)])
            # The record as it was must still fit: its key free, what it refers to still there.
            record.full_clean(validate_unique=False)
            record.save()
    except ValidationError as e:
        raise ValidationError("不能恢复：" + "；".join(e.messages))
    except Busy as e:
        raise ValidationError(e.message, code="busy")
    except IntegrityError:
        raise ValidationError(
            f"不能恢复：本大队已有{ledger.key_header or '相同'}的记录，或它引用的记录已被删除"
        )
    return record
