"""Reading uploaded spreadsheets (.xlsx, .xls, .ods, .csv): `read.open_rows` and the readers it
dispatches to, the limits they share (`readers`), and the child process in which the product runs
them (`child`, started by brigade.ledger.bounded). Nothing here needs Django, so that the child
starts in a tenth of a second; docs/imports.md describes the formats and the limits."""
