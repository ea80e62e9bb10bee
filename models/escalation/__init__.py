"""Escalation: the ladder (config), the escalation table, the set-based sweep, the out-of-office hook."""
