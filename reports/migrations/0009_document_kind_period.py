"""Each report names its declared kind (reports/documents.py) and the days it covers, so that a
second kind of document, or a quarter's, sits beside the annual report. Every existing report is
an annual one of its year: its rows, sections, versions and finalised bytes are left as they are."""

import datetime

from django.db import migrations, models


def whole_years(apps, schema_editor):
    for model in (
        apps.get_model("reports", "AnnualReport"),
        apps.get_model("reports", "HistoricalAnnualReport"),
    ):
        for year in model.objects.values_list("year", flat=True).distinct():
            model.objects.filter(year=year).update(
                period_start=datetime.date(year, 1, 1), period_end=datetime.date(year, 12, 31)
            )


class Migration(migrations.Migration):
    dependencies = [("reports", "0008_public_flag_override")]

    operations = [
        migrations.AddField(
            model_name="annualreport",
            name="kind",
            field=models.CharField(default="annual", max_length=30, verbose_name="文书种类"),
        ),
        migrations.AddField(
            model_name="historicalannualreport",
            name="kind",
            field=models.CharField(default="annual", max_length=30, verbose_name="文书种类"),
        ),
        migrations.AddField(
            model_name="annualreport",
            name="period_start",
            field=models.DateField(null=True, verbose_name="起始日期"),
        ),
        migrations.AddField(
            model_name="annualreport",
            name="period_end",
            field=models.DateField(null=True, verbose_name="截止日期"),
        ),
        migrations.AddField(
            model_name="historicalannualreport",
            name="period_start",
            field=models.DateField(null=True, verbose_name="起始日期"),
        ),
        migrations.AddField(
            model_name="historicalannualreport",
            name="period_end",
            field=models.DateField(null=True, verbose_name="截止日期"),
        ),
        migrations.RunPython(whole_years, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="annualreport", name="period_start", field=models.DateField(verbose_name="起始日期")
        ),
        migrations.AlterField(
            model_name="annualreport", name="period_end", field=models.DateField(verbose_name="截止日期")
        ),
        migrations.AlterField(
            model_name="historicalannualreport",
            name="period_start",
            field=models.DateField(verbose_name="起始日期"),
        ),
        migrations.AlterField(
            model_name="historicalannualreport",
            name="period_end",
            field=models.DateField(verbose_name="截止日期"),
        ),
        migrations.RemoveConstraint(model_name="annualreport", name="annualreport_unique_year"),
        migrations.AddConstraint(
            model_name="annualreport",
            constraint=models.UniqueConstraint(
                fields=("brigade", "kind", "period_start", "period_end"), name="annualreport_unique_period"
            ),
        ),
        migrations.AddConstraint(
            model_name="annualreport",
            constraint=models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="annualreport_period_order"
            ),
        ),
    ]
