"""The flows' markdown artifacts as coordinators read them in the Prefect UI: Vietnamese by default, English
available, counted phrases in the right form, dates dd/mm/yyyy, and every fact the run reports."""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from babel.messages.pofile import read_po

from plantrack.config.i18n import catalog_files
from plantrack.models.escalation.ladder import DIRECTORY_ROLES, Role, role_name
from plantrack.notifications.calendar.publish import PublishResult
from plantrack.notifications.mail.checkin_round import NotBuilt, RoundSummary
from plantrack.notifications.mail.checkins import CheckinResult
from plantrack.notifications.mail.digest import DigestResult, DigestSummary, PlanDigest
from plantrack.notifications.mail.dispatch import Failure
from plantrack.notifications.mail.escalation_run import EscalationResult, Fired, NoRecipient
from plantrack.notifications.mail.inbound.apply import Handled
from plantrack.notifications.mail.inbound.ingest import IngestResult
from plantrack.notifications.mail.inbound.send import Sent
from plantrack.notifications.mail.smtp import FailureKind, RelayError, RelayProblem, SmtpConfig
from plantrack.notifications.mail.transports import (Destination, EmlDirTransport, MemoryTransport, SmtpTransport,
                                                     TransportKind)
from plantrack.notifications.run_reports import calendars, checkins, digest, escalations, replies
from plantrack.notifications.run_reports.common import failure_reason, relay_text

LEASE = datetime(2024, 6, 18, 2, 5)
FAILED = Failure(7, "vanthu@sxd.example.org", "SXD: cập nhật tiến độ", "550 mailbox unavailable",
                 FailureKind.MESSAGE_REFUSED, "550 mailbox unavailable")
RELAY = Destination(TransportKind.SMTP, "relay:25")
LOGIN_REFUSED = RelayError(RelayProblem.AUTH_FAILED, "relay:25", "535 5.7.8 Authentication credentials invalid",
                           "relay:25 refused the login of 'theodoi': 535 5.7.8 Authentication credentials invalid")


def _missing(text: str, *parts: str) -> list[str]:
    """The parts text does not show (a list, so that a failure names them)."""
    return [p for p in parts if p not in text]


def _fired(code: str | None, agency: str, reason: str, level: int, to: tuple[str, ...]) -> Fired:
    return Fired("60/KH-UBND", code, f"Nhiệm vụ {code or agency}", agency, reason, level, 1, None, "", to)


def test_escalations_in_both_languages_with_levels_reasons_and_plurals():
    r = EscalationResult(date(2024, 6, 18), True, fired=(
        _fired("VI.1/SYT", "SYT", "deadline", 2, ("daumoi.syt@x.org",)),
        _fired(None, "STC", "silent", 4, ()), _fired("III.2", "SGD", "blocked", 3, ("giamdoc.sgd@x.org",))),
        queued=2, already_queued=1, resolved=1, sent=2, failed=1, failures=(FAILED,), transport=RELAY,
        demo=True, unreachable=(NoRecipient("III.2", 3, Role.COORDINATOR), NoRecipient("STC", 4, Role.DEPUTY_CHAIR)))
    vi, en = escalations.markdown(r, "vi"), escalations.markdown(r, "en")
    assert vi.startswith("# Đôn đốc ngày 18/06/2024\n") and en.startswith("# Escalations 18/06/2024\n")
    assert not _missing(
        vi, "- **3 lượt đôn đốc** mới; thư đưa vào hàng đợi lần này: 2 (đã có trong hàng đợi: 1); đã khắc phục: 1",
        "- Đã gửi 2, gửi lại 0, lỗi 1, còn chờ gửi 0 (máy chủ gửi thư SMTP relay:25)",
        "| Mức | Cơ quan | Lý do | Nhiệm vụ | Người nhận |",
        "| 4 Phó Chủ tịch UBND tỉnh | STC | không trả lời | (Nhiệm vụ STC) | (chỉ liệt kê, không gửi thư) |",
        "| 3 cơ quan thường trực | SGD | vướng mắc | III.2 | giamdoc.sgd@x.org |",
        "| 2 quá hạn | SYT | theo hạn | VI.1/SYT | daumoi.syt@x.org |",
        "**Chế độ demo**: chưa đặt PLANTRACK_SECRET_KEY",
        "**Không có người nhận** (bổ sung người vào danh bạ): III.2 (mức 3, cơ quan thường trực), "
        "STC (mức 4, Phó Chủ tịch UBND tỉnh)",
        "## Không gửi được",
        "| vanthu@sxd.example.org | SXD: cập nhật tiến độ | máy chủ gửi thư từ chối thư: `550 mailbox unavailable` |")
    assert not _missing(
        en, "- **3 escalations** fired; emails queued now: 2 (already queued: 1); resolved: 1",
        "- Sent 2, retried 0, failed 1, still queued 0 (SMTP relay relay:25)",
        "| 4 Deputy Chair | STC | silent | (Nhiệm vụ STC) | (listed, no email) |",
        "| 3 coordinator | SGD | blocked | III.2 |", "| 2 overdue | SYT | deadline | VI.1/SYT |",
        "**Demo mode**: no PLANTRACK_SECRET_KEY", "| To | Subject | Reason |",
        "**Nobody to send to** (add the person to the directory): III.2 (level 3, coordinator), "
        "STC (level 4, Deputy Chair)",
        "| vanthu@sxd.example.org | SXD: cập nhật tiến độ | the relay refused the message: `550 mailbox unavailable` |")
    assert escalations.description(r, "vi") == "3 lượt đôn đốc ngày 18/06/2024"
    assert escalations.description(r, "en") == "3 escalations on 18/06/2024"
    one = EscalationResult(date(2024, 6, 18), True, fired=r.fired[:1])
    assert escalations.description(one, "en") == "1 escalation on 18/06/2024"
    assert "- **1 escalation** fired;" in escalations.markdown(one, "en")
    assert escalations.description(EscalationResult(date(2024, 6, 18), True, fired=r.fired[:2]), "en") \
        == "2 escalations on 18/06/2024"


def test_escalations_not_run_on_a_day_off_or_under_another_runs_lock():
    off = EscalationResult(date(2024, 6, 15), False, "thứ Bảy")
    assert escalations.markdown(off, "vi") == ("# Đôn đốc ngày 15/06/2024\n\n**Ngày nghỉ (thứ Bảy): không ghi nhận, "
                                               "không gửi gì.** Lượt chạy của ngày làm việc tiếp theo sẽ gửi những gì "
                                               "đến hạn.\n")
    assert "**Day off (thứ Bảy): nothing was recorded or sent.**" in escalations.markdown(off, "en")
    locked = EscalationResult(date(2024, 6, 18), True, locked_by="host:42:run-1", lock_until=LEASE,
                              lock_message="another run holds the send-mail lock: host:42:run-1")
    assert escalations.markdown(locked, "vi").splitlines()[2] == (
        "**Một lượt chạy khác đang giữ quyền gửi thư: host:42:run-1 (đến 18/06/2024 02:05:00 UTC)**; "
        "lượt chạy này không ghi nhận, không gửi gì.")
    assert "# Escalations 18/06/2024: not run" in escalations.markdown(locked, "en")
    assert "Another run holds the send lock: host:42:run-1 (lease until 18/06/2024 02:05:00 UTC)" \
        in escalations.markdown(locked, "en")


def test_calendars_written_and_unchanged():
    r = PublishResult(("lich-60-KH-UBND.ics", "co-quan-SYT.ics"), 120, 3, ("uid-1",), ("60/KH-UBND III.9",), False,
                      date(2024, 7, 1))
    vi, en = calendars.markdown(r, date(2024, 6, 18), "vi"), calendars.markdown(r, date(2024, 6, 18), "en")
    assert vi.splitlines()[:5] == ["# Lịch ngày 18/06/2024", "",
                                   "- **2 lịch** có thay đổi (lịch không thay đổi thì không ghi lại)",
                                   "- sự kiện: 120; mới 3; thay đổi 1", "- bỏ qua (không có ngày hợp lệ): 1"]
    assert "- **2 feeds** changed (unchanged feeds are not rewritten)" in en
    assert "## Đã ghi\n`lich-60-KH-UBND.ics`, `co-quan-SYT.ics`" in vi
    assert "## Bỏ qua\n| Kế hoạch và mã |\n| --- |\n| 60/KH-UBND III.9 |" in vi
    assert "## Left out\n| Plan and code |" in en
    one = PublishResult(r.written[:1], 120, 0, (), (), False, None)
    assert "- **1 feed** changed" in calendars.markdown(one, date(2024, 6, 18), "en")
    assert calendars.description(one, "en") == "1 feed changed" and calendars.description(r, "en") == "2 feeds changed"
    assert calendars.description(r, "vi") == "2 lịch có thay đổi"
    many = PublishResult(tuple(f"f{i}.ics" for i in range(53)), 1, 0, (), (), False, None)
    assert "`f49.ics` và 3 lịch khác" in calendars.markdown(many, date(2024, 6, 18), "vi")
    same = PublishResult((), 120, 0, (), (), True, None, date(2024, 6, 1))
    assert ("- không có thay đổi từ 01/06/2024, còn đúng đến khi có thay đổi trạng thái: không ghi lại lịch nào, "
            "không dựng lại sự kiện") in calendars.markdown(same, date(2024, 6, 18), "vi")
    assert "- nothing changed since 01/06/2024, valid until no status change ahead" \
        in calendars.markdown(same, date(2024, 6, 18), "en")


def test_checkins_round_counts_and_relay_trouble():
    q = RoundSummary(["60/KH-UBND 2024-W21"], 5, 4, 1, ["STC"], ["SYT", "SGD"],
                     [NotBuilt("SXD", "x@sxd", "bad header")], True)
    r = CheckinResult(q, sent=1, failed=1, failures=(FAILED,), still_queued=3, transport=RELAY,
                      config_error=LOGIN_REFUSED)
    vi, en = checkins.markdown(r, "vi"), checkins.markdown(r, "en")
    assert vi.splitlines()[:5] == [
        "# Đề nghị cập nhật tiến độ 60/KH-UBND tuần 21/2024", "",
        "| Mới đưa vào hàng đợi | Đã có trong hàng đợi | Đã gửi | Gửi lại | Lỗi | Còn chờ gửi |",
        "| --- | --- | --- | --- | --- | --- |", "| 4 | 1 | 1 | 0 | 1 | 3 |"]
    assert en.startswith("# Check-ins 60/KH-UBND week 21/2024\n")
    assert not _missing(vi, "Gửi qua: máy chủ gửi thư SMTP relay:25",
                        "`plantrack report --by` kể từ khi gửi đề nghị): SYT, SGD",
                        "Chưa có đầu mối (không gửi đề nghị): STC",
                        "**Lỗi cấu hình máy chủ gửi thư**: relay:25 không chấp nhận tên đăng nhập hoặc mật khẩu (kiểm "
                        "tra PLANTRACK_SMTP_USER và PLANTRACK_SMTP_PASSWORD): `535 5.7.8 Authentication credentials "
                        "invalid`; không gửi thêm thư nào, thư vẫn nằm trong hàng đợi.",
                        "| x@sxd | SXD | không tạo được thư (sửa thông tin trong danh bạ): `bad header` |",
                        "| vanthu@sxd.example.org | SXD: cập nhật tiến độ |")
    assert "theodoi" not in vi  # our English sentence (it names the user) is for logs, not the artifact
    assert not _missing(en, "Sent through: SMTP relay relay:25", "No focal point (not asked): STC",
                        "**Relay configuration error**: relay:25 refused the user name or password (check "
                        "PLANTRACK_SMTP_USER and PLANTRACK_SMTP_PASSWORD): `535 5.7.8 Authentication credentials "
                        "invalid`; nothing more was sent, the messages stay queued.",
                        "| x@sxd | SXD | not built (fix the directory entry): `bad header` |")
    assert checkins.description(r, "vi") == "Lượt chạy này đã gửi 1 thư"
    assert checkins.description(r, "en") == "1 email sent by this run"
    assert checkins.description(CheckinResult(q, sent=2), "en") == "2 emails sent by this run"
    locked = CheckinResult(None, locked_by="host:42:run-1", lock_until=LEASE)
    assert checkins.markdown(locked, "vi").startswith(
        "# Đề nghị cập nhật tiến độ: lượt chạy này không gửi\n\n**Một lượt chạy khác đang giữ quyền gửi thư: "
        "host:42:run-1 (đến 18/06/2024 02:05:00 UTC)**. Lượt chạy đó sẽ gửi các thư trong hàng đợi;")
    assert checkins.description(locked, "en") == "Check-ins: not sent by this run"


def _digest(plan: str, queued: bool) -> PlanDigest:
    return PlanDigest(plan, "2024-W25", f"digest/{plan}/2024-W25", "s", ("pct@ubnd.example.org",), (), queued, queued,
                      3, 1)


def test_digest_rows_and_the_send_lock():
    r = DigestResult(DigestSummary((_digest("60/KH-UBND", True), _digest("61/KH-UBND", False)), ("62/KH-UBND",)),
                     sent=1, transport=Destination(TransportKind.MEMORY), locked_by="host:42:run-1", lock_until=LEASE)
    vi, en = digest.markdown(r, "vi"), digest.markdown(r, "en")
    assert vi.splitlines()[:5] == [
        "# Tóm tắt tiến độ tuần", "",
        "| Kế hoạch | Tuần | Lượt chạy này | Người nhận | Đồng gửi | Quá hạn | Vướng mắc mới |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        "| 60/KH-UBND | tuần 25/2024 | đã đưa vào hàng đợi | pct@ubnd.example.org | - | 3 | 1 |"]
    assert "| 61/KH-UBND | week 25/2024 | already queued this week | pct@ubnd.example.org | - | 3 | 1 |" in en
    assert "Đã gửi 1, gửi lại 0, lỗi 0, còn chờ gửi 0 (bộ nhớ, chỉ dùng khi kiểm thử)" in vi
    assert "Sent 1, retried 0, failed 0, still queued 0 (memory, tests only)" in en
    assert "Chưa có người nhận bản tóm tắt trong tệp kế hoạch (digest_to): 62/KH-UBND" in vi
    assert ("(đến 18/06/2024 02:05:00 UTC)**: bản tóm tắt vẫn nằm trong hàng đợi; lượt chạy đó (hoặc lượt sau) "
            "sẽ gửi.") in vi
    assert digest.description(r, "vi") == "Lượt chạy này đưa 1 bản tóm tắt tuần vào hàng đợi"
    assert digest.description(r, "en") == "1 weekly digest queued by this run"
    two = DigestResult(DigestSummary((_digest("60/KH-UBND", True), _digest("61/KH-UBND", True))))
    assert digest.description(two, "en") == "2 weekly digests queued by this run"


def test_replies_counts_lines_not_applied_and_plurals():
    h = Handled(1, "applied", "daumoi.syt@x.org", "SYT", None, ("VI.1/SYT",), unclear=("VI.9: xong | chắc",),
                refused=("III.2: 50%",))
    r = IngestResult("maildir:/srv/replies", fetched=2, stored=1, handled=2, applied=1, partial=1, reports=1,
                     rejected_senders=("la@example.net",), undeliverable=("cu@sxd.example.org",), details=(h,))
    vi, en = replies.markdown(r, Sent(3, 1), "vi"), replies.markdown(r, Sent(3, 1), "en")
    assert vi.startswith("# Thư trả lời: maildir:/srv/replies\n")
    assert not _missing(vi, "| 1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 3 (1 lỗi) |",
                        "Đã lấy 2 thư từ hộp thư (1 thư mới), đã đọc 2, đã ghi nhận 1 dòng báo cáo.",
                        "## Người gửi bị từ chối\n\n- la@example.net",
                        "| daumoi.syt@x.org | SYT | VI.9: xong / chắc | không hiểu được |")
    assert not _missing(en, "| 3 (1 failed) |",
                        "2 messages taken from the source (1 new), 2 read, 1 report line recorded.",
                        "## Undeliverable addresses (check-ins bounced)\n\n- cu@sxd.example.org",
                        "| daumoi.syt@x.org | SYT | III.2: 50% | not allowed |")
    one = IngestResult("m", fetched=1, stored=1, handled=1, reports=2)
    assert "1 message taken from the source (1 new), 1 read, 2 report lines recorded." \
        in replies.markdown(one, Sent(), "en")
    locked = replies.markdown(one, Sent(locked_by="host:42:run-1"), "vi")
    assert "Thư xác nhận vẫn nằm trong hàng đợi: một lượt chạy khác (host:42:run-1) đang giữ quyền gửi thư" in locked
    assert replies.description(one, "en") == "1 reply read by this run"
    assert replies.description(r, "en") == "2 replies read by this run"
    assert replies.description(r, "vi") == "Lượt chạy này đã đọc 2 thư trả lời"


def test_counts_over_a_thousand_are_grouped_as_each_language_writes_them():
    big = EscalationResult(date(2024, 6, 18), True, fired=(_fired("VI.1/SYT", "SYT", "deadline", 2, ()),),
                           queued=1049, already_queued=12345, resolved=1000, sent=1049, retried=1200, failed=3,
                           still_queued=2000, transport=RELAY)
    assert escalations.markdown(big, "vi").splitlines()[2:4] == [
        "- **1 lượt đôn đốc** mới; thư đưa vào hàng đợi lần này: 1.049 (đã có trong hàng đợi: 12.345); "
        "đã khắc phục: 1.000",
        "- Đã gửi 1.049, gửi lại 1.200, lỗi 3, còn chờ gửi 2.000 (máy chủ gửi thư SMTP relay:25)"]
    assert escalations.markdown(big, "en").splitlines()[2:4] == [
        "- **1 escalation** fired; emails queued now: 1,049 (already queued: 12,345); resolved: 1,000",
        "- Sent 1,049, retried 1,200, failed 3, still queued 2,000 (SMTP relay relay:25)"]
    q = RoundSummary(["60/KH-UBND 2024-W21"], 1100, 1049, 0)
    c = CheckinResult(q, sent=1049, still_queued=1001, transport=Destination(TransportKind.EML_DIR, "/srv/outbox"))
    assert checkins.markdown(c, "vi").splitlines()[4:7] == ["| 1.049 | 0 | 1.049 | 0 | 0 | 1.001 |", "",
                                                            "Gửi qua: tệp .eml trong thư mục /srv/outbox"]
    assert checkins.markdown(c, "en").splitlines()[4:7] == ["| 1,049 | 0 | 1,049 | 0 | 0 | 1,001 |", "",
                                                            "Sent through: .eml files in /srv/outbox"]
    assert checkins.description(c, "vi") == "Lượt chạy này đã gửi 1.049 thư"
    assert checkins.description(c, "en") == "1,049 emails sent by this run"
    d = DigestResult(DigestSummary((PlanDigest("60/KH-UBND", "2024-W25", "k", "s", ("pct@x.org",), (), True, True,
                                               1049, 1500),)), sent=1)
    assert "| 60/KH-UBND | tuần 25/2024 | đã đưa vào hàng đợi | pct@x.org | - | 1.049 | 1.500 |" \
        in digest.markdown(d, "vi")
    assert "| 60/KH-UBND | week 25/2024 | queued | pct@x.org | - | 1,049 | 1,500 |" in digest.markdown(d, "en")
    feeds = PublishResult(tuple(f"f{i}.ics" for i in range(1049)), 10490, 1200, tuple(range(1300)), (), False, None)
    vi, en = calendars.markdown(feeds, date(2024, 6, 18), "vi"), calendars.markdown(feeds, date(2024, 6, 18), "en")
    assert vi.splitlines()[2:4] == ["- **1.049 lịch** có thay đổi (lịch không thay đổi thì không ghi lại)",
                                    "- sự kiện: 10.490; mới 1.200; thay đổi 1.300"]
    assert en.splitlines()[2:4] == ["- **1,049 feeds** changed (unchanged feeds are not rewritten)",
                                    "- events: 10,490; new 1,200; changed 1,300"]
    assert "`f49.ics` và 999 lịch khác" in vi and calendars.description(feeds, "vi") == "1.049 lịch có thay đổi"
    assert calendars.description(feeds, "en") == "1,049 feeds changed"
    r = IngestResult("m", fetched=1049, stored=1001, handled=1049, applied=1049, reports=2500)
    assert replies.markdown(r, Sent(1049, 1200), "vi").splitlines()[4:7] == [
        "| 1.049 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 1.049 (1.200 lỗi) |", "",
        "Đã lấy 1.049 thư từ hộp thư (1.001 thư mới), đã đọc 1.049, đã ghi nhận 2.500 dòng báo cáo."]
    assert replies.markdown(r, Sent(1049), "en").splitlines()[4:7] == [
        "| 1,049 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 1,049 |", "",
        "1,049 messages taken from the source (1,001 new), 1,049 read, 2,500 report lines recorded."]
    assert replies.description(r, "vi") == "Lượt chạy này đã đọc 1.049 thư trả lời"


def test_each_transport_says_where_mail_goes_in_both_languages():
    relay = SmtpTransport(SmtpConfig("mail.laocai.gov.vn", 587, "starttls")).destination
    folder = EmlDirTransport(Path("/srv/plantrack/outbox")).destination
    memory = MemoryTransport().destination
    assert relay.describe("vi") == "máy chủ gửi thư SMTP mail.laocai.gov.vn:587"
    assert relay.describe("en") == "SMTP relay mail.laocai.gov.vn:587"
    assert folder.describe("vi") == "tệp .eml trong thư mục /srv/plantrack/outbox"
    assert folder.describe("en") == ".eml files in /srv/plantrack/outbox"
    assert memory.describe("vi") == "bộ nhớ, chỉ dùng khi kiểm thử" and memory.describe("en") == "memory, tests only"


def test_failure_reasons_explain_first_then_quote_the_relay():
    def failure(kind, reply, tries=0):
        return Failure(1, "a@x.org", "s", reply, kind, reply, tries)

    cases = [
        (failure(FailureKind.RECIPIENT_REFUSED, "a@x.org: 550 5.1.1 <a@x.org>: Recipient address rejected"),
         "máy chủ gửi thư từ chối địa chỉ người nhận: `a@x.org: 550 5.1.1 <a@x.org>: Recipient address rejected`",
         "the relay refused the recipient: `a@x.org: 550 5.1.1 <a@x.org>: Recipient address rejected`"),
        (failure(FailureKind.MESSAGE_REFUSED, "554 5.7.1 Message rejected as spam"),
         "máy chủ gửi thư từ chối thư: `554 5.7.1 Message rejected as spam`",
         "the relay refused the message: `554 5.7.1 Message rejected as spam`"),
        (failure(FailureKind.DEFERRED, "421 4.7.0 Try again later", 5),
         "đã thử 5 lần vẫn không gửi được (máy chủ gửi thư tạm thời chưa nhận thư): `421 4.7.0 Try again later`",
         "gave up after 5 tries (the relay asked to try later): `421 4.7.0 Try again later`"),
        (failure(FailureKind.CONNECTION, "SMTPServerDisconnected: Connection lost", 5),
         "đã thử 5 lần vẫn không gửi được (mất kết nối với máy chủ gửi thư): `SMTPServerDisconnected: Connection lost`",
         "gave up after 5 tries (the connection to the relay failed): `SMTPServerDisconnected: Connection lost`"),
        (failure(FailureKind.NOT_SENDABLE, "SMTPNotSupported: SMTPUTF8 not supported"),
         "không thể gửi thư này: `SMTPNotSupported: SMTPUTF8 not supported`",
         "this message cannot be sent: `SMTPNotSupported: SMTPUTF8 not supported`"),
    ]
    for f, vi, en in cases:
        assert (failure_reason(f, "vi"), failure_reason(f, "en")) == (vi, en)
    assert failure_reason(Failure(1, "a", "s", "as stored"), "vi") == "as stored"  # no kind known: the row's words


def test_relay_problems_explain_first_then_quote_the_relay_or_the_network():
    def vi(problem, reply=""):
        return relay_text(RelayError(problem, "relay:587", reply, "English sentence for logs"), "vi")

    assert vi(RelayProblem.UNREACHABLE, "ConnectionRefusedError: [Errno 111] Connect call failed") == (
        "relay:587 không phản hồi hoặc đã ngắt kết nối: `ConnectionRefusedError: [Errno 111] Connect call failed`")
    assert vi(RelayProblem.TLS_UNVERIFIED, "self-signed certificate") == (
        "không xác minh được chứng chỉ TLS của relay:587 (đặt PLANTRACK_SMTP_CA_FILE là tệp CA đã ký chứng chỉ đó): "
        "`self-signed certificate`")
    assert vi(RelayProblem.TLS_FAILED, "WRONG_VERSION_NUMBER") == (
        "không thiết lập được kết nối TLS với relay:587 (kiểm tra PLANTRACK_SMTP_SECURITY và PLANTRACK_SMTP_PORT): "
        "`WRONG_VERSION_NUMBER`")
    assert vi(RelayProblem.STARTTLS_NOT_OFFERED) == (
        "relay:587 không hỗ trợ STARTTLS (kiểm tra PLANTRACK_SMTP_PORT và PLANTRACK_SMTP_SECURITY)")
    assert vi(RelayProblem.AUTH_NOT_OFFERED, "AUTH GSSAPI").startswith(
        "relay:587 không cho đăng nhập theo cách plantrack hỗ trợ (PLAIN, LOGIN, CRAM-MD5)")
    assert vi(RelayProblem.AUTH_REQUIRED, "530 5.7.0 Authentication required") == (
        "relay:587 yêu cầu đăng nhập (hoặc TLS) trước khi gửi (đặt PLANTRACK_SMTP_USER, PLANTRACK_SMTP_PASSWORD và "
        "PLANTRACK_SMTP_SECURITY): `530 5.7.0 Authentication required`")
    assert relay_text(LOGIN_REFUSED, "en") == (
        "relay:25 refused the user name or password (check PLANTRACK_SMTP_USER and PLANTRACK_SMTP_PASSWORD): "
        "`535 5.7.8 Authentication credentials invalid`")
    assert str(LOGIN_REFUSED) == LOGIN_REFUSED.message  # logs, the CLI and the flow's error keep the English sentence


def test_a_flows_failure_is_its_artifacts_words_in_plain_text_with_the_relays_reply_verbatim():
    """The Prefect UI shows a failed run's message as plain text: the report's bold goes, the relay's words stay."""
    odd = RelayError(RelayProblem.AUTH_REQUIRED, "relay:25", "530 **auth** first", "English sentence for logs")
    r = CheckinResult(None, sent=2, still_queued=1049, transport=RELAY, config_error=odd)
    assert checkins.relay_failure(r, "vi") == (
        "Lỗi cấu hình máy chủ gửi thư: relay:25 yêu cầu đăng nhập (hoặc TLS) trước khi gửi (đặt PLANTRACK_SMTP_USER, "
        "PLANTRACK_SMTP_PASSWORD và PLANTRACK_SMTP_SECURITY): `530 **auth** first`; không gửi thêm thư nào, thư vẫn "
        "nằm trong hàng đợi. Đã gửi 2, gửi lại 0, lỗi 0, còn chờ gửi 1.049 (máy chủ gửi thư SMTP relay:25)")
    assert checkins.relay_failure(r, "en").endswith(
        ": `530 **auth** first`; nothing more was sent, the messages stay queued. Sent 2, retried 0, failed 0, still "
        "queued 1,049 (SMTP relay relay:25)")
    assert checkins.relay_failure(CheckinResult(None, sent=2), "vi") is None  # the relay did its part: no failure


def test_every_role_has_a_name_in_each_language():
    for role in (*Role, *DIRECTORY_ROLES):
        vi, en = role_name(role, "vi"), role_name(role, "en")
        assert "_" not in vi + en and vi != en, role
    assert [role_name(r, "vi") for r in ("focal_point", "deputy", "head")] == [
        "đầu mối", "lãnh đạo cấp phó", "thủ trưởng cơ quan"]


WORD = r"(?<![A-Za-z_])[a-z]{3,}(?![A-Za-z_])"  # a lowercase word, not a part of PLANTRACK_SMTP_USER or LOGIN


def _english_words() -> set[str]:
    """The words of the catalog's English (its message ids) that none of its Vietnamese uses."""
    with catalog_files()[0].open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    ids, strings = [], []
    for m in catalog:
        if m.id:
            ids += m.id if isinstance(m.id, tuple) else [m.id]
            strings += m.string if isinstance(m.string, tuple) else [m.string]
    placeholder = r"%\(\w+\)s|\{\w*\}"
    english = set(re.findall(WORD, re.sub(placeholder, "", " ".join(ids)).lower()))
    return english - set(re.findall(WORD, re.sub(placeholder, "", " ".join(strings))))


def test_vietnamese_artifacts_show_no_english_outside_the_relays_own_words():
    """Every branch of every artifact, in Vietnamese: no English word of the catalog shows, except inside `...`
    (the server's reply, the network's error) and in names (addresses, hosts, paths, settings)."""
    failures = (FAILED, Failure(8, "b@x.org", "s", "", FailureKind.DEFERRED, "421 4.7.0 Try again later", 5))
    q = RoundSummary(["60/KH-UBND 2024-W21"], 5, 1049, 1, ["STC"], ["SYT"], [NotBuilt("SXD", "x@sxd", "bad header")],
                     True)
    texts = [escalations.markdown(EscalationResult(
        date(2024, 6, 18), True, fired=(_fired("VI.1/SYT", "SYT", "deadline", 2, ("a@x.org",)),
                                        _fired(None, "STC", "silent", 4, ())),
        queued=1049, failures=failures, transport=RELAY, demo=True,
        unreachable=tuple(NoRecipient("III.2", 3, r) for r in (*Role, *DIRECTORY_ROLES)),
        not_built=("x@y: UnsafeHeader: To address is not ASCII",), relay_config_error=LOGIN_REFUSED), "vi")]
    for problem in RelayProblem:
        e = RelayError(problem, "relay:587", "421 Service not available", "English sentence for logs")
        texts += [checkins.markdown(CheckinResult(q, failures=failures, transport=RELAY, **(
            {"config_error": e} if problem.is_configuration else {"unreachable": e})), "vi"),
            escalations.markdown(EscalationResult(date(2024, 6, 18), True, relay_unreachable=e), "vi"),
            digest.markdown(DigestResult(DigestSummary((_digest("60/KH-UBND", True),), ("62/KH-UBND",), True),
                                         failures=failures, transport=Destination(TransportKind.EML_DIR, "/srv/o"),
                                         unreachable=e, config_error=e, locked_by="h:1:r", lock_until=LEASE), "vi")]
        texts += [checkins.relay_failure(CheckinResult(q, still_queued=3, transport=RELAY, config_error=e), "vi"),
                  checkins.relay_failure(CheckinResult(q, still_queued=3, transport=RELAY, unreachable=e), "vi"),
                  escalations.relay_failure(EscalationResult(date(2024, 6, 18), True, relay_config_error=e), "vi"),
                  escalations.relay_failure(EscalationResult(date(2024, 6, 18), True, relay_unreachable=e), "vi"),
                  digest.relay_failure(DigestResult(DigestSummary(()), config_error=e), "vi"),
                  digest.relay_failure(DigestResult(DigestSummary(()), unreachable=e), "vi"),
                  replies.relay_failure(Sent(still_queued=2, transport=RELAY, **(
                      {"config_error": e} if problem.is_configuration else {"unreachable": e})), "vi"),
                  replies.markdown(IngestResult("m", fetched=1, handled=1), Sent(still_queued=2, **(
                      {"config_error": e} if problem.is_configuration else {"unreachable": e})), "vi")]  # failures
    texts += [checkins.markdown(CheckinResult(None, locked_by="h:1:r", lock_until=LEASE), "vi"),
              checkins.markdown(CheckinResult(q, transport=Destination(TransportKind.MEMORY)), "vi"),
              escalations.markdown(EscalationResult(date(2024, 6, 15), False, "thứ Bảy"), "vi"),
              calendars.markdown(PublishResult(tuple(f"f{i}.ics" for i in range(60)), 1, 0, (), ("60/KH-UBND III.9",),
                                               False, None), date(2024, 6, 18), "vi"),
              calendars.markdown(PublishResult((), 1, 0, (), (), True, None, date(2024, 6, 1)), date(2024, 6, 18),
                                 "vi"),
              replies.markdown(IngestResult("Maildir /srv/replies", fetched=2, handled=2, rejected_senders=("l@x",),
                                            undeliverable=("c@x",), details=(Handled(
                                                1, "applied", "d@x", "SYT", None, (), unclear=("VI.9: xong",),
                                                refused=("III.2: 50%",)),)), Sent(3, 1, "h:1:r"), "vi")]
    english = _english_words()
    assert {"relay", "refused", "files", "coordinator", "tries", "user", "login"} <= english
    for text in texts:
        prose = re.sub(r"`[^`]*`|\S*(?:[@/]|[.:](?=\S))\S*", "", text)  # relay's words; addresses, hosts, paths
        # 'Relay' opening a sentence counts; names in capitals (SMTP, TLS, UBND) do not
        words = {w.lower() for w in re.findall(r"(?<![A-Za-z_])[A-Z]?[a-z]{2,}(?![A-Za-z_])", prose)}
        assert not words & english, (words & english, text)
