"""What the calendar feeds published (per event and per feed) and who may read them (feed tokens)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer, String, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base


class PublishedEvent(Base):
    """The last published content of one calendar event: its hash, SEQUENCE and LAST-MODIFIED."""

    __tablename__ = "published_event"

    uid: Mapped[str] = mapped_column(String(255), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer)
    last_modified: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PublishedFeed(Base):
    """The key of the content last written to a feed file (so unchanged feeds are never re-read)."""

    __tablename__ = "published_feed"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)  # file name, e.g. agency-syt.ics
    content_key: Mapped[str] = mapped_column(String(64))
    events: Mapped[int] = mapped_column(Integer)
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FeedToken(Base):
    """A subscriber's secret feed URL token, stored as its sha256 only."""

    __tablename__ = "feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(255))  # plan | agency:CODE | category:KEY
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def _aware(ts: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns: they were stored as UTC."""
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


def published_events(session: Session) -> dict[str, tuple[str, int, datetime]]:
    """uid -> (content hash, sequence, last modified) for every event ever published."""
    rows = session.execute(select(PublishedEvent.uid, PublishedEvent.content_hash, PublishedEvent.sequence,
                                  PublishedEvent.last_modified))
    return {uid: (h, seq, _aware(lm)) for uid, h, seq, lm in rows}


def save_events(session: Session, new: list[dict], changed: list[dict]) -> None:
    """Insert first-time events and update changed ones (dicts with the PublishedEvent columns)."""
    if new:
        session.execute(insert(PublishedEvent), new)
    if changed:
        session.execute(update(PublishedEvent), changed)


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
    return [TokenInfo(t.id, t.name, t.scope, _aware(t.created_at), t.revoked_at and _aware(t.revoked_at))
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
