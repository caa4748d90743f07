"""The views every ledger shares. A ledger declaration is all they need: the URL's `kind`
picks it, and list, detail, form, delete, history, restore, import and export follow."""

import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Max, Min, Q
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html_join
from django.views import generic

from brigade import access, figures, locks, outputs, rollup
from brigade.breadcrumbs import trail
from brigade.filenames import content_disposition
from brigade.ledger import registry
from brigade.ledger.exporter import XLSX, export_filename, ledger_export_stream
from brigade.ledger.filters import filterset_for
from brigade.ledger.services import ChangedMeanwhile, record_delete, record_restore, record_save
from brigade.models import YearLock


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition(filename)
    return response


class LedgerMixin:
    """Resolves the ledger from the URL, scopes records to the user's brigade (another
    brigade's record is a 404) and checks the role's permission (a 403)."""

    action = access.READ

    def dispatch(self, request, *args, **kwargs):
        try:
            self.ledger = registry.get(kwargs["kind"])
        except KeyError:
            raise Http404("没有这个台账")
        self.model = self.ledger.model
        if "pk" in kwargs:
            self.object = access.get_scoped_or_404(self.ledger.queryset(), request.user, pk=kwargs["pk"])
        access.require(request.user, self.action, self.model)
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        return self.object

    def get_queryset(self):
        return access.scope(self.ledger.queryset(), self.request.user)

    def _date(self, record):
        """The date that places `record` in a year (None for a ledger without one)."""
        return getattr(record, self.ledger.date_field) if self.ledger.date_field else None

    def url(self, name, **kwargs):
        return reverse(f"ledger:{name}", kwargs={"kind": self.ledger.kind, **kwargs})

    def list_url(self) -> str:
        """The list as the user last filtered it (返回列表 keeps the filters)."""
        query = self.request.session.get(f"list:{self.ledger.kind}", "")
        return self.url("list") + (f"?{query}" if query else "")

    def crumbs(self) -> list[tuple[str, str | None]]:
        """This page's steps below the ledger's list, for the breadcrumbs (none: the list itself)."""
        return []

    def record_crumb(self) -> tuple[str, str]:
        return str(self.object), self.url("detail", pk=self.object.pk)

    def get_context_data(self, **kwargs):
        user = self.request.user
        steps = self.crumbs()
        return super().get_context_data(
            breadcrumbs=trail((f"{self.ledger.title}台账", self.list_url()), *steps) if steps else None,
            ledger=self.ledger,
            can_add=access.can(user, access.ADD, self.model),
            can_change=access.can(user, access.CHANGE, self.model),
            can_delete=access.can(user, access.DELETE, self.model),
            can_restore=access.has_role_perm(user, "restore_record"),
            list_url=self.list_url(),
            **kwargs,
        )


class RollupCountPaginator(Paginator):
    """A paginator whose total comes from the monthly rollups when the view can say which
    brigades and days the list covers (see LedgerListView.counted_span)."""

    def __init__(self, *args, span=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.span = span

    @cached_property
    def count(self):
        if self.span is None:
            return super().count
        model, brigade_ids, start, end, key = self.span
        return rollup.count_records(model=model, brigade_ids=brigade_ids, start=start, end=end, key=key)


_PK = 9876543210  # a stand-in id, replaced by each row's own in the reversed URL


class LedgerListView(LedgerMixin, generic.ListView):
    template_name = "ledger/list.html"
    paginate_by = 50
    paginator_class = RollupCountPaginator

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        return super().get_paginator(
            queryset, per_page, orphans, allow_empty_first_page, span=self.counted_span(), **kwargs
        )

    def counted_span(self):
        """(model, brigades, first day, day after the last) when the list is narrowed by period
        and brigade only, as a clerk's usual view is: then its total is read from the rollups
        (exact, as the figures are) instead of counting a year of records on every page."""
        ledger = self.ledger
        if not ledger.date_field or not self.filterset.is_valid():
            return None
        data = self.filterset.form.cleaned_data
        key = self._counted_key(data)
        if key is None:
            return None
        start = end = None
        if data.get("year"):
            year = int(data["year"])
            start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
        period = data.get("period")
        if period and period.start is not None:
            start = max(filter(None, [start, _local_date(period.start)]))
        if period and period.stop is not None:
            end = min(filter(None, [end, _local_date(period.stop) + datetime.timedelta(days=1)]))
        if start is None or end is None:
            # Open on a side: the days the records actually span close it (an index lookup).
            bounds = self.filterset.qs.aggregate(first=Min(ledger.date_field), last=Max(ledger.date_field))
            if bounds["first"] is None:
                return None
            start = start or _local_date(bounds["first"])
            end = end or _local_date(bounds["last"]) + datetime.timedelta(days=1)
        if start >= end or (end - start).days > 366 * 10:
            return None  # a decade or more (a record dated 1900 by mistake): counted directly
        if data.get("brigade"):
            brigade_ids = [data["brigade"].pk]
        else:
            brigade_ids = list(access.visible_brigades(self.request.user).values_list("pk", flat=True))
        return self.model, brigade_ids, start, end, key

    def _counted_key(self, data) -> str | None:
        """What the rollups count of the list as filtered: every record (no other filter), or a
        count indicator's records when the other filters are exactly its condition — chosen as
        统计口径 (a drill-down), or as the same choice in the field's own filter (执法方式 现场 is
        violations.onsite). None: the list is counted directly."""
        narrowing = {
            k: v
            for k, v in data.items()
            if k not in ("year", "period", "brigade", "o") and v not in (None, "", [])
        }
        if not narrowing:
            return rollup.RECORDS
        counts = [i for i in figures.indicators_of(self.model) if i.aggregate == "count"]
        if set(narrowing) == {"indicator"}:
            return next((i.key for i in counts if i.key == narrowing["indicator"]), None)
        fields = {}
        for name, value in narrowing.items():
            declared = self.filterset.filters.get(name)
            if declared is None or declared.lookup_expr != "exact" or declared.method is not None:
                return None
            fields[declared.field_name] = value
        return next((i.key for i in counts if i.where == Q(**fields)), None)

    def get_queryset(self):
        filterset_class = filterset_for(self.ledger)
        self.filterset = filterset_class(self._query(), queryset=super().get_queryset(), request=self.request)
        return self.filterset.qs  # an invalid filter value is shown on the form and ignored

    def _query(self):
        """The filters as asked, with a range given end first put the right way round (and said
        so, once)."""
        if not hasattr(self, "_fixed_query"):
            query = self.request.GET.copy()
            after, before = query.get("period_after", ""), query.get("period_before", "")
            day = forms.DateField(required=False)  # as the filter reads them (2025-3-2 is 2025-03-02)
            try:
                first, last = day.clean(after), day.clean(before)
            except ValidationError:
                first = last = None  # the filter's own form says what is wrong
            if first and last and first > last:
                query["period_after"], query["period_before"] = before, after
                messages.info(
                    self.request, f"日期范围的起止颠倒了，已按 {last:%Y-%m-%d} 至 {first:%Y-%m-%d} 筛选"
                )
            self._fixed_query = query
        return self._fixed_query.copy()

    def paginate_queryset(self, queryset, page_size):
        """A page past the end (a bookmark, a list that has shrunk) shows the last page, not a 404."""
        paginator = self.get_paginator(
            queryset,
            page_size,
            orphans=self.get_paginate_orphans(),
            allow_empty_first_page=self.get_allow_empty(),
        )
        number = self.request.GET.get("page") or 1
        try:
            number = min(max(int(number), 1), paginator.num_pages)
        except (TypeError, ValueError):
            number = paginator.num_pages if number == "last" else 1
        page = paginator.page(number)
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(filter=self.filterset, **kwargs)
        several = access.visible_brigades(self.request.user).count() > 1
        if not several:
            self.filterset.form.fields.pop("brigade", None)  # one brigade: nothing to choose
        context["show_brigade"] = several  # a detachment's list: whose record each row is
        query = self._query()
        query.pop("page", None)
        context["querystring"] = query.urlencode()
        context["headers"] = self._sortable_headers(query)
        remembered = f"list:{self.ledger.kind}"  # for 返回列表; saved (a write) only when it changes
        if self.request.session.get(remembered) != context["querystring"]:
            self.request.session[remembered] = context["querystring"]
        context["indicator"] = self._indicator_total()
        context["applied"] = self.filterset.applied()
        columns = self.ledger.display_columns
        # (brigade, year) finalised, of the brigades listed: a detachment's list has several.
        brigades = {obj.brigade_id for obj in context["object_list"]}
        closed = set(
            YearLock.objects.filter(brigade_id__in=brigades, locked=True).values_list("brigade_id", "year")
            if self.ledger.date_field and brigades
            else ()
        )
        # A record's links by substituting its id into one reversed URL (reversing two URLs for each
        # of 50 rows was a fifth of the page's time).
        detail, update = (
            reverse(f"ledger:{name}", args=[self.ledger.kind, _PK]) for name in ("detail", "update")
        )
        context["rows"] = [
            (
                obj,
                format_html_join(
                    "",
                    '<td data-label="{}">{}</td>',
                    ((c.header, c.display(getattr(obj, c.name))) for c in columns),
                ),  # labelled: on a phone a row is a card of "label value" lines
                (obj.brigade_id, locks.year_of(self._date(obj))) in closed,
                detail.replace(str(_PK), str(obj.pk)),
                update.replace(str(_PK), str(obj.pk)),
            )
            for obj in context["object_list"]
        ]  # (record, its cells as <td>s, in a finalised year, its page, its form)
        return context

    def _sortable_headers(self, query) -> list[tuple[str, str, str]]:
        """(header, the list sorted by it, "↑"/"↓"/"") for each column: a click sorts by the
        column, a second click the other way round; the other filters stay."""
        current = query.get("o", "")
        headers = []
        for column in self.ledger.display_columns:
            ascending = current == column.name
            sorted_query = query.copy()
            sorted_query["o"] = f"-{column.name}" if ascending else column.name
            mark = "↑" if ascending else "↓" if current == f"-{column.name}" else ""
            headers.append((column.header, "?" + sorted_query.urlencode(), mark))
        return headers

    def _indicator_total(self):
        """The figure of the indicator the list is filtered by, summed over the listed records
        (for 参训人次 the attendees, not the number of sessions), as the dashboard states it."""
        key = self.filterset.form.cleaned_data.get("indicator") if self.filterset.is_valid() else None
        if not key:
            return None
        indicator = figures.registry.get(key)
        value = self.filterset.qs.order_by().aggregate(v=indicator.expression(Q()))["v"] or 0
        return {"indicator": indicator, "value": value}


def _local_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


class LedgerDetailView(LedgerMixin, generic.DetailView):
    template_name = "ledger/detail.html"

    def crumbs(self):
        return [self.record_crumb()]

    def get_context_data(self, **kwargs):
        fields = [(c.header, c.display(getattr(self.object, c.name))) for c in self.ledger.columns]
        context = super().get_context_data(fields=fields, history=_history(self.object), **kwargs)
        year = locks.year_of(self._date(self.object))
        if year in locks.locked_years(self.object.brigade_id):
            # Not offered at all in a finalised year: the reason instead of buttons that refuse.
            context |= {"can_change": False, "can_delete": False, "locked": locks.locked_message(year)}
        return context


class LedgerHistoryView(LedgerDetailView):
    template_name = "ledger/history.html"

    def crumbs(self):
        return [self.record_crumb(), ("修改记录", None)]


def _history(obj):
    """Each version of a record, newest first, with who changed what from what to what, the
    values shown as the record page shows them (Beijing time, labels, names)."""
    columns = {}
    for column in registry.for_model(type(obj)).columns:
        columns[column.attname] = columns[column.name] = column
    versions = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id"))
    deltas = []
    for newer, older in zip(versions, versions[1:] + [None], strict=True):
        changes = []
        if older is not None and newer.history_type == "~":
            changes = newer.diff_against(older, excluded_fields=["updated_at", "created_at"]).changes
        deltas.append((newer, changes))
    names = _reference_names(columns, [c for _, changes in deltas for c in changes])
    entries = []
    for newer, changes in deltas:
        shown = []
        for change in changes:
            column = columns.get(change.field)
            if column is None:
                shown.append((change.field, change.old, change.new))
                continue
            old, new = (names.get((change.field, v), v) for v in (change.old, change.new))
            shown.append((column.header, column.display(old) or None, column.display(new) or None))
        entries.append({"version": newer, "changes": shown})
    return entries


def _reference_names(columns, changes) -> dict:
    """(field, id) → the referenced record, for the references a history mentions (one query
    per referenced model)."""
    wanted = {}
    for change in changes:
        column = columns.get(change.field)
        if column is not None and column.field.is_relation:
            wanted.setdefault(change.field, set()).update(
                v for v in (change.old, change.new) if v is not None
            )
    names = {}
    for field, ids in wanted.items():
        related = columns[field].field.related_model
        for record in related._default_manager.filter(pk__in=ids):
            names[(field, record.pk)] = str(record)
    return names


class LedgerFormMixin(LedgerMixin):
    template_name = "ledger/form.html"

    def get_form_class(self):
        return self.ledger.form_class

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        brigade = self.object.brigade if getattr(self, "object", None) else self.request.user.brigade
        return kwargs | {"brigade": brigade}

    def form_valid(self, form):
        """Write the record (record_save); whatever another user or an import does meanwhile, the
        answer is a page: the record saved, or this form again saying why not."""
        adding = form.instance.pk is None
        try:
            self.object = record_save(ledger=self.ledger, form=form)
        except ChangedMeanwhile as e:
            form.data = form.data.copy()
            form.data["version"] = e.version  # saving again overwrites, knowingly
            form.add_error(None, e.messages[0])
            return self.form_invalid(form)
        except ValidationError as e:
            return self._not_saved(form, adding, e)
        messages.success(self.request, f"已保存{self.ledger.title}记录：{self.object}")
        return redirect(self.get_success_url())

    def _not_saved(self, form, adding: bool, refusal: ValidationError):
        """The form again, saying why, after a write that was refused or rolled back."""
        if adding:  # an insert that failed at its commit had been given an id: it is not a record
            form.instance.pk = None
            form.instance._state.adding = True
            self.object = None
        if hasattr(refusal, "error_dict"):
            for field, errors in refusal.error_dict.items():
                form.add_error(field if field != NON_FIELD_ERRORS else None, errors)
        else:
            form.add_error(None, refusal.messages)
        return self.form_invalid(form)

    def get_success_url(self):
        return self.url("detail", pk=self.object.pk)


class LedgerCreateView(LedgerFormMixin, generic.CreateView):
    action = access.ADD

    def crumbs(self):
        return [("新增记录", None)]


class LockedRecordMixin:
    """Opening the form (or the delete page) of a record of a finalised year says why not,
    on the record's page, instead of letting the user fill a form that will be refused."""

    def get(self, request, *args, **kwargs):
        year = locks.year_of(self._date(self.object))
        if year in locks.locked_years(self.object.brigade_id):
            messages.error(request, locks.locked_message(year))
            return redirect(self.url("detail", pk=self.object.pk))
        return super().get(request, *args, **kwargs)


class LedgerUpdateView(LockedRecordMixin, LedgerFormMixin, generic.UpdateView):
    action = access.CHANGE

    def crumbs(self):
        return [self.record_crumb(), ("修改", None)]


class LedgerDeleteView(LockedRecordMixin, LedgerMixin, generic.DeleteView):
    action = access.DELETE
    template_name = "ledger/confirm_delete.html"

    def crumbs(self):
        return [self.record_crumb(), ("删除", None)]

    def form_valid(self, form):
        label = str(self.object)
        try:
            record_delete(ledger=self.ledger, record=self.object)
        except ValidationError as e:
            if e.code == "busy":  # said on this page: a message is a session write, which would wait too
                return self.render_to_response(self.get_context_data(error=e.messages[0]))
            messages.error(self.request, e.messages[0])
            return redirect(self.url("detail", pk=self.object.pk))
        messages.success(
            self.request, f"已删除{self.ledger.title}记录：{label}。法制员可在“已删除记录”中恢复。"
        )
        return redirect(self.url("list"))


class DeletedListView(LedgerMixin, generic.ListView):
    """Records deleted from this ledger, from their history, for a legal officer to restore."""

    template_name = "ledger/deleted.html"
    paginate_by = 50

    def crumbs(self):
        return [("已删除记录", None)]

    def get_queryset(self):
        history = self.model.history.model
        live = self.model._default_manager.values("pk")
        deleted = history.objects.filter(history_type="-").exclude(
            **{f"{self.model._meta.pk.attname}__in": live}
        )
        return (
            access.scope(deleted, self.request.user).select_related("history_user").order_by("-history_date")
        )


class RestoreView(LedgerMixin, generic.View):
    http_method_names = ["post"]

    def post(self, request, kind, history_id):
        if not access.has_role_perm(request.user, "restore_record"):
            raise PermissionDenied("只有法制员或管理员可以恢复记录")
        history = self.model.history.model
        version = access.get_scoped_or_404(
            history.objects.filter(history_type="-"), request.user, pk=history_id
        )
        try:
            record = record_restore(ledger=self.ledger, version=version)
        except ValidationError as e:
            (messages.info if e.code == "restored" else messages.error)(request, e.messages[0])
        else:
            messages.success(request, f"已恢复{self.ledger.title}记录：{record}")
        return redirect(self.url("list"))


class ExportView(LedgerListView):
    paginate_by = None

    def get(self, request, *args, **kwargs):
        qs = self.get_queryset()
        if qs[: settings.EXPORT_INLINE_ROWS + 1].count() > settings.EXPORT_INLINE_ROWS:
            # Made by the worker, with a progress bar: a web worker is not held for the whole file.
            query = self._query().urlencode()
            listed = self.url("list") + (f"?{query}" if query else "")
            params = {
                "kind": self.ledger.kind,
                "query": query,
                "again": request.get_full_path(),
                "back": [(f"{self.ledger.title}台账", listed)],
            }
            job = outputs.job_start(
                user=request.user,
                brigade=request.user.brigade,
                kind="ledger_export",
                title=f"导出{self.ledger.title}",
                params=params,
            )
            return redirect("output_detail", pk=job.pk)
        # Streamed: the download starts with the first rows.
        response = StreamingHttpResponse(
            ledger_export_stream(ledger=self.ledger, queryset=qs), content_type=XLSX
        )
        response["Content-Disposition"] = content_disposition(export_filename(self.ledger))
        return response
