"""The form every ledger's records are entered with (the ledger's declaration makes it)."""

from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from brigade import locks
from brigade.ledger import keys, saving

if TYPE_CHECKING:
    from brigade.ledger.declarations import Ledger


def version_of(record) -> str:
    """A record's version as an edit form carries it: the time of its last write."""
    return record.updated_at.isoformat() if record.updated_at else ""


class LedgerForm(forms.ModelForm):
    """Base form of every ledger. The brigade is set by the view, never by the user; foreign keys
    to brigade-owned records only offer the user's brigade's records; the ledger key is unique
    within the brigade (an import updates on the key, the form tells the clerk it is taken)."""

    ledger: "Ledger"
    # The record's version when the form was opened: saving over a newer one is refused (the
    # view compares it under the row's lock), so a stale form never reverts another's change.
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, brigade, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.brigade = brigade
        if self.instance.pk:
            self.fields["version"].initial = version_of(self.instance)
        for name in self._meta.fields:
            field, model_field = self.fields[name], self._meta.model._meta.get_field(name)
            if isinstance(model_field, models.ForeignKey) and any(
                f.name == "brigade" for f in model_field.related_model._meta.fields
            ):
                field.queryset = field.queryset.filter(brigade=brigade)
            # A select's empty choice reads 请选择 (or 无 where it may stay empty), not Django's "---------".
            empty = "无" if not field.required else "请选择"
            if getattr(field, "empty_label", None) is not None:
                field.empty_label = empty
            elif isinstance(field, forms.ChoiceField):
                field.choices = [(k, empty if k == "" else v) for k, v in field.choices]

    def clean(self):
        cleaned = super().clean()
        # A blank field with a default takes the default, as a blank Excel cell does (批次, 数量 → 1).
        for name in self._meta.fields:
            model_field = self._meta.model._meta.get_field(name)
            if name in cleaned and cleaned[name] in (None, "") and model_field.has_default():
                cleaned[name] = model_field.get_default()
        # A key is kept as the one rule writes it (keys.key_text: no spaces, half-width), as
        # the import keeps it, so that 「公交决字 2026 001」 is the record 「公交决字2026001」.
        for name in keys.text_fields(self.ledger):
            if isinstance(cleaned.get(name), str) and cleaned[name]:
                cleaned[name] = keys.key_text(cleaned[name])
                if not cleaned[name] and self.fields[name].required:
                    self.add_error(name, "不能只有空格")
        # What is committed now; a save of the same key that commits after this check is
        # refused by the database and explained by the view (brigade/ledger/saving.py).
        holder = saving.holder_of_key(self.ledger, self.instance, cleaned)
        if holder is not None:
            self.add_error(self.ledger.key[0], saving.key_taken(self.ledger, holder))
        date_field = self.ledger.date_field
        if date_field:
            # The instance still holds the record as saved: an edit may neither leave nor enter a locked year.
            dates = [
                cleaned.get(date_field),
                getattr(self.instance, date_field) if self.instance.pk else None,
            ]
            try:
                locks.check_open(brigade_id=self.instance.brigade_id, ledger=self.ledger, values=dates)
            except ValidationError as e:
                self.add_error(None, e)
        return cleaned
