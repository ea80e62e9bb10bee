"""Bad options get one clear line and exit 1: report without content, unknown feed categories, unusable ports."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from plantrack.models.db import session_factory
from plantrack.models.entities import StatusReport
from tests.plan_helpers import snapshot


# --- 4. report and feed tokens ----------------------------------------------------------------------------------

def test_report_needs_something_to_report(cli, loaded_sqlite):
    before = snapshot(loaded_sqlite)
    code, out, err = cli(loaded_sqlite, "report", "III.1")
    assert code == 1 and "--state, --progress, --value or --note" in err and "Traceback" not in out + err
    code, _, err = cli(loaded_sqlite, "report", "III.1", "--note", "   ")
    assert code == 1 and "nothing to report" in err
    assert snapshot(loaded_sqlite) == before


def test_report_with_today_is_dated_that_day_at_the_current_time(cli, loaded_sqlite, monkeypatch):
    import plantrack.cli.common as common

    # 10:41:07 in Hà Nội on 2026-11-30; the report is replayed for 2024-06-14
    monkeypatch.setattr(common, "now", lambda: datetime(2026, 11, 30, 3, 41, 7, tzinfo=timezone.utc))
    assert cli(loaded_sqlite, "report", "VI.1/SYT", "--progress", "40", "--today", "2024-06-14")[0] == 0
    assert cli(loaded_sqlite, "report", "VI.1/SYT", "--note", "đang tổng hợp")[0] == 0  # no --today: now
    with session_factory(loaded_sqlite)() as s:
        first, second = s.scalars(select(StatusReport.reported_at).order_by(StatusReport.id)).all()
    assert first == datetime(2024, 6, 14, 3, 41, 7, tzinfo=timezone.utc)  # 10:41:07 +07:00, not noon
    assert second == datetime(2026, 11, 30, 3, 41, 7, tzinfo=timezone.utc)


def test_token_for_an_unknown_category_is_refused(cli, loaded_sqlite):
    code, out, err = cli(loaded_sqlite, "feeds", "token", "add", "Phòng VH", "--feed", "category:nosuch")
    assert code == 1 and "unknown category 'nosuch'" in err and "forum" in err and out == ""
    assert cli(loaded_sqlite, "feeds", "token", "list", "--json")[1].strip() == "[]"
    code, out, _ = cli(loaded_sqlite, "feeds", "token", "add", "Phòng VH", "--feed", "category:forum")
    assert code == 0 and out.strip().endswith(".ics")


# --- 3. servers on a busy port or an impossible one -----------------------------------------------------------

@pytest.fixture
def data_dir(cli, tmp_path, monkeypatch):
    """An initialised data folder; the environment that points plantrack at it."""
    monkeypatch.setenv("PLANTRACK_DATA_DIR", str(tmp_path / "data"))
    for k in ("PLANTRACK_DATABASE_URL", "PLANTRACK_FEEDS_PORT"):
        monkeypatch.delenv(k, raising=False)
    assert cli(None, "init")[0] == 0
    return tmp_path, dict(os.environ)


@pytest.mark.parametrize("command", [["mail", "serve"], ["feeds", "serve"]])
def test_server_on_busy_or_impossible_port_says_so_in_one_line(cli, data_dir, command):
    """A busy port as a real process (the server libraries could print beside our line); values that are no
    port number are refused before any server starts, by the same one-line exit: in-process."""
    cwd, env = data_dir
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        proc = subprocess.run([sys.executable, "-m", "plantrack.cli", *command, "--port", port], cwd=cwd,
                              env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "already in use" in proc.stderr and port in proc.stderr
    for value in ("99999", "-1"):
        code, out, err = cli(None, *command, "--port", value)
        assert code == 1, (value, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert "not a port number" in err and value in err and out == ""


def test_feeds_port_setting_out_of_range_is_named(cli, data_dir, monkeypatch):
    monkeypatch.setenv("PLANTRACK_FEEDS_PORT", "99999")
    code, out, err = cli(None, "feeds", "serve")
    assert code == 1 and "PLANTRACK_FEEDS_PORT" in err and "99999" in err
    assert "Traceback" not in err + out
