"""Check-ins against a real aiosmtpd server on loopback: content, exactly-once, retries, failures, outages."""
from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import select

from plantrack.notifications.mail.smtp import FailureKind, RelayProblem
from plantrack.notifications.run_reports.common import failure_reason, relay_text
from tests.checkin_smtp import MAIL_FROM, SECRET, Recorder, expected_agencies, queue_round, send_all, smtp_server

TODAY = date(2024, 5, 20)


def _rows(url):
    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import Outbox

    with session_factory(url)() as s:
        return s.scalars(select(Outbox).order_by(Outbox.id)).all()


def _focal(url) -> dict[str, str]:
    from plantrack.models.db import session_factory
    from plantrack.models.entities import Agency, AgencyContact, Person

    with session_factory(url)() as s:
        return dict(s.execute(select(Person.email, Agency.code)
                              .join(AgencyContact, AgencyContact.person_id == Person.id)
                              .join(Agency, Agency.id == AgencyContact.agency_id)
                              .where(AgencyContact.role == "focal_point")).all())


def test_one_message_per_open_agency_with_headers_and_token(loaded_db):
    from plantrack.notifications.mail.tokens import BadToken, verify_reply_token

    rec = Recorder()
    summary = queue_round(loaded_db)
    with smtp_server(rec) as (host, port):
        report = send_all(loaded_db, host, port)
    expected = expected_agencies(loaded_db)
    assert len(expected) == 23 and summary.queued == 23 and report.sent == 23 and report.failed == 0
    focal = _focal(loaded_db)
    msgs = rec.parsed()
    got = [focal[m["To"].addresses[0].addr_spec] for m in msgs]
    assert sorted(got) == sorted(expected)  # one each, no more
    rows = {r.message_id: r for r in _rows(loaded_db)}
    for m in msgs:
        code = focal[m["To"].addresses[0].addr_spec]
        row = rows[m["Message-ID"].strip()]
        assert row.status == "sent" and row.sent_at is not None
        assert m["Subject"].startswith(f"[KH 60/KH-UBND #{row.ref}] ")
        assert m["Subject"].endswith(": cập nhật tiến độ, trả lời trước 16:00 ngày 22/05")
        assert m["Auto-Submitted"] == "auto-generated" and m["X-Auto-Response-Suppress"] == "OOF, AutoReply"
        local, _, domain = m["Reply-To"].addresses[0].addr_spec.partition("@")
        assert domain == MAIL_FROM.split("@")[1] and local.startswith("theodoi+")
        claims = verify_reply_token(SECRET, local.split("+", 1)[1], TODAY)
        assert (claims.round_id, claims.agency_id, claims.person_id) == (row.round_id, row.agency_id, row.person_id)
        assert claims.expires == date(2024, 7, 4)
        with pytest.raises(BadToken):
            verify_reply_token(SECRET, local.split("+", 1)[1], date(2024, 7, 5))
        with pytest.raises(BadToken):
            verify_reply_token("wrong", local.split("+", 1)[1], TODAY)
        text = m.get_body(("plain",)).get_content()
        assert "Kính gửi" in text and "CÁCH TRẢ LỜI" in text
        if code == "SYT":
            assert m["Subject"].startswith(f"[KH 60/KH-UBND #{row.ref}] Sở Y tế: ")
            assert m["Cc"].addresses[0].addr_spec == "phogiamdoc.syt@laocai.example.org"
            # issue 10: "trước ngày 15/6" keeps its wording and ends on Friday 14/06 (Article 148 on the
            # wording): days are counted to it (was "15/06/2024" and "còn 26 ngày")
            assert "VI.1/SYT" in text and "còn 25 ngày" in text
            assert "Hạn: trước 15/06/2024 (thứ Bảy), tính đến hết 14/06/2024 (thứ Sáu)" in text
            assert "chưa có báo cáo" in text
            assert "VI.1/SYT" in m.get_body(("html",)).get_content()
    # the stored bytes are what went out
    assert {bytes(r.message) for r in rows.values()} == set(rec.accepted)


def test_rerun_queues_and_sends_nothing(loaded_db):
    rec = Recorder()
    queue_round(loaded_db)
    with smtp_server(rec) as (host, port):
        send_all(loaded_db, host, port)
        again = queue_round(loaded_db)
        report = send_all(loaded_db, host, port)
    assert again.queued == 0 and again.already_queued == 23
    assert report.sent == 0 and len(rec.arrived) == 23


def test_451_then_250_is_sent_after_retry(loaded_sqlite):
    seen = set()

    def reply(env):
        if "daumoi.syt@laocai.example.org" in env.rcpt_tos and "syt" not in seen:
            seen.add("syt")
            return "451 4.3.0 Try again later"

    rec = Recorder(reply)
    queue_round(loaded_sqlite)
    with smtp_server(rec) as (host, port):
        report = send_all(loaded_sqlite, host, port)
    assert (report.sent, report.retried, report.failed) == (23, 1, 0)
    syt = [r for r in _rows(loaded_sqlite) if "daumoi.syt@laocai.example.org" in r.recipients][0]
    assert syt.status == "sent" and syt.attempts == 2 and len(rec.accepted) == 23


def test_550_marks_failed_with_reason(loaded_sqlite):
    rec = Recorder(lambda env: "550 5.1.1 Mailbox unavailable" if "daumoi.syt@laocai.example.org" in env.rcpt_tos
                   else None)
    queue_round(loaded_sqlite)
    with smtp_server(rec) as (host, port):
        report = send_all(loaded_sqlite, host, port)
    assert (report.sent, report.failed) == (22, 1)
    assert "550 5.1.1 Mailbox unavailable" in report.failures[0].reason
    failed = [r for r in _rows(loaded_sqlite) if r.status == "failed"]
    assert len(failed) == 1 and "550" in failed[0].last_error and failed[0].attempts == 1
    assert failure_reason(report.failures[0], "vi") == "máy chủ gửi thư từ chối thư: `550 5.1.1 Mailbox unavailable`"


class RcptRefuser(Recorder):
    """Refuses every recipient at SYT at RCPT TO, as a relay does for a mailbox it does not know."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if ".syt@" in address:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_refused_recipient_is_named_with_the_relays_reply(loaded_sqlite):
    queue_round(loaded_sqlite)
    with smtp_server(RcptRefuser()) as (host, port):
        report = send_all(loaded_sqlite, host, port)
    assert report.sent == 22 and report.failed == 1
    f = report.failures[0]
    assert f.kind == FailureKind.RECIPIENT_REFUSED and f.tries == 0
    assert failure_reason(f, "vi") == (
        "máy chủ gửi thư từ chối địa chỉ người nhận: "
        "`daumoi.syt@laocai.example.org: 550 5.1.1 <daumoi.syt@laocai.example.org>: Recipient address rejected; "
        "phogiamdoc.syt@laocai.example.org: 550 5.1.1 <phogiamdoc.syt@laocai.example.org>: Recipient address "
        "rejected`")


def test_4xx_forever_gives_up_after_max_attempts(loaded_sqlite):
    rec = Recorder(lambda env: "421 4.7.0 Slow down" if "daumoi.syt@laocai.example.org" in env.rcpt_tos else None)
    queue_round(loaded_sqlite)
    with smtp_server(rec) as (host, port):
        report = send_all(loaded_sqlite, host, port, max_attempts=3)
    assert (report.sent, report.retried, report.failed) == (22, 2, 1)
    assert "gave up after 3 tries" in report.failures[0].reason
    assert failure_reason(report.failures[0], "vi") == (
        "đã thử 3 lần vẫn không gửi được (máy chủ gửi thư tạm thời chưa nhận thư): `421 4.7.0 Slow down`")


def test_server_down_loses_nothing(loaded_db, caplog):
    from plantrack.notifications.mail.local_smtp import free_port

    queue_round(loaded_db)
    port = free_port()
    report = send_all(loaded_db, "127.0.0.1", port, max_attempts=2)
    # each connection retry is said as it happens (a person waits through the back-off), the last try is the report
    (said,) = [m for m in (r.getMessage() for r in caplog.records if r.levelname == "WARNING")
               if "relay unreachable" in m]
    assert f"127.0.0.1:{port}" in said and "connection try 1 of 2 failed, next in 0 s" in said
    assert report.unreachable and report.sent == 0 and report.still_queued == 23
    assert report.unreachable.problem == RelayProblem.UNREACHABLE and report.unreachable.reply
    assert relay_text(report.unreachable, "vi").startswith(f"127.0.0.1:{port} không phản hồi hoặc đã ngắt kết nối: `")
    rows = _rows(loaded_db)
    assert {r.status for r in rows} == {"queued"} and {r.attempts for r in rows} == {0}
    rec = Recorder()  # the relay comes back: everything goes, once
    with smtp_server(rec) as (host, port):
        assert send_all(loaded_db, host, port).sent == 23
    assert len(rec.arrived) == 23


def test_missed_last_round_is_marked(loaded_sqlite):
    from datetime import datetime, timezone

    from plantrack.models.db import session_factory
    from plantrack.models.entities import Agency
    from plantrack.models.reports import ReportIn, record_report

    rec = Recorder()
    queue_round(loaded_sqlite)
    with smtp_server(rec) as (host, port):
        send_all(loaded_sqlite, host, port)
        Session = session_factory(loaded_sqlite)
        with Session() as s, s.begin():
            syt = s.scalar(select(Agency.id).where(Agency.code == "SYT"))
            record_report(s, "60/KH-UBND", ReportIn(code="VI.1/SYT", progress=10), at=datetime.now(timezone.utc),
                          channel="email", agency_id=syt)
        nxt = queue_round(loaded_sqlite, date(2024, 5, 27))
        send_all(loaded_sqlite, host, port)
    assert "SYT" not in nxt.missed_last_round and len(nxt.missed_last_round) == 22
    week22 = [m for m in rec.parsed() if "trả lời trước 16:00 ngày 29/05" in m["Subject"]]
    assert len(week22) == 23
    for m in week22:
        missed = "chưa nhận được trả lời của Quý cơ quan cho đợt cập nhật trước" in m.get_body(("plain",)).get_content()
        assert missed == (m["To"].addresses[0].addr_spec != "daumoi.syt@laocai.example.org")


def test_rate_limiter_spaces_messages_without_sleeping():
    from plantrack.notifications.mail.smtp import RateLimiter

    clock, slept = [100.0], []

    async def fake_sleep(s):
        slept.append(s)
        clock[0] += s

    lim = RateLimiter(120, clock=lambda: clock[0], sleep=fake_sleep)

    async def go():
        for _ in range(5):
            await lim.acquire()

    asyncio.run(go())
    assert slept == [0.5, 0.5, 0.5, 0.5]


def test_sent_rows_are_committed_in_groups(loaded_sqlite):
    """One UPDATE per group of accepted messages (here 8, with the 50 ms timer out of the way), all marked once."""
    from sqlalchemy import event

    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import due_ids
    from plantrack.notifications.mail.dispatch import Dispatcher
    from plantrack.notifications.mail.smtp import SmtpConfig
    from plantrack.notifications.mail.transports import SmtpTransport

    queue_round(loaded_sqlite)
    Session = session_factory(loaded_sqlite)
    with Session() as s:
        ids = due_ids(s)
    updates = []
    engine = Session.kw["bind"]

    def seen(conn, cursor, statement, params, context, executemany):
        if statement.startswith("UPDATE outbox SET status") and "sent_at" in statement:
            updates.append(statement)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        rec = Recorder()
        with smtp_server(rec) as (host, port):
            report = asyncio.run(Dispatcher(Session, SmtpTransport(SmtpConfig(host, port, rate_per_minute=0, concurrency=1)),
                                            group_size=8, group_seconds=60).run(ids))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert report.sent == 23 and len(rec.accepted) == 23
    assert len(updates) == 3  # 8 + 8 + the last 7 at the end
    rows = _rows(loaded_sqlite)
    assert {r.status for r in rows} == {"sent"} and {r.attempts for r in rows} == {1}
    assert all(r.sent_at is not None for r in rows)


def test_stalled_relay_still_commits_what_was_accepted(loaded_sqlite):
    """The timer commits accepted messages while the next one hangs: the crash window is time-bounded too."""
    import threading

    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import due_ids
    from plantrack.notifications.mail.dispatch import Dispatcher
    from plantrack.notifications.mail.smtp import SmtpConfig
    from plantrack.notifications.mail.transports import SmtpTransport

    queue_round(loaded_sqlite)
    Session = session_factory(loaded_sqlite)
    with Session() as s:
        ids = due_ids(s)
    release, seen_sent = threading.Event(), []

    class Stall(Recorder):
        async def handle_DATA(self, server, session, envelope):
            if len(self.arrived) == 3:  # the 4th message hangs until the test looked at the table
                for _ in range(200):
                    if release.is_set():
                        break
                    await asyncio.sleep(0.01)
            return await super().handle_DATA(server, session, envelope)

    def watch():
        import time
        for _ in range(200):
            n = sum(r.status == "sent" for r in _rows(loaded_sqlite))
            if n:
                seen_sent.append(n)
                break
            time.sleep(0.01)
        release.set()

    rec = Stall()
    with smtp_server(rec) as (host, port):
        t = threading.Thread(target=watch)
        t.start()
        report = asyncio.run(Dispatcher(Session, SmtpTransport(SmtpConfig(host, port, rate_per_minute=0, concurrency=1)),
                                        group_size=50, group_seconds=0.05).run(ids))
        t.join()
    assert seen_sent == [3] and report.sent == 23
