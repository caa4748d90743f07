"""Export of a ledger's (filtered) records to .xlsx, in the import template's columns, so that
an exported file re-imports unchanged. Streamed: the browser's download starts with the first
rows (brigade.ledger.sheetwriter)."""

from brigade.ledger import DecimalColumn, Ledger
from brigade.ledger.sheetwriter import DECIMAL, stream_workbook


def ledger_export_stream(*, ledger: Ledger, queryset, progress=None):
    """The .xlsx as a sequence of byte strings."""
    columns = ledger.columns
    paths = [c.export_path for c in columns]
    rows = (
        [c.to_cell(v) for c, v in zip(columns, values, strict=True)]
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
