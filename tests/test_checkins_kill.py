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
SCRIPT = """
import sys
from datetime import date
from plantrack.config.settings import load_settings
from plantrack.notifications.mail.checkins import CheckinOptions, run_checkin_round

# The same use case the flow runs, without Prefect's start-up; killed, it leaves its send lock behind.
print(run_checkin_round(CheckinOptions.from_settings(load_settings(database_url=sys.argv[1])), date(2024, 5, 20)))
"""


def _run(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "PLANTRACK_SMTP_HOST": "127.0.0.1", "PLANTRACK_SMTP_PORT": str(port),
           "PLANTRACK_SECRET_KEY": "kill-test", "PLANTRACK_MAIL_FROM": "theodoi@laocai.example.org",
           "PLANTRACK_SMTP_CONCURRENCY": "1", "PLANTRACK_SMTP_SENT_GROUP": str(GROUP),
           "PLANTRACK_SMTP_MAX_ATTEMPTS": "3", "PLANTRACK_SMTP_RETRY_SECONDS": "0.01", "PLANTRACK_SMTP_RATE_PER_MINUTE": "0"}
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
        assert 5 <= arrived_before < 23, "the first run must die mid-way"
        second = _run(loaded_db, port)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err.decode()
    with session_factory(loaded_db)() as s:
        rows = s.scalars(select(Outbox)).all()
    assert len(rows) == 23 and {r.status for r in rows} == {"sent"}
    ids = Counter(message_from_bytes(b, policy=default)["Message-ID"].strip() for b in rec.arrived)
    assert set(ids) == {r.message_id for r in rows}  # nothing forgotten
    # at most the group not yet committed (GROUP - 1) plus the one in flight went twice
    assert sum(ids.values()) - len(ids) <= GROUP
