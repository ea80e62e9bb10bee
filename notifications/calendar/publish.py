"""Publishing the calendar feeds as plain functions (no Prefect): options, the steps and the whole job.

Each step works on one batch (all events, all feeds). The flow publish-calendars runs the whole job as
one Prefect task (tasks/calendars.py).
"""
from __future__ import annotations

import gc
import hashlib
import os
from contextlib import contextmanager
from functools import lru_cache
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import select

from plantrack.config import clock
from plantrack.config.i18n import gettext_for
from plantrack.models.board import DeliverableRow, board
from plantrack.models.calendar_store import (RunState, calendar_fingerprint, last_run, published_events, published_feeds,
                                   save_events, save_feeds, save_run)
from plantrack.models.db import session_factory
from plantrack.models.entities import Agency, Plan
from plantrack.models.deadlines import DeadlinePolicy
from plantrack.models.status import DUE_SOON_WORKING_DAYS, earliest_status_change
from plantrack.notifications.calendar.events import EventOptions, Skipped, category_label, plan_events
from plantrack.notifications.calendar.ical import (CALENDAR_END, CalendarMeta, EventSpec, Stamp, calendar_head, event_body,
                                                   event_head, event_role, feed_filename, summary_tail,
                                                   timezone_component)

RENDERER_FILES = ("events.py", "ical.py", "publish.py")


@lru_cache(maxsize=1)
def render_version() -> str:
    """A digest of the renderer's code and words: feeds written by another renderer are never kept as
    'unchanged' by the fast path (no version to bump by hand)."""
    from plantrack.config.i18n import catalog_files

    from importlib.metadata import version

    from plantrack.models import workdays

    here = Path(__file__).resolve().parent
    # days off move effective deadlines and alarms; the version without importing the library (~0.2 s)
    h = hashlib.sha256(version("holidays").encode())
    for path in [here / n for n in RENDERER_FILES] + [Path(workdays.__file__)] + catalog_files():
        h.update(path.read_bytes())
    return h.hexdigest()[:16]

@dataclass(frozen=True)
class PublishOptions:
    """Everything publishing needs besides the database contents, built once from Settings."""

    database_url: str = field(repr=False)  # may hold a password: never shown
    feeds_dir: Path
    events: EventOptions = EventOptions()
    due_soon_days: int = DUE_SOON_WORKING_DAYS
    refresh_hours: int = 6
    timezone: str = "Asia/Ho_Chi_Minh"

    @classmethod
    def from_settings(cls, settings) -> PublishOptions:
        events = EventOptions(alarm_days=settings.calendar_alarm_days, alarm_time=settings.calendar_alarm_time,
                              event_url=settings.feed_event_url, timezone=settings.timezone, lang=settings.lang,
                              deadlines=DeadlinePolicy.from_settings(settings))
        return cls(settings.database_url, Path(settings.feeds_dir), events, settings.due_soon_days,
                   settings.feed_refresh_hours, settings.timezone)

    def digest(self) -> str:
        """Everything besides the database that the feed bytes depend on (today is checked apart)."""
        e = self.events
        return repr((render_version(), e.alarm_days, str(e.alarm_time), e.event_url, e.timezone, str(e.lang), self.due_soon_days,
                     self.refresh_hours, self.timezone, str(self.feeds_dir.resolve()), e.deadlines.digest()))


@dataclass(frozen=True)
class PublishResult:
    """What a publish run did (light enough to cross into Prefect)."""

    written: tuple[str, ...]  # feed files written
    events: int
    new_events: int
    changed_events: tuple[str, ...]  # UIDs whose content changed
    skipped: tuple[str, ...]  # "plan code" of dates left out
    unchanged: bool  # the fast path: nothing rebuilt
    valid_until: date | None  # the first day a status changes
    valid_from: date | None = None  # for an unchanged run: since when nothing changed


@contextmanager
def _no_cyclic_gc():
    """Pause the cyclic garbage collector while building ~10^6 acyclic objects (rows, events, bytes).

    Each generation-2 pass walks every live object; at 100,000 deliverables the passes triggered by
    allocation alone cost seconds. Reference counting still frees everything; the collector resumes after.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@dataclass
class Collected:
    """Every event of the feeds with its published stamp, and what the feeds need to be named."""

    events: list[EventSpec]
    stamps: list[Stamp]  # parallel to events
    hashes: list[str]  # content hash of each event, parallel to events
    skipped: list[Skipped]
    agencies: list[tuple[str, str]]  # (code, name) of every agency, in code order
    plans: list[tuple[str, str]]  # (number, title)
    today: date
    valid_until: date | None  # the first day after today on which some status (hence some event) changes
    lang: str = "vi"
    new_events: int = 0
    changed_events: list[str] = field(default_factory=list)
    categories_published: list[str] = field(default_factory=list)  # category keys with a feed file already


@dataclass(frozen=True)
class Check:
    """The fast path's verdict: unchanged means the feeds on disk are what a full run would write."""

    fingerprint: str
    unchanged: bool
    run: RunState | None


def check_calendars(opts: PublishOptions, today: date) -> Check:
    """A few aggregate queries: is the last run still valid for today (same data, options, status window, files)?"""
    with session_factory(opts.database_url)() as s:
        fingerprint = calendar_fingerprint(s, opts.digest())
        run = last_run(s)
    ok = (run is not None and run.fingerprint == fingerprint and run.valid_from <= today
          and (run.valid_until is None or today < run.valid_until))
    if ok:
        try:
            present = set(os.listdir(opts.feeds_dir))
        except FileNotFoundError:
            present = set()
        ok = all(name in present for name in run.feeds)
    return Check(fingerprint, ok, run)


def collect_calendar_events(opts: PublishOptions, today: date, now: datetime | None = None) -> Collected:
    """Build every event as of today and stamp it: SEQUENCE+1 and LAST-MODIFIED=now only where content changed."""
    now = (now or clock.now()).replace(microsecond=0)
    due_soon_days = opts.due_soon_days
    Session = session_factory(opts.database_url)
    with _no_cyclic_gc(), Session() as s, s.begin():
        rows = board(s, today, due_soon_days=due_soon_days, indicators=False, deadlines=opts.events.deadlines)
        agencies = [tuple(r) for r in s.execute(select(Agency.code, Agency.name).order_by(Agency.code))]
        plan_rows = s.execute(select(Plan.number, Plan.title, Plan.period_start, Plan.period_end)
                              .order_by(Plan.number)).all()
        plans = [(number, title) for number, title, _, _ in plan_rows]
        periods = {number: (start, end) for number, _, start, end in plan_rows}
        events, skipped = plan_events(rows, dict(agencies), opts.events, periods)
        valid_until = earliest_status_change(
            ((r.state, r.start, r.due, None) for r in rows if isinstance(r, DeliverableRow)), today, due_soon_days,
            opts.events.deadlines.calendar)
        del rows  # the events hold what the feeds need; the rows would double the peak at national scale
        seen: set[str] = set()
        unique = []
        for ev in events:
            if ev.uid in seen:
                skipped.append(Skipped(ev.plan, ev.uid, "duplicate UID"))
                continue
            seen.add(ev.uid)
            unique.append(ev)
        known = published_events(s)
        stamps: list[Stamp] = []
        hashes: list[str] = []
        new, changed = [], []
        for ev in unique:
            h = ev.content_hash()
            hashes.append(h)
            old = known.get(ev.uid)
            if old is None:
                new.append({"uid": ev.uid, "content_hash": h, "sequence": 0, "last_modified": now})
                stamps.append(Stamp(0, now))
            elif old[0] != h:
                changed.append({"uid": ev.uid, "content_hash": h, "sequence": old[1] + 1, "last_modified": now})
                stamps.append(Stamp(old[1] + 1, now))
            else:
                stamps.append(Stamp(old[1], old[2]))
        save_events(s, new, changed)
        published = [n[len("category-"):-len(".ics")] for n in published_feeds(s)
                     if n.startswith("category-") and n.endswith(".ics")]
    return Collected(unique, stamps, hashes, skipped, agencies, plans, today, valid_until, opts.events.lang,
                     len(new), [c["uid"] for c in changed], published)


def _plan_label(plans: list[tuple[str, str]], lang: str) -> str:
    _ = gettext_for(lang)
    return _("Plan {n}").format(n=plans[0][0]) if len(plans) == 1 else _("Plans")


# Role codes of feed members: 0 whole-plan or category feed, 1 lead, 2 support.
ROLES = (None, "lead", "support")


def feed_members(c: Collected) -> dict[str, tuple[CalendarMeta, list[int], list[int] | None]]:
    """Feed scope -> (calendar properties, event indexes, role codes or None when all 0), in a stable order.

    Every agency gets a feed (empty when it has nothing), and so does every category that ever had one:
    a subscriber of a category that has emptied sees an empty calendar, not stale events or an error.
    """
    lang = c.lang
    label = _plan_label(c.plans, lang)
    desc = "; ".join(f"{n}: {t}" for n, t in c.plans)
    feeds: dict[str, tuple[CalendarMeta, list[int], list[int] | None]] = {
        "plan": (CalendarMeta(label, desc), list(range(len(c.events))), None)}
    agency: dict[str, tuple[list[int], list[int]]] = {}
    for code, name in c.agencies:
        idx: list[int] = []
        roles: list[int] = []
        agency[code] = (idx, roles)
        feeds[f"agency:{code}"] = (CalendarMeta(f"{label} - {name}", gettext_for(lang)("Work led and supported by {name}. {desc}").format(
            name=name, desc=desc)), idx, roles)
    categories: dict[str, list[int]] = {}
    for i, ev in enumerate(c.events):
        cat = categories.get(ev.category)
        if cat is None:
            cat = categories[ev.category] = []
        cat.append(i)
        lead = agency.get(ev.lead)
        if lead is not None:
            lead[0].append(i)
            lead[1].append(1)
        for code in ev.supporting:
            sup = agency.get(code)
            if sup is not None:
                sup[0].append(i)
                sup[1].append(2)
    for key in c.categories_published:
        categories.setdefault(key, [])
    for key, idx in categories.items():
        cat = category_label(key, lang)
        feeds[f"category:{key}"] = (CalendarMeta(f"{label} - {cat}", f"{cat}. {desc}"), idx, None)
    return feeds


def content_key(head: bytes, idx: list[int], roles: list[int] | None, versions: list[str]) -> str:
    """A digest of everything a feed file depends on, from its rendered head (calendar_head) and its events'
    versions: a new wording of the head rewrites feeds whose events did not change."""
    if roles is None:
        body = "".join([versions[i] + "\n" for i in idx])
    else:
        body = "".join([f"{versions[i]}{ROLES[r]}\n" for i, r in zip(idx, roles)])
    return hashlib.sha256(head + body.encode()).hexdigest()


def write_changed_feeds(opts: PublishOptions, c: Collected, fingerprint: str | None = None,
                        now: datetime | None = None) -> tuple[str, ...]:
    """Render and write the feeds whose key changed or whose file is missing, then record their keys and, given
    the fingerprint taken before collecting, the run's state; returns the names written."""
    now = now or clock.now()
    feeds_dir, refresh_hours, timezone_name = opts.feeds_dir, opts.refresh_hours, opts.timezone
    Session = session_factory(opts.database_url)
    feeds_dir.mkdir(parents=True, exist_ok=True)
    with Session() as s:
        known = published_feeds(s)
    try:
        present = set(os.listdir(feeds_dir))
    except FileNotFoundError:
        present = set()
    written: list[dict] = []
    names: list[str] = []
    with _no_cyclic_gc(), FeedFiles(feeds_dir) as files:
        _render_and_write(c, refresh_hours, timezone_name, known, present, files, written, names, now)
        files.commit()  # every changed feed replaced, or (on an error above) none, and no temporary file left
    with Session() as s, s.begin():  # after every file is on disk: a record never claims a missing feed
        save_feeds(s, written, set(published_feeds(s)))
        if fingerprint is not None:
            save_run(s, RunState(fingerprint, c.today, c.valid_until, names, len(c.events),
                                 [f"{k.plan} {k.code}" for k in c.skipped], now))
    return tuple(w["name"] for w in written)


class FeedFiles:
    """The feeds being written, each as a temporary file beside its final name, filled in pieces.

    Pieces wait in memory until BUDGET bytes are held across all feeds, then each waiting feed's pieces are
    appended to its file: memory stays bounded however many feeds an event belongs to (at 100,000
    deliverables the 5,000 agency feeds together hold twice the plan's ~150 MB). commit() renames every
    file into place; leaving the block without commit() removes them, so readers see the old feeds or the
    new ones, never a part.

    No fsync: os.replace is atomic for readers, and a process that dies mid-run leaves whole files (old or
    new) whose keys are recorded only after every file is in place, so the next run rewrites them. fsync per
    file cost about 2 s per 150 MB here; what survives a power cut is the file system's business (ext4
    flushes a file replaced by rename before the rename commits).
    """

    BUDGET = 32 << 20

    def __init__(self, feeds_dir: Path) -> None:
        self.dir = feeds_dir
        self.waiting: dict[str, list[bytes]] = {}
        self.started: list[str] = []
        self.held = 0

    def tmp(self, name: str) -> Path:
        return self.dir / f".{name}.{os.getpid()}.tmp"

    def start(self, name: str, head: bytes) -> None:
        self.started.append(name)
        self.tmp(name).write_bytes(b"")
        self.add(name, head)

    def add(self, name: str, *pieces: bytes) -> None:
        waiting = self.waiting.get(name)
        if waiting is None:
            waiting = self.waiting[name] = []
        waiting += pieces
        for piece in pieces:
            self.held += len(piece)
        if self.held > self.BUDGET:
            self.flush()

    def flush(self) -> None:
        for name, pieces in self.waiting.items():
            with open(self.tmp(name), "ab") as fh:
                fh.writelines(pieces)
        self.waiting.clear()
        self.held = 0

    def commit(self) -> None:
        self.flush()
        for name in self.started:
            os.replace(self.tmp(name), self.dir / name)
        self.started = []

    def __enter__(self) -> FeedFiles:
        return self

    def __exit__(self, *exc) -> None:
        for name in self.started:  # not committed: an error on the way
            self.tmp(name).unlink(missing_ok=True)


def _render_and_write(c: Collected, refresh_hours: int, timezone_name: str, known: dict[str, str],
                      present: set[str], files: FeedFiles, written: list[dict], names: list[str],
                      now: datetime) -> None:
    """write_changed's pass: each feed to write started, then every event rendered once (its text once per role)
    and added to each such feed it belongs to (feed_members' rule), in event order; then each feed ended."""
    versions = [f"{h}{st.sequence}" for h, st in zip(c.hashes, c.stamps)]
    for scope, (meta, idx, roles) in feed_members(c).items():
        meta = CalendarMeta(meta.name, meta.description, refresh_hours, timezone_name)
        name = feed_filename(scope)
        names.append(name)
        head = calendar_head(meta)
        key = content_key(head, idx, roles, versions)
        if known.get(name) == key and name in present:
            continue
        files.start(name, head)
        if not idx:  # nothing to show: still a valid calendar, which needs one component
            files.add(name, timezone_component(timezone_name))
        written.append({"name": name, "content_key": key, "events": len(idx), "written_at": now})
    del versions
    writing = {w["name"] for w in written}
    plan = feed_filename("plan") if feed_filename("plan") in writing else None
    agency = {code: n for code, _ in c.agencies if (n := feed_filename(f"agency:{code}")) in writing}
    category: dict[str, str | None] = {}
    lang = c.lang
    for ev, stamp in zip(c.events, c.stamps):
        cat = category.get(ev.category, "")
        if cat == "":
            n = feed_filename(f"category:{ev.category}")
            cat = category[ev.category] = n if n in writing else None
        feeds = [(n, 0) for n in (plan, cat) if n is not None]
        if ev.lead in agency:
            feeds.append((agency[ev.lead], 1))
        feeds += [(agency[code], 2) for code in ev.supporting if code in agency]
        if not feeds:
            continue
        head, body, tail = event_head(ev, stamp), event_body(ev), summary_tail(ev)
        parts: list = [None, None, None]
        for name, r in feeds:
            rp = parts[r]
            if rp is None:
                rp = parts[r] = event_role(ev, ROLES[r], lang, tail)
            files.add(name, head, rp[0], body, rp[1])
    for w in written:
        files.add(w["name"], CALENDAR_END)


def publish_calendars(opts: PublishOptions, today: date, *, force: bool = False) -> PublishResult:
    """The whole job: stop early when nothing changed (unless force), else rebuild and write what changed."""
    chk = check_calendars(opts, today)
    if chk.unchanged and not force:
        run = chk.run
        return PublishResult((), run.events, 0, (), tuple(run.skipped), True, run.valid_until, run.valid_from)
    c = collect_calendar_events(opts, today)
    written = write_changed_feeds(opts, c, chk.fingerprint)
    return PublishResult(tuple(written), len(c.events), c.new_events, tuple(c.changed_events),
                         tuple(f"{k.plan} {k.code}" for k in c.skipped), False, c.valid_until)
