"""Incoming mail: stored raw messages, their attachments, away notices, undeliverable addresses, IMAP checkpoints.

Every message is stored here (bytes, sha256, Message-ID, received time) and committed before it is
parsed; the source removes it only after that commit. Outcomes: pending -> applied | partial | unclear |
rejected | automated | bounce | duplicate.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from plantrack.config import clock
from plantrack.models.base import Base, UTCDateTime


class Outcome(StrEnum):
    PENDING = "pending"  # stored, not read yet
    APPLIED = "applied"  # every report line understood and allowed
    PARTIAL = "partial"  # some lines applied, some not understood or not allowed
    UNCLEAR = "unclear"  # a person's reply with nothing that could be applied
    REJECTED = "rejected"  # not allowed to report (unknown sender, bad token, failed DMARC, ...)
    AUTOMATED = "automated"  # out-of-office and other automatic mail: never a status answer
    BOUNCE = "bounce"  # a delivery status notification
    DUPLICATE = "duplicate"  # the same message (Message-ID) again


class Source(StrEnum):
    IMAP = "imap"
    MAILDIR = "maildir"
    PIPE = "pipe"


class InboundMessage(Base):
    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))
    source_box: Mapped[str | None] = mapped_column(String(255))  # imap://user@host/INBOX, the Maildir path
    source_ref: Mapped[str | None] = mapped_column(String(255))  # uidvalidity:uid, file name
    source_done: Mapped[bool] = mapped_column(Boolean, default=False)  # removed from the source
    outcome: Mapped[str] = mapped_column(String(16), index=True, default=Outcome.PENDING)
    reason: Mapped[str | None] = mapped_column(Text)
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its Date header (not after received_at)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("checkin_round.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    applied: Mapped[int] = mapped_column(Integer, default=0)
    not_understood: Mapped[int] = mapped_column(Integer, default=0)
    not_allowed: Mapped[int] = mapped_column(Integer, default=0)
    receipt_key: Mapped[str | None] = mapped_column(String(255))  # outbox idempotency key of the answer
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InboundAttachment(Base):
    """A file attached to a reply, kept as evidence (content empty when over the size limit)."""

    __tablename__ = "inbound_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound_message.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    deliverable_id: Mapped[int | None] = mapped_column(ForeignKey("deliverable.id"), index=True)


class PersonAway(Base):
    """A person's out-of-office notice: away from since until until (inclusive)."""

    __tablename__ = "person_away"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date)
    until_given: Mapped[bool] = mapped_column(Boolean, default=False)  # the notice named a date
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"))


class UndeliverableAddress(Base):
    """An address a check-in bounced from (a DSN said failed), shown to the coordinator."""

    __tablename__ = "undeliverable_address"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    diagnostic: Mapped[str | None] = mapped_column(Text)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    bounces: Mapped[int] = mapped_column(Integer, default=1)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))


class ImapCheckpoint(Base):
    """The last UID read from an IMAP folder, valid while the folder keeps its UIDVALIDITY."""

    __tablename__ = "imap_checkpoint"

    box: Mapped[str] = mapped_column(String(255), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


def utcnow() -> datetime:
    return clock.now()


@dataclass(frozen=True)
class RawIn:
    """One message as a source hands it over."""

    raw: bytes
    source: Source
    box: str | None = None
    ref: str | None = None


@dataclass(frozen=True)
class Stored:
    id: int
    new: bool  # False: these exact bytes were stored before
    ref: str | None


def _insert(session: Session, table):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _message_id(raw: bytes) -> str | None:
    # A cheap look at the header block only: the full parse happens after the commit.
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    import re

    m = re.search(rb"^Message-ID:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]{1,990}>)", head, re.IGNORECASE | re.MULTILINE)
    return m.group(1).decode("ascii", "replace") if m else None


def store_raw(session: Session, items: list[RawIn], now: datetime | None = None) -> list[Stored]:
    """Store each message once (by sha256); returns, in order, its row id and whether it is new."""
    now = now or utcnow()
    rows, seen = [], {}
    for it in items:
        digest = hashlib.sha256(it.raw).hexdigest()
        if digest in seen:
            continue
        seen[digest] = it
        rows.append({"sha256": digest, "message_id": _message_id(it.raw), "raw": it.raw, "size": len(it.raw),
                     "received_at": now, "source": str(it.source), "source_box": it.box, "source_ref": it.ref,
                     "source_done": False, "outcome": Outcome.PENDING, "applied": 0, "not_understood": 0,
                     "not_allowed": 0})
    before = _ids_by_sha(session, list(seen))
    fresh = [r for r in rows if r["sha256"] not in before]
    if fresh:
        session.execute(_insert(session, InboundMessage).on_conflict_do_nothing(index_elements=["sha256"]), fresh)
    after = _ids_by_sha(session, list(seen))
    out = []
    for it in items:
        digest = hashlib.sha256(it.raw).hexdigest()
        out.append(Stored(after[digest], digest not in before, it.ref))
    return out


def _ids_by_sha(session: Session, digests: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(digests), 500):
        out.update(session.execute(select(InboundMessage.sha256, InboundMessage.id)
                                   .where(InboundMessage.sha256.in_(digests[i:i + 500]))).all())
    return out


def pending_ids(session: Session, limit: int | None = None) -> list[int]:
    """Stored messages not read yet, oldest first."""
    q = select(InboundMessage.id).where(InboundMessage.outcome == Outcome.PENDING).order_by(InboundMessage.id)
    return list(session.scalars(q.limit(limit) if limit else q))


def seen_message_ids(session: Session, message_ids: list[str], exclude: list[int]) -> set[str]:
    """Which of message_ids an already read message carried (the same message delivered again)."""
    out: set[str] = set()
    for i in range(0, len(message_ids), 500):
        out.update(session.scalars(select(InboundMessage.message_id).where(
            InboundMessage.message_id.in_(message_ids[i:i + 500]), InboundMessage.outcome != Outcome.PENDING,
            InboundMessage.id.not_in(exclude))))
    return out


def not_removed(session: Session, box: str) -> dict[str, str]:
    """source_ref -> outcome of the messages of box that are read but still in the source."""
    return dict(session.execute(select(InboundMessage.source_ref, InboundMessage.outcome).where(
        InboundMessage.source_box == box, InboundMessage.source_done.is_(False),
        InboundMessage.outcome != Outcome.PENDING, InboundMessage.source_ref.is_not(None))).all())


def mark_removed(session: Session, box: str, refs: list[str]) -> None:
    for i in range(0, len(refs), 500):
        session.execute(update(InboundMessage).where(InboundMessage.source_box == box,
                                                     InboundMessage.source_ref.in_(refs[i:i + 500]))
                        .values(source_done=True))


def outcomes_of(session: Session, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        out.update(session.execute(select(InboundMessage.id, InboundMessage.outcome)
                                   .where(InboundMessage.id.in_(ids[i:i + 500]))).all())
    return out


def checkpoint(session: Session, box: str) -> tuple[int, int] | None:
    row = session.get(ImapCheckpoint, box)
    return (row.uidvalidity, row.last_uid) if row else None


def save_checkpoint(session: Session, box: str, uidvalidity: int, last_uid: int) -> None:
    row = session.get(ImapCheckpoint, box)
    if row is None:
        session.add(ImapCheckpoint(box=box, uidvalidity=uidvalidity, last_uid=last_uid, updated_at=utcnow()))
    else:
        row.uidvalidity, row.last_uid, row.updated_at = uidvalidity, last_uid, utcnow()


def away_people(session: Session, today: date) -> set[int]:
    """People whose out-of-office notice covers today."""
    return set(session.scalars(select(PersonAway.person_id).where(PersonAway.since <= today,
                                                                  PersonAway.until >= today)))


def record_away(session: Session, person_id: int, since: date, until: date, given: bool, inbound_id: int) -> None:
    session.add(PersonAway(person_id=person_id, since=since, until=until, until_given=given, inbound_id=inbound_id))


def end_away(session: Session, person_id: int, day: date) -> None:
    """A person who writes a reply is back: their away records end the day before day."""
    session.execute(update(PersonAway).where(PersonAway.person_id == person_id, PersonAway.until >= day,
                                             PersonAway.since <= day)
                    .values(until=day - timedelta(days=1)))


def mark_undeliverable(session: Session, email: str, status: str, diagnostic: str, at: datetime,
                       inbound_id: int, outbox_id: int | None) -> None:
    row = session.get(UndeliverableAddress, email)
    if row is None:
        session.add(UndeliverableAddress(email=email, status=status, diagnostic=diagnostic, first_at=at, last_at=at,
                                         bounces=1, inbound_id=inbound_id, outbox_id=outbox_id))
    else:
        row.status, row.diagnostic, row.last_at = status, diagnostic, max(row.last_at, at)
        row.bounces += 1
        row.inbound_id, row.outbox_id = inbound_id, outbox_id or row.outbox_id


@dataclass(frozen=True)
class InboxRow:
    """One stored message as the coordinator's inbox lists it."""

    id: int
    received_at: datetime
    sender: str | None
    subject: str | None
    outcome: str
    reason: str | None
    agency: str | None
    applied: int
    not_understood: int
    not_allowed: int
    source: str


def inbox(session: Session, rejected_only: bool = False, limit: int = 200) -> list[InboxRow]:
    """Stored messages, newest first, with their outcome (read-only)."""
    from plantrack.models.entities import Agency

    M = InboundMessage
    q = (select(M.id, M.received_at, M.sender, M.subject, M.outcome, M.reason, Agency.code, M.applied,
                M.not_understood, M.not_allowed, M.source)
         .outerjoin(Agency, Agency.id == M.agency_id).order_by(M.id.desc()).limit(limit))
    if rejected_only:
        q = q.where(M.outcome == Outcome.REJECTED)
    return [InboxRow(*r) for r in session.execute(q)]


def undeliverable(session: Session) -> list[UndeliverableAddress]:
    return list(session.scalars(select(UndeliverableAddress).order_by(UndeliverableAddress.last_at.desc())))
