"""The weekly snapshot: each plan's status per item as the week's digest stated it, so that the next
digest computes "since last week" (newly done, newly overdue, the change of every count)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from plantrack.config import clock
from plantrack.models.base import Base, UTCDateTime
from plantrack.models.status import StatusKey


class DigestSnapshot(Base):
    """One plan's state in one ISO week, written with the week's digest (never updated afterwards)."""

    __tablename__ = "digest_snapshot"
    __table_args__ = (UniqueConstraint("plan_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    week: Mapped[str] = mapped_column(String(10))  # ISO week of as_of, e.g. 2024-W25
    as_of: Mapped[date] = mapped_column(Date)  # the digest's day
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, int]] = mapped_column(JSON)  # status key -> deliverables; "never_reported"
    statuses: Mapped[dict[str, str]] = mapped_column(JSON)  # deliverable code -> status key


NEVER_REPORTED = "never_reported"


@dataclass(frozen=True)
class Snapshot:
    """A plan's state as a digest stated it."""

    week: str
    as_of: date
    counts: dict[StatusKey, int]
    never_reported: int
    statuses: dict[str, StatusKey]  # deliverable code -> status


def week_key(day: date) -> str:
    """The ISO week of day: 2024-W25."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _typed(row: DigestSnapshot) -> Snapshot:
    counts = {StatusKey(k): v for k, v in row.counts.items() if k != NEVER_REPORTED}
    return Snapshot(row.week, row.as_of, counts, row.counts.get(NEVER_REPORTED, 0),
                    {code: StatusKey(v) for code, v in row.statuses.items()})


def previous_snapshot(session: Session, plan_id: int, week: str) -> Snapshot | None:
    """The latest snapshot of plan_id taken in a week before week (last week's, or older if a week was missed)."""
    row = session.scalars(select(DigestSnapshot).where(DigestSnapshot.plan_id == plan_id, DigestSnapshot.week < week)
                          .order_by(DigestSnapshot.week.desc()).limit(1)).first()
    return _typed(row) if row else None


def snapshot_of_week(session: Session, plan_id: int, week: str) -> Snapshot | None:
    row = session.scalars(select(DigestSnapshot).where(DigestSnapshot.plan_id == plan_id,
                                                       DigestSnapshot.week == week)).first()
    return _typed(row) if row else None


def store_snapshot(session: Session, plan_id: int, snap: Snapshot) -> bool:
    """Store snap as plan_id's snapshot of its week unless that week has one already; True when stored.

    The first digest of a week fixes the week's snapshot: a rerun sends nothing new (the outbox's
    idempotency key), so what the next week compares with is what the Deputy Chair was told.
    """
    if snapshot_of_week(session, plan_id, snap.week) is not None:
        return False
    counts = {str(k): v for k, v in snap.counts.items()}
    counts[NEVER_REPORTED] = snap.never_reported
    session.add(DigestSnapshot(plan_id=plan_id, week=snap.week, as_of=snap.as_of, taken_at=clock.now(),
                               counts=counts, statuses={c: str(k) for c, k in snap.statuses.items()}))
    session.flush()
    return True
