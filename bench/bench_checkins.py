"""Benchmark: check-in messages per second, full path (render + outbox + send) vs a bare aiosmtplib loop.

Both send to the same loopback aiosmtpd sink in the same process. The full path is what the
send-checkins tasks run (without Prefect): weekly rounds of the Lào Cai plan are rendered and
written to the outbox (SQLite file), then sent with group-committed outbox marking and the send lock
held, as the send task does. The bare loop sends
the same pre-rendered bytes over one connection. Usage: python bench/bench_checkins.py [N]
"""
from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiosmtplib  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from config import SEED_PLAN  # noqa: E402
from models.db import session_factory  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.outbox import Outbox, due_ids  # noqa: E402
from models.send_lock import Lease, new_holder  # noqa: E402
from models.plan_file import read_plan  # noqa: E402
from models.plan_store import store_plan  # noqa: E402
from notifications.checkin_round import MailIdentity, enqueue_round  # noqa: E402
from notifications.dispatch import send_queued  # noqa: E402
from notifications.local_smtp import controller  # noqa: E402
from notifications.smtp import SmtpConfig  # noqa: E402


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


async def bare_loop(host: str, port: int, msgs: list[tuple[str, list[str], bytes]]) -> None:
    client = aiosmtplib.SMTP(hostname=host, port=port)
    await client.connect()
    for sender, rcpts, data in msgs:
        await client.sendmail(sender, rcpts, data)
    await client.quit()


def clear_process_caches() -> None:
    """Empty every process-wide cache the rendering keeps between rounds (encoded addresses)."""
    from notifications import checkin_message

    checkin_message._encode_address.cache_clear()


def main(n: int = 5000) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="plantrack-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    Session = session_factory(url)
    with Session() as s, s.begin():
        store_plan(s, read_plan(SEED_PLAN))
    ident = MailIdentity(mail_from="theodoi@laocai.example.org", secret="bench-secret")
    sink = Sink()
    ctl = controller(sink)
    ctl.start()
    load_before = os.getloadavg()
    try:
        t0 = time.perf_counter()
        day, queued = date(2024, 1, 1), 0
        while queued < n:
            # Fairness: the same 20 agencies come back every round here, so empty the process-wide caches
            # first (a real round of 5,000 distinct agencies would get no hits from them). The per-round
            # caches (deliverable rows, encoded body lines) start empty in every round by construction.
            clear_process_caches()
            with Session() as s, s.begin():
                queued += enqueue_round(s, day, ident).queued
            day += timedelta(days=7)
        t1 = time.perf_counter()
        with Session() as s:
            ids = due_ids(s)
        for conc in (1, 2):
            if conc == 2:  # second pass: same rows again, to measure the sending with 2 connections
                with Session() as s, s.begin():
                    s.execute(Outbox.__table__.update().values(status="queued"))
            ts = time.perf_counter()
            cfg = SmtpConfig(ctl.hostname, ctl.port, rate_per_minute=0, concurrency=conc)
            with Lease(Session, new_holder("bench")) as lease:
                rep = asyncio.run(send_queued(Session, ids, cfg, lease=lease))
            te = time.perf_counter()
            assert rep.sent == len(ids), rep
            if conc == 1:
                send1 = te - ts
            else:
                send2 = te - ts
        with Session() as s:
            msgs = [(r.envelope_from, list(r.recipients), bytes(r.message))
                    for r in s.scalars(select(Outbox).order_by(Outbox.id))]
            total = s.scalar(select(func.count()).select_from(Outbox))
        tb = time.perf_counter()
        asyncio.run(bare_loop(ctl.hostname, ctl.port, msgs))
        bare = time.perf_counter() - tb
    finally:
        ctl.stop()
    render = t1 - t0
    full1, full2 = render + send1, render + send2
    print(f"messages: {total} ({len(msgs[0][2])} bytes each, approx.), sink received {sink.count}")
    print(f"render + outbox:           {render:6.2f} s  ({total / render:7.0f} msg/s)")
    print(f"send from outbox, 1 conn:  {send1:6.2f} s  ({total / send1:7.0f} msg/s)")
    print(f"send from outbox, 2 conns: {send2:6.2f} s  ({total / send2:7.0f} msg/s)")
    print(f"full path, 1 conn:         {full1:6.2f} s  ({total / full1:7.0f} msg/s)")
    print(f"full path, 2 conns:        {full2:6.2f} s  ({total / full2:7.0f} msg/s)")
    print(f"bare aiosmtplib, 1 conn:   {bare:6.2f} s  ({total / bare:7.0f} msg/s)")
    print(f"load average: before {load_before}, after {os.getloadavg()}")
    print(f"ratio full/bare: {bare / full1:.0%} (1 conn), {bare / full2:.0%} (2 conns); goal >= 60%")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
