"""The reader alone (no database): client styles, charsets, HTML, quotes, automated mail, report lines."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from plantrack.notifications.mail.inbound.automated import Auto
from plantrack.notifications.mail.inbound.lines import CodeBook, Kind, Problem, Report, Said, Target, Unclear, \
    parse_line, read_lines
from plantrack.notifications.mail.inbound.reader import auth_failure, read_message
from tests.replies_fixtures import replies_template, seed_checkins  # noqa: F401
from tests.reply_corpus import STYLES, dsn, out_of_office, raw_8bit, reply

NEW_VI = "V.6: 60% - đang tổng hợp\nVI.1/SYT: hoàn thành\nII.5: 98,5%"
NEW_PLAIN = "V.6: 60% - dang tong hop\nVI.1/SYT: hoan thanh\nII.5: 98,5%"

BOOK = CodeBook([Target("III.4", Kind.DELIVERABLE), Target("VI.1/SYT", Kind.DELIVERABLE),
                 Target("III.5", Kind.DELIVERABLE), Target("II.1", Kind.INDICATOR, "%"),
                 Target("II.7", Kind.INDICATOR, "đồng"), Target("V.8/UBND-TPLAOCAI", Kind.DELIVERABLE)])


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("new", [NEW_VI, NEW_PLAIN], ids=["diacritics", "no-diacritics"])
def test_every_client_style_keeps_only_the_new_text(seed_checkins, style, new):
    ck = seed_checkins["SYT"]
    r = read_message(reply(ck, new, style))
    assert r.defect is None and r.auto is None
    got = [ln.strip() for ln in r.new_text.splitlines() if ln.strip()]
    # the reply's own lines are there, and nothing of the quoted check-in (its examples included)
    for line in new.splitlines():
        assert line in got, (style, r.new_text)
    assert not any(x in r.new_text for x in ("III.4: hoàn thành", "III.4: done", "NHIỆM VỤ", "Kính gửi")), r.new_text
    assert r.in_reply_to == (ck.message_id,) and r.tokens and r.tag == ("60/KH-UBND", ck.ref)


def test_windows_1258_body_and_header_are_decoded(seed_checkins):
    ck = seed_checkins["SYT"]
    r = read_message(raw_8bit(ck, "VI.1/SYT: đang thực hiện, 40% - chờ số liệu huyện", "windows-1258"))
    assert "VI.1/SYT: đang thực hiện, 40% - chờ số liệu huyện" in r.new_text


def test_undeclared_8bit_text_is_detected(seed_checkins):
    ck = seed_checkins["SYT"]
    r = read_message(raw_8bit(ck, "VI.1/SYT: hoàn thành - đã nộp báo cáo sáu tháng", None))
    assert "VI.1/SYT: hoàn thành - đã nộp báo cáo sáu tháng" in r.new_text


@pytest.mark.parametrize("cte", ["base64", "quoted-printable"])
def test_base64_and_quoted_printable(seed_checkins, cte):
    ck = seed_checkins["SYT"]
    raw = reply(ck, NEW_VI, "gmail_vi", cte=cte)
    assert f"Content-Transfer-Encoding: {cte}".encode() in raw
    assert "VI.1/SYT: hoàn thành" in read_message(raw).new_text


def test_html_only_reply_is_converted_without_its_quote(seed_checkins):
    ck = seed_checkins["SYT"]
    r = read_message(reply(ck, NEW_VI, "gmail_html", html_only=True))
    assert "V.6: 60% - đang tổng hợp" in r.new_text and "III.4" not in r.new_text


def test_whole_checkin_pasted_without_quote_marks_keeps_examples_out(seed_checkins):
    """A reply that pastes the whole check-in with no header at all: handled by the intake (remove_pasted)."""
    from plantrack.notifications.mail.inbound.recording import remove_pasted

    ck = seed_checkins["SLDTBXH"]
    text = "III.5: 30%\n\n" + ck.text
    left = remove_pasted(text, frozenset())
    assert "III.5: 30%" in left and "III.4: hoàn thành" not in left and "II.1: 1,37%" not in left


@pytest.mark.parametrize("lang,until_text,expected", [
    ("vi", "đến hết ngày 31/5/2024", date(2024, 5, 31)),
    ("vi", "từ 20/5, sẽ trở lại làm việc vào ngày 03/06", date(2024, 6, 2)),
    ("en", "until May 31, 2024", date(2024, 5, 31)),
    ("en", "and will be back on 3 June", date(2024, 6, 2)),
    ("en", "this week", None),
])
def test_out_of_office_is_automated_with_its_date(seed_checkins, lang, until_text, expected):
    r = read_message(out_of_office(seed_checkins["SYT"], lang, until_text))
    assert r.auto == Auto.OUT_OF_OFFICE
    assert r.away_until(date(2024, 5, 20)) == expected


def test_out_of_office_subject_alone_is_enough(seed_checkins):
    r = read_message(out_of_office(seed_checkins["SYT"], "vi", "đến 31/5", auto_header=False))
    assert r.auto == Auto.OUT_OF_OFFICE


@pytest.mark.parametrize("header", [("Auto-Submitted", "auto-generated"), ("X-Autorespond", "1"),
                                    ("Precedence", "bulk"), ("List-Id", "<news.example.org>"), ("Return-Path", "<>")])
def test_automated_headers(seed_checkins, header):
    r = read_message(reply(seed_checkins["SYT"], NEW_VI, headers=(header,)))
    assert r.auto == Auto.AUTOMATED


def test_auto_submitted_no_is_a_person(seed_checkins):
    assert read_message(reply(seed_checkins["SYT"], NEW_VI, headers=(("Auto-Submitted", "no"),))).auto is None


def test_dsn_names_the_failed_address_and_the_checkin(seed_checkins):
    ck = seed_checkins["SYT"]
    r = read_message(dsn(ck, ck.focal))
    assert r.auto == Auto.BOUNCE and r.bounced_message_id == ck.message_id
    assert [(b.address, b.status, b.action) for b in r.bounces] == [(ck.focal, "5.1.1", "failed")]


def test_attachments_are_read(seed_checkins):
    r = read_message(reply(seed_checkins["SYT"], NEW_VI, attachments=(("bao-cao-6-thang.pdf", "application/pdf",
                                                                       b"%PDF-1.4 report"),)))
    assert [(a.filename, a.content_type, a.data) for a in r.attachments] == [
        ("bao-cao-6-thang.pdf", "application/pdf", b"%PDF-1.4 report")]


def test_authentication_results_only_from_the_trusted_server():
    results = ("mx.laocai.example.org; spf=pass smtp.mailfrom=x; dmarc=fail header.from=gmail.com",
               "evil.example; dmarc=pass")
    assert auth_failure(results, "mx.laocai.example.org") == "dmarc=fail"
    assert auth_failure(results, None) is None
    assert auth_failure(("evil.example; dmarc=fail",), "mx.laocai.example.org") is None


@pytest.mark.parametrize("line,code,said,progress", [
    ("III.4: hoàn thành - đã tổ chức diễn đàn ngày 28/5", "III.4", Said.DONE, None),
    ("iii 4 : xong", "III.4", Said.DONE, None),
    ("III 4 - HT", "III.4", Said.DONE, None),
    ("III.4: đã xong", "III.4", Said.DONE, None),
    ("III.4: done", "III.4", Said.DONE, None),
    ("III.4: finished", "III.4", Said.DONE, None),
    ("vi1/syt: 60 %", "VI.1/SYT", Said.IN_PROGRESS, 60),
    ("VI.1 / SYT: đang triển khai", "VI.1/SYT", Said.IN_PROGRESS, None),
    ("VI.1: dang lam", "VI.1/SYT", Said.IN_PROGRESS, None),  # bare VI.1 from SYT means its own VI.1/SYT
    ("III.5: in progress", "III.5", Said.IN_PROGRESS, None),
    ("III.5: started", "III.5", Said.IN_PROGRESS, None),
    ("III.5: chưa bắt đầu", "III.5", Said.NOT_STARTED, None),
    ("III.5: chua lam", "III.5", Said.NOT_STARTED, None),
    ("III.5: not started", "III.5", Said.NOT_STARTED, None),
    ("III.5: vướng mắc - chờ kinh phí", "III.5", Said.BLOCKED, None),
    ("III.5: kho khan", "III.5", Said.BLOCKED, None),
    ("III.5: blocked", "III.5", Said.BLOCKED, None),
    ("III.5: tạm dừng", "III.5", Said.PAUSED, None),
    ("III.5: paused", "III.5", Said.PAUSED, None),
    ("III.5: hủy", "III.5", Said.CANCELLED, None),
    ("III.5: huỷ", "III.5", Said.CANCELLED, None),
    ("III.5: cancelled", "III.5", Said.CANCELLED, None),
    ("III.5: 100%", "III.5", Said.DONE, 100),
    ("- III.5: 45%", "III.5", Said.IN_PROGRESS, 45),
    ("V.8/UBND-TPLAOCAI: chưa bắt đầu", "V.8/UBND-TPLAOCAI", Said.NOT_STARTED, None),
])
def test_state_lines(line, code, said, progress):
    got = parse_line(line, BOOK, "SYT")
    assert isinstance(got, Report) and (got.code, got.said, got.progress) == (code, said, progress)


@pytest.mark.parametrize("line,value", [
    ("II.1: 1,37%", Decimal("1.37")), ("II.1: 1.37 %", Decimal("1.37")), ("ii1: 1,4", Decimal("1.4")),
    ("II.7: 850 triệu", Decimal("850000000")), ("II.7: 1,2 tỷ đồng", Decimal("1200000000")),
    ("II.7: 1.000.000.000 đồng", Decimal("1000000000")), ("II.7: 1,000,000,000", Decimal("1000000000")),
    ("II.7: 850.000.000đ", Decimal("850000000")), ("II.7: 1,2 ty dong", Decimal("1200000000")),
])
def test_indicator_values(line, value):
    got = parse_line(line, BOOK, "SLDTBXH")
    assert isinstance(got, Report) and got.value == value


@pytest.mark.parametrize("line,problem", [
    ("III.4: 60% đang tổng hợp nhưng", Problem.NOT_UNDERSTOOD),
    ("III.4: hoàn thành 60%", Problem.NOT_UNDERSTOOD),
    ("III.4: 150%", Problem.BAD_PERCENT),
    ("III.4: 60", Problem.VALUE_FOR_DELIVERABLE),
    ("III.4:", Problem.NO_VALUE),
    ("IV.9: xong", Problem.UNKNOWN_CODE),
    ("II.1: hoàn thành", Problem.STATE_FOR_INDICATOR),
    ("II.1: 850 triệu", Problem.WRONG_UNIT),
    ("II.7: 1,37%", Problem.WRONG_UNIT),
    ("II.7: 1,200 tỷ", Problem.AMBIGUOUS_NUMBER),
    ("III.4: chúng tôi sẽ báo cáo sau", Problem.NOT_UNDERSTOOD),
])
def test_lines_not_fully_understood_are_never_reports(line, problem):
    got = parse_line(line, BOOK, "SYT")
    assert isinstance(got, Unclear) and got.problem == problem


def test_prose_is_not_a_report_line():
    assert read_lines("Kính gửi Văn phòng,\nI am fine\nTrân trọng\nVí dụ xem mục III.4 bên dưới", BOOK) \
        .reports == ()


def test_indicator_codes_with_a_letter_are_read():
    """The plan's targets are II.2a ... II.6b since issue 15: a reply 'II.4a: 65,3%' records that indicator."""
    book = CodeBook([Target("II.4a", Kind.INDICATOR, "%"), Target("II.4", Kind.DELIVERABLE)])
    for text, value in (("II.4a: 65,3%", Decimal("65.3")), ("ii.4A = 70%", Decimal("70"))):
        assert [(r.code, r.value) for r in read_lines(text, book).reports] == [("II.4a", value)]
    assert parse_line("II.4: hoàn thành", book).code == "II.4"  # the letter is optional
