"""The 6-month report walked day by day from 01/06 to 15/07/2024 on SQLite and PostgreSQL: each level
fires on its working day, once; nothing on 15-16/06 or any other day off; one email per recipient a day."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from tests.escalation_helpers import day_of, queued, run_day

D = date
START, END = D(2024, 6, 1), D(2024, 7, 15)
# VI.1/<agency> (20 reports to Sở LĐ-TB&XH): "trước ngày 15/6" -> effective Friday 14/06/2024 (Article 148
# on the wording)
SYT_LADDER = {(1, -5): D(2024, 6, 7), (1, -1): D(2024, 6, 13), (2, 1): D(2024, 6, 17), (3, 5): D(2024, 6, 21),
              (4, 15): D(2024, 7, 5)}
# VI.1/SLDTBXH, its consolidated report, is due ("by") Tuesday 25/06; III.3 (the Action Month, a span) ends
# Sunday 30/06, so its work is due by Monday 01/07
FIRED_PER_DAY = {D(2024, 6, 7): 20, D(2024, 6, 13): 20, D(2024, 6, 17): 20, D(2024, 6, 18): 1, D(2024, 6, 21): 20,
                 D(2024, 6, 24): 2, D(2024, 6, 26): 1, D(2024, 6, 28): 1, D(2024, 7, 2): 2, D(2024, 7, 5): 20,
                 D(2024, 7, 8): 1}

def _rows(url):
    from plantrack.models.db import session_factory
    from plantrack.models.entities import Deliverable
    from plantrack.models.escalation.table import Escalation

    with session_factory(url)() as s:
        return s.execute(select(Deliverable.code, Escalation.level, Escalation.rung_at, Escalation.fired_on,
                                Escalation.recipients, Escalation.resolved_on)
                         .join(Deliverable, Deliverable.id == Escalation.deliverable_id)).all()


def test_six_month_report_walked_day_by_day(loaded_db):
    from plantrack.models.workdays import is_working_day

    results = {}
    day = START
    while day <= END:
        results[day] = run_day(loaded_db, day)
        if day in (D(2024, 6, 17), D(2024, 7, 5)):  # a rerun the same day finds nothing new
            again = run_day(loaded_db, day)
            assert again.fired == () and again.queued == 0
        day += timedelta(days=1)

    # days off: nothing fires and the result says why
    for day, r in results.items():
        if not is_working_day(day):
            assert not r.working_day and r.day_off and r.fired == () and r.queued == 0, day
    assert results[D(2024, 6, 15)].day_off == "thứ Bảy" and results[D(2024, 6, 16)].day_off == "Chủ nhật"
    assert {d: len(r.fired) for d, r in results.items() if r.fired} == FIRED_PER_DAY

    rows = _rows(loaded_db)
    syt = {(lvl, at): fired for code, lvl, at, fired, _, _ in rows if code == "VI.1/SYT"}
    assert syt == SYT_LADDER  # each level on its working day, once (a second firing would be a second row)
    assert len(rows) == len({(code, lvl, at) for code, lvl, at, *_ in rows}) == sum(FIRED_PER_DAY.values())
    assert all(is_working_day(fired) for *_, fired, _, _ in rows)
    assert all(resolved is None for *_, resolved in rows)

    # who: L1 and L2 to the focal point (L2 Cc the head), L3 to the department reported to, L4 listed only
    rec = {(code, lvl, at): r for code, lvl, at, _, r, _ in rows}
    assert rec[("VI.1/SYT", 1, -5)] == ["daumoi.syt@laocai.example.org"]
    assert rec[("VI.1/SYT", 2, 1)] == ["daumoi.syt@laocai.example.org", "giamdoc.syt@laocai.example.org"]
    assert rec[("VI.1/SYT", 3, 5)] == ["daumoi.sldtbxh@laocai.example.org"]  # report_to: Sở LĐ-TB&XH
    assert rec[("VI.1/SLDTBXH", 3, 5)] == ["daumoi.ubndtinh@laocai.example.org"]  # report_to: UBND tỉnh (02/07)
    assert rec[("VI.1/SYT", 4, 15)] == []  # for the Deputy Chair's digest; no immediate email by default

    mails = queued(loaded_db)
    # never on a day off; on 05/07 only level 4 fires (listed for the Deputy Chair, no email by default)
    assert {day_of(m) for m in mails} == {d.isoformat() for d in FIRED_PER_DAY} - {"2024-07-05"}
    per_day_to = Counter((day_of(m), m.to) for m in mails)
    assert max(per_day_to.values()) == 1  # one email per recipient per run
    by_day = defaultdict(dict)
    for m in mails:
        by_day[day_of(m)][m.to] = m
    assert list(by_day["2024-06-21"]) == ["daumoi.sldtbxh@laocai.example.org"]  # all 20 in one email
    assert by_day["2024-06-21"]["daumoi.sldtbxh@laocai.example.org"].text.count("- VI.1/") == 20
    both = by_day["2024-06-24"]["daumoi.sldtbxh@laocai.example.org"]  # two reminders, one email
    assert "VI.1/SLDTBXH" in both.text and "III.3" in both.text and "2 sắp đến hạn" in both.subject
    assert "pct.giangthidung@laocai.example.org" not in {m.to for m in mails}

    m = by_day["2024-06-17"]["daumoi.syt@laocai.example.org"]
    assert m.cc == ["giamdoc.syt@laocai.example.org"]
    assert m.subject == "[KH 60/KH-UBND] Đôn đốc tiến độ ngày 17/06/2024: 1 quá hạn"
    for part in (m.text, m.html):
        assert "trước 15/06/2024 (thứ Bảy), tính đến hết 14/06/2024 (thứ Sáu)" in part
        assert "quá hạn 1 ngày làm việc" in part and "chưa có báo cáo" in part and "VI.1/SYT" in part
    assert "MỨC 2: QUÁ HẠN" in m.text
    assert m.msg["Auto-Submitted"] == "auto-generated" and m.msg["From"].addresses[0].addr_spec.startswith("theodoi@")
    assert m.msg["X-Auto-Response-Suppress"] == "OOF, AutoReply"  # not All: a dead address must still bounce back
    soon = by_day["2024-06-13"]["daumoi.syt@laocai.example.org"]
    assert "1 sắp đến hạn" in soon.subject and "còn 1 ngày làm việc" in soon.text and not soon.cc
