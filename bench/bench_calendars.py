"""Benchmark publish-calendars: N deliverables across N/20 agencies in SQLite: full publish, unchanged
republish (fast path), unchanged republish forced through the full compare, and the next status change.

    python bench/bench_calendars.py [--deliverables 100000] [--agencies 5000] [--flow] [--keep]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path


from sqlalchemy import insert  # noqa: E402

from plantrack.models.db import session_factory  # noqa: E402
from plantrack.models.entities import Agency, Deliverable, Plan, deliverable_support  # noqa: E402
from plantrack.models.migrate import upgrade  # noqa: E402
from plantrack.models.plan.schema import CATEGORIES  # noqa: E402

TODAY = date(2024, 3, 1)


def generate(url: str, n: int, n_agencies: int, seed: int = 60) -> None:
    """A plan with n deliverables led by n_agencies agencies, two supporters each, a few spans and milestones."""
    rnd = random.Random(seed)
    now = datetime(2024, 1, 30, tzinfo=timezone.utc)
    Session = session_factory(url)
    with Session() as s, s.begin():
        s.execute(insert(Plan), [{"id": 1, "number": "99/KH-UBND", "title": "Kế hoạch thử tải bảo vệ trẻ em",
                                  "issuer": "UBND tỉnh", "issued_on": date(2024, 1, 30), "period_start": date(2024, 1, 30),
                                  "period_end": date(2024, 12, 31), "file_sha256": "0" * 64, "loaded_at": now}])
        s.execute(insert(Agency), [{"id": i + 1, "code": f"CQ-{i:05d}", "name": f"Cơ quan số {i} tỉnh Lào Cai",
                                    "kind": "department", "aliases": []} for i in range(n_agencies)])
        rows, support = [], []
        for i in range(n):
            due = date(2024, 1, 30) + timedelta(days=rnd.randrange(330))
            span = i % 10 == 0
            rows.append({
                "id": i + 1, "plan_id": 1, "code": f"III.{i + 1}", "category": CATEGORIES[i % len(CATEGORIES)],
                "title": f"Nhiệm vụ số {i + 1}: tổ chức truyền thông, tập huấn bảo vệ, chăm sóc trẻ em",
                "lead_agency_id": i % n_agencies + 1, "quantities": [{"what": "Lớp tập huấn", "amount": 9, "unit": "lớp"}],
                "start_date": due - timedelta(days=30) if span else None, "due_date": due,
                "schedule": "span" if span else "deadline",
                "milestones": [{"key": "moc_1", "title": "Mốc giữa kỳ", "start": (due - timedelta(days=10)).isoformat(),
                                "end": None}] if i % 25 == 0 else [],
                "position": i, "archived": False, "state": "in_progress" if i % 3 else "not_started",
                "progress": (i * 7) % 100, "updated_at": now})
            for k in (1, 2):
                support.append({"deliverable_id": i + 1, "agency_id": (i + k * 7) % n_agencies + 1})
        s.execute(insert(Deliverable), rows)
        s.execute(insert(deliverable_support), support)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deliverables", type=int, default=100_000)
    ap.add_argument("--agencies", type=int, default=None)
    ap.add_argument("--flow", action="store_true", help="also time the Prefect flow (unchanged republish)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary database and feeds")
    args = ap.parse_args()
    n_ag = args.agencies or max(1, args.deliverables // 20)
    tmp = Path(tempfile.mkdtemp(prefix="plantrack-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    t = time.perf_counter()
    upgrade(url)
    generate(url, args.deliverables, n_ag)
    print(f"generated {args.deliverables} deliverables, {n_ag} agencies in {time.perf_counter() - t:.1f} s ({tmp})")

    from plantrack.notifications.calendar.publish import (PublishOptions, check_calendars, collect_calendar_events,
                                                          publish_calendars, write_changed_feeds)

    feeds = tmp / "feeds"
    opts = PublishOptions(url, feeds)
    t, cpu = time.perf_counter(), time.process_time()
    r = publish_calendars(opts, TODAY)
    full, cpu = time.perf_counter() - t, time.process_time() - cpu
    size = sum(p.stat().st_size for p in feeds.glob("*.ics"))
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"full publish: {full:.2f} s (CPU of this process {cpu:.2f} s); {r.events} events; {len(r.written)} feeds "
          f"written ({size / 1e6:.0f} MB); status valid until {r.valid_until}")

    for _ in range(3):
        t = time.perf_counter()
        r2 = publish_calendars(opts, TODAY)
        print(f"unchanged republish (fast path): {time.perf_counter() - t:.3f} s; rebuilt: {not r2.unchanged}; "
              f"{len(r2.written)} feeds written")

    t0, cpu = time.perf_counter(), time.process_time()
    chk = check_calendars(opts, TODAY)
    t1 = time.perf_counter()
    c = collect_calendar_events(opts, TODAY)
    t2 = time.perf_counter()
    written = write_changed_feeds(opts, c, chk.fingerprint)
    t3 = time.perf_counter()
    print(f"unchanged republish, full compare (forced): {t3 - t0:.2f} s (CPU {time.process_time() - cpu:.2f} s; check {t1 - t0:.2f}, collect {t2 - t1:.2f}, "
          f"compare and write {t3 - t2:.2f}); {len(written)} feeds written")

    if c.valid_until is not None:
        t = time.perf_counter()
        r3 = publish_calendars(opts, c.valid_until)
        print(f"next status change ({c.valid_until}): {time.perf_counter() - t:.2f} s; "
              f"{len(r3.changed_events)} events changed; {len(r3.written)} feeds written")

    if args.flow:
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
        os.environ["PLANTRACK_DATABASE_URL"], os.environ["PLANTRACK_FEEDS_DIR"] = url, str(feeds)
        from plantrack.flows.publish_calendars import publish_calendars_flow

        day = c.valid_until or TODAY
        publish_calendars_flow(today=day)  # warm the ephemeral server
        t = time.perf_counter()
        result = publish_calendars_flow(today=day)
        print(f"flow, unchanged: {time.perf_counter() - t:.2f} s; fast path {result.unchanged}; "
              f"{len(result.written)} feeds written")
    if not args.keep:
        import shutil

        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
