"""The demo's year: embedded defaults in one folder, a local Prefect API, the five flows run week by week."""
from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path

MARKER = ".plantrack-demo"  # a folder holding it was written by the demo and may be replaced
FIRST_MONDAY = date(2024, 2, 5)  # the first full week after the plan was signed (30/01/2024)
LAST_DAY = date(2024, 12, 31)


class DemoFolderError(RuntimeError):
    """The output folder exists, is not empty and was not written by the demo."""


@dataclass(frozen=True)
class DemoOptions:
    out: Path
    seed: int = 1
    start: date = FIRST_MONDAY
    weeks: int | None = None  # None: every week to the end of the plan year
    lang: str = "vi"

    def mondays(self) -> list[date]:
        days, day = [], self.start - timedelta(days=self.start.weekday())
        while day <= LAST_DAY and (self.weeks is None or len(days) < self.weeks):
            days.append(day)
            day += timedelta(days=7)
        return days

    @property
    def state(self) -> Path:
        return self.out / ".state"

    def environment(self) -> dict[str, str]:
        """The PLANTRACK_* settings of the demo: everything embedded, inside out/."""
        return {
            "PLANTRACK_DATA_DIR": str(self.state),
            "PLANTRACK_DATABASE_URL": f"sqlite:///{self.state / 'plantrack.db'}",
            "PLANTRACK_FEEDS_DIR": str(self.out / "feeds"),
            "PLANTRACK_OUTBOX_DIR": str(self.out / "mail"),
            "PLANTRACK_MAILDIR": str(self.state / "maildir"),
            "PLANTRACK_SMTP_RATE_PER_MINUTE": "0",  # .eml files: nothing to pace
            "PLANTRACK_LANG": self.lang,
        }


# Settings the demo must not inherit: it runs on embedded defaults only, whatever this shell points at.
NOT_INHERITED = ("PLANTRACK_SMTP_HOST", "PLANTRACK_IMAP_HOST", "PLANTRACK_SECRET_KEY", "PLANTRACK_MAIL_FROM",
                 "PLANTRACK_SMTP_USER", "PLANTRACK_SMTP_PASSWORD", "PLANTRACK_IMAP_USER", "PLANTRACK_IMAP_PASSWORD",
                 "PLANTRACK_FEED_BASE_URL", "PLANTRACK_CHECKIN_PERIOD", "PREFECT_API_URL")


def prepare_folder(out: Path) -> None:
    """Make out empty (a previous demo's output is replaced; anything else is refused)."""
    if out.exists():
        if not out.is_dir():
            raise DemoFolderError(f"{out} is a file, not a folder")
        if any(out.iterdir()):
            if not (out / MARKER).exists():
                raise DemoFolderError(f"{out} is not empty and holds no earlier demo: choose another --out")
            shutil.rmtree(out)
    (out / ".state").mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by `plantrack demo`; replaced by the next run\n", encoding="utf-8")
    for sub in ("new", "cur", "tmp"):
        (out / ".state" / "maildir" / sub).mkdir(parents=True, exist_ok=True)


@dataclass
class DemoResult:
    """Totals of the year, and how long it took."""

    weeks: list = field(default_factory=list)  # WeekResult per simulated week
    started: float = field(default_factory=time.monotonic)
    api_ready: float = 0.0  # seconds until the local Prefect API answered
    year_seconds: float = 0.0
    site_seconds: float = 0.0

    def total(self, name: str) -> int:
        return sum(getattr(w, name) for w in self.weeks)

    def answered(self, name: str) -> int:
        return sum(getattr(w.answered, name) for w in self.weeks)


def run_demo(opts: DemoOptions, on_week: Callable[[int, int, object], None] | None = None,
             on_phase: Callable[[str], None] | None = None, verbose: bool = False) -> DemoResult:
    """Prepare out/, start a local Prefect API, load the plan, run the flows of every week (week.py), write the site."""
    opts.out.mkdir(parents=True, exist_ok=True)
    prepare_folder(opts.out)
    for name in NOT_INHERITED:
        os.environ.pop(name, None)
    os.environ.update(opts.environment())
    if not verbose:  # before Prefect sets up its logging: run logs go to the API only
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "ERROR")
    phase = on_phase or (lambda text: None)
    result = DemoResult()

    from plantrack.deployments.demo.pages import PageWriter
    from plantrack.deployments.local_api import LocalPrefectServer

    phase("starting a local Prefect API")
    server = LocalPrefectServer(opts.state / "prefect", lean=True)  # boots while the plan loads
    pages = PageWriter(opts.out, opts.state / "maildir")  # writes the messages' pages while the year runs
    try:
        phase("loading the plan 60/KH-UBND")
        _load_plan(os.environ["PLANTRACK_DATABASE_URL"])
        import plantrack.flows  # noqa: F401  (Prefect defaults before Prefect loads)
        import fastapi.encoders  # noqa: F401  (Prefect imports it in the first flow run: ~0.5 s; now, as the API boots)
        import plantrack.deployments.demo.site  # noqa: F401  (~0.6 s: now, while the API boots, not after the year)
        from prefect.context import SyncClientContext
        from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        from plantrack.config import clock
        from plantrack.deployments.local_api import drain_workers, events_kept_nowhere
        from plantrack.deployments.demo.week import run_week

        phase("waiting for the Prefect API")
        server.wait_healthy()
        result.api_ready = time.monotonic() - result.started
        mondays = opts.mondays()
        t0 = time.monotonic()
        try:
            # Heartbeats off: each one costs a flow run ~1 s here, and these runs are seconds long.
            # One API client for the year: each flow run would otherwise build its own (~60 ms here, most of
            # it loading the system's CA certificates into a new SSL context).
            # No events: the lean API keeps none, and nothing in the demo listens to them.
            with temporary_settings({PREFECT_API_URL: server.api_url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), \
                    SyncClientContext.get_or_create(), events_kept_nowhere():
                for i, monday in enumerate(mondays):
                    week = run_week(monday, opts.seed)
                    pages.add_new()
                    result.weeks.append(week)
                    if on_week:
                        on_week(i + 1, len(mondays), week)
                drain_workers()
        finally:
            clock.move_to(None)
        result.year_seconds = time.monotonic() - t0
    except BaseException:
        pages.proc.kill()
        raise
    finally:
        server.stop()
    phase("writing the site")
    t0 = time.monotonic()
    from plantrack.deployments.demo.site import write_site

    last = min(LAST_DAY, opts.mondays()[-1] + timedelta(days=6)) if opts.mondays() else opts.start
    clock.move_to(datetime.combine(last, dtime(23, 0), timezone(timedelta(hours=7))))  # stamps: the same each run
    try:
        write_site(opts, result, last, *pages.finish())
    finally:
        clock.move_to(None)
    result.site_seconds = time.monotonic() - t0
    return result


def _load_plan(url: str) -> None:
    from plantrack.config import SEED_PLAN
    from plantrack.models.db import session_factory
    from plantrack.models.migrate import upgrade
    from plantrack.models.plan.file import read_plan
    from plantrack.models.plan.store import store_plan

    upgrade(url)
    with session_factory(url)() as s, s.begin():
        store_plan(s, read_plan(SEED_PLAN))
