"""What the calendar feeds published (per event and per feed) and who may read them (feed tokens)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import (JSON, BigInteger, Date, Integer, String, bindparam, case, cast, func, insert,
                        select, type_coerce, update)
from sqlalchemy.orm import Mapped, Session, mapped_column

from plantrack.models.base import Base, UTCDateTime, as_utc
from plantrack.models.entities import Agency, Deliverable, Plan, StatusReport, deliverable_support


class PublishedEvent(Base):
    """The last published content of one calendar event: its hash, SEQUENCE and LAST-MODIFIED."""

    __tablename__ = "published_event"

    uid: Mapped[str] = mapped_column(String(255), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer)
    last_modified: Mapped[datetime] = mapped_column(UTCDateTime)


class PublishedFeed(Base):
    """The key of the content last written to a feed file (so unchanged feeds are never re-read)."""

    __tablename__ = "published_feed"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)  # file name, e.g. agency-syt.ics
    content_key: Mapped[str] = mapped_column(String(64))
    events: Mapped[int] = mapped_column(Integer)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarRun(Base):
    """The last complete publish run: what it depended on and until when its statuses hold."""

    __tablename__ = "calendar_run"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # "calendars"
    fingerprint: Mapped[str] = mapped_column(String(64))  # options + database aggregates
    valid_from: Mapped[date] = mapped_column(Date)  # the run's today
    valid_until: Mapped[date | None] = mapped_column(Date)  # first day a status changes; None: never
    feeds: Mapped[list[str]] = mapped_column(JSON)  # every feed file of the run
    events: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[list[str]] = mapped_column(JSON)  # "plan code" of dates left out
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedToken(Base):
    """A subscriber's secret feed URL token, stored as its sha256 only."""

    __tablename__ = "feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(255))  # plan | agency:CODE | category:KEY
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def published_events(session: Session) -> dict[str, tuple[str, int, datetime]]:
    """uid -> (content hash, sequence, last modified) for every event ever published."""
    E = PublishedEvent.__table__.c
    # Read timestamps as stored and parse each distinct one once: runs stamp thousands of events alike.
    rows = session.execute(select(E.uid, E.content_hash, E.sequence, type_coerce(E.last_modified, String)))
    parsed: dict = {}
    out = {}
    for uid, h, seq, raw in rows:
        lm = parsed.get(raw)
        if lm is None:
            lm = parsed[raw] = as_utc(datetime.fromisoformat(raw) if isinstance(raw, str) else raw)
        out[uid] = (h, seq, lm)
    return out


def save_events(session: Session, new: list[dict], changed: list[dict]) -> None:
    """Insert first-time events and update changed ones (dicts with the PublishedEvent columns)."""
    E = PublishedEvent.__table__
    if new:
        session.execute(insert(E), new)  # Core executemany: no ORM bulk bookkeeping on 100,000 rows
    if changed:
        session.execute(update(E).where(E.c.uid == bindparam("b_uid"))
                        .values(content_hash=bindparam("content_hash"), sequence=bindparam("sequence"),
                                last_modified=bindparam("last_modified")),
                        [{**c, "b_uid": c["uid"]} for c in changed])


def published_feeds(session: Session) -> dict[str, str]:
    """feed file name -> content key last written."""
    return dict(session.execute(select(PublishedFeed.name, PublishedFeed.content_key)).all())


def save_feeds(session: Session, written: list[dict], known: set[str]) -> None:
    """Record feeds just written (dicts: name, content_key, events, written_at); known = names already stored."""
    new = [w for w in written if w["name"] not in known]
    old = [w for w in written if w["name"] in known]
    if new:
        session.execute(insert(PublishedFeed), new)
    if old:
        session.execute(update(PublishedFeed), old)


_P = 2147483647  # 2**31 - 1: products of two residues stay below 2**62 (SQLite and PostgreSQL bigint)


def _mix(a, b):
    """A non-linear digest of two integer columns in portable SQL: summed over rows it is order-sensitive
    (swapping b between two rows changes the sum by 2*c*(a1-a2)*(b1-b2), not 0 mod P)."""
    m = (cast(a, BigInteger) * 1000003 + b * 999983 + 12345) % _P
    return (m * m) % _P


_STATE_NO = {"not_started": 1, "in_progress": 2, "done": 3, "paused": 4, "cancelled": 5}


def calendar_fingerprint(session: Session, options: str) -> str:
    """sha256 of options and cheap aggregates that change whenever anything a feed shows changes.

    Relies on the writers' contract: plan loads set deliverable.updated_at on every content change (and
    archive), reports append a status_report row; pure reorderings (position), raw state/progress edits
    and support changes are caught by order-sensitive sums of mixed ids. Today's date is not in it:
    the caller checks the run's status window (valid_from <= today < valid_until).
    """
    D = Deliverable.__table__.c
    state_no = case(_STATE_NO, value=D.state, else_=0)
    # position, archived, state and progress of each row folded into one integer, then mixed with its id
    packed = ((cast(D.position, BigInteger) * 2 + case((D.archived, 1), else_=0)) * 8 + state_no) * 128 \
        + func.coalesce(D.progress, -1) + 1
    d = session.execute(select(func.count(), func.max(D.updated_at), func.sum(_mix(D.id, packed)),
                               func.max(D.last_report_at))).one()
    r = session.execute(select(func.count(), func.max(StatusReport.__table__.c.id))).one()
    S = deliverable_support.c
    sup = session.execute(select(func.count(), func.sum(_mix(S.deliverable_id, S.agency_id)))).one()
    A = Agency.__table__.c
    agencies = session.execute(select(A.id, A.code, A.name, A.successor_id).order_by(A.id)).all()
    P = Plan.__table__.c
    plans = session.execute(select(P.id, P.number, P.title, P.file_sha256, P.loaded_at).order_by(P.id)).all()
    parts = [options, repr(tuple(d)), repr(tuple(r)), repr(tuple(sup)),
             repr([tuple(a) for a in agencies]), repr([tuple(p) for p in plans])]
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class RunState:
    fingerprint: str
    valid_from: date
    valid_until: date | None
    feeds: list[str]
    events: int
    skipped: list[str]
    ran_at: datetime


RUN_KEY = "calendars"


def last_run(session: Session) -> RunState | None:
    """The state recorded by the last complete publish run, if any."""
    row = session.get(CalendarRun, RUN_KEY)
    if row is None:
        return None
    return RunState(row.fingerprint, row.valid_from, row.valid_until, list(row.feeds), row.events,
                    list(row.skipped), row.ran_at)


def save_run(session: Session, run: RunState) -> None:
    """Record a complete run (replacing the previous one)."""
    row = session.get(CalendarRun, RUN_KEY)
    if row is None:
        row = CalendarRun(key=RUN_KEY)
        session.add(row)
    row.fingerprint, row.valid_from, row.valid_until = run.fingerprint, run.valid_from, run.valid_until
    row.feeds, row.events, row.skipped, row.ran_at = list(run.feeds), run.events, list(run.skipped), run.ran_at


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    scope: str
    created_at: datetime
    revoked_at: datetime | None


def add_token(session: Session, name: str, scope: str, now: datetime | None = None) -> str:
    """Issue a token for scope; returns the secret (shown once, only its hash is kept)."""
    token = secrets.token_urlsafe(24)
    session.add(FeedToken(name=name, token_sha256=token_hash(token), scope=scope,
                          created_at=now or datetime.now(timezone.utc)))
    session.flush()
    return token


def list_tokens(session: Session) -> list[TokenInfo]:
    rows = session.scalars(select(FeedToken).order_by(FeedToken.id)).all()
    return [TokenInfo(t.id, t.name, t.scope, t.created_at, t.revoked_at)
            for t in rows]


def revoke_tokens(session: Session, name_or_id: str, now: datetime | None = None) -> int:
    """Revoke the live tokens of a subscriber name (or one token id); returns how many."""
    q = update(FeedToken).where(FeedToken.revoked_at.is_(None))
    q = q.where(FeedToken.id == int(name_or_id)) if name_or_id.isdigit() else q.where(FeedToken.name == name_or_id)
    return session.execute(q.values(revoked_at=now or datetime.now(timezone.utc))).rowcount


def scope_of_token(session: Session, token: str) -> str | None:
    """The feed scope a live token opens, or None (unknown or revoked)."""
    return session.scalar(select(FeedToken.scope).where(FeedToken.token_sha256 == token_hash(token),
                                                        FeedToken.revoked_at.is_(None)))
