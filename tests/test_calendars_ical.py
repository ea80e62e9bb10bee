"""iCalendar text of single events and calendars: folding, escaping, parsing by two parsers (no DB)."""
from datetime import date, datetime, timedelta, timezone

import icalendar
import pytest
import vobject

from hypothesis import given, settings, strategies as st

from plantrack.notifications.calendar.ical import (CALENDAR_END, CalendarMeta, EventSpec, Stamp, calendar_head, event_body,
                                                   event_head, event_role, event_uid, feed_filename, fold_bytes)


def render_calendar(meta: CalendarMeta, events: list[bytes]) -> bytes:
    """A whole feed as the writer composes it (tests/helpers only)."""
    return calendar_head(meta) + b"".join(events) + CALENDAR_END


def render_event(spec: EventSpec, stamp: Stamp, role: str | None = None, lang: str = "vi") -> bytes:
    line, alarms = event_role(spec, role, lang)
    return event_head(spec, stamp) + line + event_body(spec) + alarms


def fold(line: str) -> str:
    return fold_bytes(line.encode()).decode()

LONG_VI = ("Tổ chức Diễn đàn trẻ em cấp tỉnh; đối thoại giữa trẻ em với lãnh đạo tỉnh, các sở, ngành, "
           "tổ chức chính trị xã hội tỉnh, UBND cấp huyện\\ hoạt động trải nghiệm cho trẻ em.\n") * 12


def spec(**kw) -> EventSpec:
    base = dict(uid=event_uid("60/KH-UBND", "III.4"), code="III.4", title="Tổ chức Diễn đàn trẻ em",
                marker="⚠", description=LONG_VI, categories=("Diễn đàn trẻ em", "a,b"),
                start=date(2024, 7, 1), end=date(2024, 9, 1), cancelled=False, url=None,
                alarms=("-P2DT16H", "-P7DT16H"))
    base.update(kw)
    return EventSpec(**base)


STAMP = Stamp(3, datetime(2024, 3, 1, 1, 2, 3, tzinfo=timezone.utc))


@pytest.mark.parametrize("n", range(60, 200, 7))
def test_fold_on_octets_never_splits_a_character(n):
    line = "DESCRIPTION:" + ("ệ\\n" * n)
    folded = fold(line).encode()
    for physical in folded.split(b"\r\n"):
        assert len(physical) <= 75
        physical.decode("utf-8")  # raises if a character was split
        assert not physical.endswith(b"\\") or physical.endswith(b"\\\\")
    assert folded.replace(b"\r\n ", b"").decode() == line


def test_event_parses_with_icalendar_and_vobject():
    body = render_calendar(CalendarMeta("Kế hoạch 60/KH-UBND", "Lào Cai"), [render_event(spec(), STAMP, "support")])
    for line in body.split(b"\r\n"):
        assert len(line) <= 75
    cal = icalendar.Calendar.from_ical(body)
    ev = cal.walk("VEVENT")[0]
    assert str(ev["SUMMARY"]) == "⚠ III.4 Tổ chức Diễn đàn trẻ em"
    assert ev["CATEGORIES"].cats == ["Diễn đàn trẻ em", "a,b", "Phối hợp"]
    assert str(ev["DESCRIPTION"]) == LONG_VI
    assert ev.decoded("DTSTART") == date(2024, 7, 1) and ev.decoded("DTEND") == date(2024, 9, 1)
    assert int(ev["SEQUENCE"]) == 3 and ev.decoded("DTSTAMP") == STAMP.last_modified
    assert [a.decoded("TRIGGER") for a in ev.walk("VALARM")] == [-timedelta(days=2, hours=16), -timedelta(days=7, hours=16)]
    assert cal["X-WR-TIMEZONE"] == "Asia/Ho_Chi_Minh" and str(cal["X-WR-CALNAME"]) == "Kế hoạch 60/KH-UBND"
    v = vobject.readOne(body.decode())
    assert v.vevent.summary.value.startswith("⚠ III.4")
    assert v.vevent.description.value == LONG_VI
    assert v.vevent.uid.value == "60_kh-ubnd.iii-4@plantrack"


def test_cancelled_and_url():
    body = render_calendar(CalendarMeta("x", "y"), [render_event(
        spec(cancelled=True, alarms=(), url="https://e.vn/d/60%2FKH-UBND/III.4"), STAMP)])
    ev = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert ev["STATUS"] == "CANCELLED" and not ev.walk("VALARM")
    assert str(ev["URL"]) == "https://e.vn/d/60%2FKH-UBND/III.4"


def test_uids_and_file_names_are_stable_and_distinct():
    assert event_uid("60/KH-UBND", "III.1.2") != event_uid("60/KH-UBND", "III.1/2")
    assert event_uid("60/KH-UBND", "III.4", "dien_dan_cap_tinh") == "60_kh-ubnd.iii-4.dien_dan_cap_tinh@plantrack"
    assert feed_filename("agency:UBND-SAPA") == "agency-ubnd-sapa.ics"
    for bad in ("agency:", "agency:...", "x:y", "../plan"):
        with pytest.raises(ValueError):
            feed_filename(bad)
    assert "/" not in feed_filename("category:../../etc/passwd")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_folding_writer_reads_back_exactly_with_icalendar(text):
    """The hand-written fold + escape path against the library: icalendar unfolds and unescapes to the text."""
    from plantrack.notifications.calendar.ical import escape_text

    line = fold_bytes(("DESCRIPTION:" + escape_text(text)).encode())
    assert all(len(physical) <= 75 for physical in line.split(b"\r\n"))
    cal = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20240101T000000Z\r\n"
           + line + b"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    ev = icalendar.Calendar.from_ical(cal).walk("VEVENT")[0]
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert str(ev["DESCRIPTION"]) == expected
