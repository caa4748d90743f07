"""The list filters of a ledger, built from its declaration with django-filter: year, period,
each declared choice field, a search box over the declared text fields (its placeholder names
them), sorting, and for detachment users the brigade. A choice applies as soon as it is changed
(static/js/app.js); the list says in words which filters it is showing (`LedgerFilterSet.applied`)."""

import datetime
from functools import cache, reduce
from operator import or_

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from brigade import figures, rules
from brigade.access import scope, visible_brigades
from brigade.ledger import keys
from brigade.years import record_years

LATEST = datetime.date(2100, 12, 31)  # a record's date is never later; beyond it, dates overflow


class PeriodField(django_filters.fields.DateRangeField):
    """A date range the records can lie in (1900–2100): 0001-01-01 or 9999-12-31 is refused on the
    form, in Chinese, instead of overflowing a time-zone conversion or a day's arithmetic."""

    def clean(self, value):
        period = super().clean(value)
        if period is not None:
            for day in (period.start, period.stop):
                if day is not None and not rules.EARLIEST <= day.date() <= LATEST:
                    raise ValidationError(
                        f"日期{day:%Y-%m-%d}超出范围：应在{rules.EARLIEST.year}年至{LATEST.year}年之间，未按日期范围筛选"
                    )
        return period


class PeriodFilter(django_filters.DateFromToRangeFilter):
    field_class = PeriodField


def _visible_brigades(request):
    return visible_brigades(request.user) if request else None


class OrderingFilter(django_filters.OrderingFilter):
    descending_fmt = "%s（倒序）"  # django-filter's own “(descending)” has no zh-hans translation


def _resolve(model, path):
    """The field at the end of a lookup path such as `violation_type__group`."""
    *hops, last = path.split("__")
    for hop in hops:
        model = model._meta.get_field(hop).related_model
    return model._meta.get_field(last)


def _options_for(model):
    """The choices of a foreign-key filter; records owned by brigades only from the user's own."""
    owned = any(f.name == "brigade" for f in model._meta.fields)

    def queryset(request):
        qs = model._default_manager.all()
        return scope(qs, request.user) if owned and request else qs

    return queryset


def _year_choices(ledger, request):
    """This year back to the ledger's earliest record of the user's brigades (brigade/years.py)."""
    brigade_ids = visible_brigades(request.user).values_list("pk", flat=True) if request else []
    return [(str(y), f"{y}年") for y in record_years(brigade_ids, ledgers=[ledger])]


def search_labels(ledger) -> list[str]:
    """What the search box searches, as the clerk knows the fields: each declared path by the
    ledger's own column it starts from (`violation_type__name` is 违法行为), in declared order."""
    labels = []
    for path in ledger.search:
        label = str(ledger.model._meta.get_field(path.split("__")[0]).verbose_name)
        if label not in labels:
            labels.append(label)
    return labels


class LedgerFilterSet(django_filters.FilterSet):
    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if "year" in self.filters:  # the years this user's records are in, asked once per list
            self.filters["year"].extra["choices"] = _year_choices(self.ledger, request)

    @property
    def form(self):
        form = super().form
        for field in form.fields.values():
            if isinstance(field.widget, forms.Select):  # a choice applies when it is made
                field.widget.attrs["data-autosubmit"] = ""
        return form

    # Shown at the top of the form; the others fold under 更多筛选 on a phone (list.html).
    FIRST = ("year", "q", "brigade")

    def more_applied(self) -> bool:
        """A filter under 更多筛选 is asked for (or refused): the fold opens to show it."""
        return any(
            self.data.get(name) or self.data.get(f"{name}_after") or self.data.get(f"{name}_before")
            for name in self.filters
            if name not in self.FIRST and name != "o"
        )

    def applied(self) -> list[str]:
        """The filters the list is showing, in words (2025年, 违法行为：超速, 搜索“超速”): only
        those applied, so a value the form refused (and ignored) is not among them."""
        if not self.is_bound:
            return []
        self.form.is_valid()
        said = []
        for name, value in self.form.cleaned_data.items():
            if name == "o" or value in (None, "", [], ()) or name in self.form.errors:
                continue
            field = self.form.fields.get(name)
            if field is None:  # a field the page hides (one brigade: no 大队 box) narrows nothing to say
                continue
            if name == "year":
                said.append(f"{value}年")
            elif name == "q":
                said.append(f"搜索“{value.strip()}”")
            elif isinstance(value, slice):
                start, stop = _day(value.start), _day(value.stop)
                span = (
                    f"{start} 至 {stop}" if start and stop else f"自 {start} 起" if start else f"至 {stop} 止"
                )
                said.append(f"{field.label}：{span}")
            elif isinstance(field, forms.ModelChoiceField):
                said.append(f"{field.label}：{value}")
            elif isinstance(field, forms.ChoiceField):
                said.append(f"{field.label}：{dict(field.choices).get(value, value)}")
            else:  # a typed key: its name without the note on how it is compared
                said.append(f"{str(field.label).split('（')[0]}：{value}")
        return said


def _day(value) -> str:
    return f"{value:%Y-%m-%d}" if value is not None else ""


@cache
def filterset_for(ledger):
    model = ledger.model
    attrs = {}
    if ledger.date_field:
        attrs["year"] = django_filters.ChoiceFilter(
            field_name=f"{ledger.date_field}__year",
            label="年度",
            choices=[],  # set per user
            error_messages={
                "invalid_choice": "年度 %(value)s 不在可选范围内（本台账有记录的年度），未按年度筛选"
            },
            empty_label="全部年度",  # what the box shows is what is applied
        )
        attrs["period"] = PeriodFilter(
            field_name=ledger.date_field,
            label=str(model._meta.get_field(ledger.date_field).verbose_name) + "范围",
            widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
        )
    for name in ledger.filters:
        field = _resolve(model, name)
        if isinstance(field, models.ForeignKey):
            target = field.related_model
            # By name when names are unique (readable links: ?violation_type=超速), else by id.
            by_name = any(f.name == "name" and f.unique for f in target._meta.fields)
            attrs[name] = django_filters.ModelChoiceFilter(
                field_name=name,
                label=field.verbose_name,
                queryset=_options_for(target),
                to_field_name="name" if by_name else None,
            )
        else:
            attrs[name] = django_filters.ChoiceFilter(
                field_name=name, label=field.verbose_name, choices=field.choices
            )
    indicators = [i for i in figures.registry.all() if isinstance(i, figures.Indicator) and i.model is model]
    if indicators:
        # The records behind a figure, by the figure's own condition: a dashboard or report link
        # opens exactly what the figure counts (no second, hand-written list of filters).
        def by_indicator(queryset, _name, value):
            return queryset.filter(figures.registry.get(value).where)

        attrs["indicator"] = django_filters.ChoiceFilter(
            label="统计口径",
            method=by_indicator,
            empty_label="全部",
            choices=[(i.key, i.label) for i in indicators],
        )
    if ledger.search:

        def search(queryset, _name, value):
            terms = [Q(**{f"{f}__icontains": value.strip()}) for f in ledger.search]
            return queryset.filter(reduce(or_, terms)) if value.strip() else queryset

        searched = "、".join(search_labels(ledger))
        attrs["q"] = django_filters.CharFilter(
            label="搜索",
            method=search,
            widget=forms.TextInput(
                attrs={
                    "type": "search",
                    "placeholder": f"搜索：{searched}",
                    "title": f"在{searched}中查找（包含即可）",
                }
            ),
        )
    if keys.has_text_key(ledger):
        # Records whose key is the one typed, whatever its spacing or width (the data check's links).
        def same_key(queryset, _name, value):
            wanted = keys.key_text(value)
            return (
                queryset.alias(_key=keys.normalised_text_key(ledger)).filter(_key=wanted)
                if wanted
                else queryset
            )

        attrs["key"] = django_filters.CharFilter(
            label=f"{ledger.key_header}（不计空格、全半角）", method=same_key
        )
    checks = rules.record_checks(model, ledger.fields)
    if checks:
        # Records that break a rule of the model (saved before the rule existed): by the rule's
        # own database condition, read when the list is asked for (a date rule moves with today).
        def breaking(queryset, _name, value):
            found = next((c for c in rules.record_checks(model, ledger.fields) if c.key == value), None)
            return queryset.filter(found.where) if found else queryset

        attrs["rule"] = django_filters.ChoiceFilter(
            label="不符合规则",
            method=breaking,
            empty_label="全部",
            choices=[(c.key, c.message) for c in checks],
        )
    attrs["brigade"] = django_filters.ModelChoiceFilter(label="大队", queryset=_visible_brigades)
    attrs["o"] = OrderingFilter(
        fields=[(c.name, c.name) for c in ledger.display_columns],
        field_labels={c.name: c.header for c in ledger.display_columns},
        label="排序",
    )
    meta = type("Meta", (), {"model": model, "fields": []})
    return type(f"{model.__name__}FilterSet", (LedgerFilterSet,), {**attrs, "Meta": meta, "ledger": ledger})
