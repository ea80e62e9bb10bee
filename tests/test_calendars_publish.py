"""Publishing feeds from a loaded plan: validity, counts, determinism, minimal rewrites, bad input."""
from datetime import date, datetime, timezone
from pathlib import Path

import icalendar
import recurring_ical_events
from sqlalchemy import func, select, update

from plantrack.models.board import board
from plantrack.models.db import session_factory
from plantrack.models.entities import Agency, Deliverable
from plantrack.models.reports import ReportIn, record_report
from plantrack.notifications.calendar.ical import feed_filename
from tests.plan_helpers import SQLITE_ONLY, publish

TODAY = date(2024, 3, 1)


def _expected_events(url: str) -> tuple[int, dict[str, int]]:
    """Events the database implies: each dated deliverable plus each of its milestones, per category."""
    with session_factory(url)() as s:
        rows = [r for r in board(s, TODAY) if r.kind == "deliverable"]
    per_cat: dict[str, int] = {}
    for r in rows:
        per_cat[r.category] = per_cat.get(r.category, 0) + (r.due is not None) + len(r.milestones)
    return sum(per_cat.values()), per_cat


def _parse_both(path: Path) -> list:
    body = path.read_bytes()
    cal = icalendar.Calendar.from_ical(body)
    events = cal.walk("VEVENT")
    # a second, independent reading: recurring-ical-events expands the whole period
    between = recurring_ical_events.of(cal).between(date(2000, 1, 1), date(2100, 1, 1))
    assert len(between) == len(events)
    for line in body.split(b"\r\n"):
        assert len(line) <= 75
    return events


def test_feeds_valid_and_counts_match_database(loaded_db, tmp_path):
    out = tmp_path / "feeds"
    c = publish(loaded_db, out, TODAY, force=True)
    written = list(c.written)
    total, per_cat = _expected_events(loaded_db)
    with session_factory(loaded_db)() as s:
        n_agencies = s.scalar(select(func.count()).select_from(Agency))
    assert len(written) == 1 + n_agencies + len(per_cat)
    assert sorted(p.name for p in out.glob("*.ics")) == sorted(written)
    plan = _parse_both(out / "plan.ics")
    assert len(plan) == total == c.events == 90  # 84 deliverables + 6 milestones
    assert len({str(e["UID"]) for e in plan}) == total
    for cat, n in per_cat.items():
        assert len(_parse_both(out / feed_filename(f"category:{cat}"))) == n
    sgddt = _parse_both(out / "agency-sgddt.ics")
    assert any("Phối hợp" in e["CATEGORIES"].cats for e in sgddt)
    lead = {str(e["UID"]) for e in _parse_both(out / "agency-sldtbxh.ics") if "Chủ trì" in e["CATEGORIES"].cats}
    assert "60_kh-ubnd.iii-3@plantrack" in lead
    month = next(e for e in plan if str(e["UID"]) == "60_kh-ubnd.iii-3@plantrack")
    assert (month.decoded("DTSTART"), month.decoded("DTEND")) == (date(2024, 6, 1), date(2024, 7, 1))
    forum_ms = [e for e in plan if str(e["UID"]).startswith("60_kh-ubnd.iii-4.")]
    assert len(forum_ms) == 2


@SQLITE_ONLY
def test_republish_writes_nothing_and_change_rewrites_exactly_its_feeds(loaded_db, tmp_path):
    out = tmp_path / "feeds"
    publish(loaded_db, out, TODAY, force=True)
    before = {p.name: p.read_bytes() for p in out.glob("*.ics")}
    c = publish(loaded_db, out, TODAY, force=True)
    written = list(c.written)
    assert written == [] and list(c.changed_events) == [] and c.new_events == 0

    # the same database gives byte-identical files, also into an empty folder
    again = tmp_path / "again"
    publish(loaded_db, again, TODAY, force=True)
    assert {p.name: p.read_bytes() for p in again.glob("*.ics")} == before

    Session = session_factory(loaded_db)
    with Session() as s, s.begin():
        record_report(s, "60/KH-UBND", ReportIn(code="III.11", progress=40),
                      at=datetime(2024, 2, 28, 5, tzinfo=timezone.utc), channel="cli")
        row = next(r for r in board(s, TODAY) if r.code == "III.11")
    expected = {"plan.ics", feed_filename(f"category:{row.category}"), feed_filename(f"agency:{row.lead}")}
    expected |= {feed_filename(f"agency:{a}") for a in row.supporting}
    c = publish(loaded_db, out, TODAY, force=True)
    written = list(c.written)
    assert set(written) == expected
    assert list(c.changed_events) == ["60_kh-ubnd.iii-11@plantrack"]
    plan = {str(e["UID"]): e for e in icalendar.Calendar.from_ical((out / "plan.ics").read_bytes()).walk("VEVENT")}
    assert int(plan["60_kh-ubnd.iii-11@plantrack"]["SEQUENCE"]) == 1
    assert "tiến độ 40%" in str(plan["60_kh-ubnd.iii-11@plantrack"]["DESCRIPTION"])
    assert all(int(e["SEQUENCE"]) == 0 for uid, e in plan.items() if uid != "60_kh-ubnd.iii-11@plantrack")
    for name in set(before) - expected:
        assert (out / name).read_bytes() == before[name]


def test_a_new_wording_of_the_calendar_properties_reaches_feeds_whose_events_did_not_change(loaded_db, tmp_path,
                                                                                          monkeypatch):
    """Feeds written by an older renderer (here: another description) are rewritten by the next full run."""
    from dataclasses import replace

    from plantrack.notifications.calendar import publish as publish_module

    out = tmp_path / "feeds"
    real = publish_module.calendar_head
    monkeypatch.setattr(publish_module, "calendar_head", lambda meta: real(replace(meta, description="old words")))
    publish(loaded_db, out, TODAY, force=True)
    assert b"X-WR-CALDESC:old words\r\n" in (out / "plan.ics").read_bytes()
    monkeypatch.undo()
    c = publish(loaded_db, out, TODAY, force=True)
    assert set(c.written) == {p.name for p in out.glob("*.ics")} and not c.changed_events
    assert not any(b"old words" in p.read_bytes() for p in out.glob("*.ics"))


@SQLITE_ONLY
def test_status_markers_alarms_and_cancelled(loaded_db, tmp_path):
    Session = session_factory(loaded_db)
    with Session() as s, s.begin():
        s.execute(update(Deliverable).where(Deliverable.code == "III.11").values(state="done", progress=100))
        s.execute(update(Deliverable).where(Deliverable.code == "III.5").values(state="cancelled"))
    out = tmp_path / "feeds"
    publish(loaded_db, out, date(2024, 7, 1), force=True)
    plan = {str(e["UID"]): e for e in icalendar.Calendar.from_ical((out / "plan.ics").read_bytes()).walk("VEVENT")}
    done, cancelled = plan["60_kh-ubnd.iii-11@plantrack"], plan["60_kh-ubnd.iii-5@plantrack"]
    assert str(done["SUMMARY"]).startswith("✔ III.11") and not done.walk("VALARM")
    assert "Trạng thái: Hoàn thành đúng hạn" in str(done["DESCRIPTION"])
    assert cancelled["STATUS"] == "CANCELLED" and not cancelled.walk("VALARM")
    overdue = [e for e in plan.values() if str(e["SUMMARY"]).startswith("⚠ ")]
    assert overdue and all(e.decoded("DTEND") <= date(2024, 7, 1) for e in overdue)
    assert len(plan["60_kh-ubnd.iii-3@plantrack"].walk("VALARM")) == 1


@SQLITE_ONLY
def test_deliverable_without_a_date_is_left_out_and_listed(loaded_db, tmp_path):
    Session = session_factory(loaded_db)
    with Session() as s, s.begin():
        s.execute(update(Deliverable).where(Deliverable.code == "III.11").values(due_date=None, start_date=None))
    c = publish(loaded_db, tmp_path / "feeds", TODAY, force=True)
    written = list(c.written)
    assert list(c.skipped) == ["60/KH-UBND III.11"]
    plan = icalendar.Calendar.from_ical((tmp_path / "feeds" / "plan.ics").read_bytes())
    assert "60_kh-ubnd.iii-11@plantrack" not in {str(e["UID"]) for e in plan.walk("VEVENT")}
    assert len(_parse_both(tmp_path / "feeds" / "plan.ics")) == 89


def test_a_write_that_fails_midway_leaves_the_old_feeds_whole_and_records_nothing(loaded_db, tmp_path, monkeypatch):
    """The disk fills up while the changed feeds are written: subscribers keep the previous files, whole; no
    temporary file is left behind; the next run writes the feeds again (nothing was recorded as published)."""
    from plantrack.notifications.calendar import publish as publishing

    out = tmp_path / "feeds"
    publish(loaded_db, out, TODAY, force=True)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with session_factory(loaded_db)() as s, s.begin():  # a report changes some feeds
        s.execute(update(Deliverable).where(Deliverable.code == "III.3").values(progress=40))
    flushes = 0
    real_flush = publishing.FeedFiles.flush

    def flush_then_fail(self):
        nonlocal flushes
        flushes += 1
        if flushes == 1:
            real_flush(self)  # some temporary files filled
            raise OSError(28, "No space left on device")
        real_flush(self)

    monkeypatch.setattr(publishing.FeedFiles, "BUDGET", 1)  # every piece flushed: fail early, files half-written
    monkeypatch.setattr(publishing.FeedFiles, "flush", flush_then_fail)
    try:
        publish(loaded_db, out, date(2024, 3, 2))
    except OSError as exc:
        assert exc.errno == 28
    else:
        raise AssertionError("the write error was swallowed")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # old feeds, whole; no .tmp left
    monkeypatch.undo()
    again = publish(loaded_db, out, date(2024, 3, 2))
    assert "plan.ics" in again.written
    assert (out / "plan.ics").read_bytes() != before["plan.ics"]
