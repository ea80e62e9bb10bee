"""Escalation paths: agencies that do not answer, blocked items, out-of-office focal points, grouping,
threading on the check-in, moved deadlines and reopened items, days off, the read-only listing."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

from sqlalchemy import select, update

from tests.checkin_smtp import SECRET, queue_round
from tests.escalation_helpers import day_of, options, queued, run_day
from tests.replies_fixtures import replies_db, replies_template, seed_checkins  # noqa: F401  (fixtures)

D = date
FOCAL_SYT, HEAD_SYT, DEPUTY_SYT = "daumoi.syt@laocai.example.org", "giamdoc.syt@laocai.example.org", \
    "phogiamdoc.syt@laocai.example.org"
COORD = "daumoi.sldtbxh@laocai.example.org"  # Sở LĐ-TB&XH's focal point: the plan's coordinator


def _session(url):
    from plantrack.models.db import session_factory

    return session_factory(url)()


def _mark_sent(url, at: datetime) -> None:
    from plantrack.models.mail.outbox import Outbox

    with _session(url) as s, s.begin():
        s.execute(update(Outbox).where(Outbox.status == "queued").values(status="sent", sent_at=at))


def _report(url, code: str, day: date, **kw) -> None:
    from plantrack.models.entities import Agency, Deliverable
    from plantrack.models.reports import ReportIn, record_report

    with _session(url) as s, s.begin():
        lead = s.scalar(select(Agency.id).join(Deliverable, Deliverable.lead_agency_id == Agency.id)
                        .where(Deliverable.code == code))
        record_report(s, "60/KH-UBND", ReportIn(code=code, **kw), channel="email", agency_id=lead,
                      at=datetime(day.year, day.month, day.day, 3, tzinfo=timezone.utc))


def _answer(url, agency: str, day: date) -> None:
    """An email report from agency on day (what models.mail.outbox.unanswered counts as an answer)."""
    from plantrack.models.entities import Agency, StatusReport

    with _session(url) as s, s.begin():
        s.add(StatusReport(agency_id=s.scalar(select(Agency.id).where(Agency.code == agency)), channel="email",
                           reported_at=datetime(day.year, day.month, day.day, 3, tzinfo=timezone.utc), note="ok"))


def _fired(result) -> set[tuple]:
    return {(f.code or f.agency, f.reason, f.level, f.at) for f in result.fired}


def test_agencies_that_skip_two_rounds_climb_the_ladder_until_they_answer(loaded_db):
    queue_round(loaded_db, D(2024, 5, 20))  # W21
    _mark_sent(loaded_db, datetime(2024, 5, 20, 1, tzinfo=timezone.utc))
    _answer(loaded_db, "SYT", D(2024, 5, 22))  # Sở Y tế answers W21 (and only W21)
    queue_round(loaded_db, D(2024, 5, 27))  # W22
    _mark_sent(loaded_db, datetime(2024, 5, 27, 1, tzinfo=timezone.utc))

    # W22 ended Sunday 02/06: the first working day after, the 22 (of 23 asked) that skipped both rounds get level 2
    r = run_day(loaded_db, D(2024, 6, 3))
    silent = {f.agency for f in r.fired if f.reason == "silent"}
    assert len(silent) == 22 and "SYT" not in silent and {f.level for f in r.fired} == {2}
    mails = {m.to: m for m in queued(loaded_db)}
    stc = mails["daumoi.stc@laocai.example.org"]
    assert stc.cc == ["giamdoc.stc@laocai.example.org"]
    assert "CHƯA TRẢ LỜI CẬP NHẬT TIẾN ĐỘ" in stc.text and "tuần 22/2024, tuần 21/2024" in stc.text
    assert "VI.1/STC" in stc.text  # its open work is listed
    assert FOCAL_SYT not in mails

    assert run_day(loaded_db, D(2024, 6, 4)).fired == ()
    _answer(loaded_db, "STC", D(2024, 6, 5))  # Sở Tài chính answers: its silence is resolved
    r = run_day(loaded_db, D(2024, 6, 5))
    assert r.resolved == 1 and r.fired == ()
    # +5 working days: level 3 to the coordinators; the VI.1 reminders (level 1) fall the same day
    r = run_day(loaded_db, D(2024, 6, 7))
    assert {f.agency for f in r.fired if f.reason == "silent"} == silent - {"STC"}
    assert {(f.reason, f.level) for f in r.fired} == {("silent", 3), ("deadline", 1)}
    day = [m for m in queued(loaded_db) if day_of(m) == "2024-06-07"]
    to_coord = [m for m in day if m.to == COORD]
    assert len(to_coord) == 1  # one email with every silent agency's notice she coordinates
    assert to_coord[0].text.count("CHƯA TRẢ LỜI CẬP NHẬT TIẾN ĐỘ") >= 10
    cat = [m for m in day if m.to == "daumoi.cat@laocai.example.org"]  # Công an tỉnh: silent AND reminded
    assert len(cat) == 1 and "SẮP ĐẾN HẠN" in cat[0].text and "VI.1/CAT" in cat[0].text


def test_blocked_goes_at_once_to_the_head_and_plan_coordinator_and_again_only_when_blocked_again(loaded_db):
    run_day(loaded_db, D(2024, 6, 7))  # the daily runs so far (VI.1 reminders)
    _report(loaded_db, "VI.2/SYT", D(2024, 6, 10), state="blocked", note="chờ số liệu")
    r = run_day(loaded_db, D(2024, 6, 10))
    assert _fired(r) == {("VI.2/SYT", "blocked", 3, 0)}
    mails = {m.to: m for m in queued(loaded_db) if day_of(m) == "2024-06-10"}
    # To: the agency head and the plan coordinator; the focal point (Cc on both) gets ONE copy of her own
    assert set(mails) == {HEAD_SYT, COORD, FOCAL_SYT}
    assert mails[HEAD_SYT].cc == [] and "VƯỚNG MẮC CẦN THÁO GỠ" in mails[HEAD_SYT].text
    assert "ĐỒNG GỬI ĐỂ BIẾT" in mails[FOCAL_SYT].text
    assert run_day(loaded_db, D(2024, 6, 11)).fired == ()
    _report(loaded_db, "VI.2/SYT", D(2024, 6, 12), state="in_progress", progress=50)
    assert run_day(loaded_db, D(2024, 6, 12)).resolved == 1
    _report(loaded_db, "VI.2/SYT", D(2024, 6, 14), state="blocked")
    assert ("VI.2/SYT", "blocked", 3, 0) in _fired(run_day(loaded_db, D(2024, 6, 14)))


def test_out_of_office_focal_point_is_replaced_by_the_deputy(loaded_sqlite):
    from plantrack.models.entities import Deliverable, Person
    from plantrack.models.mail.inbound import PersonAway

    with _session(loaded_sqlite) as s, s.begin():  # what the reply intake records from an out-of-office notice
        focal = s.scalar(select(Person.id).where(Person.email == FOCAL_SYT))
        s.add(PersonAway(person_id=focal, since=D(2024, 6, 14), until=D(2024, 6, 21), until_given=True))
    run_day(loaded_sqlite, D(2024, 6, 17))
    mails = {m.to: m for m in queued(loaded_sqlite)}
    assert FOCAL_SYT not in mails
    assert sorted(mails[DEPUTY_SYT].cc) == [FOCAL_SYT, HEAD_SYT]
    assert "VI.1/SYT" in mails[DEPUTY_SYT].text
    with _session(loaded_sqlite) as s, s.begin():  # she is back: the next reminder goes to her again
        s.execute(update(PersonAway).where(PersonAway.person_id == focal).values(until=D(2024, 6, 17)))
    with _session(loaded_sqlite) as s, s.begin():  # a new deadline for VI.2/SYT makes a reminder due on 24/06
        s.execute(update(Deliverable).where(Deliverable.code == "VI.2/SYT").values(due_date=D(2024, 7, 2)))
    run_day(loaded_sqlite, D(2024, 6, 24))
    assert FOCAL_SYT in {m.to for m in queued(loaded_sqlite) if day_of(m) == "2024-06-24"}


def test_reminder_continues_the_check_in_thread_with_a_valid_reply_token(loaded_sqlite):
    from plantrack.models.mail.outbox import Outbox
    from plantrack.notifications.mail.tokens import verify_reply_token

    queue_round(loaded_sqlite, D(2024, 6, 10))
    _mark_sent(loaded_sqlite, datetime(2024, 6, 10, 1, tzinfo=timezone.utc))
    with _session(loaded_sqlite) as s:
        checkin = s.scalars(select(Outbox).where(Outbox.kind == "checkin",
                                                 Outbox.idempotency_key.like(f"%/SYT/{FOCAL_SYT}"))).one()
    run_day(loaded_sqlite, D(2024, 6, 13))
    m = {m.to: m for m in queued(loaded_sqlite)}[FOCAL_SYT]
    assert m.msg["In-Reply-To"] == checkin.message_id == m.msg["References"]
    assert m.subject.startswith(f"[KH 60/KH-UBND #{checkin.ref}] Đôn đốc tiến độ ngày 13/06/2024")
    token = m.msg["Reply-To"].addresses[0].addr_spec.split("@")[0].split("+", 1)[1]
    claims = verify_reply_token(SECRET, token, D(2024, 6, 13))
    assert (claims.round_id, claims.agency_id, claims.person_id) == (checkin.round_id, checkin.agency_id,
                                                                      checkin.person_id)
    assert "VI.1/SYT: hoàn thành" in m.text  # how to answer, with one of the recipient's own codes


def test_moved_deadline_and_reopened_item_fire_again(loaded_db):
    from plantrack.models.entities import Deliverable

    for day in (D(2024, 6, 7), D(2024, 6, 13), D(2024, 6, 17)):
        run_day(loaded_db, day)
    with _session(loaded_db) as s, s.begin():  # the plan moves the deadline: "trước ngày 22/6" -> Fri 21/06
        s.execute(update(Deliverable).where(Deliverable.code == "VI.1/SYT").values(due_date=D(2024, 6, 22)))
    _report(loaded_db, "VI.1/STC", D(2024, 6, 18), state="done")
    r = run_day(loaded_db, D(2024, 6, 18))
    assert r.resolved == 6  # VI.1/SYT's three rungs (deadline moved), VI.1/STC's three (done)
    # the reminder again for the new deadline (and VI.1/SLDTBXH's own, due 25/06)
    assert _fired(r) == {("VI.1/SYT", "deadline", 1, -5), ("VI.1/SLDTBXH", "deadline", 1, -5)}
    _report(loaded_db, "VI.1/STC", D(2024, 6, 19), state="in_progress", progress=90)  # reopened
    assert ("VI.1/STC", "deadline", 2, 1) in _fired(run_day(loaded_db, D(2024, 6, 19)))
    assert ("VI.1/SYT", "deadline", 1, -1) in _fired(run_day(loaded_db, D(2024, 6, 20)))
    r = run_day(loaded_db, D(2024, 6, 24))
    assert ("VI.1/SYT", "deadline", 2, 1) in _fired(r) and ("VI.1/STC", "deadline", 2, 1) not in _fired(r)


def test_days_off_send_nothing_unless_configured(loaded_sqlite):
    r = run_day(loaded_sqlite, D(2024, 6, 9))
    assert not r.working_day and r.day_off == "Chủ nhật" and r.fired == () and queued(loaded_sqlite) == []
    tet = run_day(loaded_sqlite, D(2024, 2, 12))
    assert tet.day_off.startswith("Nghỉ Tết Nguyên đán Giáp Thìn")
    r = run_day(loaded_sqlite, D(2024, 6, 9), options(loaded_sqlite, send_on_days_off=True))
    assert len(r.fired) == 20 and len(queued(loaded_sqlite)) == 20


def test_english_messages(loaded_sqlite):
    run_day(loaded_sqlite, D(2024, 6, 17), options(loaded_sqlite, "en"))
    m = {m.to: m for m in queued(loaded_sqlite)}[FOCAL_SYT]
    assert m.subject == "[KH 60/KH-UBND] Reminders of 17/06/2024: 1 overdue"
    assert "before 15/06/2024 (Saturday), counted to the end of 14/06/2024 (Friday)" in m.text
    assert "1 working day overdue" in m.text and "no report yet" in m.text


def test_escalations_listing_for_scripts_and_the_read_only_preview(cli, loaded_sqlite):
    from tests.plan_helpers import snapshot

    run_day(loaded_sqlite, D(2024, 6, 17))
    code, out, _ = cli(loaded_sqlite, "escalations", "--today", "2024-06-17", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 20 and {r["level"] for r in rows} == {2}
    syt = next(r for r in rows if r["code"] == "VI.1/SYT")
    assert syt["recipients"] == [FOCAL_SYT, HEAD_SYT] and syt["deadline"] == "2024-06-14"
    assert syt["deadline_text"] == "trước 15/06/2024 (thứ Bảy), tính đến hết 14/06/2024 (thứ Sáu)"
    before = snapshot(loaded_sqlite)
    code, out, _ = cli(loaded_sqlite, "escalations", "--today", "2024-06-21", "--pending", "--json")
    pending = {(r["code"], r["level"], r["at"]) for r in json.loads(out)}
    assert code == 0 and len(pending) == 21 and ("VI.1/SYT", 3, 5) in pending
    assert ("VI.1/SLDTBXH", 1, -5) in pending  # its reminder of 18/06, not run yet: caught up
    assert snapshot(loaded_sqlite) == before  # a preview writes nothing
    code, out, _ = cli(loaded_sqlite, "escalations", "--today", "2024-06-16", "--pending")
    assert code == 0 and "ngày nghỉ: Chủ nhật" in out
    code, out, _ = cli(loaded_sqlite, "escalations", "--active", "--json")
    assert len(json.loads(out)) == 20  # the first run was on 17/06: only the overdue rung (no late reminders)


def test_board_marks_items_never_reported(cli, loaded_sqlite, monkeypatch):
    import io

    from rich.console import Console

    import plantrack.cli.common

    wide = io.StringIO()
    wide_console = Console(file=wide, width=400)  # one table row per line
    monkeypatch.setattr(plantrack.cli.common, "console", lambda: wide_console)  # cli/board.py prints the board
    cli(loaded_sqlite, "status", "--today", "2024-06-17", "--agency", "SYT")
    row = next(line for line in wide.getvalue().splitlines() if "VI.1/SYT" in line)
    assert "trước 15/06/2024 (thứ Bảy), tính đến hết 14/06/2024 (thứ Sáu)" in row
    assert "Quá hạn (quá 1 ngày làm việc); chưa có báo cáo" in row
    cli(loaded_sqlite, "report", "VI.1/SYT", "--progress", "50", "--today", "2024-06-17")
    _, out, _ = cli(loaded_sqlite, "status", "--today", "2024-06-17", "--json")
    by_code = {i["code"]: i for i in json.loads(out)}
    assert by_code["VI.1/SYT"]["reported"] is True and by_code["VI.2/SYT"]["reported"] is False


def test_calendar_event_falls_on_the_effective_deadline_and_says_so(loaded_sqlite, tmp_path):
    import icalendar

    from plantrack.notifications.calendar.ical import event_uid
    from tests.plan_helpers import publish

    publish(loaded_sqlite, tmp_path, D(2024, 6, 1))
    cal = icalendar.Calendar.from_ical((tmp_path / "agency-syt.ics").read_bytes())
    ev = next(e for e in cal.walk("VEVENT") if str(e["UID"]) == event_uid("60/KH-UBND", "VI.1/SYT"))
    assert ev.decoded("DTSTART") == D(2024, 6, 14)
    desc = str(ev["DESCRIPTION"])
    assert "Hạn hoàn thành: trước 15/06/2024 (thứ Bảy), tính đến hết 14/06/2024 (thứ Sáu)" in desc
    assert "Trạng thái: Chưa bắt đầu (chưa có báo cáo)" in desc


def test_an_unsafe_name_fails_alone_and_long_lists_are_cut(loaded_sqlite):
    from dataclasses import replace

    from plantrack.models.entities import Person

    with _session(loaded_sqlite) as s, s.begin():  # the directory refuses this on load; the builder too
        s.execute(update(Person).where(Person.email == FOCAL_SYT).values(name="Lý Thị Hương\r\nBcc: x@evil.example"))
    opts = options(loaded_sqlite)
    opts = replace(opts, identity=replace(opts.identity, max_items=5))
    r = run_day(loaded_sqlite, D(2024, 6, 17), opts)  # level 2 for the 20 reports
    assert len(r.fired) == 20 and r.queued == 19
    assert len(r.not_built) == 1 and FOCAL_SYT in r.not_built[0] and "control character" in r.not_built[0]
    assert FOCAL_SYT not in {m.to for m in queued(loaded_sqlite)}
    r = run_day(loaded_sqlite, D(2024, 6, 21), opts)  # level 3: the 20 reports to one coordinator
    (m,) = [m for m in queued(loaded_sqlite) if day_of(m) == "2024-06-21"]
    assert m.to == COORD and m.text.count("- VI.1/") == 5
    assert "... và 15 nhiệm vụ khác không liệt kê ở đây." in m.text and "(20)" in m.text


def test_replies_feed_escalation_blocked_line_and_out_of_office(replies_db, seed_checkins, tmp_path):
    """End to end with the reply intake: 'vướng mắc' in a reply is the blocked state (escalated at once), and
    an out-of-office reply sends the focal point's reminders to the deputy."""
    from tests.reply_corpus import out_of_office, reply, write_maildir
    from tests.replies_fixtures import intake_options

    from plantrack.notifications.mail.inbound.ingest import ingest_replies

    ck = seed_checkins["SYT"]
    md = write_maildir(tmp_path / "Maildir", [reply(ck, "VI.2/SYT: vướng mắc - chờ số liệu của các khoa"),
                                              out_of_office(seed_checkins["STC"], "vi", "đến hết ngày 21/6/2024")])
    res = ingest_replies(intake_options(replies_db, md), D(2024, 5, 21))
    assert res.applied == 1 and res.automated == 1
    r = run_day(replies_db, D(2024, 5, 21))
    assert ("VI.2/SYT", "blocked", 3, 0) in _fired(r)
    mails = {m.to: m for m in queued(replies_db)}
    assert "VI.2/SYT" in mails[HEAD_SYT].text and "VƯỚNG MẮC" in mails[HEAD_SYT].text
    assert "Ghi chú: Vướng mắc: chờ số liệu của các khoa" in mails[HEAD_SYT].text  # what blocks it, as reported
    run_day(replies_db, D(2024, 6, 7))  # the 6-month reminders: Sở Tài chính's focal point is away
    day = {m.to: m for m in queued(replies_db) if day_of(m) == "2024-06-07"}
    assert "daumoi.stc@laocai.example.org" not in day and "VI.1/STC" in day["phogiamdoc.stc@laocai.example.org"].text
