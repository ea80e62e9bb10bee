"""Pure parts of check-ins: tokens, reference tags, the message builder (no database, no Prefect)."""
from __future__ import annotations

import email
import html
import re
from datetime import date, datetime, timezone
from email.policy import default

import pytest

from plantrack.notifications.mail.checkin_message import CheckinData, Contact, IndicatorLine, ItemLine, build_checkin_message
from plantrack.notifications.mail.tokens import BadToken, ReplyClaims, reference_tag, reply_address, sign_reply_token, \
    verify_reply_token

KEY = "k" * 32


def test_token_round_trip_and_shape():
    claims = ReplyClaims(round_id=7, agency_id=12, person_id=345, expires=date(2024, 7, 4))
    tok = sign_reply_token(KEY, claims)
    assert re.fullmatch(r"[a-z2-7]{40}", tok)
    addr = reply_address("theodoi@laocai.example.org", tok)
    assert len(addr.split("@")[0]) <= 64 and addr.endswith("@laocai.example.org")
    assert verify_reply_token(KEY, tok, date(2024, 7, 4)) == claims
    assert verify_reply_token(KEY, tok.upper(), date(2024, 5, 20)) == claims


@pytest.mark.parametrize("mutate", [
    lambda t: t[:-1] + ("a" if t[-1] != "a" else "b"),  # tampered MAC
    lambda t: ("b" if t[5] != "b" else "c").join([t[:5], t[6:]]),  # tampered claims
    lambda t: t[:-2],  # truncated
    lambda t: t[:-1] + "1",  # not base32
])
def test_tampered_token_rejected(mutate):
    tok = sign_reply_token(KEY, ReplyClaims(1, 2, 3, date(2024, 7, 4)))
    with pytest.raises(BadToken):
        verify_reply_token(KEY, mutate(tok), date(2024, 5, 20))


def test_expired_or_foreign_key_token_rejected():
    tok = sign_reply_token(KEY, ReplyClaims(1, 2, 3, date(2024, 7, 4)))
    with pytest.raises(BadToken, match="expired"):
        verify_reply_token(KEY, tok, date(2024, 7, 5))
    with pytest.raises(BadToken, match="signature"):
        verify_reply_token("another key", tok, date(2024, 5, 20))


def test_reference_tag_is_short_stable_and_distinct():
    tags = {reference_tag(KEY, 1, a) for a in range(1, 200)}
    assert len(tags) == 199 and all(re.fullmatch(r"[A-Z2-7]{5}", t) for t in tags)
    assert reference_tag(KEY, 1, 5) == reference_tag(KEY, 1, 5) != reference_tag(KEY, 2, 5)


def _data(**over) -> CheckinData:
    item = dict(title="Tổ chức Diễn đàn trẻ em & hội nghị", status="on_track",
                status_label="Đang thực hiện trong hạn", progress=None, lead="Sở LĐ-TB&XH")
    base = dict(
        plan_number="60/KH-UBND", round_key="2024-W21", agency_code="SYT", agency_name="Sở Y tế",
        to=(Contact("Lý Thị Hương", "daumoi.syt@laocai.example.org"),),
        cc=(Contact("Phan Văn Long", "phogiamdoc.syt@laocai.example.org"),),
        leads=(ItemLine(code="VI.2/SYT", due=date(2024, 11, 15), days_left=179, **item),
               ItemLine(code="III.4", due=date(2024, 5, 10), days_left=-10, **{**item, "progress": 60}),
               ItemLine(code="VI.1/SYT", due=date(2024, 6, 15), days_left=26, **item)),
        supports=(ItemLine(code="III.9", due=date(2024, 12, 31), days_left=225, **item),),
        indicators=(IndicatorLine("II.1", "Giảm tỷ lệ trẻ em có hoàn cảnh đặc biệt", "%", 1.38, 1.36, 1.37,
                                  date(2024, 12, 31)),),
        today=date(2024, 5, 20), written_at=datetime(2024, 5, 20, 0, 30, tzinfo=timezone.utc), ref="K7Q2M",
        mail_from="theodoi@laocai.example.org", sender_name="Theo dõi KH 60/KH-UBND",
        reply_to="theodoi+abc@laocai.example.org", message_id="<checkin.x@laocai.example.org>")
    return CheckinData(**{**base, **over})


def _html_text(h: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", h))


def test_message_vi_headers_order_and_parts_agree():
    msg = build_checkin_message(_data())
    assert msg.subject == "[KH 60/KH-UBND #K7Q2M] Cập nhật tiến độ tuần 21/2024 - Sở Y tế"
    raw = msg.as_bytes()
    assert raw.isascii()  # RFC 2047 subject, quoted-printable bodies
    assert b"Subject: [KH 60/KH-UBND #K7Q2M] =?utf-8?" in raw
    m = email.message_from_bytes(raw, policy=default)
    assert m["Subject"] == msg.subject
    assert m["Auto-Submitted"] == "auto-generated" and m["X-Auto-Response-Suppress"] == "All"
    assert m["Reply-To"].addresses[0].addr_spec == "theodoi+abc@laocai.example.org"
    assert m["Cc"].addresses[0].addr_spec == "phogiamdoc.syt@laocai.example.org"
    assert m["Message-ID"] == "<checkin.x@laocai.example.org>"
    text = m.get_body(("plain",)).get_content()
    page = _html_text(m.get_body(("html",)).get_content())
    assert "Sở LĐ-TB&amp;XH" in m.get_body(("html",)).get_content()  # escaped in HTML only
    for part in (text, page):
        # most urgent first: overdue III.4, then VI.1/SYT, then VI.2/SYT
        assert part.index("III.4") < part.index("VI.1/SYT:" if part is text else "VI.1/SYT") < part.rindex("VI.2/SYT")
        for needle in ("10/05/2024", "15/06/2024", "quá hạn 10 ngày", "còn 26 ngày", "60%", "Sở LĐ-TB&XH",
                       "Tổ chức Diễn đàn trẻ em & hội nghị", "1,38%", "1,36%", "1,37%", "II.1",
                       "III.4: hoàn thành - đã tổ chức diễn đàn ngày 28/5", "VI.1/SYT: 60% - đang tổng hợp",
                       "III.5: vướng mắc - chờ kinh phí", "II.1: 1,37%", "III.4: done - forum held on 28/5",
                       "#K7Q2M"):
            assert needle in part, (needle, part[:200])
    assert "chưa trả lời" not in text


def test_message_en_and_missed_round():
    msg = build_checkin_message(_data(agency_name="Department of Health", missed_last_round=True), "en")
    assert msg.subject == "[KH 60/KH-UBND #K7Q2M] Progress update, week 21/2024 - Department of Health"
    assert "10 days overdue" in msg.text and "did not receive your answer" in msg.text
    assert "did not receive your answer" in msg.html
    assert "1.38%" in msg.text and "III.4: hoàn thành" in msg.text


def test_round_keys_and_demo_refusal():
    from plantrack.config.settings import Settings
    from plantrack.notifications.mail.checkin_round import MailConfigError, mail_identity, round_key

    assert round_key(date(2024, 5, 20)) == "2024-W21"
    assert round_key(date(2024, 12, 30)) == "2025-W01"
    assert round_key(date(2024, 5, 20), "month") == "2024-05"
    with pytest.raises(MailConfigError, match="SECRET_KEY"):
        mail_identity(Settings(smtp_host="relay.example.org", mail_from="a@b.org", secret_key=None))
    demo = mail_identity(Settings(smtp_host=None, secret_key=None))
    assert demo.demo and demo.mail_from.endswith("plantrack.localhost")
    assert not mail_identity(Settings(smtp_host="r", mail_from="a@b.org", secret_key="s")).demo
