"""The send lock: two senders at once send every message exactly once; a dead holder's lock is taken over."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select

from tests.checkin_smtp import Recorder, queue_round, smtp_server


def _sender(url, host, port, results, errors, start):
    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import due_ids
    from plantrack.models.mail.send_lock import Lease, LockHeld, new_holder
    from plantrack.notifications.mail.dispatch import Dispatcher, RetryPolicy
    from plantrack.notifications.mail.smtp import SmtpConfig
    from plantrack.notifications.mail.transports import SmtpTransport

    Session = session_factory(url)
    start.wait()  # both try at the same moment
    try:
        with Lease(Session, new_holder(), 300) as lease:
            with Session() as s:
                ids = due_ids(s)
            cfg = SmtpConfig(host, port, rate_per_minute=0, timeout=5, concurrency=2)
            results.append(asyncio.run(Dispatcher(Session, SmtpTransport(cfg), RetryPolicy(3, 0.01), lease=lease).run(ids)))
    except LockHeld as exc:
        errors.append(exc)


def test_two_senders_at_once_send_each_message_once(loaded_db):
    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import Outbox

    queue_round(loaded_db)
    rec = Recorder(delay=0.02)
    results, errors, start = [], [], threading.Barrier(2)
    with smtp_server(rec) as (host, port):
        threads = [threading.Thread(target=_sender, args=(loaded_db, host, port, results, errors, start)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(results) == 1 and len(errors) == 1  # one sent, the other was told who holds the lock
    assert "another run holds the send-mail lock" in str(errors[0]) and ":" in errors[0].holder
    ids = Counter(message_from_bytes(b, policy=default)["Message-ID"].strip() for b in rec.arrived)
    with session_factory(loaded_db)() as s:
        rows = s.scalars(select(Outbox)).all()
    assert set(ids) == {r.message_id for r in rows} and set(ids.values()) == {1}
    assert results[0].sent == 23 and {r.status for r in rows} == {"sent"}


def test_lock_takeover_rules(loaded_sqlite):
    import socket

    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import utcnow
    from plantrack.models.mail.send_lock import LockHeld, LockLost, SendLock, acquire, new_holder, refresh, release

    Session = session_factory(loaded_sqlite)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that is no longer alive
    stale = f"{socket.gethostname()}:{dead.pid}:old-run"
    with Session() as s, s.begin():
        acquire(s, stale, 3600)
    me = new_holder("r1")
    with Session() as s, s.begin():
        acquire(s, me, 60)  # the holder's pid is dead: taken over at once, lease or not
    with Session() as s:
        assert s.get(SendLock, "send-mail").holder == me
    with Session() as s, s.begin(), pytest.raises(LockHeld, match="r1"):
        acquire(s, new_holder("r2"), 60)  # a live holder (this process) keeps it
    other_host = "elsewhere.example:1:r3"
    with Session() as s, s.begin():
        release(s, me)
        acquire(s, other_host, 60)
    with Session() as s, s.begin(), pytest.raises(LockHeld):
        acquire(s, me, 60)  # another host's holder: only its lease counts
    with Session() as s, s.begin():
        acquire(s, me, 60, now=utcnow() + timedelta(seconds=61))  # ... once expired, taken over
    with Session() as s, s.begin(), pytest.raises(LockLost):
        refresh(s, other_host, 60)  # the old holder learns it lost the lock
