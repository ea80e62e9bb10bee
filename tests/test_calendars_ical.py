"""iCalendar text of single events and calendars: folding, escaping, parsing by two parsers (no DB)."""
from datetime import date, datetime, timezone

import icalendar
import pytest
import vobject

from plantrack.notifications.calendar.ical import (CalendarMeta, EventSpec, Stamp, event_uid, feed_filename, fold, render_calendar,
                                render_event)

LONG_VI = ("Tổ chức Diễn đàn trẻ em cấp tỉnh; đối thoại giữa trẻ em với lãnh đạo tỉnh, các sở, ngành, "
           "tổ chức chính trị xã hội tỉnh, UBND cấp huyện\\ hoạt động trải nghiệm cho trẻ em.\n") * 12


def spec(**kw) -> EventSpec:
    base = dict(uid=event_uid("60/KH-UBND", "III.4"), code="III.4", title="Tổ chức Diễn đàn trẻ em",
                marker="Quá hạn", description=LONG_VI, categories=("Diễn đàn trẻ em", "a,b"),
                start=date(2024, 7, 1), end=date(2024, 9, 1), cancelled=False, url=None, alarm_days=(7, 1))
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
    assert str(ev["SUMMARY"]) == "[Quá hạn] [Phối hợp] III.4 Tổ chức Diễn đàn trẻ em"
    assert str(ev["DESCRIPTION"]) == LONG_VI
    assert ev.decoded("DTSTART") == date(2024, 7, 1) and ev.decoded("DTEND") == date(2024, 9, 1)
    assert int(ev["SEQUENCE"]) == 3 and ev.decoded("DTSTAMP") == STAMP.last_modified
    assert len(ev.walk("VALARM")) == 2
    assert cal["X-WR-TIMEZONE"] == "Asia/Ho_Chi_Minh" and str(cal["X-WR-CALNAME"]) == "Kế hoạch 60/KH-UBND"
    v = vobject.readOne(body.decode())
    assert v.vevent.summary.value.startswith("[Quá hạn]")
    assert v.vevent.description.value == LONG_VI
    assert v.vevent.uid.value == "60_kh-ubnd.iii-4@plantrack"


def test_cancelled_and_url():
    body = render_calendar(CalendarMeta("x", "y"), [render_event(
        spec(cancelled=True, alarm_days=(), url="https://e.vn/d/60%2FKH-UBND/III.4"), STAMP)])
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


def test_fold_bytes_equals_fold_on_random_lines():
    import random

    from plantrack.notifications.calendar.ical import fold_bytes

    rnd = random.Random(7)
    alphabet = ["a", "b", " ", "\\", "\\n", "\\,", "\\;", "ệ", "ữ", "đ", "€", "𝄞", "x" * 10]
    for _ in range(3000):
        line = "DESCRIPTION:" + "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 120)))
        expected = fold(line).encode()
        assert fold_bytes(line.encode()) == expected
