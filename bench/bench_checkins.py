"""Benchmark: check-in messages per second, full path (render + outbox + send) vs a bare aiosmtplib loop.

Both send to the same loopback aiosmtpd sink in the same process. The full path is what the
send-checkins tasks run (without Prefect): weekly rounds of the Lào Cai plan are rendered and
written to the outbox (SQLite file), then sent with group-committed outbox marking and the send lock
held, as the send task does. The bare loop sends
the same pre-rendered bytes over one connection.

Two shapes of 5,000 messages: `weekly` (the default) repeats the Lào Cai plan's round of 20
agencies 250 times, paying the per-round costs 250 times; `national` is ONE round of a generated
plan whose 5,000 agencies each lead two deliverables and support one, as a national weekly
check-in would be.

    python bench/bench_checkins.py [N] [--national]
"""
from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path


import aiosmtplib  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from plantrack.config import SEED_PLAN  # noqa: E402
from plantrack.models.db import session_factory  # noqa: E402
from plantrack.models.migrate import upgrade  # noqa: E402
from plantrack.models.mail.outbox import Outbox, due_ids  # noqa: E402
from plantrack.models.mail.send_lock import Lease, new_holder  # noqa: E402
from plantrack.models.plan.file import read_plan  # noqa: E402
from plantrack.models.plan.store import store_plan  # noqa: E402
from plantrack.notifications.mail.checkin_round import MailIdentity  # noqa: E402
from plantrack.notifications.mail.checkins import (CheckinOptions, SendOptions, queue_checkins,  # noqa: E402
                                                    send_queued_mail)
from plantrack.notifications.mail.local_smtp import controller  # noqa: E402
from plantrack.notifications.mail.smtp import SmtpConfig  # noqa: E402
from plantrack.notifications.mail.transports import SmtpTransport  # noqa: E402


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
    from plantrack.notifications.mail import message

    message._encode_address.cache_clear()


def national_plan(Session, n_agencies: int) -> None:
    """One plan, n_agencies agencies with a focal point each; each leads two open deliverables and supports one."""
    from datetime import datetime, timezone

    from sqlalchemy import insert

    from plantrack.models.entities import Agency, AgencyContact, Deliverable, Person, Plan, deliverable_support

    now = datetime(2024, 1, 2, tzinfo=timezone.utc)
    with Session() as s, s.begin():
        s.execute(insert(Plan), [dict(id=1, number="1/KH-QG", title="Kế hoạch bảo vệ trẻ em toàn quốc", issuer="Bộ",
                                      issued_on=date(2024, 1, 2), period_start=date(2024, 1, 2),
                                      period_end=date(2024, 12, 31), file_sha256="0" * 64, loaded_at=now)])
        s.execute(insert(Agency), [dict(id=i, code=f"CQ-{i:05d}", name=f"Sở Lao động - TB&XH số {i}", kind="department",
                                        aliases=[]) for i in range(1, n_agencies + 1)])
        s.execute(insert(Person), [dict(id=i, email=f"daumoi.{i}@tinh.example.org", name=f"Nguyễn Thị Đầu Mối {i}")
                                   for i in range(1, n_agencies + 1)])
        s.execute(insert(AgencyContact), [dict(agency_id=i, person_id=i, role="focal_point")
                                          for i in range(1, n_agencies + 1)])
        rows, support = [], []
        for i in range(1, 2 * n_agencies + 1):
            lead = (i - 1) // 2 + 1
            rows.append(dict(id=i, plan_id=1, code=f"III.{i}", title=f"Tổ chức tập huấn bảo vệ trẻ em, đợt {i}",
                             category="training", lead_agency_id=lead, quantities=[], start_date=date(2024, 1, 2),
                             due_date=date(2024, 1, 2) + timedelta(days=30 + i % 300), schedule="deadline",
                             milestones=[], position=i, archived=False, state="in_progress",
                             progress=i % 100, updated_at=now))
            support.append(dict(deliverable_id=i, agency_id=lead % n_agencies + 1))
        s.execute(insert(Deliverable), rows)
        s.execute(insert(deliverable_support), support)


def main(n: int = 5000, national: bool = False) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="plantrack-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    Session = session_factory(url)
    if national:
        national_plan(Session, n)
    else:
        with Session() as s, s.begin():
            store_plan(s, read_plan(SEED_PLAN))
    ident = MailIdentity(mail_from="theodoi@laocai.example.org", secret="bench-secret")
    sink = Sink()
    ctl = controller(sink)
    ctl.start()
    load_before = os.getloadavg()

    def options(conc: int) -> CheckinOptions:
        cfg = SmtpConfig(ctl.hostname, ctl.port, rate_per_minute=0, concurrency=conc)
        return CheckinOptions(url, ident, SendOptions(SmtpTransport(cfg), rate_per_minute=0))
    try:
        t0 = time.perf_counter()
        day, queued = date(2024, 1, 1), 0
        while queued < n:
            # Fairness: the same 20 agencies come back every round here, so empty the process-wide caches
            # first (a real round of 5,000 distinct agencies would get no hits from them). The per-round
            # caches (deliverable rows, encoded body lines) start empty in every round by construction.
            clear_process_caches()
            queued += queue_checkins(options(1), day).queued
            day += timedelta(days=7)
        t1 = time.perf_counter()
        with Session() as s:
            ids = due_ids(s)
        for conc in (1, 2):
            if conc == 2:  # second pass: same rows again, to measure the sending with 2 connections
                with Session() as s, s.begin():
                    s.execute(Outbox.__table__.update().values(status="queued"))
            ts = time.perf_counter()
            with Lease(Session, new_holder("bench")) as lease:
                rep = send_queued_mail(options(conc), ids, lease.holder)
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
    print(f"shape: {'national (one round of ' + str(n) + ' agencies)' if national else 'weekly (Lào Cai rounds of 20)'}")
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
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 5000, national="--national" in sys.argv)
