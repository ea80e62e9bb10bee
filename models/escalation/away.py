"""Out-of-office focal points for escalation: who is away today, and until when.

The reply intake (issue 9, notifications/mail/inbound) records each out-of-office notice in the
`person_away` table (models/mail/inbound.py: since .. until, inclusive; ended early when the person
replies). Escalation mail for an away focal point goes to the agency's deputy (To) with the focal
point in Cc (notifications/mail/escalation.py).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plantrack.models.mail.inbound import PersonAway


def people_away(session: Session, today: date) -> dict[int, date]:
    """Person id -> the last day of their absence, for everyone with an away notice covering today."""
    A = PersonAway.__table__.c
    q = (select(A.person_id, func.max(A.until)).where(A.since <= today, A.until >= today)
         .group_by(A.person_id))
    return dict(session.execute(q).all())
