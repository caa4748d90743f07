"""The ledger machinery: a ledger is declared once (model, Excel columns, key, filters) in its
app's `ledgers.py`. The declaration (`declarations`) is turned into columns that parse and render
Excel cells (`columns`) and a ModelForm (`forms`), and kept in a registry that the views, the
import/export and the commands read. The names below are what the rest of the project uses.
"""

from brigade.ledger.columns import (
    FORMULA_PREFIXES,
    CellError,
    Column,
    DateColumn,
    DateTimeColumn,
    DecimalColumn,
    IntegerColumn,
    LookupColumn,
    column_for,
    parse_date_text,
    quoted,
    whole_seconds,
)
from brigade.ledger.declarations import Ledger, LedgerRegistry, register, registry
from brigade.ledger.forms import LedgerForm, version_of

__all__ = [
    "FORMULA_PREFIXES",
    "CellError",
    "Column",
    "DateColumn",
    "DateTimeColumn",
    "DecimalColumn",
    "IntegerColumn",
    "Ledger",
    "LedgerForm",
    "LedgerRegistry",
    "LookupColumn",
    "column_for",
    "parse_date_text",
    "quoted",
    "register",
    "registry",
    "version_of",
    "whole_seconds",
]
