import json

from django.core.management.base import BaseCommand

from brigade.figures import Period, Rate, evaluate
from brigade.management.arguments import brigade_or_error
from reports.coverage import coverage_of
from reports.dashboard import phrase_change, phrase_value


class Command(BaseCommand):
    help = "打印一个大队某年度的全部指标及与上年的比较；支队为所辖各大队的合计（与支队的年度报告相同）"

    def add_arguments(self, parser):
        parser.add_argument("--brigade", required=True)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, brigade, year, json: bool, **options):
        target = brigade_or_error(brigade)
        figures = evaluate(brigade_ids=coverage_of(target).ids, period=Period.year(year))
        if json:
            self.stdout.write(
                _json.dumps(
                    {
                        key: {
                            "label": f.item.label,
                            "unit": f.item.unit,
                            "current": _plain(f.current),
                            "previous": _plain(f.previous),
                            "rate": isinstance(f.item, Rate),
                        }
                        for key, f in figures.items()
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        self.stdout.write(f"{target.name} {year}年（与{year - 1}年比较）")
        for key, figure in figures.items():
            change, _ = phrase_change(figure)
            self.stdout.write(f"{key:<32} {figure.item.label}：{phrase_value(figure)}，{change}")


_json = json


def _plain(value):
    if value is None:
        return None
    return int(value) if value == int(value) else float(round(value, 4))
