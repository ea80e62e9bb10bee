"""The weekly digest of a constructed fortnight: figures as the status rules and `status --json` give them,
the change against the stored snapshot, the same figures in the text part, an HTML part that fetches nothing,
one email a week to the Deputy Chair through the outbox."""
from __future__ import annotations

import email
import json
import re
from collections import Counter
from datetime import date, timedelta
from email.policy import default
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from tests.digest_helpers import (DEPUTY_CHAIR, FRI_W24, FRI_W25, PLAN, digest_options, figures, first_week,
                                  second_week)


def _status(cli, url: str, day: date) -> list[dict]:
    code, out, err = cli(url, "status", "--json", "--today", day.isoformat())
    assert code == 0, err
    return [r for r in json.loads(out) if r["kind"] == "deliverable"]


def _weekdays_after(start: date, end: date) -> int:
    """Monday-to-Friday days d with start < d <= end (no public holiday falls in June 2024)."""
    return sum(1 for i in range(1, (end - start).days + 1) if (start + timedelta(days=i)).weekday() < 5)


def _sent(transport) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(m.data, policy=default) for m in transport.sent]


def _digest(url, day, transport, **kw):
    from plantrack.notifications.mail.digest import run_digest

    return run_digest(digest_options(url, transport, **kw), day)


def test_figures_match_status_json_and_the_snapshot_gives_the_week_s_changes(loaded_db, cli):
    from plantrack.models.status import StatusKey
    from plantrack.notifications.mail.transports import MemoryTransport

    first_week(loaded_db)
    before = _status(cli, loaded_db, FRI_W24)
    mail = MemoryTransport()
    out = _digest(loaded_db, FRI_W24, mail)
    assert out.queued.digests[0].queued and out.queued.digests[0].snapshot_stored and out.sent >= 1
    second_week(loaded_db)
    rows = _status(cli, loaded_db, FRI_W25)
    f = figures(loaded_db, FRI_W25)

    # headline: every status category and 'never reported', as status --json says for the same day
    now = Counter(r["status_key"] for r in rows)
    assert {str(k): n for k, n in f.counts.by_status if n} == dict(now)
    assert f.counts.total == len(rows) == 84
    assert f.counts.never_reported == sum(1 for r in rows if r["last_report_at"] is None)
    # overdue: the same items, late by the working days from their (effective) deadline
    late = {r["code"]: r for r in rows if r["status_key"] == "overdue"}
    assert {o.code for o in f.all_overdue} == set(late) and late
    for o in f.all_overdue:
        assert o.due == date.fromisoformat(late[o.code]["due"]) and o.lead == late[o.code]["lead"]
        assert o.working_days_late == _weekdays_after(o.due, FRI_W25)
    assert [o.working_days_late for o in f.all_overdue] == sorted((o.working_days_late for o in f.all_overdue),
                                                                   reverse=True)
    syt = next(o for o in f.all_overdue if o.code == "VI.1/SYT")
    assert syt.last_report == date(2024, 6, 18) and syt.progress == 90

    # since last week: the snapshot of 14/06, not a guess
    then = Counter(r["status_key"] for r in before)
    assert f.changes.since == FRI_W24
    assert dict(f.changes.counts) == {k: now.get(str(k), 0) - then.get(str(k), 0) for k in StatusKey}
    assert f.changes.never_reported == f.counts.never_reported - sum(1 for r in before if r["last_report_at"] is None)
    assert [i.code for i in f.changes.newly_done] == ["III.1"]
    was_late = {r["code"] for r in before if r["status_key"] == "overdue"}
    assert {i.code for i in f.changes.newly_overdue} == set(late) - was_late
    (blocker,) = f.changes.new_blockers
    assert (blocker.code, blocker.note, blocker.reported_on, blocker.lead) == \
        ("III.5", "chờ kinh phí từ Sở Tài chính", date(2024, 6, 19), "SLDTBXH")

    # check-ins: SYT always on time, SGDDT late once then silent, CAT never answered
    by = {a.code: a for a in f.agencies}
    assert (by["SLDTBXH"].counts[StatusKey.DONE_ON_TIME], by["SLDTBXH"].counts.never_reported) == \
        (1, sum(1 for r in rows if r["lead"] == "SLDTBXH" and r["last_report_at"] is None))
    silent = {s.code: s.rounds for s in f.silent}
    assert silent["CAT"] == 3 and silent["SGDDT"] == 2 and "SYT" not in silent
    assert (by["SYT"].reports_on_time, by["SYT"].reports_due, by["SYT"].last_answer) == (3, 3, "answered")
    assert (by["SGDDT"].reports_on_time, by["SGDDT"].reports_due, by["SGDDT"].last_answer) == (0, 3, "missed")
    assert by["CAT"].on_time_rate == 0.0 and by["CAT"].last_answer == "missed"

    # deadlines ahead and targets
    assert all(FRI_W25 <= u.due <= FRI_W25 + timedelta(days=14) for u in f.upcoming)
    assert {u.code for u in f.upcoming} == {r["code"] for r in rows if r["due"] and r["status_key"] in
                                            ("due_soon", "on_track", "not_started", "overdue")
                                            and FRI_W25 <= date.fromisoformat(r["due"]) <= FRI_W25 + timedelta(14)}
    ii1 = next(t for t in f.targets if t.code == "II.1")
    assert (ii1.baseline, ii1.target, ii1.latest, ii1.latest_on, str(ii1.trend)) == \
        (1.38, 1.36, 1.37, date(2024, 6, 20), "decrease")
    assert ii1.progress == pytest.approx(0.5) and ii1.achieved is False


def test_one_digest_a_week_to_the_deputy_chair_with_cc_roles(loaded_sqlite):
    from plantrack.models.db import session_factory
    from plantrack.models.digest.snapshot import DigestSnapshot
    from plantrack.models.mail.outbox import Outbox
    from plantrack.notifications.mail.transports import MemoryTransport

    mail = MemoryTransport()
    first = _digest(loaded_sqlite, FRI_W25, mail, cc=(("SLDTBXH", "head"), ("UBND-TINH", "deputy")))
    (msg,) = _sent(mail)
    assert [a.addr_spec for a in msg["To"].addresses] == [DEPUTY_CHAIR]
    assert [a.addr_spec for a in msg["Cc"].addresses] == ["giamdoc.sldtbxh@laocai.example.org"]  # not her twice
    assert msg["Subject"].startswith(f"[KH {PLAN}] Tóm tắt tiến độ tuần 25/2024: ")
    assert msg["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert first.queued.digests[0].to == (DEPUTY_CHAIR,)
    again = _digest(loaded_sqlite, FRI_W25 + timedelta(days=1), mail)  # Saturday, the same ISO week
    assert not again.queued.digests[0].queued and again.sent == 0 and len(mail.sent) == 1
    with session_factory(loaded_sqlite)() as s:
        rows = s.scalars(select(Outbox).where(Outbox.kind == "digest")).all()
        snaps = s.scalars(select(DigestSnapshot)).all()
    assert [(r.idempotency_key, r.status) for r in rows] == [(f"digest/{PLAN}/2024-W25", "sent")]
    assert [(x.week, x.as_of) for x in snaps] == [("2024-W25", FRI_W25)]  # the first run of the week stays


def test_text_part_carries_the_same_figures_and_html_fetches_nothing(loaded_sqlite):
    from plantrack.models.status import label
    from plantrack.notifications.mail.transports import MemoryTransport

    first_week(loaded_sqlite)
    _digest(loaded_sqlite, FRI_W24, MemoryTransport())
    second_week(loaded_sqlite)
    mail = MemoryTransport()
    _digest(loaded_sqlite, FRI_W25, mail)
    (msg,) = _sent(mail)
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    f = figures(loaded_sqlite, FRI_W25)
    delta = dict(f.changes.counts)
    for k, n in f.counts.by_status:
        if n or delta[k]:
            sign = "+" if delta[k] > 0 else "−" if delta[k] < 0 else "±"
            assert f"{label(k, 'vi')}: {n} ({sign}{abs(delta[k])})" in text
            assert f"<b>{n}</b>" in html
    assert f"Chưa báo cáo: {f.counts.never_reported} (−" in text
    assert f"QUÁ HẠN ({len(f.overdue)})" in text
    for o in f.all_overdue:
        assert o.code in text and o.code in html
        assert f"quá {o.working_days_late} ngày làm việc" in text
    for a in f.agencies:
        assert f"- {a.name}: " in text
    assert "III.5" in text and "chờ kinh phí từ Sở Tài chính" in text and "chờ kinh phí từ Sở Tài chính" in html
    assert "CAT" not in [s.code for s in f.silent] or "Công an tỉnh: 3 kỳ liên tiếp" in text
    assert "1,38% (2023) → 1,36% (giảm)" in text and "mới nhất 1,37% (20/06/2024)" in text
    assert "Mới hoàn thành: 1" in text and "III.1" in text
    assert f"Thay đổi từ {FRI_W24:%d/%m/%Y}".upper() in text

    found = _Fetches()
    found.feed(html)
    assert found.problems == [], found.problems
    assert not re.search(r"(?i)<script|javascript:|@import|url\(|<img|<link|<iframe|<object|<embed", html)
    assert len(html.encode()) < 102_000  # Gmail clips longer messages


class _Fetches(HTMLParser):
    """Collects anything a mail client would run or fetch: scripts, event handlers, remote or any src/href."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "img", "link", "iframe", "object", "embed", "video", "audio", "source", "base", "form"):
            self.problems.append(tag)
        for name, value in attrs:
            if name.startswith("on") or name in ("src", "srcset", "background", "action"):
                self.problems.append(f"{tag} {name}")
            if name == "href" and value and not value.startswith("mailto:"):
                self.problems.append(f"{tag} href={value}")


def test_english_digest_and_the_first_week_without_a_snapshot(loaded_sqlite):
    from plantrack.notifications.mail.transports import MemoryTransport

    mail = MemoryTransport()
    _digest(loaded_sqlite, FRI_W25, mail, lang="en")
    (msg,) = _sent(mail)
    text = msg.get_body(("plain",)).get_content()
    assert msg["Subject"].startswith(f"[KH {PLAN}] Weekly digest week 25/2024: ")
    assert "First digest: no earlier week to compare with." in text
    assert "1.38% (2023) → 1.36% (decrease)" in text and "Never reported: 84" in text


def test_a_stored_snapshot_decides_newly_done_and_newly_overdue(loaded_sqlite):
    """A snapshot written by hand for the previous week: the changes are computed against it, item by item."""
    from plantrack.models.db import session_factory
    from plantrack.models.digest.snapshot import Snapshot, store_snapshot
    from plantrack.models.entities import Plan
    from plantrack.models.status import StatusKey

    now = figures(loaded_sqlite, FRI_W25)
    statuses = dict(now.snapshot.statuses)
    late = [o.code for o in now.all_overdue]
    statuses[late[0]] = StatusKey.ON_TRACK  # was on track last week: newly overdue
    for code in late[1:]:
        statuses[code] = StatusKey.OVERDUE
    statuses["III.2"] = StatusKey.DONE_ON_TIME  # was done then, open now: not "newly done"
    counts = Counter(statuses.values())
    with session_factory(loaded_sqlite)() as s, s.begin():
        plan_id = s.scalar(select(Plan.id).where(Plan.number == PLAN))
        assert store_snapshot(s, plan_id, Snapshot("2024-W24", FRI_W24, dict(counts), 80, statuses))
        assert not store_snapshot(s, plan_id, Snapshot("2024-W24", FRI_W24, {}, 0, {}))  # one a week
    f = figures(loaded_sqlite, FRI_W25)
    assert [i.code for i in f.changes.newly_overdue] == [late[0]]
    assert f.changes.newly_done == ()
    d = dict(f.changes.counts)
    assert d[StatusKey.OVERDUE] == 1 and d[StatusKey.DONE_ON_TIME] == -1 and f.changes.never_reported == 84 - 80


def test_blocker_notes_as_the_reply_intake_and_the_blocked_state_write_them():
    from plantrack.models.digest.sources import blocker_note

    assert blocker_note(None, "Vướng mắc: chờ kinh phí") == "chờ kinh phí"
    assert blocker_note(None, "Blocked: waiting for funds") == "waiting for funds"
    assert blocker_note(None, "[SYT] III.5: vướng mắc - chờ kinh phí") == "chờ kinh phí"
    assert blocker_note(None, "đang gặp khó khăn") is None  # a word in passing is not a blocker report
    assert blocker_note("blocked", "thiếu người") == "thiếu người"
    assert blocker_note("in_progress", "60% - đang tổng hợp") is None


def test_bad_digest_cc_names_the_setting(loaded_sqlite, monkeypatch):
    from plantrack.config.settings import SettingsError, load_settings
    from plantrack.notifications.mail.digest import DigestConfigError, queue_digest

    with pytest.raises(SettingsError, match="PLANTRACK_DIGEST_CC: 'SLDTBXH' is not AGENCY:ROLE"):
        load_settings(digest_cc="SLDTBXH")
    with pytest.raises(DigestConfigError, match="PLANTRACK_DIGEST_CC names NOPE"):
        queue_digest(digest_options(loaded_sqlite, cc=(("NOPE", "head"),)), FRI_W25)


def test_items_at_escalation_level_4_come_first(loaded_sqlite):
    """The escalation table's active rows (issue 10) decide the level; level 4 is listed first."""
    from datetime import datetime, timezone

    from plantrack.models.db import session_factory
    from plantrack.models.entities import Deliverable
    from plantrack.models.escalation.table import Escalation
    from plantrack.notifications.board import BoardOptions, overdue_table, status_board
    from plantrack.notifications.mail.transports import MemoryTransport

    late = figures(loaded_sqlite, FRI_W25).all_overdue
    top, other = late[-1].code, late[0].code
    with session_factory(loaded_sqlite)() as s, s.begin():
        for code, level, resolved in ((top, 4, None), (top, 2, None), (other, 4, date(2024, 6, 20)), (other, 3, None)):
            d = s.scalar(select(Deliverable).where(Deliverable.code == code))
            s.add(Escalation(plan_id=d.plan_id, deliverable_id=d.id, agency_id=d.lead_agency_id, reason="deadline",
                             level=level, rung_at=15, deadline=d.due_date, fired_on=date(2024, 6, 14),
                             resolved_on=resolved, recipients=[], created_at=datetime.now(timezone.utc)))
    f = figures(loaded_sqlite, FRI_W25)
    assert [o.code for o in f.top_level] == [top] and top not in {o.code for o in f.overdue}
    assert {o.code: o.level for o in f.all_overdue}[other] == 3  # a resolved rung no longer counts
    rows = {r["Mã"]: r for r in overdue_table(status_board(BoardOptions(loaded_sqlite), FRI_W25), "vi")}
    assert rows[top]["Mức đôn đốc"] == 4 and rows[other]["Mức đôn đốc"] == 3
    mail = MemoryTransport()
    _digest(loaded_sqlite, FRI_W25, mail)
    sent = _sent(mail)[0]
    text, html = sent.get_body(("plain",)).get_content(), sent.get_body(("html",)).get_content()
    # the list below the level-4 items says it holds the others (a bare "Overdue (n)" read as all of them)
    others = f"QUÁ HẠN KHÁC ({len(f.overdue)})"
    assert text.index("ĐỀ NGHỊ ĐỒNG CHÍ CHỈ ĐẠO: 1 NHIỆM VỤ ĐÔN ĐỐC MỨC 4") < text.index(top) < text.index(others)
    assert "QUÁ HẠN (" not in text and f"Quá hạn khác ({len(f.overdue)})</h2>" in html


def test_on_time_means_by_the_reply_deadline_the_check_in_stated(loaded_sqlite):
    """Round of Monday 03/06: REPLY BY 16:00 Wednesday 05/06 (2 working days, PLANTRACK_CHECKIN_REPLY_*)."""
    from tests.digest_helpers import MON_W23, checkin_round, reply

    checkin_round(loaded_sqlite, MON_W23)
    reply(loaded_sqlite, "VI.1/SYT", date(2024, 6, 5), "SYT", hour=16, progress=10)  # at the deadline: on time
    reply(loaded_sqlite, "VI.1/SGDDT", date(2024, 6, 5), "SGDDT", hour=17, progress=10)  # an hour late
    by = {a.code: a for a in figures(loaded_sqlite, date(2024, 6, 7)).agencies}
    assert (by["SYT"].reports_on_time, by["SYT"].reports_due, by["SYT"].last_answer) == (1, 1, "answered")
    assert (by["SGDDT"].reports_on_time, by["SGDDT"].reports_due, by["SGDDT"].last_answer) == (0, 1, "answered")
    assert (by["CAT"].reports_due, by["CAT"].missed_in_a_row, by["CAT"].last_answer) == (1, 1, "missed")
    early = {a.code: a for a in figures(loaded_sqlite, date(2024, 6, 4)).agencies}  # before the deadline
    assert (early["CAT"].reports_due, early["CAT"].missed_in_a_row, early["CAT"].last_answer) == (0, 0, "waiting")
    assert early["SYT"].last_answer == "answered" and early["SYT"].reports_due == 1  # answered early: counted


def test_the_board_reads_what_the_digest_reads_of_agencies_and_overdue_items(loaded_sqlite):
    """The status board (board_figures: the latest round only, after every flow run) shows the digest's figures:
    per lead agency its counts and its answer to the latest round it was asked in; the overdue items."""
    from datetime import timedelta

    from plantrack.models.db import session_factory
    from plantrack.models.digest.figures import FigureOptions, board_figures, plan_figures, plans
    from tests.digest_helpers import MON_W23, MON_W24, TZ, checkin_round, reply

    checkin_round(loaded_sqlite, MON_W23)
    reply(loaded_sqlite, "VI.1/SYT", date(2024, 6, 5), "SYT", hour=16, progress=10)  # on time
    reply(loaded_sqlite, "VI.1/SGDDT", date(2024, 6, 7), "SGDDT", progress=20)  # late
    checkin_round(loaded_sqlite, MON_W24)
    reply(loaded_sqlite, "VI.1/SGDDT", date(2024, 6, 11), "SGDDT", state="done")
    opts = FigureOptions(tz=TZ)
    seen = set()
    with session_factory(loaded_sqlite)() as s:
        plan = plans(s)[0]
        for day in (MON_W23 - timedelta(days=1) + timedelta(days=n) for n in range(16)):
            full, board = plan_figures(s, plan, day, opts), board_figures(s, plan, day, opts)
            assert [(a.code, a.name, a.counts, a.last_answer) for a in full.agencies] == \
                [(a.code, a.name, a.counts, a.last_answer) for a in board.agencies], day
            assert sorted(full.all_overdue, key=lambda o: o.code) == sorted(board.overdue, key=lambda o: o.code), day
            seen |= {a.last_answer for a in board.agencies}
    assert seen == {"not_asked", "waiting", "answered", "missed"}
