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
SUMMARY_LIMIT = 40  # characters of an event title: a phone month cell shows about 30
_UNSAFE = re.compile(r"[^a-z0-9_-]+")


@dataclass(slots=True)  # not frozen: a frozen __init__ costs a setattr call per field on 100,000 events
class EventSpec:
    """What one calendar event says, before SEQUENCE and timestamps are attached (treat as read-only)."""

    uid: str
    code: str
    title: str  # the short title SUMMARY shows after the code
    marker: str | None  # status symbol for SUMMARY, e.g. "⚠"
    description: str
    categories: tuple[str, ...]
    start: date
    end: date  # exclusive (RFC 5545 all-day DTEND)
    cancelled: bool
    url: str | None
    alarms: tuple[str, ...]  # TRIGGER durations before DTSTART, e.g. "-P2DT16H"
    # Feed membership, not part of the event text.
    plan: str = field(compare=False, default="")
    category: str = field(compare=False, default="")
    lead: str = field(compare=False, default="")
    supporting: tuple[str, ...] = field(compare=False, default=())

    def content_hash(self) -> str:
        """sha256 of everything the event text depends on (agency membership excluded)."""
        parts = (self.uid, self.code, self.title, self.marker or "", self.description,
                 "\x1f".join(self.categories), self.start.isoformat(), self.end.isoformat(),
                 "C" if self.cancelled else "", self.url or "", ",".join(self.alarms),
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
    """The role- and stamp-independent VEVENT lines after SUMMARY and CATEGORIES, up to the alarms."""
    body = fold_bytes(("DESCRIPTION:" + escape_text(spec.description)).encode()) + b"\r\n"
    if spec.url:
        body += fold_bytes(f"URL:{spec.url}".encode()) + b"\r\n"
    return body + _TAIL_STATUS[spec.cancelled]


@lru_cache(maxsize=1024)
def _alarm_tail(trigger: str) -> bytes:
    return f"\r\nTRIGGER:{trigger}\r\nEND:VALARM\r\n".encode()


@lru_cache(maxsize=256)
def _role_label(role: str | None, lang: str) -> str | None:
    if not role:
        return None
    from plantrack.config.i18n import gettext_for

    return gettext_for(lang)(ROLE_LABELS[role])


def shorten(text: str, room: int) -> str:
    """text cut to at most room characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= room:
        return text
    if room <= 1:
        return ""
    cut = text[:room - 1]
    space = cut.rfind(" ")
    if space >= room // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–") + "…"


def summary_text(spec: EventSpec, role: str | None = None) -> str:
    """'⚠ VI.1/SYT Báo cáo 6 tháng công tác…': marker, code, short title, within SUMMARY_LIMIT characters.

    In the lead agency's own feed a per-agency code drops its '/AGENCY' ending (the feed says whose it is).
    """
    code = spec.code.partition("/")[0] if role == "lead" else spec.code
    head = f"{spec.marker} {code}" if spec.marker else code
    title = shorten(" ".join(spec.title.split()), SUMMARY_LIMIT - len(head) - 1)
    return f"{head} {title}" if title else head


_ALARM_HEAD = b"BEGIN:VALARM\r\nACTION:DISPLAY\r\n"


def summary_tail(spec: EventSpec) -> bytes:
    """The escaped SUMMARY text of the event in feeds without roles and in supporters' feeds (shared)."""
    return escape_text(summary_text(spec)).encode()


def event_role(spec: EventSpec, role: str | None = None, lang: str = "vi",
               tail: bytes | None = None) -> tuple[bytes, bytes]:
    """The role-dependent VEVENT text: SUMMARY and CATEGORIES (the role is a category, not part of the
    title), then the alarms with END:VEVENT."""
    if role == "lead" or tail is None:
        text = escape_text(summary_text(spec, role)).encode()
    else:
        text = tail
    label = _role_label(role, lang)
    lines = fold_bytes(b"SUMMARY:" + text) + b"\r\n" + _categories_line(
        spec.categories + (label,) if label else spec.categories)
    if not spec.alarms:
        return lines, b"END:VEVENT\r\n"
    alarm = _ALARM_HEAD + fold_bytes(b"DESCRIPTION:" + text)
    return lines, b"".join([alarm + _alarm_tail(t) for t in spec.alarms]) + b"END:VEVENT\r\n"


_NEEDS_ESCAPE = re.compile(r"\s*[\\;,\r\n]+\s*")


def calendar_text(text: str) -> str:
    """A calendar's name or description with nothing RFC 5545 must escape ('a, b' reads 'a · b'): ical.js,
    icalendar and ics-py show '\\,' literally in X-WR-CALNAME and X-WR-CALDESC, which vobject and libical unescape."""
    return " ".join(_NEEDS_ESCAPE.sub(" · ", text).split())


def calendar_head(meta: CalendarMeta) -> bytes:
    """The VCALENDAR lines before the first event. No METHOD: a subscription feed is not an iTIP message
    (METHOD without ORGANIZER fails libical's RFC 5546 check; CalDAV forbids METHOD in stored objects)."""
    ttl = f"PT{meta.refresh_hours}H"
    # NAME and DESCRIPTION (RFC 7986) say what the X-WR- properties say, so every client shows one wording.
    name, description = calendar_text(meta.name), calendar_text(meta.description)
    head = [
        "BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{name}", f"NAME:{name}",
        f"X-WR-CALDESC:{description}", f"DESCRIPTION:{description}",
        f"X-WR-TIMEZONE:{meta.timezone}", f"REFRESH-INTERVAL;VALUE=DURATION:{ttl}", f"X-PUBLISHED-TTL:{ttl}",
    ]
    return b"".join(fold_bytes(line.encode()) + b"\r\n" for line in head)


@lru_cache(maxsize=8)
def timezone_component(tzid: str) -> bytes:
    """The VTIMEZONE of tzid: what a feed without events holds (RFC 5545 wants at least one component)."""
    from icalendar import Timezone

    lines = Timezone.from_tzid(tzid).to_ical().split(b"\r\n")
    return b"".join(fold_bytes(line) + b"\r\n" for line in lines if line and not line.startswith(b"COMMENT:"))


CALENDAR_END = b"END:VCALENDAR\r\n"


def exclusive_end(last_day: date) -> date:
    """DTEND of an all-day event whose last day is last_day."""
    return last_day + timedelta(days=1)
