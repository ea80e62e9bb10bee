"""HOOK for out-of-office focal points (issue 9, reply intake): who is away today, and until when.

The reply-intake work records an out-of-office notice ("the focal point is away, until the date it
gives") so that mail goes to the deputy (To) with the focal point in Cc. That record does not exist
on this branch yet: people_away() returns nobody until it does. Replace its body with a query of the
table issue 9 adds (person id -> until, None for 'no date given'); escalation (and check-ins, if they
want it) already substitute deputies for whoever it returns (notifications/mail/escalation.py).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session


def people_away(session: Session, today: date) -> dict[int, date | None]:
    """Person id -> last day away (None: no end given) for focal points out of office on today. HOOK: {} for now."""
    return {}
