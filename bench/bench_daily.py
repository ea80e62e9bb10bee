"""Benchmark the daily cycle and the demo; print figures.

    python bench/bench_daily.py [--deliverables 10000] [--days 3]      # the daily cycle, flows vs direct calls
    python bench/bench_daily.py --demo [--seed 1]                     # plantrack demo: wall time, peak memory
    python bench/bench_daily.py --national [--deliverables 100000]    # peak memory of each flow at national scale

The daily cycle is every flow that runs each working day: reply intake, escalation, calendars. Each day runs
twice on copies of one database: the flows' steps called directly in this process (the use case, the run
report's text, the board's tables: all the flow computes, leaving Prefect only its runs and storing the
artifacts), then the flows through a local Prefect API (heartbeats off, as deployed runs have them).
Goal: flows <= 1.3x direct. National scale: each flow in a fresh process through Prefect on a plan of
5,000 agencies; peak resident memory (VmHWM) of that process; goal <= 400 MB.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

DAY0 = date(2024, 3, 4)  # a Monday


@dataclass(frozen=True)
class Step:
    name: str  # the flow's name
    direct: Callable  # (settings, day) -> None: the flow's steps called in this process
    flow: str  # "module:flow object", called with today=day


def _board_direct(settings, day):
    """What publish_status_board computes (the board and its two tables) without storing the artifacts."""
    from plantrack.notifications.board import (BoardOptions, agency_table, board_description, overdue_table,
                                               status_board)

    opts = BoardOptions.from_settings(settings)
    board = status_board(opts, day)
    board_description(board, opts.lang, opts.max_rows)
    agency_table(board, opts.lang, opts.max_rows)
    overdue_table(board, opts.lang, opts.max_rows)


def _calendars_direct(settings, day):
    """publish-calendars' steps called directly: the feeds, the run report's text, the board."""
    from plantrack.notifications.calendar.publish import PublishOptions, publish_calendars
    from plantrack.notifications.run_reports import calendars

    r = publish_calendars(PublishOptions.from_settings(settings), day)
    calendars.markdown(r, day, settings.lang), calendars.description(r, settings.lang)
    _board_direct(settings, day)


def _replies_direct(settings, day):
    """ingest-replies' steps called directly: every batch of the Maildir, the receipts sent, the run report's
    text, the board."""
    from plantrack.notifications.mail.checkins import CheckinOptions
    from plantrack.notifications.mail.inbound.ingest import IngestOptions, ingest_replies
    from plantrack.notifications.mail.inbound.send import send_outbox
    from plantrack.notifications.run_reports import replies

    opts = IngestOptions.from_settings(settings)
    total = ingest_replies(opts, day)
    while total.more:
        total = total + ingest_replies(opts, day)
    sent = send_outbox(CheckinOptions.from_settings(settings))
    replies.markdown(total, sent, settings.lang), replies.description(total, settings.lang)
    _board_direct(settings, day)


def _escalation_direct(settings, day):
    """escalate-overdue's steps called directly: the sweep, its emails sent, the run report's text, the board."""
    from plantrack.notifications.mail.escalation import EscalationOptions, escalate_overdue
    from plantrack.notifications.run_reports import escalations

    r = escalate_overdue(EscalationOptions.from_settings(settings), day)
    escalations.markdown(r, settings.lang), escalations.description(r, settings.lang)
    _board_direct(settings, day)


STEPS = [  # the daily cycle, in its order of the day
    Step("ingest-replies", _replies_direct, "plantrack.flows.ingest_replies:ingest_replies_flow"),
    Step("escalate-overdue", _escalation_direct, "plantrack.flows.escalate_overdue:escalate_overdue_flow"),
    Step("publish-calendars", _calendars_direct, "plantrack.flows.publish_calendars:publish_calendars_flow"),
]


def seed_replies(url: str, pending: Path) -> int:
    """This week's check-ins queued and marked sent (not timed), and the focal points' replies to them
    written ahead into pending/ (the demo's simulated focal points: on time, late, malformed, HTML, ...)."""
    from sqlalchemy import update

    from plantrack.config.settings import load_settings
    from plantrack.deployments.demo.focal_points import FocalPointsOptions, answer_checkins
    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import Outbox
    from plantrack.notifications.mail.checkins import CheckinOptions, queue_checkins

    settings = load_settings(database_url=url)
    queue_checkins(CheckinOptions.from_settings(settings), DAY0)
    with session_factory(url)() as s, s.begin():
        s.execute(update(Outbox).values(status="sent", sent_at=clock_at(DAY0, 8)))
    opts = FocalPointsOptions(url, pending.parent / "unused-maildir", pending, pending.parent / "ledger.jsonl", 1)
    return answer_checkins(opts, DAY0).replies


def clock_at(day: date, hour: int):
    from datetime import datetime, time as dtime
    from zoneinfo import ZoneInfo

    return datetime.combine(day, dtime(hour), ZoneInfo("Asia/Ho_Chi_Minh"))


def deliver(pending: Path, maildir: Path, day: date) -> int:
    """Copy the replies dated up to 15:00 of day into maildir/new (both runs get the same mail)."""
    from zoneinfo import ZoneInfo

    stamp = clock_at(day, 15).astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%S")
    n = 0
    for p in sorted(pending.glob("*.eml")):
        if p.name[:15] <= stamp and not (maildir / "new" / p.name).exists() and not (maildir / ".done" / p.name).exists():
            shutil.copyfile(p, maildir / "new" / p.name)
            (maildir / ".done").mkdir(exist_ok=True)
            (maildir / ".done" / p.name).touch()
            n += 1
    return n


def build_plan(url: str, deliverables: int, agencies: int | None = None) -> None:
    """A national-shaped plan: agencies (default deliverables / 2) with a focal point and a deputy each,
    leading the open deliverables in turn (due over the year), each supported by the next agency."""
    from datetime import datetime, timezone

    from sqlalchemy import insert

    from plantrack.models.db import session_factory
    from plantrack.models.entities import Agency, AgencyContact, Deliverable, Person, Plan, deliverable_support
    from plantrack.models.migrate import upgrade

    upgrade(url)
    n = agencies or deliverables // 2
    now = datetime(2024, 1, 2, tzinfo=timezone.utc)
    with session_factory(url)() as s, s.begin():
        s.execute(insert(Plan), [dict(id=1, number="1/KH-QG", title="Kế hoạch bảo vệ trẻ em toàn quốc", issuer="Bộ",
                                      issued_on=date(2024, 1, 2), period_start=date(2024, 1, 2),
                                      period_end=date(2024, 12, 31), file_sha256="0" * 64, loaded_at=now)])
        # The first two carry the codes the default escalation ladder names: the plan's coordinator and the
        # provincial committee (the Deputy Chair), so that every rung has someone to mail.
        codes = {1: "SLDTBXH", 2: "UBND-TINH"}
        s.execute(insert(Agency), [dict(id=i, code=codes.get(i, f"CQ-{i:05d}"), name=f"Sở Lao động - TB&XH số {i}",
                                        kind="department", aliases=[]) for i in range(1, n + 1)])
        s.execute(insert(Person), [dict(id=i, email=f"daumoi.{i}@tinh.example.org", name=f"Nguyễn Thị Đầu Mối {i}")
                                   for i in range(1, n + 1)]
                  + [dict(id=n + i, email=f"pho.{i}@tinh.example.org", name=f"Trần Văn Phó {i}") for i in range(1, n + 1)])
        s.execute(insert(AgencyContact), [dict(agency_id=i, person_id=i, role="focal_point") for i in range(1, n + 1)]
                  + [dict(agency_id=i, person_id=n + i, role="deputy") for i in range(1, n + 1)])
        rows, support = [], []
        per = max(1, deliverables // n)
        for i in range(1, deliverables + 1):
            lead = min(n, (i - 1) // per + 1)
            rows.append(dict(id=i, plan_id=1, code=f"III.{i}", title=f"Tổ chức tập huấn bảo vệ trẻ em, đợt {i}",
                             category="training", lead_agency_id=lead, quantities=[], start_date=date(2024, 1, 2),
                             due_date=date(2024, 1, 2) + timedelta(days=30 + i % 300), schedule="deadline",
                             milestones=[], position=i, archived=False, state="in_progress",
                             progress=i % 100, updated_at=now))
            support.append(dict(deliverable_id=i, agency_id=lead % n + 1))
        s.execute(insert(Deliverable), rows)
        s.execute(insert(deliverable_support), support)
    session_factory(url).kw["bind"].dispose()


def vmhwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def daily(deliverables: int, days: int) -> None:
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")  # before Prefect loads
    tmp = Path(tempfile.mkdtemp(prefix="plantrack-daily-"))
    seed = tmp / "seed.db"
    t = time.perf_counter()
    build_plan(f"sqlite:///{seed}", deliverables)
    replies = seed_replies(f"sqlite:///{seed}", tmp / "pending")
    from plantrack.models.db import session_factory as sf

    sf(f"sqlite:///{seed}").kw["bind"].dispose()
    sf.cache_clear()
    print(f"plan: {deliverables} deliverables, {deliverables // 2} agencies; one check-in round, {replies} replies "
          f"arriving over the week ({time.perf_counter() - t:.1f} s to build)")
    from plantrack.config.settings import load_settings
    from plantrack.models.db import session_factory

    def environment(kind: str) -> dict[str, str]:
        return {"PLANTRACK_DATABASE_URL": f"sqlite:///{tmp / kind}.db", "PLANTRACK_FEEDS_DIR": str(tmp / kind / "feeds"),
                "PLANTRACK_SMTP_RATE_PER_MINUTE": "0", "PLANTRACK_OUTBOX_DIR": str(tmp / kind / "mail"),
                "PLANTRACK_MAILDIR": str(tmp / kind / "maildir"), "PLANTRACK_DATA_DIR": str(tmp / kind)}

    for kind in ("direct", "flows"):
        shutil.copyfile(seed, tmp / f"{kind}.db")
        for sub in ("new", "cur", "tmp"):
            (tmp / kind / "maildir" / sub).mkdir(parents=True, exist_ok=True)

    import plantrack.flows  # noqa: F401
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.utilities.importtools import import_object

    from plantrack.deployments.local_api import LocalPrefectServer, drain_workers

    server = LocalPrefectServer()
    server.wait_healthy()
    direct: dict[str, list[float]] = {s.name: [] for s in STEPS}
    flows: dict[str, list[float]] = {s.name: [] for s in STEPS}
    try:
        # Interleaved, day by day, so that both paths run as warm and under the same load.
        with temporary_settings({PREFECT_API_URL: server.api_url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            for d in range(days + 1):  # day 0 warms both paths up (first full publish, imports): not timed
                day = DAY0 + timedelta(days=d + 1)
                for kind in (("direct", "flows") if d % 2 == 0 else ("flows", "direct")):
                    os.environ.update(environment(kind))  # flows read their settings from the environment
                    settings = load_settings()
                    deliver(tmp / "pending", tmp / kind / "maildir", day)
                    for step in STEPS:
                        t = time.perf_counter()
                        if kind == "direct":
                            step.direct(settings, day)
                        else:
                            import_object(step.flow)(today=day)
                        if d:
                            (direct if kind == "direct" else flows)[step.name].append(time.perf_counter() - t)
            drain_workers()
    finally:
        server.stop()
    print(f"{'step':<22}{'direct s/day':>14}{'flow s/day':>12}{'ratio':>8}")
    total_d = total_f = 0.0
    for step in STEPS:
        dd, ff = direct[step.name], flows[step.name]
        a, b = sum(dd) / len(dd), sum(ff) / len(ff)
        print(f"{step.name:<22}{a:>14.2f}{b:>12.2f}{b / a:>8.2f}x")
        total_d += sum(direct[step.name])
        total_f += sum(flows[step.name])
    print(f"daily cycle, {days} days after a warm-up day: direct {total_d:.2f} s, flows {total_f:.2f} s: "
          f"{total_f / total_d:.2f}x (goal <= 1.3x)")
    print(f"load average: {os.getloadavg()}")
    shutil.rmtree(tmp, ignore_errors=True)


DEMO_CHILD = """
import json, sys, time
from datetime import date
from pathlib import Path
t = time.perf_counter()
from plantrack.deployments.demo.year import DemoOptions, run_demo
r = run_demo(DemoOptions(Path(sys.argv[1]), int(sys.argv[2])))
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps({"wall": time.perf_counter() - t, "api_ready": r.api_ready, "year": r.year_seconds,
                  "site": r.site_seconds, "weeks": len(r.weeks), "vmhwm_mb": int(hwm) / 1024}))
"""


def demo(seed: int) -> None:
    import resource

    out = Path(tempfile.mkdtemp(prefix="plantrack-demo-bench-")) / "out"
    before = os.getloadavg()
    t = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANTRACK_")}
    proc = subprocess.run([sys.executable, "-c", DEMO_CHILD, str(out), str(seed)], env=env, capture_output=True,
                          text=True)
    wall = time.perf_counter() - t
    if proc.returncode:
        print(proc.stderr[-3000:])
        raise SystemExit(1)
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"demo, seed {seed}: {r['weeks']} weeks in {wall:.1f} s wall (goal <= 90 s), of which Prefect API ready "
          f"after {r['api_ready']:.1f} s, the year {r['year']:.1f} s, the site {r['site']:.1f} s")
    print(f"peak memory: demo process {r['vmhwm_mb']:.0f} MB; largest process incl. the Prefect server {children:.0f} MB")
    print(f"load average: before {before}, after {os.getloadavg()}")
    shutil.rmtree(out.parent, ignore_errors=True)


NATIONAL_CHILD = """
import json, os, sys, time
from datetime import date
import plantrack.flows
from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.utilities.importtools import import_object
t = time.perf_counter()
with temporary_settings({PREFECT_API_URL: sys.argv[2], PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
    import_object(sys.argv[1])(today=date.fromisoformat(sys.argv[3]))
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps({"seconds": time.perf_counter() - t, "vmhwm_mb": int(hwm) / 1024}))
"""

NATIONAL_FLOWS = [("send-checkins", "plantrack.flows.send_checkins:send_checkins"),
                  ("ingest-replies", "plantrack.flows.ingest_replies:ingest_replies_flow"),
                  ("publish-calendars", "plantrack.flows.publish_calendars:publish_calendars_flow"),
                  ("escalate-overdue", "plantrack.flows.escalate_overdue:escalate_overdue_flow"),
                  ("send-weekly-digest", "plantrack.flows.send_weekly_digest:send_weekly_digest")]


def national(deliverables: int, only: str | None = None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="plantrack-national-"))
    url = f"sqlite:///{tmp / 'national.db'}"
    t = time.perf_counter()
    build_plan(url, deliverables, 5000)
    print(f"plan: {deliverables} deliverables, 5000 agencies ({time.perf_counter() - t:.1f} s to build)")
    import plantrack.flows  # noqa: F401
    from plantrack.deployments.local_api import LocalPrefectServer

    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PLANTRACK_")},
           "PLANTRACK_DATABASE_URL": url, "PLANTRACK_FEEDS_DIR": str(tmp / "feeds"),
           "PLANTRACK_OUTBOX_DIR": str(tmp / "mail"), "PLANTRACK_MAILDIR": str(tmp / "maildir"),
           "PLANTRACK_SMTP_RATE_PER_MINUTE": "0", "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "ERROR"}
    for sub in ("new", "cur", "tmp"):
        (tmp / "maildir" / sub).mkdir(parents=True, exist_ok=True)
    server = LocalPrefectServer()
    server.wait_healthy()
    try:
        for name, path in NATIONAL_FLOWS:
            if only and name not in only.split(","):
                continue
            if name == "ingest-replies":  # every focal point answers this round's check-in
                from plantrack.deployments.demo import focal_points as people

                fo = people.FocalPointsOptions(url, tmp / "maildir", tmp / "pending", tmp / "ledger.jsonl", 1)
                n = people.answer_checkins(fo, DAY0).replies
                people.deliver_replies(fo, clock_at(DAY0 + timedelta(days=7), 0))
                print(f"{n} replies in the Maildir")
            proc = subprocess.run([sys.executable, "-c", NATIONAL_CHILD, path, server.api_url, DAY0.isoformat()],
                                  env=env, capture_output=True, text=True)
            if proc.returncode:
                print(f"{name}: failed\n{proc.stderr[-2000:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            flag = "ok" if r["vmhwm_mb"] <= 400 else "OVER the 400 MB goal"
            print(f"{name:<20} {r['seconds']:7.1f} s  peak {r['vmhwm_mb']:6.0f} MB  ({flag})")
    finally:
        server.stop()
    print(f"load average: {os.getloadavg()}")
    shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deliverables", type=int, default=None)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--demo", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--national", action="store_true")
    ap.add_argument("--only", default=None, help="with --national: only these flows (comma-separated names)")
    a = ap.parse_args()
    if a.demo:
        demo(a.seed)
    elif a.national:
        national(a.deliverables or 100_000, a.only)
    else:
        daily(a.deliverables or 10_000, a.days)


if __name__ == "__main__":
    main()
