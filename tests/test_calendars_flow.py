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


def _run_name(state) -> str:
    import asyncio

    from prefect.client.orchestration import get_client

    async def read():
        async with get_client() as client:
            return (await client.read_flow_run(state.state_details.flow_run_id)).name
    return asyncio.run(read())


def test_flow_runs_are_named_for_what_they_did(prefect_api, loaded_sqlite, monkeypatch, tmp_path):
    from plantrack.flows.publish_calendars import publish_calendars_flow
    from plantrack.flows.send_checkins import send_checkins

    monkeypatch.setenv("PLANTRACK_DATABASE_URL", loaded_sqlite)
    monkeypatch.setenv("PLANTRACK_FEEDS_DIR", str(tmp_path / "feeds"))
    monkeypatch.setenv("PLANTRACK_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("PLANTRACK_SMTP_HOST", raising=False)
    state = publish_calendars_flow(today=date(2024, 3, 1), return_state=True)
    assert _run_name(state) == "publish-calendars 2024-03-01"
    state = send_checkins(today=date(2024, 5, 20), return_state=True)
    assert _run_name(state) == "send-checkins 60/KH-UBND 2024-W21"


def test_run_shows_progress_on_a_terminal_only(prefect_api, loaded_sqlite):
    """On a terminal, `plantrack run` says what it is running while it runs (a spinner on stderr) and wraps its summary
    between words at the terminal's width; piped, stderr stays empty and stdout holds the one summary line."""
    import os
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from tests.terminal import on_terminal

    short = Path(tempfile.mkdtemp(prefix="pt-"))  # tmp_path can be wider than 80 columns alone (under xdist)
    env = {**os.environ, "PLANTRACK_DATABASE_URL": loaded_sqlite, "PLANTRACK_FEEDS_DIR": str(short / "piped"),
           "PREFECT_API_URL": prefect_api, "COLUMNS": "80", "LINES": "24", "TERM": "xterm"}
    args = [sys.executable, "-m", "plantrack.cli", "run", "calendars", "--today", "2024-03-01"]
    piped = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr
    assert piped.stdout.startswith("calendars in ") and piped.stdout.count("\n") == 1, piped.stdout
    assert len(piped.stdout) > 80 and "agency-baolaocai.ics" in piped.stdout

    env["PLANTRACK_FEEDS_DIR"] = str(short / "terminal")  # the same feeds to write, so the same summary
    code, shown = on_terminal(args, env)
    shutil.rmtree(short)
    assert code == 0 and "publish-calendars: running (its logs are in the Prefect UI)" in shown, shown
    summary = shown[shown.index("calendars in"):].rstrip("\n").split("\n")
    assert len(summary) > 1 and all(len(line) <= 80 for line in summary), summary
    assert " ".join(line.strip() for line in summary) == piped.stdout.strip().replace("piped", "terminal")
