"""Print requests/s, p50/p95/p99 per page and errors from locust's CSV."""

import csv
import sys

with open(sys.argv[1], newline="", encoding="utf-8") as fh:
    rows = list(csv.DictReader(fh))
print(f"{'页面':<16}{'请求':>7}{'错误':>6}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}  (ms)")
for row in rows:
    if row["Request Count"] == "0":  # the logins, counted before the statistics started afresh
        continue
    print(
        f"{row['Name']:<16}{row['Request Count']:>7}{row['Failure Count']:>6}{float(row['Requests/s']):>8.1f}"
        f"{row['50%']:>7}{row['95%']:>7}{row['99%']:>7}"
    )
