"""A sending process killed mid-run, then rerun: every message arrives; duplicates at most the documented
window: the accepted messages not yet committed 'sent' (group size - 1) plus the one in flight."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from sqlalchemy import select

from tests.checkin_smtp import Recorder, smtp_server

ROOT = Path(__file__).resolve().parents[1]
GROUP = 4  # PLANTRACK_SMTP_SENT_GROUP of the killed run
# The same code path as the send task (queue the round, then send what is due), without Prefect's start-up.
SCRIPT = """
import asyncio, sys
from datetime import date
from plantrack.config.settings import load_settings
from plantrack.models.db import session_factory
from plantrack.models.mail.outbox import due_ids
from plantrack.models.mail.send_lock import Lease, new_holder
from plantrack.notifications.mail.checkin_round import enqueue_round, mail_identity
from plantrack.notifications.mail.dispatch import RetryPolicy, send_queued
from plantrack.notifications.mail.smtp import SmtpConfig

st = load_settings(database_url=sys.argv[1])
Session = session_factory(st.database_url)
with Lease(Session, new_holder(), st.send_lock_seconds) as lease:  # the killed run leaves its lock behind
    with Session() as s, s.begin():
        enqueue_round(s, date(2024, 5, 20), mail_identity(st))
    with Session() as s:
        ids = due_ids(s)
    cfg = SmtpConfig(st.smtp_host, st.smtp_port, concurrency=st.smtp_concurrency, rate_per_minute=0, timeout=5)
    print(asyncio.run(send_queued(Session, ids, cfg, RetryPolicy(3, 0.01), group_size=st.smtp_sent_group,
                                  lease=lease)))
"""


def _run(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "PLANTRACK_SMTP_HOST": "127.0.0.1", "PLANTRACK_SMTP_PORT": str(port),
           "PLANTRACK_SECRET_KEY": "kill-test", "PLANTRACK_MAIL_FROM": "theodoi@laocai.example.org",
           "PLANTRACK_SMTP_CONCURRENCY": "1", "PLANTRACK_SMTP_SENT_GROUP": str(GROUP), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", SCRIPT, url], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait(cond, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_killed_run_then_rerun_sends_each_once(loaded_db):
    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import Outbox

    rec = Recorder(delay=0.05)  # slow relay: the kill lands mid-batch, often mid-DATA
    with smtp_server(rec) as (_, port):
        proc = _run(loaded_db, port)
        try:
            _wait(lambda: len(rec.arrived) >= 5 or proc.poll() is not None)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait()
        arrived_before = len(rec.arrived)
        assert 5 <= arrived_before < 20, "the first run must die mid-way"
        second = _run(loaded_db, port)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err.decode()
    with session_factory(loaded_db)() as s:
        rows = s.scalars(select(Outbox)).all()
    assert len(rows) == 20 and {r.status for r in rows} == {"sent"}
    ids = Counter(message_from_bytes(b, policy=default)["Message-ID"].strip() for b in rec.arrived)
    assert set(ids) == {r.message_id for r in rows}  # nothing forgotten
    # at most the group not yet committed (GROUP - 1) plus the one in flight went twice
    assert sum(ids.values()) - len(ids) <= GROUP
