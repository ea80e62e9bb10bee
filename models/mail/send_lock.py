"""A named run lock with a lease (table send_lock): one sender at a time, taken over when its holder is gone.

holder = host:pid:run-id. Taking, refreshing and releasing are each one conditional statement
(INSERT ... ON CONFLICT DO NOTHING, UPDATE ... WHERE holder = ..., DELETE ... WHERE holder = ...)
committed by the caller's transaction, so they are atomic on SQLite and PostgreSQL alike. A lock
may be taken over at once when its lease expired, or when its holder ran on this host and its
pid is no longer alive (a killed run does not make the rerun wait for the lease).
"""
from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, delete, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from plantrack.models.base import Base, UTCDateTime
from plantrack.models.mail.outbox import _insert, utcnow

SEND_LOCK = "send-mail"


class SendLock(Base):
    __tablename__ = "send_lock"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))  # host:pid:run-id
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LockHeld(RuntimeError):
    """Another live run holds the lock."""

    def __init__(self, name: str, holder: str, expires_at: datetime):
        self.name, self.holder, self.expires_at = name, holder, expires_at
        super().__init__(f"another run holds the {name} lock: {holder} (lease until {expires_at:%Y-%m-%d %H:%M:%S} UTC)")


class LockLost(RuntimeError):
    """Our lease was taken over (it expired while we were still running)."""


def new_holder(run_id: str | None = None) -> str:
    """host:pid:run-id for this process (run_id: e.g. the flow run id; a random one by default)."""
    return f"{socket.gethostname()}:{os.getpid()}:{run_id or uuid.uuid4().hex[:12]}"


def holder_gone(holder: str) -> bool:
    """True when holder ran on this host and its pid is not alive (another host: unknown, so False)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def acquire(session: Session, holder: str, ttl: float, name: str = SEND_LOCK, now: datetime | None = None) -> None:
    """Take the lock name for holder for ttl seconds (or renew it); raises LockHeld. The caller commits."""
    now = now or utcnow()
    expires = now + timedelta(seconds=ttl)
    values = {"holder": holder, "acquired_at": now, "expires_at": expires}
    stmt = _insert(session, SendLock).values(name=name, **values).on_conflict_do_nothing(index_elements=["name"])
    if session.execute(stmt).rowcount == 1:
        return
    current = session.execute(select(SendLock.holder, SendLock.expires_at).where(SendLock.name == name)).first()
    if current is None:  # released between the two statements: try once more
        if session.execute(stmt).rowcount == 1:
            return
        raise LockHeld(name, "unknown", now)
    old, old_expires = current
    takeable = [SendLock.holder == holder, SendLock.expires_at < now]
    if holder_gone(old):
        takeable.append(SendLock.holder == old)
    # Compare-and-swap: only the holder we judged (or an expired lease) is replaced.
    done = session.execute(update(SendLock).where(SendLock.name == name, or_(*takeable)).values(**values))
    if done.rowcount != 1:
        raise LockHeld(name, old, old_expires)


def refresh(session: Session, holder: str, ttl: float, name: str = SEND_LOCK) -> None:
    """Extend holder's lease by ttl seconds from now; raises LockLost when holder no longer holds it."""
    done = session.execute(update(SendLock).where(SendLock.name == name, SendLock.holder == holder)
                           .values(expires_at=utcnow() + timedelta(seconds=ttl)))
    if done.rowcount != 1:
        raise LockLost(f"the {name} lock is no longer held by {holder}")


def release(session: Session, holder: str, name: str = SEND_LOCK) -> None:
    session.execute(delete(SendLock).where(SendLock.name == name, SendLock.holder == holder))


@dataclass
class Lease:
    """A held lock, refreshed from a sending loop: refresh_due() says when (every ttl / 3)."""

    Session: sessionmaker
    holder: str
    ttl: float = 300.0
    name: str = SEND_LOCK
    _last: float = 0.0

    def take(self) -> Lease:
        import time

        with self.Session() as s, s.begin():
            acquire(s, self.holder, self.ttl, self.name)
        self._last = time.monotonic()
        return self

    def refresh(self, force: bool = False) -> None:
        import time

        if force or time.monotonic() - self._last >= self.ttl / 3:
            with self.Session() as s, s.begin():
                refresh(s, self.holder, self.ttl, self.name)
            self._last = time.monotonic()

    def release(self) -> None:
        with self.Session() as s, s.begin():
            release(s, self.holder, self.name)

    def __enter__(self) -> Lease:
        return self.take()

    def __exit__(self, *exc) -> None:
        self.release()
