"""Benchmark: the escalation sweep over 100,000 deliverables, against a bare SQL scan of the deliverable table.

Builds one generated plan (fixed seed) straight into the database: agencies with a focal point, a
deputy and a head; deliverables with due dates over 2024 ("before" or "by" wording, some spans, a
mix of states, a few blocked), supporting agencies, and two sent check-in rounds that most agencies
did not answer (so the non-response path runs too). Then on SQLite and PostgreSQL, in the same run:

- bare scan: SELECT every live deliverable's id, dates, wording and state (fetched), the floor;
- cold sweep on Monday 01/07/2024: the escalation table empty, every rung already due fires
  (the first run on a plan loaded mid-year);
- steady sweep on Tuesday 02/07/2024: after the cold pairs were recorded (a large escalation table),
  what the next day adds;
- the whole use case on 02/07 (sweep + recipients + one email per person + outbox), for information.

Goals (issue 10): sweep <= 2 s and <= 10x the bare scan. Each figure is the best of --repeat runs
(the sweeps run in a transaction that is rolled back, so each repeat sees the same data).

    python bench/bench_escalation.py [--deliverables 100000] [--agencies 1000] [--repeat 3] [--skip-pg]
"""
from __future__ import annotations

import argparse
import os
import random
import tempfile
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from time import perf_counter

from sqlalchemy import func, insert, select, text

from plantrack.models.db import session_factory
from plantrack.models.deadlines import DeadlinePolicy
from plantrack.models.entities import Agency, AgencyContact, Deliverable, Person, Plan, StatusReport, \
    deliverable_support
from plantrack.models.escalation.ladder import read_ladder
from plantrack.models.escalation.sweep import record, sweep
from plantrack.models.escalation.table import Escalation
from plantrack.models.mail.outbox import CheckinRound, Outbox
from plantrack.models.migrate import upgrade
from plantrack.notifications.mail.checkin_round import MailIdentity
from plantrack.notifications.mail.checkins import SendOptions
from plantrack.notifications.mail.escalation import EscalationOptions, record_escalations
from plantrack.notifications.mail.transports import MemoryTransport

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
COLD, STEADY = date(2024, 7, 1), date(2024, 7, 2)
BARE = text("SELECT id, plan_id, lead_agency_id, due_date, due_wording, schedule, state FROM deliverable "
            "WHERE archived = false")


def populate(url: str, n_deliverables: int, n_agencies: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    now = datetime(2024, 5, 1, tzinfo=timezone.utc)
    Session = session_factory(url)
    with Session() as s, s.begin():
        s.execute(insert(Plan), [{"number": "1/KH-BENCH", "title": "Kế hoạch benchmark", "issuer": "UBND tỉnh",
                                  "issued_on": date(2024, 1, 15), "period_start": date(2024, 1, 15),
                                  "period_end": date(2024, 12, 31), "file_sha256": "0" * 64, "loaded_at": now}])
        plan_id = s.scalar(select(Plan.id))
        codes = ["SLDTBXH", "UBND-TINH"] + [f"A{i:05d}" for i in range(n_agencies - 2)]
        s.execute(insert(Agency), [{"code": c, "name": f"Cơ quan {c}", "kind": "department", "aliases": []}
                                   for c in codes])
        ids = dict(s.execute(select(Agency.code, Agency.id)).all())
        s.execute(insert(Person), [{"email": f"{r}.{c.lower()}@bench.example.org", "name": f"{r} {c}"}
                                   for c in codes for r in ("focal_point", "deputy", "head")])
        people = dict(s.execute(select(Person.email, Person.id)).all())
        s.execute(insert(AgencyContact), [{"agency_id": ids[c], "person_id": people[f"{r}.{c.lower()}@bench.example.org"],
                                           "role": r} for c in codes for r in ("focal_point", "deputy", "head")])
        agency_ids = list(ids.values())
        rows = []
        for i in range(n_deliverables):
            due = date(2024, 1, 31) + timedelta(days=rnd.randrange(335))
            state = rnd.choices(["not_started", "in_progress", "done", "paused", "blocked"], [30, 45, 20, 3, 2])[0]
            rows.append({"plan_id": plan_id, "code": f"III.{i // 1000}.{i % 1000}", "title": f"Nhiệm vụ {i}",
                         "category": "duty", "lead_agency_id": rnd.choice(agency_ids),
                         "report_to_agency_id": ids["SLDTBXH"] if rnd.random() < 0.3 else None,
                         "quantities": [], "milestones": [], "start_date": date(2024, 1, 15), "due_date": due,
                         "due_wording": "before" if rnd.random() < 0.3 else "by",
                         "schedule": "span" if rnd.random() < 0.05 else "deadline", "position": i,
                         "archived": False, "state": state, "progress": None,
                         "completed_on": due if state == "done" else None,
                         "last_report_at": now if rnd.random() < 0.5 else None, "updated_at": now})
        for i in range(0, len(rows), 10000):
            s.execute(insert(Deliverable), rows[i:i + 10000])
        dids = list(s.scalars(select(Deliverable.id)))
        support = {(d, rnd.choice(agency_ids)) for d in rnd.sample(dids, len(dids) // 3)}
        s.execute(insert(deliverable_support), [{"deliverable_id": d, "agency_id": a} for d, a in support])
        # two check-in rounds sent to every agency; a tenth of them answered
        for key, as_of in (("2024-W24", date(2024, 6, 10)), ("2024-W25", date(2024, 6, 17))):
            s.execute(insert(CheckinRound), [{"plan_id": plan_id, "key": key, "period": "week", "as_of": as_of,
                                              "started_at": now}])
            rid = s.scalar(select(CheckinRound.id).where(CheckinRound.key == key))
            sent = datetime.combine(as_of, datetime.min.time(), timezone.utc)
            s.execute(insert(Outbox), [{
                "idempotency_key": f"checkin/{key}/{c}", "kind": "checkin", "round_id": rid, "agency_id": ids[c],
                "person_id": people[f"focal_point.{c.lower()}@bench.example.org"], "ref": "BENCH",
                "envelope_from": "theodoi@bench.example.org", "recipients": [f"focal_point.{c.lower()}@bench.example.org"],
                "subject": "check-in", "message": b"x", "message_id": f"<{key}.{c}@bench>", "status": "sent",
                "attempts": 1, "created_at": sent, "next_attempt_at": sent, "sent_at": sent} for c in codes])
        s.execute(insert(StatusReport), [{"agency_id": ids[c], "channel": "email", "note": "ok",
                                          "reported_at": datetime(2024, 6, 20, tzinfo=timezone.utc)}
                                         for c in codes if rnd.random() < 0.1])


def best(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t = perf_counter()
        out = fn()
        times.append(perf_counter() - t)
    return min(times), out


def measure(url: str, repeat: int) -> dict:
    Session = session_factory(url)
    ladder = read_ladder()
    deadlines = DeadlinePolicy()
    deadlines.calendar.is_working_day(COLD)  # load the working-days files and library once, outside the timing

    def bare():
        with Session() as s:
            return len(s.execute(BARE).all())

    def sweep_on(day):
        def run():
            with Session() as s:
                try:
                    pairs, found, _ = sweep(s, day, ladder, deadlines)
                    return len(pairs), len(found)
                finally:
                    s.rollback()
        return run

    out: dict = {}
    bare()  # warm the cache for both sides alike
    out["bare_s"], out["rows"] = best(bare, repeat)
    with Session() as s:
        out["distinct_deadlines"] = s.scalar(select(func.count()).select_from(
            select(Deliverable.due_date, Deliverable.due_wording, Deliverable.schedule).distinct().subquery()))
    out["cold_s"], (out["cold_pairs"], out["silent_agencies"]) = best(sweep_on(COLD), repeat)
    t = perf_counter()
    with Session() as s, s.begin():
        pairs, _, _ = sweep(s, COLD, ladder, deadlines)
        record(s, pairs, COLD, {}, {})
    out["record_cold_s"] = perf_counter() - t
    with Session() as s:
        out["escalation_rows"] = s.scalar(select(func.count()).select_from(Escalation))
    out["steady_s"], (out["steady_pairs"], _) = best(sweep_on(STEADY), repeat)
    opts = EscalationOptions(url, MailIdentity("theodoi@bench.example.org", "bench-secret"),
                             SendOptions(MemoryTransport()), ladder, deadlines)
    t = perf_counter()
    with Session() as s, s.begin():
        res = record_escalations(s, opts, STEADY)
    out["usecase_steady_s"], out["usecase_messages"], out["usecase_fired"] = perf_counter() - t, res.queued, len(res.fired)
    out["cold_ratio"] = out["cold_s"] / out["bare_s"]
    out["steady_ratio"] = out["steady_s"] / out["bare_s"]
    return out


def report(name: str, r: dict) -> None:
    ok = lambda s, ratio: "ok" if s <= 2.0 and ratio <= 10 else "MISSED"  # noqa: E731
    print(f"\n== {name}: {r['rows']:,} live deliverables, {r['distinct_deadlines']} distinct deadlines")
    print(f"bare scan (fetch all live rows)          {r['bare_s']:.3f} s")
    print(f"sweep cold  01/07 (empty table)          {r['cold_s']:.3f} s  {r['cold_ratio']:5.1f}x bare  "
          f"{r['cold_pairs']:,} pairs, {r['silent_agencies']} silent agencies  [{ok(r['cold_s'], r['cold_ratio'])}]")
    print(f"  recording those pairs                  {r['record_cold_s']:.3f} s  ({r['escalation_rows']:,} rows)")
    print(f"sweep steady 02/07 (table full)          {r['steady_s']:.3f} s  {r['steady_ratio']:5.1f}x bare  "
          f"{r['steady_pairs']:,} pairs  [{ok(r['steady_s'], r['steady_ratio'])}]")
    print(f"use case 02/07 (sweep+mail+outbox)       {r['usecase_steady_s']:.3f} s  {r['usecase_fired']:,} fired, "
          f"{r['usecase_messages']:,} emails queued")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deliverables", type=int, default=100_000)
    ap.add_argument("--agencies", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-pg", action="store_true")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    tmp = Path(tempfile.mkdtemp(prefix="bench-esc-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    t = perf_counter()
    populate(url, args.deliverables, args.agencies)
    print(f"SQLite populated in {perf_counter() - t:.1f} s")
    report("SQLite", measure(url, args.repeat))
    if args.skip_pg:
        return
    import psycopg

    name = f"plantrack_bench_{uuid.uuid4().hex[:8]}"
    dsn = PG_ADMIN.replace("+psycopg", "")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    pg = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(pg)
        t = perf_counter()
        populate(pg, args.deliverables, args.agencies)
        with session_factory(pg)() as s, s.begin():
            s.execute(text("ANALYZE"))
        print(f"\nPostgreSQL populated in {perf_counter() - t:.1f} s")
        report("PostgreSQL", measure(pg, args.repeat))
    finally:
        session_factory.cache_clear()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
