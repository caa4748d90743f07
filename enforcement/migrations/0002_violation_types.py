"""The violation-type list of docs/ledgers.md, with the groups the annual report counts."""

from django.db import migrations

VIOLATION_TYPES = [
    ("酒后驾驶", "酒醉驾"),
    ("醉酒驾驶", "酒醉驾"),
    ("超速", ""),
    ("货车超载", "超载超员"),
    ("客车超员", "超载超员"),
    ("疲劳驾驶", ""),
    ("电动自行车驾乘人员不戴安全头盔", "不戴头盔"),
    ("摩托车驾乘人员不戴安全头盔", "不戴头盔"),
    ("违法载人", ""),
    ("无证驾驶", "涉牌涉证"),
    ("无牌无证或假套牌", "涉牌涉证"),
    ("闯红灯", ""),
    ("违法停车", ""),
    ("不系安全带", ""),
    ("驾驶时接打电话", ""),
    ("其他", ""),
]


def load(apps, schema_editor):
    ViolationType = apps.get_model("enforcement", "ViolationType")
    for position, (name, group) in enumerate(VIOLATION_TYPES, start=1):
        ViolationType.objects.update_or_create(
            name=name, defaults={"group": group, "ordering": position * 10}
        )


def unload(apps, schema_editor):
    ViolationType = apps.get_model("enforcement", "ViolationType")
    ViolationType.objects.filter(name__in=[name for name, _ in VIOLATION_TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
