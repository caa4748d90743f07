"""What the tests of the sheets package share. Like the package they import no Django: the limits
are passed, as the product passes settings.IMPORT_LIMITS."""

import io

from openpyxl import Workbook

# settings.IMPORT_LIMITS as a deployment has them by default; a test lowers one in its own copy.
LIMITS = {
    "part_mb": 512,
    "small_part_mb": 16,
    "row_kb": 1024,
    "strings_mb": 128,
    "cells": 6_000_000,
    "seconds": 300,
}


def make_xlsx(rows) -> io.BytesIO:
    """A workbook whose first sheet holds `rows` (the header row first), as openpyxl writes it."""
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf
