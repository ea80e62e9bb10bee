"""The publish-calendars flow through the CLI, as the issue's 'done when' states it."""
from datetime import date

import icalendar


def test_run_calendars_twice(prefect_api, loaded_sqlite, cli, tmp_path, monkeypatch):
    feeds = tmp_path / "published"
    monkeypatch.setenv("PLANTRACK_FEEDS_DIR", str(feeds))
    code, _, err = cli(loaded_sqlite, "run", "calendars", "--today", "2024-03-01")
    assert code == 0, err
    files = sorted(feeds.glob("*.ics"))
    assert (feeds / "plan.ics") in files and len(files) == 1 + 24 + 14
    for f in files:
        icalendar.Calendar.from_ical(f.read_bytes())
    stamps = {f: f.stat().st_mtime_ns for f in files}

    from plantrack.flows.publish_calendars import publish_calendars_flow

    monkeypatch.setenv("PLANTRACK_DATABASE_URL", loaded_sqlite)
    result = publish_calendars_flow(today=date(2024, 3, 1))
    assert result.written == () and result.events == 90
    assert result.unchanged is True and result.valid_until > date(2024, 3, 1)
    assert {f: f.stat().st_mtime_ns for f in files} == stamps
