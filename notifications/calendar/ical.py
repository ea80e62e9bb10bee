"""iCalendar (RFC 5545) text of plan feeds from plain event specs: pure, no database, no Prefect.

Rendering is hand-written over str because feeds carry 100,000+ events: icalendar's object
model and its per-character folding cost ~0.5 ms per long line. The output is checked with
icalendar and vobject in tests/test_calendars_ical.py.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, timedelta, timezone

PRODID = "-//plantrack//Lich ke hoach//VI"
ROLE_LABELS = {"lead": "Lead", "support": "Support"}  # message ids (config/locale)
_UNSAFE = re.compile(r"[^a-z0-9_-]+")


@dataclass(slots=True)  # not frozen: a frozen __init__ costs a setattr call per field on 100,000 events
class EventSpec:
    """What one calendar event says, before SEQUENCE and timestamps are attached (treat as read-only)."""

    uid: str
    code: str
    title: str
    marker: str | None  # Vietnamese status marker for SUMMARY, e.g. "Quá hạn"
    description: str
    categories: tuple[str, ...]
    start: date
    end: date  # exclusive (RFC 5545 all-day DTEND)
    cancelled: bool
    url: str | None
    alarm_days: tuple[int, ...]
    # Feed membership, not part of the event text.
    plan: str = field(compare=False, default="")
    category: str = field(compare=False, default="")
    lead: str = field(compare=False, default="")
    supporting: tuple[str, ...] = field(compare=False, default=())

    def content_hash(self) -> str:
        """sha256 of everything the event text depends on (agency membership excluded)."""
        parts = (self.uid, self.code, self.title, self.marker or "", self.description,
                 "\x1f".join(self.categories), self.start.isoformat(), self.end.isoformat(),
                 "C" if self.cancelled else "", self.url or "", ",".join(map(str, self.alarm_days)),
                 self.lead, "\x1f".join(self.supporting))
        return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Stamp:
    """What was published for a UID: SEQUENCE and LAST-MODIFIED (also used as DTSTAMP)."""

    sequence: int
    last_modified: datetime


@dataclass(frozen=True)
class CalendarMeta:
    name: str  # X-WR-CALNAME
    description: str
    refresh_hours: int = 6
    timezone: str = "Asia/Ho_Chi_Minh"


def slug(text: str) -> str:
    """A lowercase ASCII token for UIDs and file names; '/' and '.' map to distinct characters."""
    return _UNSAFE.sub("-", text.lower().replace("/", "_").replace(".", "-")).strip("-")


def event_uid(plan: str, code: str, milestone: str | None = None) -> str:
    """Stable UID from plan number and deliverable code (never the agency, which may change)."""
    tail = f".{slug(milestone)}" if milestone else ""
    return f"{_plan_slug(plan)}.{slug(code)}{tail}@plantrack"


@lru_cache(maxsize=256)
def _plan_slug(plan: str) -> str:
    return slug(plan)


def feed_filename(scope: str) -> str:
    """File name of a feed scope: 'plan', 'agency:CODE' or 'category:KEY'."""
    if scope == "plan":
        return "plan.ics"
    kind, _, key = scope.partition(":")
    if kind not in ("agency", "category") or not key or not slug(key):
        raise ValueError(f"unknown feed scope {scope!r}: use plan, agency:CODE or category:KEY")
    return f"{kind}-{slug(key)}.ics"


def escape_text(value: str) -> str:
    """RFC 5545 TEXT escaping (backslash, semicolon, comma, newline)."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold_bytes(raw: bytes) -> bytes:
    """Fold a UTF-8 content line at 75 octets, never inside a character or a backslash escape (RFC 5545 3.1).

    The one folding function of the feeds; tests check it against icalendar's parser on random lines.
    """
    n = len(raw)
    if n <= 75:
        return raw
    out: list[bytes] = []
    pos, limit = 0, 75
    while n - pos > limit:
        cut = pos + limit
        while raw[cut] & 0xC0 == 0x80:
            cut -= 1
        if raw[cut - 1] == 0x5C:  # only then can the cut split an escape: count the backslash run
            back = cut
            while back > pos + 1 and raw[back - 1] == 0x5C:
                back -= 1
            if back > pos + 1 and (cut - back) % 2 == 1:
                cut = back + ((cut - back) // 2) * 2
        out.append(raw[pos:cut])
        pos, limit = cut, 74
    out.append(raw[pos:])
    return b"\r\n ".join(out)


@lru_cache(maxsize=1024)
def _utc(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def day_formatter(fmt: str) -> Callable[[date], str]:
    """strftime(fmt) for dates, remembering its results: 100,000 events share few dates."""
    cache: dict[date, str] = {}

    def format_day(day: date) -> str:
        text = cache.get(day)
        if text is None:
            if len(cache) > 100_000:
                cache.clear()
            text = cache[day] = day.strftime(fmt)
        return text

    return format_day


_ymd = day_formatter("%Y%m%d")


def event_head(spec: EventSpec, stamp: Stamp) -> bytes:
    """The VEVENT lines before SUMMARY (they carry the stamp)."""
    ts = _utc(stamp.last_modified)
    uid = "UID:" + spec.uid
    return (f"BEGIN:VEVENT\r\n{fold_bytes(uid.encode()).decode()}\r\nDTSTAMP:{ts}\r\nLAST-MODIFIED:{ts}\r\n"
            f"SEQUENCE:{stamp.sequence}\r\nDTSTART;VALUE=DATE:{_ymd(spec.start)}\r\n"
            f"DTEND;VALUE=DATE:{_ymd(spec.end)}\r\n").encode()


_TAIL_STATUS = {True: b"STATUS:CANCELLED\r\nTRANSP:TRANSPARENT\r\nCLASS:PUBLIC\r\n",
                False: b"STATUS:CONFIRMED\r\nTRANSP:TRANSPARENT\r\nCLASS:PUBLIC\r\n"}


@lru_cache(maxsize=1024)
def _categories_line(categories: tuple[str, ...]) -> bytes:
    return fold_bytes(("CATEGORIES:" + ",".join(escape_text(c) for c in categories)).encode()) + b"\r\n"


def event_body(spec: EventSpec) -> bytes:
    """The role- and stamp-independent VEVENT lines after SUMMARY, up to the alarms."""
    body = (fold_bytes(("DESCRIPTION:" + escape_text(spec.description)).encode()) + b"\r\n"
            + _categories_line(spec.categories))
    if spec.url:
        body += fold_bytes(f"URL:{spec.url}".encode()) + b"\r\n"
    return body + _TAIL_STATUS[spec.cancelled]


@lru_cache(maxsize=1024)
def _alarm_tail(days: int) -> bytes:
    return f"\r\nTRIGGER:{f'-P{days}D' if days else 'PT0S'}\r\nEND:VALARM\r\n".encode()


@lru_cache(maxsize=256)
def _prefix(marker: str | None, role: str | None, lang: str) -> bytes:
    """The escaped '[marker] [role] ' start of a SUMMARY text."""
    head = f"[{marker}] " if marker else ""
    if role:
        from plantrack.config.i18n import gettext_for

        head += f"[{gettext_for(lang)(ROLE_LABELS[role])}] "
    return escape_text(head).encode()


_ALARM_HEAD = b"BEGIN:VALARM\r\nACTION:DISPLAY\r\n"


def summary_tail(spec: EventSpec) -> bytes:
    """The escaped 'code title' end of every SUMMARY of the event (shared by its roles)."""
    return escape_text(f"{spec.code} {spec.title}").encode()


def event_role(spec: EventSpec, role: str | None = None, lang: str = "vi",
               tail: bytes | None = None) -> tuple[bytes, bytes]:
    """The role-dependent VEVENT text: the SUMMARY line, and the alarms with END:VEVENT."""
    text = _prefix(spec.marker, role, lang) + (tail if tail is not None else summary_tail(spec))
    line = fold_bytes(b"SUMMARY:" + text) + b"\r\n"
    if not spec.alarm_days:
        return line, b"END:VEVENT\r\n"
    alarm = _ALARM_HEAD + fold_bytes(b"DESCRIPTION:" + text)
    return line, b"".join([alarm + _alarm_tail(d) for d in spec.alarm_days]) + b"END:VEVENT\r\n"


def calendar_head(meta: CalendarMeta) -> bytes:
    """The VCALENDAR lines before the first event."""
    ttl = f"PT{meta.refresh_hours}H"
    head = [
        "BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(meta.name)}", f"NAME:{escape_text(meta.name)}",
        f"X-WR-CALDESC:{escape_text(meta.description)}", f"DESCRIPTION:{escape_text(meta.description)}",
        f"X-WR-TIMEZONE:{meta.timezone}", f"REFRESH-INTERVAL;VALUE=DURATION:{ttl}", f"X-PUBLISHED-TTL:{ttl}",
    ]
    return b"".join(fold_bytes(line.encode()) + b"\r\n" for line in head)


CALENDAR_END = b"END:VCALENDAR\r\n"


def exclusive_end(last_day: date) -> date:
    """DTEND of an all-day event whose last day is last_day."""
    return last_day + timedelta(days=1)
