"""Spreadsheet I/O, apart from Django and from the rest of the project.

Reading uploaded spreadsheets (.xlsx, .xls, .ods, .csv): `read.open_rows` and the readers it
dispatches to (`xlsxreader`, `calaminereader`, `csvreader`), the limits they share (`readers`;
the caller passes them), and the child process in which the product runs them (`child`, started
by brigade.ledger.bounded). Writing: `writer.stream_workbook`, the streaming .xlsx of ledger
exports. Nothing here imports Django or another package of the project (tests/test_layers.py),
so that the child starts in a tenth of a second; the tests are in sheets/tests, and
docs/imports.md describes the formats and the limits."""
