"""Outgoing mail state: the outbox, check-in rounds and the one-sender lock."""
