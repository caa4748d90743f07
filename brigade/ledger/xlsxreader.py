"""Moved to brigade.sheets.xlsxreader, which needs no Django, so that the child process that reads an
upload (brigade.ledger.bounded) starts quickly; this name is the same module."""

import sys

from brigade.sheets import xlsxreader

sys.modules[__name__] = xlsxreader
