"""The plantrack command as a coordinator uses it: init, load, board, bad input."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from plantrack.config import SEED_PLAN
from tests.conftest import top_modules_after_each
from tests.plan_helpers import copy_seed, edit, snapshot

ROOT = Path(__file__).resolve().parents[1]


def test_init_load_status_json(cli, db_url):
    assert cli(db_url, "init")[0] == 0
    code, out, _ = cli(db_url, "plan", "load", str(SEED_PLAN))
    assert code == 0 and "84 new" in out
    code, out, _ = cli(db_url, "status", "--json", "--today", "2024-07-01")
    assert code == 0
    items = json.loads(out)
    deliverables = [i for i in items if i["kind"] == "deliverable"]
    indicators = [i for i in items if i["kind"] == "indicator"]
    assert len(deliverables) == 84 and len(indicators) == 14
    for item in items:
        assert {"code", "title", "lead", "supporting", "start", "due", "state", "status", "status_key", "progress"} <= item.keys()
    by_code = {i["code"]: i for i in items}
    assert by_code["III.1"]["lead"] == "SLDTBXH" and by_code["III.1"]["supporting"] == ["STTTT"]
    # "Trước ngày 15/6" (a Saturday): by Article 148 the last day is Friday 14/06/2024 (issue 10; before:
    # due 15/06, -16 calendar days); 11 working days late on 01/07; nobody has reported on it.
    syt = by_code["VI.1/SYT"]
    assert syt["lead"] == "SYT" and syt["status"] == "Quá hạn"
    assert syt["status_key"] == "overdue" and syt["days_left"] == -17 and syt["working_days_left"] == -11
    assert (syt["due"], syt["due_written"], syt["due_wording"]) == ("2024-06-14", "2024-06-15", "before")
    assert syt["due_text"] == "trước 15/06/2024 (thứ Bảy), tính đến hết 14/06/2024 (thứ Sáu)"
    assert syt["reported"] is False
    assert by_code["VI.2/SYT"]["status_key"] == "not_started"
    assert by_code["II.4a"]["lead"] == "SLDTBXH" and by_code["II.4a"]["target"] == 94
    # III.6 is led by each of the nine district People's Committees, SLDTBXH supporting (plan lines 133-135)
    iii6 = {i["code"]: i for i in deliverables if i["code"].startswith("III.6")}
    districts = {f"UBND-{d}" for d in ("TPLAOCAI", "SAPA", "BATXAT", "BAOTHANG", "BAOYEN", "BACHA",
                                       "MUONGKHUONG", "SIMACAI", "VANBAN")}
    assert {i["lead"] for i in iii6.values()} == districts and len(iii6) == 9
    assert all(code == f"III.6/{i['lead']}" and i["supporting"] == ["SLDTBXH"] for code, i in iii6.items())


def test_overdue_filter_and_agency_filter(cli, loaded_sqlite):
    _, out, _ = cli(loaded_sqlite, "status", "--json", "--today", "2024-07-01")
    everything = json.loads(out)
    _, out, _ = cli(loaded_sqlite, "status", "--overdue", "--json", "--today", "2024-07-01")
    overdue = json.loads(out)
    assert overdue and {i["code"] for i in overdue} == {i["code"] for i in everything if i["status_key"] == "overdue"}
    _, out, _ = cli(loaded_sqlite, "status", "--agency", "SYT", "--json", "--today", "2024-07-01")
    syt = {i["code"] for i in json.loads(out)}
    assert {"VI.1/SYT", "VI.2/SYT", "V.6", "II.5"} <= syt and "VI.1/STC" not in syt
    code, _, err = cli(loaded_sqlite, "status", "--agency", "NOPE")
    assert code != 0 and "NOPE" in err


def test_report_then_board_shows_done(cli, loaded_sqlite):
    assert cli(loaded_sqlite, "report", "VI.1/SYT", "--state", "done", "--today", "2024-06-14")[0] == 0
    assert cli(loaded_sqlite, "report", "VI.1/STC", "--progress", "100", "--today", "2024-06-20")[0] == 0
    _, out, _ = cli(loaded_sqlite, "status", "--json", "--today", "2024-07-01")
    by_code = {i["code"]: i for i in json.loads(out)}
    assert by_code["VI.1/SYT"]["status"] == "Hoàn thành đúng hạn"
    assert by_code["VI.1/STC"]["status"] == "Hoàn thành quá hạn"
    code, _, err = cli(loaded_sqlite, "report", "III.99", "--state", "done")
    assert code != 0 and "III.99" in err


def test_board_table_in_vietnamese_and_english(cli, loaded_sqlite):
    _, out, _ = cli(loaded_sqlite, "status", "--today", "2024-07-01")
    assert "Quá hạn" in out and "VI.1/SYT" in out
    _, out, _ = cli(loaded_sqlite, "status", "--today", "2024-07-01", "--lang", "en")
    assert "Overdue" in out


def test_status_before_init_says_what_to_do(cli, sqlite_url):
    code, _, err = cli(sqlite_url, "status")
    assert code != 0 and "plantrack init" in err


BAD_CASES = {
    "yaml-syntax": ("    category: forum\n", "    category: [forum\n", "YAML syntax error"),
    "unknown-agency": ("supporting: [TINHDOAN, SGDDT]", "supporting: [TINHDOAN, SGDĐT]", "unknown agency code 'SGDĐT'"),
    "duplicate-code": ("  - code: III.5\n", "  - code: III.4\n", "duplicate deliverable code"),
    "end-before-start": ("    due: 2024-06-30\n", "    due: 2024-05-30\n", "is before start"),
    "bad-date": ("due: 2024-06-15", "due: 2024-13-15", "not a date"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_names_file_and_line_and_writes_nothing(cli, loaded_sqlite, tmp_path, case):
    old, new, message = BAD_CASES[case]
    plan_file = copy_seed(tmp_path)
    before = snapshot(loaded_sqlite)
    line = plan_file.read_text(encoding="utf-8").split(old)[0].count("\n") + 1
    edit(plan_file, old, new)
    code, out, err = cli(loaded_sqlite, "plan", "load", str(plan_file))
    assert code != 0
    assert message in err, err
    # the YAML parser notices an unclosed bracket on the line after it
    assert f"{plan_file}:{line}:" in err or (case == "yaml-syntax" and f"{plan_file}:{line + 1}:" in err), err
    assert "Traceback" not in err + out
    assert snapshot(loaded_sqlite) == before


def test_bad_directory_entry_is_reported_in_the_directory_file(cli, sqlite_url, tmp_path):
    plan_file = copy_seed(tmp_path)
    directory = plan_file.parent / "agencies-lao-cai.yaml"
    edit(directory, "    kind: department\n", "    kind: ministry\n")
    cli(sqlite_url, "init")
    code, _, err = cli(sqlite_url, "plan", "load", str(plan_file))
    assert code != 0 and str(directory) in err and ".kind" in err
    assert snapshot(sqlite_url)["agency"] == []


def test_cli_process_exits_cleanly_on_bad_file(cli, tmp_path, monkeypatch):
    """As a real process: one clear message on stderr, exit 1, no traceback."""
    plan_file = copy_seed(tmp_path)
    edit(plan_file, "lead: SYT", "lead: SYTE")
    monkeypatch.setenv("PLANTRACK_DATA_DIR", str(tmp_path / "data"))
    assert cli(None, "init")[0] == 0
    proc = subprocess.run([sys.executable, "-m", "plantrack.cli", "plan", "load", str(plan_file)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "unknown agency code 'SYTE'" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_read_only_commands_do_not_import_prefect(cli, tmp_path, monkeypatch):
    """Prefect takes seconds to import: the board must not pay for it."""
    monkeypatch.setenv("PLANTRACK_DATA_DIR", str(tmp_path / "data"))
    assert cli(None, "init")[0] == 0
    for imported in top_modules_after_each(dict(os.environ), ["status", "--today", "2024-07-01"], ["agencies"],
                                           ["plan", "load", str(SEED_PLAN)]):
        assert "prefect" not in imported and "sqlalchemy" in imported


def test_bad_setting_is_named_without_traceback(cli, sqlite_url, monkeypatch):
    monkeypatch.setenv("PLANTRACK_LANG", "fr")
    code, _, err = cli(sqlite_url, "status")
    assert code != 0 and "PLANTRACK_LANG" in err and "'fr'" in err


def test_mistyped_sqlite_path_creates_no_file(cli, tmp_path):
    target = tmp_path / "typo" / "plantrack.db"
    code, _, err = cli(f"sqlite:///{target}", "status")
    assert code != 0 and "plantrack init" in err and not target.exists()
