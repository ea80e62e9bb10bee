"""The unchanged fast path: a run fingerprint and a status window; anything that matters invalidates it."""
from datetime import date, datetime, timedelta, timezone

import icalendar
from sqlalchemy import select, update

from plantrack.models.calendar_store import last_run
from plantrack.models.db import session_factory
from plantrack.models.entities import Deliverable
from plantrack.models.reports import ReportIn, record_report
from plantrack.notifications.calendar.events import EventOptions
from plantrack.notifications.calendar.ical import feed_filename
from plantrack.models.board import board
from plantrack.notifications.calendar.events import plan_events
from tests.plan_helpers import SQLITE_ONLY, publish

TODAY = date(2024, 3, 1)


def _files(out):
    return {p.name: p.read_bytes() for p in out.glob("*.ics")}


def _mtimes(out):
    return {p.name: p.stat().st_mtime_ns for p in out.glob("*.ics")}


def _feeds_of(url, uids):
    """The feed files that show any of the events uids."""
    names = set()
    with session_factory(url)() as s:  # the events' feeds, without collect's stamping side effects
        events, _ = plan_events(board(s, TODAY, indicators=False), {}, EventOptions())
    for ev in events:
        if ev.uid in uids:
            names |= {"plan.ics", feed_filename(f"category:{ev.category}"), feed_filename(f"agency:{ev.lead}")}
            names |= {feed_filename(f"agency:{a}") for a in ev.supporting}
    return names


def test_unchanged_run_returns_at_once_and_writes_nothing(loaded_db, tmp_path):
    out = tmp_path / "feeds"
    c = publish(loaded_db, out, TODAY)
    written = list(c.written)
    assert not c.unchanged and written  # first run: the full path
    with session_factory(loaded_db)() as s:
        run = last_run(s)
    assert run.valid_from == TODAY and run.valid_until is not None and run.valid_until > TODAY
    assert sorted(run.feeds) == sorted(_files(out)) and run.events == c.events
    stamps = _mtimes(out)
    c2 = publish(loaded_db, out, TODAY)
    written2 = list(c2.written)
    assert c2.unchanged and written2 == []  # collect not run
    # any day inside the window too
    c3 = publish(loaded_db, out, run.valid_until - timedelta(days=1))
    assert c3.unchanged
    assert _mtimes(out) == stamps
    # not before the run's day, nor in another folder
    assert not publish(loaded_db, out, TODAY - timedelta(days=1)).unchanged
    assert not publish(loaded_db, tmp_path / "other", TODAY).unchanged


@SQLITE_ONLY
def test_status_boundary_rewrites_exactly_the_affected_feeds(loaded_db, tmp_path):
    out = tmp_path / "feeds"
    publish(loaded_db, out, TODAY)
    with session_factory(loaded_db)() as s:
        until = last_run(s).valid_until
    before = _files(out)
    c = publish(loaded_db, out, until)
    written = list(c.written)
    assert not c.unchanged and c.changed_events  # some event's status changed on that day
    assert set(written) == _feeds_of(loaded_db, set(c.changed_events))
    for name in set(before) - set(written):
        assert (out / name).read_bytes() == before[name]
    # and the result is what a full run into an empty folder gives
    again = tmp_path / "again"
    publish(loaded_db, again, until, force=True)
    assert _files(again) == _files(out)
    # the new window starts there
    with session_factory(loaded_db)() as s:
        run = last_run(s)
    assert run.valid_from == until and (run.valid_until is None or run.valid_until > until)


@SQLITE_ONLY
def test_a_deliverable_becoming_overdue(loaded_db, tmp_path):
    out = tmp_path / "feeds"
    with session_factory(loaded_db)() as s, s.begin():
        s.execute(update(Deliverable).where(Deliverable.code == "III.11")
                  .values(due_date=date(2024, 3, 10), state="in_progress"))
    publish(loaded_db, out, date(2024, 3, 10))
    # 10/03/2024 is a Sunday: by Article 148 the deadline is Monday 11/03, overdue from 12/03 (issue 10;
    # before, 11/03)
    with session_factory(loaded_db)() as s:
        assert last_run(s).valid_until <= date(2024, 3, 12)
    c = publish(loaded_db, out, date(2024, 3, 12))
    written = list(c.written)
    assert "60_kh-ubnd.iii-11@plantrack" in c.changed_events
    plan = {str(e["UID"]): e for e in icalendar.Calendar.from_ical((out / "plan.ics").read_bytes()).walk("VEVENT")}
    assert str(plan["60_kh-ubnd.iii-11@plantrack"]["SUMMARY"]).startswith("⚠ III.11 ")
    assert set(written) == _feeds_of(loaded_db, set(c.changed_events))


def test_report_plan_edit_reorder_options_and_missing_file_invalidate(loaded_db, tmp_path):
    out = tmp_path / "feeds"
    publish(loaded_db, out, TODAY)
    Session = session_factory(loaded_db)

    with Session() as s, s.begin():  # a status report
        record_report(s, "60/KH-UBND", ReportIn(code="III.11", progress=40),
                      at=datetime(2024, 2, 28, 5, tzinfo=timezone.utc), channel="cli")
    c = publish(loaded_db, out, TODAY)
    written = list(c.written)
    assert not c.unchanged and list(c.changed_events) == ["60_kh-ubnd.iii-11@plantrack"] and "plan.ics" in written
    assert publish(loaded_db, out, TODAY).unchanged

    with Session() as s, s.begin():  # a plan edit (loads set updated_at)
        s.execute(update(Deliverable).where(Deliverable.code == "III.5")
                  .values(title="Tập huấn mới", updated_at=datetime.now(timezone.utc)))
    c = publish(loaded_db, out, TODAY)
    written = list(c.written)
    assert not c.unchanged and list(c.changed_events) == ["60_kh-ubnd.iii-5@plantrack"]
    assert publish(loaded_db, out, TODAY).unchanged

    with Session() as s, s.begin():  # a pure reordering: positions swapped, updated_at untouched
        (a, pa), (b, pb) = s.execute(select(Deliverable.id, Deliverable.position)
                                     .where(Deliverable.code.in_(["III.1", "III.2"])).order_by(Deliverable.code))
        s.execute(update(Deliverable).where(Deliverable.id == a).values(position=pb))
        s.execute(update(Deliverable).where(Deliverable.id == b).values(position=pa))
    c = publish(loaded_db, out, TODAY)
    written = list(c.written)
    assert not c.unchanged and "plan.ics" in written and list(c.changed_events) == []
    assert publish(loaded_db, out, TODAY).unchanged

    with Session() as s, s.begin():  # a raw state edit without a report
        s.execute(update(Deliverable).where(Deliverable.code == "III.7").values(state="paused"))
    c = publish(loaded_db, out, TODAY)
    assert not c.unchanged and "60_kh-ubnd.iii-7@plantrack" in c.changed_events
    assert all(u.startswith("60_kh-ubnd.iii-7") for u in c.changed_events)  # with its milestones

    c = publish(loaded_db, out, TODAY, EventOptions(alarm_days=(3,)))
    written = list(c.written)  # options
    assert not c.unchanged and "plan.ics" in written
    assert publish(loaded_db, out, TODAY, EventOptions(alarm_days=(3,))).unchanged

    (out / "agency-syt.ics").unlink()  # a feed file gone
    c = publish(loaded_db, out, TODAY, EventOptions(alarm_days=(3,)))
    written = list(c.written)
    assert not c.unchanged and written == ["agency-syt.ics"]


@SQLITE_ONLY
def test_emptied_category_keeps_an_empty_feed(loaded_db, tmp_path):
    out = tmp_path / "feeds"
    publish(loaded_db, out, TODAY, force=True)
    with session_factory(loaded_db)() as s, s.begin():
        s.execute(update(Deliverable).where(Deliverable.category == "forum")
                  .values(category="training", updated_at=datetime.now(timezone.utc)))
    c = publish(loaded_db, out, TODAY)
    written = list(c.written)
    assert "category-forum.ics" in written
    cal = icalendar.Calendar.from_ical((out / "category-forum.ics").read_bytes())
    assert cal.walk("VEVENT") == [] and "Diễn đàn" in str(cal["X-WR-CALNAME"])


@SQLITE_ONLY
def test_english_feed_text(loaded_db, tmp_path):
    out = tmp_path / "feeds"
    with session_factory(loaded_db)() as s, s.begin():
        s.execute(update(Deliverable).where(Deliverable.code == "III.11").values(state="done", progress=100))
    publish(loaded_db, out, date(2024, 7, 1), EventOptions(lang="en"), force=True)
    cal = icalendar.Calendar.from_ical((out / "agency-sldtbxh.ics").read_bytes())
    assert str(cal["X-WR-CALNAME"]).startswith("Plan 60/KH-UBND")
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    done = events["60_kh-ubnd.iii-11@plantrack"]
    assert str(done["SUMMARY"]).startswith("✔ III.11 ") and "Lead" in done["CATEGORIES"].to_ical().decode()
    text = str(done["DESCRIPTION"])
    assert "Status: Done" in text and "Lead: " in text and "How to report" in text and "Due: 31/12/2024 (Tuesday)" in text
    assert any(str(e["SUMMARY"]).startswith("⚠ ") for e in events.values())
    assert "Trạng thái" not in (out / "plan.ics").read_text(encoding="utf-8")
