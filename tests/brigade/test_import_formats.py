"""The importer over the sheets package: every format a clerk may send imports alike, and the
sheet's own row numbers reach the errors it names. The readers themselves are tested beside them,
without Django, in sheets/tests."""

import datetime
import io

from openpyxl import Workbook

from brigade.ledger import registry
from brigade.ledger.importer import ledger_import
from sheets.tests.test_readers import label, number, ods_rows, xls
from sheets.writer import stream_workbook


def test_importer_takes_the_same_ledger_from_every_format(brigade):
    """The app's own export, and the same rows as .csv (GB18030), .ods and .xls, import alike."""
    ledger = registry.get("training")
    columns = ledger.columns_for(brigade)
    header = [c.header for c in columns]
    rows = [
        [datetime.date(2025, 1, 2 + i), f"培训{i}", "专题学法", "线下", 20 + i, 2, "宪法"] for i in range(5)
    ]
    exported = io.BytesIO(b"".join(stream_workbook(ledger.title, [c.header for c in columns], rows)))
    csv_text = "\r\n".join(",".join(str(v) for v in row) for row in [header, *rows])
    sources = {
        "xlsx": exported,
        "csv": io.BytesIO(csv_text.encode("gb18030")),
        "ods": ods_rows([header, *rows]),
        "xls": xls(
            [
                (
                    "Data",
                    0,
                    [
                        label(r, c, v) if isinstance(v, str) else number(r, c, v)
                        for r, row in enumerate(
                            [
                                header,
                                *[
                                    [str(v) if isinstance(v, datetime.date) else v for v in row]
                                    for row in rows
                                ],
                            ]
                        )
                        for c, v in enumerate(row)
                    ],
                )
            ]
        ),
    }
    for name, source in sources.items():
        result = ledger_import(ledger=ledger, brigade=brigade, source=source, dry_run=True)
        assert result.ok and result.created == 5, (name, result.errors)


def test_row_numbers_reach_the_importer(brigade):
    wb = Workbook()
    ws = wb.active
    ws.append(["日期", "名称", "类型", "形式", "参加人数", "学时", "学习内容"])
    ws.append([datetime.date(2025, 1, 2), "培训", "专题学法", "线下", 20, 2, ""])
    for cell, value in zip(
        "ABCDEFG", [datetime.date(2025, 1, 3), "培训", "喝茶", "线下", 20, 2, ""], strict=True
    ):
        ws[f"{cell}7"] = value  # rows 3 to 6 are empty: Excel and openpyxl write nothing for them
    buf = io.BytesIO()
    wb.save(buf)
    result = ledger_import(ledger=registry.get("training"), brigade=brigade, source=buf, dry_run=True)
    assert [(e.row, e.column) for e in result.errors] == [(7, "类型")]
