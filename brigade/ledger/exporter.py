"""Export of a ledger's (filtered) records to .xlsx, in the import template's columns, so that
an exported file re-imports unchanged. Streamed: the browser's download starts with the first
rows (sheets.writer)."""

from types import SimpleNamespace

from django.http import QueryDict
from django.utils import timezone

from brigade import access, outputs
from brigade.ledger import DecimalColumn, Ledger, registry
from brigade.ledger.filters import filterset_for
from sheets.writer import DECIMAL, stream_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ledger_export_stream(*, ledger: Ledger, queryset, progress=None):
    """The .xlsx as a sequence of byte strings."""
    columns = ledger.columns
    paths = [c.export_path for c in columns]
    writers = [c.cell_writer() for c in columns]
    rows = (
        [write(v) for write, v in zip(writers, values, strict=True)]
        for values in queryset.order_by(*ledger.model._meta.ordering)
        .values_list(*paths)
        .iterator(chunk_size=5000)
    )
    return stream_workbook(
        ledger.title,
        [c.header for c in columns],
        rows,
        widths=[max(12, len(c.header) * 2.4) for c in columns],
        styles=[DECIMAL if isinstance(c, DecimalColumn) else 0 for c in columns],
        progress=progress,
    )


def ledger_export(*, ledger: Ledger, queryset) -> bytes:
    """The whole .xlsx (the command line, tests)."""
    return b"".join(ledger_export_stream(ledger=ledger, queryset=queryset))


def filtered_records(*, ledger: Ledger, user, query: QueryDict):
    """The records `user` sees in the ledger's list with these filters (the list, its export and
    the worker's export alike). An invalid filter value is ignored, as on the list."""
    queryset = access.scope(ledger.queryset(), user)
    return filterset_for(ledger)(query, queryset=queryset, request=SimpleNamespace(user=user)).qs


def export_filename(ledger: Ledger) -> str:
    return f"{ledger.title}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"


def _may_export(job) -> bool:
    return access.can(job.user, access.READ, registry.get(job.params["kind"]).model)


@outputs.producer("ledger_export", title="导出台账", may=_may_export)
def ledger_export_job(job, progress) -> outputs.Made:
    """A large export, made by the worker for the user who asked for it, with the list's filters
    as they were asked (the user's permissions are checked again: they may have changed)."""
    ledger = registry.get(job.params["kind"])
    if not _may_export(job):
        raise outputs.Refused(f"您已没有查看{ledger.title}的权限")
    queryset = filtered_records(ledger=ledger, user=job.user, query=QueryDict(job.params.get("query", "")))
    total = queryset.count()
    progress(0, total)
    chunks = ledger_export_stream(
        ledger=ledger, queryset=queryset, progress=lambda rows: progress(rows, total)
    )
    return outputs.Made(export_filename(ledger), XLSX, chunks)
