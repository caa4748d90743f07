"""The writes of a ledger record that apply rules beyond its form: saving one from its form,
deleting one, restoring a deleted one from its history. Each checks its year inside its own transaction (locks.hold_years),
is attributed by the history middleware and says why in the history; a refusal is a
ValidationError whose message is shown to the user as it is, a wait for another write (an
import) among them once it has lasted its bound (brigade/ledger/saving.py)."""

import datetime

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.utils import timezone

from brigade import locks
from brigade.ledger import saving, version_of
from brigade.ledger.saving import Busy, bounded_write


def _date(ledger, record):
    return getattr(record, ledger.date_field) if ledger.date_field else None


class ChangedMeanwhile(ValidationError):
    """The record changed since its form was opened: the message says who changed what;
    `version` is the record's version now (a form saved again with it overwrites, knowingly)."""

    def __init__(self, message: str, *, version: str):
        super().__init__(message, code="changed")
        self.version = version


def record_save(*, ledger, form):
    """Save a ledger record from its form (already valid), as the web page does: refused when the
    record changed since the form was opened (ChangedMeanwhile), when its year (before or after
    the change) is locked, when another write holds the brigade's records past the wait's bound,
    when its key was taken meanwhile (another user's save, an import) or the record was deleted.
    A refusal is a ValidationError (with the key's field named where it is the key) and nothing
    is written. Attributed by the history middleware, reasoned here."""
    model = ledger.model
    instance = form.instance
    try:
        with bounded_write(ledger=ledger, brigade_id=instance.brigade_id):
            dates = [form.cleaned_data.get(ledger.date_field)] if ledger.date_field else []
            if instance.pk is not None:
                current = model._default_manager.select_for_update().get(pk=instance.pk)
                opened = form.cleaned_data.get("version", "")
                if opened != version_of(current):
                    raise ChangedMeanwhile(
                        _changed_meanwhile(ledger, current, opened), version=version_of(current)
                    )
                dates.append(_date(ledger, current))
            # The years stay held until the commit (locks.hold_years).
            locks.check_open(brigade_id=instance.brigade_id, ledger=ledger, values=dates)
            changed = "、".join(str(form.fields[n].label) for n in form.changed_data if n != "version")
            instance._change_reason = (
                f"在网页上修改：{changed}" if instance.pk is not None else "在网页上新增"
            )
            return form.save()
    except Busy as e:
        raise ValidationError(e.message, code="busy")
    except IntegrityError:
        # The key was taken between the form's check and this write (another user's save, an
        # import), or what the record refers to was deleted meanwhile: nothing was written.
        holder = saving.holder_of_key(ledger, instance, form.cleaned_data)
        if holder is not None:
            raise ValidationError(
                {
                    ledger.key[0]: ["已被刚保存的另一条记录使用"],
                    NON_FIELD_ERRORS: [saving.key_taken(ledger, holder, meanwhile=True)],
                }
            )
        raise ValidationError(saving.CONFLICT.format(ledger.key_header or "关键字段"))
    except model.DoesNotExist:
        raise ValidationError("没有保存：这条记录已被其他用户删除。")


def _changed_meanwhile(ledger, current, opened: str) -> str:
    """What another user changed since this form was opened: who, when, and each column."""
    history = current.history.order_by("-history_date", "-history_id")
    last = history.select_related("history_user").first()
    was = None
    if opened:
        try:
            was = history.filter(updated_at=datetime.datetime.fromisoformat(opened)).first()
        except ValueError:
            was = None
    changes = []
    for column in ledger.columns_for(current.brigade):
        before = getattr(was, column.attname, None) if was else None
        after = getattr(current, column.attname)
        if was is not None and before != after:
            changes.append(f"「{column.header}」{_shown(column, before)} → {_shown(column, after)}")
    who = (
        f"{last.history_user or '其他用户'}于{timezone.localtime(last.history_date):%Y-%m-%d %H:%M}"
        if last
        else "其他用户"
    )
    detail = "：" + "；".join(changes) if changes else ""
    return (
        f"您打开此记录之后，{who}修改了它{detail}。下面仍是您填写的内容；"
        "请核对后再次保存（将以您的内容为准），或取消以保留对方的修改。"
    )


def _shown(column, value) -> str:
    if value in (None, ""):
        return "（空）"
    return column.display(column.name_of(value) if column.field.is_relation else value)


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
