"""Moved to brigade.sheets.calaminereader, which needs no Django, so that the child process that reads an
upload (brigade.ledger.bounded) starts quickly; this name is the same module."""

import sys

from brigade.sheets import calaminereader

sys.modules[__name__] = calaminereader
