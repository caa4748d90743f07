"""Export of a ledger's (filtered) records to .xlsx, in the import template's columns, so that
an exported file re-imports unchanged."""

from brigade.ledger import Ledger
from brigade.ledger.xlsx import write_workbook


def ledger_export(*, ledger: Ledger, queryset) -> bytes:
    columns = ledger.columns
    paths = [c.export_path for c in columns]
    rows = (
        [c.to_cell(v) for c, v in zip(columns, values, strict=True)]
        for values in queryset.order_by(*ledger.model._meta.ordering)
        .values_list(*paths)
        .iterator(chunk_size=5000)
    )
    return write_workbook(ledger.title, columns, rows)
