from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BrigadeConfig(AppConfig):
    name = "brigade"
    verbose_name = "组织与台账"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        from brigade.ledger.writing import install_history_triggers
        from brigade.permissions import permission_names_in_chinese
        from brigade.roles import ensure_roles
        from brigade.rollup import install_triggers

        # Every app declares its ledgers in ledgers.py, the way the admin finds admin.py.
        autodiscover_modules("ledgers")
        # The admin's read-only ledger pages follow the declarations (the admin's own
        # autodiscovery ran before them).
        from brigade.admin import register_ledger_admins
        from brigade.ledger import checks  # noqa: F401 — registers the declarations' system checks

        register_ledger_admins()
        # Files the worker makes (brigade/outputs.py): each app declares its producers in outputs.py.
        from brigade.ledger import exporter, jobs  # noqa: F401 — the ledger export's and import's producers

        autodiscover_modules("outputs")
        # …and its indicators in indicators.py (machinery: brigade/figures.py).
        autodiscover_modules("indicators")
        from brigade import indicator_checks  # noqa: F401 — registers the indicators' system checks

        post_migrate.connect(ensure_roles, dispatch_uid="brigade.ensure_roles")
        # After Django's own handler has created each app's permissions: named in Chinese.
        post_migrate.connect(permission_names_in_chinese, dispatch_uid="brigade.permission_names")
        # The figures' rollups are kept current by triggers derived from the ledger declarations.
        post_migrate.connect(install_triggers, sender=self, dispatch_uid="brigade.rollup_triggers")
        # …and an import's history rows (PostgreSQL) by triggers derived from the same declarations.
        post_migrate.connect(install_history_triggers, sender=self, dispatch_uid="brigade.history_triggers")
