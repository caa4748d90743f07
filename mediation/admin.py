"""The mediation ledgers' admin pages follow their declarations (brigade.admin.register_ledger_admins)."""
