"""The seed plan's check-ins read as the golden files say (tests/golden/checkins/): whole messages, readable.

Regenerate after an intended change, then read the diff: `python -m tests.checkin_golden`
(see tests/checkin_golden.py for what the files hold and what is masked).
"""
from __future__ import annotations

import difflib

from tests.checkin_golden import GOLDEN_DIR, render_scenarios


def test_rendered_messages_equal_golden(loaded_sqlite, monkeypatch):
    got = render_scenarios(loaded_sqlite, monkeypatch.setattr)
    want = {p.name: p.read_text(encoding="utf-8") for p in GOLDEN_DIR.glob("*.txt")}
    assert sorted(got) == sorted(want)
    diffs = ["".join(difflib.unified_diff(want[n].splitlines(True), got[n].splitlines(True), f"golden/{n}", "rendered"))
             for n in sorted(want) if got[n] != want[n]]
    assert not diffs, "check-ins changed (python -m tests.checkin_golden regenerates):\n" + "\n".join(diffs)[:20000]
