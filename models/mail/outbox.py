"""Outgoing mail and check-in rounds: the outbox table and its SQL (enqueue, claim, mark).

Every message is written here before it is sent. States: queued -> sending -> sent | failed,
and sending -> queued again for a retry. A row is marked 'sending' (committed) before it is
handed to SMTP and 'sent' soon after the relay accepted it (in small groups, see
notifications/mail/dispatch.py), so after a crash only rows still 'sending' may have gone out; they
are sent again (the in-flight duplicates), and everything 'queued' is sent.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from plantrack.config import clock
from plantrack.models.base import Base, UTCDateTime, as_utc
from plantrack.models.entities import StatusReport
from plantrack.models.enums import Channel, OutboxKind, OutboxStatus, RoundPeriod, db_enum

QUEUED, SENDING, SENT, FAILED = OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.FAILED


class CheckinRound(Base):
    """One check-in round of a plan: an ISO week (2024-W21) or a month (2024-05)."""

    __tablename__ = "checkin_round"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    key: Mapped[str] = mapped_column(String(16))
    period: Mapped[RoundPeriod] = mapped_column(db_enum(RoundPeriod, 8))
    as_of: Mapped[date] = mapped_column(Date)  # the --today of the run that opened it
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Outbox(Base):
    """One outgoing message, stored as the exact bytes that are (re)sent."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[OutboxKind] = mapped_column(db_enum(OutboxKind, 32))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("checkin_round.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    ref: Mapped[str | None] = mapped_column(String(16), index=True)  # subject tag, e.g. K7Q2M
    envelope_from: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(Text)
    message: Mapped[bytes] = mapped_column(LargeBinary)
    message_id: Mapped[str] = mapped_column(String(998), index=True)
    status: Mapped[OutboxStatus] = mapped_column(db_enum(OutboxStatus, 16), index=True, default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def utcnow() -> datetime:
    return clock.now()


def _insert(session: Session, table):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def open_round(session: Session, plan_id: int, key: str, period: str, as_of: date) -> CheckinRound:
    """The round (plan, key), created on first use; a rerun finds the same round."""
    stmt = _insert(session, CheckinRound).values(plan_id=plan_id, key=key, period=period, as_of=as_of,
                                                 started_at=utcnow())
    session.execute(stmt.on_conflict_do_nothing(index_elements=["plan_id", "key"]))
    return session.scalars(select(CheckinRound).where(CheckinRound.plan_id == plan_id,
                                                      CheckinRound.key == key)).one()


def existing_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of keys are already in the outbox."""
    out: set[str] = set()
    for i in range(0, len(keys), 500):
        out.update(session.scalars(select(Outbox.idempotency_key)
                                   .where(Outbox.idempotency_key.in_(keys[i:i + 500]))))
    return out


def forget_unbuilt(session: Session, keys: list[str]) -> int:
    """Delete the rows of keys whose message could not be built ('failed' before any attempt), so that
    they are built again; returns how many."""
    n = 0
    for i in range(0, len(keys), 500):
        n += session.execute(delete(Outbox).where(Outbox.idempotency_key.in_(keys[i:i + 500]),
                                                  Outbox.status == FAILED, Outbox.attempts == 0)).rowcount
    return n


def enqueue(session: Session, rows: list[dict]) -> int:
    """Insert outbox rows (dicts of Outbox columns) unless their idempotency key exists; returns how many are new."""
    if not rows:
        return 0
    before = set(existing_keys(session, [r["idempotency_key"] for r in rows]))
    now = utcnow()
    fresh = [{"status": QUEUED, "attempts": 0, "created_at": now, "next_attempt_at": now, **r}
             for r in rows if r["idempotency_key"] not in before]
    if fresh:
        # ON CONFLICT still guards against a concurrent run inserting the same key meanwhile.
        session.execute(_insert(session, Outbox).on_conflict_do_nothing(index_elements=["idempotency_key"]), fresh)
    return len(fresh)


def due_ids(session: Session, now: datetime | None = None) -> list[int]:
    """Rows to send now: queued and due, or left 'sending' by a run that died; oldest first."""
    now = now or utcnow()
    q = (select(Outbox.id)
         .where(or_(Outbox.status == SENDING,
                    (Outbox.status == QUEUED) & (Outbox.next_attempt_at <= now)))
         .order_by(Outbox.id))
    return list(session.scalars(q))


def claim(session: Session, ids: list[int]) -> list:
    """Mark ids 'sending' (the caller commits before sending) and return those rows
    (id, envelope_from, recipients, subject, message, attempts), oldest first."""
    if not ids:
        return []
    session.execute(update(Outbox).where(Outbox.id.in_(ids), Outbox.status.in_((QUEUED, SENDING)))
                    .values(status=SENDING))
    # Plain rows, not ORM objects: the batch is read once and never changed through the session.
    return list(session.execute(select(Outbox.id, Outbox.envelope_from, Outbox.recipients, Outbox.subject,
                                       Outbox.message, Outbox.attempts)
                                .where(Outbox.id.in_(ids), Outbox.status == SENDING).order_by(Outbox.id)))


def mark_sent(session: Session, row_id: int, note: str | None = None, at: datetime | None = None) -> None:
    session.execute(update(Outbox).where(Outbox.id == row_id)
                    .values(status=SENT, sent_at=at or utcnow(), last_error=note, attempts=Outbox.attempts + 1))


def mark_sent_many(session: Session, row_ids: list[int], at: datetime) -> None:
    """Mark a group of accepted rows 'sent' in one UPDATE (sent_at: when the first of them was accepted)."""
    if row_ids:
        session.execute(update(Outbox).where(Outbox.id.in_(row_ids))
                        .values(status=SENT, sent_at=at, last_error=None, attempts=Outbox.attempts + 1))


def mark_failed(session: Session, row_id: int, reason: str) -> None:
    session.execute(update(Outbox).where(Outbox.id == row_id)
                    .values(status=FAILED, last_error=reason, attempts=Outbox.attempts + 1))


def mark_retry(session: Session, row_id: int, reason: str, at: datetime, counted: bool = True) -> None:
    """Back to 'queued' until at; counted=False when the message itself was never tried."""
    values = {"status": QUEUED, "last_error": reason, "next_attempt_at": at}
    if counted:
        values["attempts"] = Outbox.attempts + 1
    session.execute(update(Outbox).where(Outbox.id == row_id).values(**values))


def previous_round(session: Session, rnd: CheckinRound) -> CheckinRound | None:
    return session.scalars(select(CheckinRound)
                           .where(CheckinRound.plan_id == rnd.plan_id, CheckinRound.key < rnd.key)
                           .order_by(CheckinRound.key.desc()).limit(1)).first()


def latest_reports(session: Session) -> dict[int, datetime]:
    """Agency id -> when its latest report was recorded (status_report.agency_id; agencies that never reported
    are left out)."""
    return {a: as_utc(at) for a, at in session.execute(
        select(StatusReport.agency_id, func.max(StatusReport.reported_at))
        .where(StatusReport.agency_id.is_not(None)).group_by(StatusReport.agency_id)).all()}


def unanswered(session: Session, round_id: int, latest: dict[int, datetime] | None = None) -> set[int]:
    """Agencies sent a check-in in round_id with no accepted report from them after it: by email, or recorded
    for them with `plantrack report --by` (derived from status_report.agency_id). latest: latest_reports(session),
    when the caller asks about many rounds (the same answer, one read of the reports for all of them)."""
    sent = dict(session.execute(
        select(Outbox.agency_id, Outbox.sent_at)
        .where(Outbox.round_id == round_id, Outbox.kind == OutboxKind.CHECKIN, Outbox.status == SENT)).all())
    if not sent:
        return set()
    if latest is not None:
        return {a for a, t in sent.items() if a not in latest or latest[a] < t}
    first = min(sent.values())
    answered: dict[int, datetime] = {}
    for agency_id, at in session.execute(
            select(StatusReport.agency_id, StatusReport.reported_at)
            .where(StatusReport.agency_id.in_(list(sent)),
                   StatusReport.reported_at >= first)).all():
        answered[agency_id] = max(answered.get(agency_id, at), at)
    return {a for a, t in sent.items() if a not in answered or answered[a] < t}
