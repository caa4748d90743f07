"""The publicity ledgers' admin pages follow their declarations (brigade.admin.register_ledger_admins)."""
