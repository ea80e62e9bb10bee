"""The check-in renderer writes exactly the bytes of the reference renderer (golden file) on the seed plan."""
from __future__ import annotations

import json

from tests.checkin_golden import GOLDEN, render_scenarios
from tests.plan_helpers import SQLITE_ONLY


@SQLITE_ONLY
def test_rendered_rows_equal_golden(loaded_db, monkeypatch):
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = render_scenarios(loaded_db, monkeypatch.setattr)
    assert sorted(got) == sorted(golden)
    # Database ids are compared too: they are signed into the Reply-To token and the reference tag.
    bad = [k for k in golden if got[k] != golden[k]]
    assert not bad, f"{len(bad)} of {len(golden)} rows differ, e.g. {bad[0]}: {got[bad[0]]} != {golden[bad[0]]}"
