"""The escalation table: each (deliverable or agency, reason, rung) that fired, once until resolved."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from plantrack.models.base import Base, UTCDateTime
from plantrack.models.enums import EscalationReason as Reason
from plantrack.models.enums import db_enum


class Escalation(Base):
    """One rung that fired on fired_on; it stays active (resolved_on NULL) until what fired it goes away:
    the item is closed, its effective deadline moves, it is unblocked, the agency answers. An active
    row is never fired again; a resolved one lets the rung fire again."""

    __tablename__ = "escalation"
    __table_args__ = (
        Index("ix_escalation_active", "deliverable_id", "reason", "resolved_on"),
        Index("ix_escalation_agency_active", "agency_id", "reason", "resolved_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    deliverable_id: Mapped[int | None] = mapped_column(ForeignKey("deliverable.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))  # the agency it is about
    reason: Mapped[Reason] = mapped_column(db_enum(Reason, 16))
    level: Mapped[int] = mapped_column(Integer)
    rung_at: Mapped[int] = mapped_column(Integer)  # the rung's `at`: working days from the deadline
    deadline: Mapped[date | None] = mapped_column(Date)  # effective deadline, or the end of the silence's K-th round
    fired_on: Mapped[date] = mapped_column(Date, index=True)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)  # To and Cc addresses it was mailed to
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
