"""The escalation ladder file: the shipped defaults, and impossible or malformed ladders named by file and line."""
from __future__ import annotations

from pathlib import Path

import pytest

from plantrack.config import ESCALATION_FILE
from plantrack.models.escalation.ladder import LadderConfigError, Role, read_ladder


def test_shipped_ladder_has_the_issue_defaults():
    ladder = read_ladder()
    assert [(r.level, r.at) for r in ladder.rungs] == [(1, -5), (1, -1), (2, 1), (3, 5), (4, 15)]
    assert ladder.rungs[2].to == (Role.FOCAL_POINT,) and ladder.rungs[2].cc == (Role.HEAD,)
    assert ladder.rungs[3].to == (Role.COORDINATOR,)
    assert ladder.rungs[4].to == (Role.DEPUTY_CHAIR,) and ladder.rungs[4].email is False
    assert ladder.skipped_rounds == 2 and ladder.send_on_days_off is False
    assert ladder.blocked.to == (Role.HEAD, Role.PLAN_COORDINATOR)


TEXT = ESCALATION_FILE.read_text(encoding="utf-8")

BAD = {
    # a level that fires before the previous one
    "fires before": ("  - level: 3  # after a grace period of 5 working days overdue\n    at: 5",
                     "  - level: 3\n    at: -2", "    at: -2", "fires before the previous rung (level 2 at +1"),
    "fires with": ("  - level: 3  # after a grace period of 5 working days overdue\n    at: 5",
                   "  - level: 3\n    at: 1", "    at: 1\n    to: [coordinator]", "fires with the previous rung"),
    "lower level later": ("  - level: 4  # after", "  - level: 2  # after", "  - level: 2  # after",
                          "a later rung cannot be a lower level"),
    "unknown role": ("    to: [coordinator]", "    to: [minister]", "    to: [minister]", "unknown role 'minister'"),
    "not a number": ("    at: 15", "    at: fifteen", "    at: fifteen", "at must be a whole number"),
    "unknown key": ("    email: false\n", "    email: false\n    when: later\n", "    when: later",
                    "unknown key 'when'"),
    "skipped rounds": ("  skipped_rounds: 2", "  skipped_rounds: 0", "  skipped_rounds: 0", "must be at least 1"),
    "email flag": ("    email: false", "    email: maybe", "    email: maybe", "email must be true or false"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_ladder_names_file_and_line(tmp_path: Path, case):
    old, new, marker, message = BAD[case]
    assert old in TEXT
    text = TEXT.replace(old, new, 1)
    path = tmp_path / "escalation.yaml"
    path.write_text(text, encoding="utf-8")
    line = text.split(marker)[0].count("\n") + 1  # the line the problem is on
    with pytest.raises(LadderConfigError) as err:
        read_ladder(path)
    assert message in str(err.value), str(err.value)
    assert f"{path}:{line}:" in str(err.value), (line, str(err.value))


def test_bad_ladder_from_the_cli_is_one_clear_message(cli, loaded_sqlite, tmp_path, monkeypatch):
    path = tmp_path / "ladder.yaml"
    path.write_text(TEXT.replace("    at: 15", "    at: 3"), encoding="utf-8")
    monkeypatch.setenv("PLANTRACK_ESCALATION_FILE", str(path))
    code, out, err = cli(loaded_sqlite, "escalations", "--pending", "--today", "2024-06-17")
    assert code == 1 and f"{path}:" in err and "impossible ladder" in err and "Traceback" not in err + out
