"""The documents drafted from the records, each declared once, as a ledger is (brigade/ledger):
its kind, the unit levels it is for, its period rule, its title and opening, its parts (each with
the callable that drafts it and the indicator keys it states), its Word template, who drafts and
who signs it, whether finalising it locks its period and whether it has a public edition.

`manage.py check` validates every declaration (reports/checks.py: reports.E010–E019): drafters
are callables taking the drafting facts, every key a part states is a declared indicator and
every key its drafter names is stated, the template exists, the period rule and levels are known.
docs/report.md says what adding a part or a document kind takes."""

import datetime
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

LEVEL1, LEVEL2 = 1, 2
NUMERALS = "一二三四五六七八九十"

BRIGADE, DETACHMENT = "brigade", "detachment"
LEVELS = {BRIGADE: "大队", DETACHMENT: "支队"}
PERIODS = {"year": "年度", "quarter": "季度", "month": "月度", "range": "任意时段"}
ROLE_PERMISSIONS = {"manage_report": "法制员", "sign_report": "领导"}


@dataclass(frozen=True)
class Part:
    """One heading of a document. `title` may use {year} and {next_year}; 一、二、 and （一）（二）
    are numbered at rendering. `drafter(facts) -> str` drafts it (None: the officer writes it);
    `states` are the indicator keys its text states, so that a new indicator reaches the
    document by being named here, and a figure in the text is traced to its records."""

    key: str
    level: int
    title: str
    drafter: Callable | None = None
    states: tuple[str, ...] = ()
    optional: bool = False  # left out of the document while it has no text

    @property
    def drafter_name(self) -> str:
        return f"{self.drafter.__module__}.{self.drafter.__qualname__}" if self.drafter else ""


@dataclass(frozen=True)
class DocumentKind:
    kind: str  # the slug stored on each document and used in URLs and the CLI
    name: str  # what users call it: 年度法治政府建设情况报告
    levels: tuple[str, ...]  # BRIGADE and/or DETACHMENT
    period: str  # a key of PERIODS
    title: str  # "{unit}关于{year}年法治政府建设情况的报告"
    opening: Callable  # opening(*, coverage, year, addressee) -> str
    parts: tuple[Part, ...]
    template: Path  # the default Word template (a brigade may upload its own)
    drafts: str = "manage_report"  # the role permission that drafts and edits
    signs: str = "sign_report"  # the role permission that signs (签发)
    locks_period: bool = True  # finalising locks the ledgers' records of the period
    public_edition: bool = False
    closing: str = "特此报告。"
    unit_table: bool = False  # a detachment's document carries its brigades' table (附表)
    parts_by_key: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "parts_by_key", {p.key: p for p in self.parts})

    @property
    def drafted(self) -> list[Part]:
        return [p for p in self.parts if p.drafter]

    def part_title(self, part: Part, year: int) -> str:
        return part.title.format(year=year, next_year=year + 1)

    def document_title(self, unit, year: int) -> str:
        return self.title.format(unit=unit.name, year=year)

    def default_date(self, year: int, today: datetime.date) -> datetime.date:
        """成文日期 proposed for a new document: today once the period is over, else early in the next."""
        return today if today.year > year else datetime.date(year + 1, 1, 10)


_registry: dict[str, DocumentKind] = {}


def register(document: DocumentKind) -> DocumentKind:
    if document.kind in _registry:
        raise ValueError(f"document kind {document.kind!r} declared twice")
    _registry[document.kind] = document
    return document


def get(kind: str) -> DocumentKind:
    _declare()
    return _registry[kind]


def all_kinds() -> list[DocumentKind]:
    _declare()
    return list(_registry.values())


# The modules that declare a document (each beside its drafters); importing one registers it.
DECLARED_IN = ("reports.annual",)


def _declare():
    if not _registry:
        for module in DECLARED_IN:
            importlib.import_module(module)
