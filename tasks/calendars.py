"""Prefect tasks of publish-calendars: each one batch (all events, all feeds), never one per item."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select

from models.board import board
from models.calendar_store import published_events, published_feeds, save_events, save_feeds
from models.db import session_factory
from models.entities import Agency, Plan
from notifications.calendar_events import EventOptions, Skipped, category_label, plan_events
from notifications.ical import (CalendarMeta, EventSpec, Stamp, event_parts, feed_filename, render_calendar,
                                render_event)


@dataclass
class Collected:
    """Every event of the feeds with its published stamp, and what the feeds need to be named."""

    events: list[EventSpec]
    stamps: dict[str, Stamp]
    skipped: list[Skipped]
    agencies: list[tuple[str, str]]  # (code, name) of every agency, in code order
    plans: list[tuple[str, str]]  # (number, title)
    new_events: int = 0
    changed_events: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Feed:
    name: str  # file name
    content_key: str
    events: int
    body: bytes


def collect(database_url: str, today: date, opts: EventOptions, due_soon_days: int = 7,
            now: datetime | None = None) -> Collected:
    """Build every event as of today and stamp it: SEQUENCE+1 and LAST-MODIFIED=now only where content changed."""
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    Session = session_factory(database_url)
    with Session() as s, s.begin():
        rows = board(s, today, due_soon_days=due_soon_days)
        agencies = [tuple(r) for r in s.execute(select(Agency.code, Agency.name).order_by(Agency.code))]
        plans = [tuple(r) for r in s.execute(select(Plan.number, Plan.title).order_by(Plan.number))]
        events, skipped = plan_events(rows, dict(agencies), opts)
        seen: set[str] = set()
        unique = []
        for ev in events:
            if ev.uid in seen:
                skipped.append(Skipped(ev.plan, ev.uid, "UID trùng / duplicate UID"))
                continue
            seen.add(ev.uid)
            unique.append(ev)
        known = published_events(s)
        stamps: dict[str, Stamp] = {}
        new, changed = [], []
        for ev in unique:
            h = ev.content_hash()
            old = known.get(ev.uid)
            if old is None:
                new.append({"uid": ev.uid, "content_hash": h, "sequence": 0, "last_modified": now})
                stamps[ev.uid] = Stamp(0, now)
            elif old[0] != h:
                changed.append({"uid": ev.uid, "content_hash": h, "sequence": old[1] + 1, "last_modified": now})
                stamps[ev.uid] = Stamp(old[1] + 1, now)
            else:
                stamps[ev.uid] = Stamp(old[1], old[2])
        save_events(s, new, changed)
    return Collected(unique, stamps, skipped, agencies, plans, len(new), [c["uid"] for c in changed])


def _plan_label(plans: list[tuple[str, str]]) -> str:
    return f"Kế hoạch {plans[0][0]}" if len(plans) == 1 else "Các kế hoạch"


def feed_members(c: Collected) -> dict[str, tuple[CalendarMeta, list[tuple[EventSpec, str | None]]]]:
    """Feed scope -> (calendar properties, [(event, role in that feed)]) for every feed, in a stable order."""
    label = _plan_label(c.plans)
    desc = "; ".join(f"{n}: {t}" for n, t in c.plans)
    names = dict(c.agencies)
    feeds: dict[str, tuple[CalendarMeta, list]] = {"plan": (CalendarMeta(label, desc), [])}
    for code, name in c.agencies:
        feeds[f"agency:{code}"] = (CalendarMeta(f"{label} - {name}", f"Nhiệm vụ chủ trì và phối hợp của {name}. {desc}"), [])
    for ev in c.events:
        feeds["plan"][1].append((ev, None))
        key = f"category:{ev.category}"
        if key not in feeds:
            cat = category_label(ev.category)
            feeds[key] = (CalendarMeta(f"{label} - {cat}", f"{cat}. {desc}"), [])
        feeds[key][1].append((ev, None))
        feeds[f"agency:{ev.lead}"][1].append((ev, "lead"))
        for code in ev.supporting:
            if code in names:
                feeds[f"agency:{code}"][1].append((ev, "support"))
    return feeds


def content_key(meta: CalendarMeta, members: list[tuple[EventSpec, str | None]], versions: dict[str, str]) -> str:
    """A digest of everything a feed file depends on, computed without rendering it."""
    head = f"{meta}\n".encode()
    body = "".join(f"{versions[ev.uid]}{role or ''}\n" for ev, role in members).encode()
    return hashlib.sha256(head + body).hexdigest()


def render_changed(c: Collected, refresh_hours: int, timezone_name: str, known: dict[str, str],
                   feeds_dir: Path) -> list[Feed]:
    """Render only the feeds whose content key differs from the one recorded (or whose file is gone)."""
    versions = {ev.uid: f"{ev.content_hash()}{c.stamps[ev.uid].sequence}" for ev in c.events}
    cache: dict[tuple[str, str | None], str] = {}
    parts: dict[str, tuple[str, str]] = {}
    out: list[Feed] = []
    for scope, (meta, members) in feed_members(c).items():
        meta = CalendarMeta(meta.name, meta.description, refresh_hours, timezone_name)
        name = feed_filename(scope)
        key = content_key(meta, members, versions)
        if known.get(name) == key and (feeds_dir / name).exists():
            continue
        blocks = []
        for ev, role in members:
            block = cache.get((ev.uid, role))
            if block is None:
                p = parts.get(ev.uid)
                if p is None:
                    p = parts[ev.uid] = event_parts(ev, c.stamps[ev.uid])
                block = cache[(ev.uid, role)] = render_event(ev, c.stamps[ev.uid], role, p)
            blocks.append(block)
        out.append(Feed(name, key, len(members), render_calendar(meta, blocks)))
    return out


def write_atomic(path: Path, body: bytes) -> None:
    """Write body to path so that readers see the old file or the new one, never a part."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(body)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write(database_url: str, feeds_dir: Path, feeds: list[Feed], now: datetime | None = None) -> list[str]:
    """Write the rendered feeds atomically, then record their content keys; returns the names written."""
    feeds_dir.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(timezone.utc)
    for f in feeds:
        write_atomic(feeds_dir / f.name, f.body)
    Session = session_factory(database_url)
    with Session() as s, s.begin():
        known = set(published_feeds(s))
        save_feeds(s, [{"name": f.name, "content_key": f.content_key, "events": f.events, "written_at": now}
                       for f in feeds], known)
    return [f.name for f in feeds]


def known_feeds(database_url: str) -> dict[str, str]:
    with session_factory(database_url)() as s:
        return published_feeds(s)


@task(name="collect-calendar-events", cache_policy=NO_CACHE)
def collect_events(database_url: str, today: date, opts: EventOptions, due_soon_days: int) -> Collected:
    """All events of all feeds in one set-based read; stamps of changed events stored."""
    return collect(database_url, today, opts, due_soon_days)


@task(name="render-changed-feeds", cache_policy=NO_CACHE)
def render_feeds(collected: Collected, database_url: str, feeds_dir: Path, refresh_hours: int,
                 timezone_name: str) -> list[Feed]:
    """Render the feeds whose content changed since they were last written."""
    return render_changed(collected, refresh_hours, timezone_name, known_feeds(database_url), feeds_dir)


@task(name="write-feeds", cache_policy=NO_CACHE)
def write_feeds(database_url: str, feeds_dir: Path, feeds: list[Feed]) -> list[str]:
    """Write changed feeds atomically and record what was written."""
    return write(database_url, feeds_dir, feeds)


def publish_once(database_url: str, feeds_dir: Path, today: date, opts: EventOptions | None = None,
                 refresh_hours: int = 6, timezone_name: str = "Asia/Ho_Chi_Minh",
                 due_soon_days: int = 7) -> tuple[Collected, list[str]]:
    """The flow's steps as plain calls (tests and the benchmark, without Prefect task runs)."""
    c = collect(database_url, today, opts or EventOptions(), due_soon_days)
    feeds = render_changed(c, refresh_hours, timezone_name, known_feeds(database_url), feeds_dir)
    return c, write(database_url, feeds_dir, feeds)
