from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "统计与报告"

    def ready(self):
        from reports import (
            checks,  # noqa: F401 — registers the indicator-key check
            policy,  # noqa: F401 — declares who may do what to a report (brigade/access.py)
        )
