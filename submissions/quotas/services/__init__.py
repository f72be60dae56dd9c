"""The quota rules: `ledger` (the only code that moves bytes), `limits` (accounts, limits, the
admission check), `estimate` (archive bytes before converting), `admin` (limits and increase
requests), `reports` (usage history, dashboard figures) and `chargeback` (monthly CSV)."""
