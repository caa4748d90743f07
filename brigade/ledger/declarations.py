"""A ledger's declaration and the registry of them (docs/ledgers.md): declared once in its app's
`ledgers.py`, read by the views, the import and export, the admin, the checks and the commands."""

import copy
from collections.abc import Mapping, Sequence
from functools import cached_property

from django import forms
from django.db import models

from brigade.ledger.columns import Column, DateColumn, DateTimeColumn, LookupColumn, column_for
from brigade.ledger.forms import LedgerForm


class Ledger:
    """Declaration of one ledger. Subclass it in an app's `ledgers.py` and decorate with
    `@register`. Everything else (URLs, views, import, export, commands) is derived."""

    kind: str  # the name on the command line and in URLs (docs/ledgers.md)
    order: int = 1000  # place in the navigation and in `import_ledger --list` (the brief's order)
    model: type[models.Model]
    fields: Sequence[str]  # model fields in Excel column order; header = verbose_name
    key: Sequence[str] = ()  # fields that identify a record within its brigade; () = whole row
    key_optional: bool = False  # the key counts only when filled (calls, complaints)
    date_field: str | None = None  # the date that places a record in a year (None: not yearly)
    list_display: Sequence[str] = ()  # defaults to the first six fields
    filters: Sequence[str] = ()  # choice fields offered as list filters (the year always is)
    search: Sequence[str] = ()  # text fields searched by the list's search box
    # field → a valid example where its type's would not do (a name from a reference list): the
    # import template's guide shows it, the suite over every ledger enters it (docs/ledgers.md)
    examples: Mapping[str, object] = {}
    personal_data: bool = False  # person-level data leaders must not see (the roster)
    icon: str = ""

    @property
    def title(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def app_label(self) -> str:
        return self.model._meta.app_label

    @cached_property
    def columns(self) -> list[Column]:
        columns = [column_for(self.model._meta.get_field(name)) for name in self.fields]
        for col in columns:
            col.given_example = self.examples.get(col.name)
        return columns

    @property
    def key_header(self) -> str:
        """The key as the user knows it: its Excel headers, e.g. 行动名称+开始日期."""
        return "+".join(self.column(k).header for k in self.key)

    def column(self, name) -> Column:
        return next(c for c in self.columns if c.name == name)

    @cached_property
    def display_columns(self) -> list[Column]:
        names = self.list_display or list(self.fields)[:6]
        return [self.column(n) for n in names]

    def columns_for(self, brigade) -> list[Column]:
        """The columns with their name tables loaded for `brigade` (fresh copies: thread-safe)."""
        bound = []
        for col in self.columns:
            if isinstance(col, LookupColumn):
                col = copy.copy(col)
                col.bind(brigade)
            bound.append(col)
        return bound

    def queryset(self):
        qs = self.model._default_manager.all()
        related = [c.name for c in self.columns if isinstance(c, LookupColumn)]
        return qs.select_related("brigade", *related)

    @cached_property
    def form_class(self):
        widgets, error_messages = {}, {}
        for col in self.columns:
            if col.max_length:  # what the import says of a cell too long (Column.convert)
                error_messages[col.name] = {
                    "max_length": "超过%(limit_value)d字（现有%(show_value)d字），请精简后再保存"
                }
            if isinstance(col, DateTimeColumn):
                widgets[col.name] = forms.DateTimeInput(
                    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
                )
            elif isinstance(col, DateColumn):
                widgets[col.name] = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            elif isinstance(col.field, models.TextField):
                widgets[col.name] = forms.Textarea(attrs={"rows": 3})
        form = forms.modelform_factory(
            self.model,
            form=LedgerForm,
            fields=list(self.fields),
            widgets=widgets,
            error_messages=error_messages,
        )
        form.ledger = self
        return form

    def __repr__(self):
        return f"<Ledger {self.kind}>"


class LedgerRegistry:
    def __init__(self):
        self._ledgers: dict[str, Ledger] = {}

    def register(self, ledger_cls):
        ledger = ledger_cls()
        if ledger.kind in self._ledgers:
            raise ValueError(f"ledger {ledger.kind!r} registered twice")
        self._ledgers[ledger.kind] = ledger
        return ledger_cls

    def get(self, kind) -> Ledger:
        return self._ledgers[kind]

    def all(self) -> list[Ledger]:
        return sorted(self._ledgers.values(), key=lambda lg: (lg.order, lg.kind))

    def for_model(self, model) -> Ledger | None:
        return next((lg for lg in self._ledgers.values() if lg.model is model), None)


registry = LedgerRegistry()
register = registry.register
