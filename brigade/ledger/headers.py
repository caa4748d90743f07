"""Finding a ledger's header in a file (below title rows) and mapping its columns to the
declaration's, with a message naming what is unknown, missing or repeated."""

from brigade.ledger.xlsx import FileRefused

HEADER_SEARCH_ROWS = 10  # title rows above the header ("XX大队2025年违法查处台账", a date line …)


def find_header(rows, columns):
    """The header row and its number: the first row, or, when the first rows are a title (a
    merged title cell, a line with the unit and the date), the first of the next rows that
    names at least half of the ledger's columns. Returns (header, number)."""
    headers = {c.header for c in columns}
    seen = []
    for number, row in enumerate(rows, start=1):
        seen.append((number, row))
        names = {str(v).strip() for v in row if v not in (None, "")}
        if len(names & headers) * 2 >= len(headers) or len(seen) >= HEADER_SEARCH_ROWS:
            break
    for number, row in seen:
        names = {str(v).strip() for v in row if v not in (None, "")}
        if len(names & headers) * 2 >= len(headers):
            return row, number
    first = next(((n, r) for n, r in seen if any(v not in (None, "") for v in r)), None)
    return (first[1], first[0]) if first else (None, 1)


def map_headers(header, columns):
    """Column index → Column, refusing unknown, missing and repeated headers by name."""
    if not header:
        raise FileRefused("文件为空：第1行应为表头")
    names = [str(h).strip() if h is not None else "" for h in header]
    while names and not names[-1]:
        names.pop()
    by_header = {c.header: c for c in columns}
    seen, unknown, repeated = {}, [], []
    for i, name in enumerate(names):
        if not name:
            continue
        if name not in by_header:
            unknown.append(name)
        elif name in seen:
            repeated.append(name)
        else:
            seen[name] = i
    missing = [c.header for c in columns if c.header not in seen]
    problems = []
    if unknown:
        problems.append("无法识别的列：" + "、".join(unknown))
    if missing:
        problems.append("缺少的列：" + "、".join(missing))
    if repeated:
        problems.append("重复的列：" + "、".join(repeated))
    if problems:
        expected = "、".join(c.header for c in columns)
        raise FileRefused("表头不符合本台账模板。" + "；".join(problems) + f"。应有的列：{expected}")
    return [(seen[c.header], c) for c in columns]
