"""Pure parts of check-ins: tokens, reference tags, the message builder (no database, no Prefect)."""
from __future__ import annotations

import email
import html
import re
from datetime import date, datetime, timezone
from email.policy import default

import pytest

from plantrack.notifications.mail.checkin_message import (CheckinData, Contact, ContactPerson, IndicatorLine, ItemLine,
                                                           Office, PlanCitation, build_checkin_message)
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


PLAN = PlanCitation("60/KH-UBND", "Kế hoạch triển khai thực hiện công tác bảo vệ, chăm sóc trẻ em năm 2024",
                    "UBND tỉnh Lào Cai", date(2024, 1, 30), "Giàng Thị Dung, Phó Chủ tịch UBND tỉnh")
OFFICE = Office("Sở Lao động - Thương binh và Xã hội", "Sở LĐ-TB&XH",
                ContactPerson("Lò Thị Thanh", "treem.sldtbxh@laocai.example.org", "0214 0000 001",
                              "Chuyên viên Phòng Trẻ em"))


def _data(**over) -> CheckinData:
    item = dict(title="Tổ chức Diễn đàn trẻ em & hội nghị", status="on_track",
                status_label="Đang thực hiện trong hạn", progress=None, lead="Sở LĐ-TB&XH")
    base = dict(
        plan=PLAN, office=OFFICE, round_key="2024-W21", agency_code="SYT", agency_name="Sở Y tế",
        to=(Contact("Lý Thị Hương", "daumoi.syt@laocai.example.org"),),
        cc=(Contact("Phan Văn Long", "phogiamdoc.syt@laocai.example.org"),),
        leads=(ItemLine(code="VI.2/SYT", due=date(2024, 11, 15), days_left=179, **item),
               ItemLine(code="III.4", due=date(2024, 5, 10), days_left=-10, **{**item, "progress": 60},
                        last_report=date(2024, 5, 2)),
               ItemLine(code="VI.1/SYT", due=date(2024, 6, 15), days_left=26, effective_due=date(2024, 6, 17),
                        report_to="Sở Lao động - Thương binh và Xã hội", **item)),
        supports=(ItemLine(code="III.9", due=date(2024, 12, 31), days_left=225, **item),),
        indicators=(IndicatorLine("II.1", "Giảm tỷ lệ trẻ em có hoàn cảnh đặc biệt", "%", 1.38, 1.36, 1.37,
                                  date(2024, 12, 31), last_report=date(2024, 5, 2)),
                    IndicatorLine("II.7", "Quỹ Bảo trợ trẻ em cấp tỉnh", "đồng", None, 1_000_000_000, None,
                                  date(2024, 12, 31))),
        today=date(2024, 5, 20), reply_by=datetime(2024, 5, 22, 16, 0), ref="K7Q2M",
        written_at=datetime(2024, 5, 20, 0, 30, tzinfo=timezone.utc),
        mail_from="theodoi@laocai.example.org", reply_to="theodoi+abc@laocai.example.org",
        message_id="<checkin.x@laocai.example.org>")
    return CheckinData(**{**base, **over})


def _html_text(h: str) -> str:
    """The visible words of an HTML part: inline tags vanish, block tags separate."""
    h = re.sub(r"<head>.*?</head>", " ", h, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"</?(b|span|a)\b[^>]*>", "", h))).split())


def _parts(msg) -> tuple[str, str]:
    m = email.message_from_bytes(msg.as_bytes(), policy=default)
    return m.get_body(("plain",)).get_content(), _html_text(m.get_body(("html",)).get_content())


def test_message_vi_says_who_asks_on_which_plan_by_when_and_how():
    msg = build_checkin_message(_data())
    assert msg.subject == "[KH 60/KH-UBND #K7Q2M] Sở Y tế: cập nhật tiến độ, trả lời trước 16:00 ngày 22/05"
    raw = msg.as_bytes()
    assert raw.isascii()  # RFC 2047 subject, quoted-printable bodies
    assert b"Subject: [KH 60/KH-UBND #K7Q2M] =?utf-8?" in raw
    m = email.message_from_bytes(raw, policy=default)
    assert m["Subject"] == msg.subject
    assert m["From"].addresses[0].addr_spec == "theodoi@laocai.example.org"
    assert msg.header("From") == '"Sở LĐ-TB&XH (KH 60/KH-UBND)" <theodoi@laocai.example.org>'
    assert m["Auto-Submitted"] == "auto-generated"
    assert m["X-Auto-Response-Suppress"] == "OOF, AutoReply"  # not All: bounces must still come back
    assert m["Reply-To"].addresses[0].addr_spec == "theodoi+abc@laocai.example.org"
    assert m["Cc"].addresses[0].addr_spec == "phogiamdoc.syt@laocai.example.org"
    assert m["Message-ID"] == "<checkin.x@laocai.example.org>"
    assert "Sở LĐ-TB&amp;XH" in m.get_body(("html",)).get_content()  # escaped in HTML only
    text, page = _parts(msg)
    for part in (text, page):
        # the top: office, plan citation, the ask, the deadline, then how to reply, before any item
        head = part[:part.index("NHIỆM VỤ CHỦ TRÌ")]
        assert head.upper().startswith("SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI")  # upper case (CSS in HTML)
        for needle in ("Kính gửi: Sở Y tế",
                       "Thực hiện Kế hoạch số 60/KH-UBND ngày 30/01/2024 của UBND tỉnh Lào Cai về triển khai "
                       "thực hiện công tác bảo vệ", "người ký: Giàng Thị Dung, Phó Chủ tịch UBND tỉnh",
                       "đề nghị Quý cơ quan cập nhật tiến độ 3 nhiệm vụ chủ trì và 2 chỉ tiêu",
                       "HẠN TRẢ LỜI: 16:00 thứ Tư, 22/05/2024", "CÁCH TRẢ LỜI",
                       "không thay đổi", "chưa bắt đầu, đang thực hiện, hoàn thành, vướng mắc, tạm dừng, hủy",
                       # examples from the recipient's own codes, most urgent first
                       "III.4: 60% - đang triển khai theo kế hoạch", "VI.1/SYT: hoàn thành",
                       "VI.2/SYT: vướng mắc - chờ kinh phí", "II.1: 1,38%",
                       "Lò Thị Thanh", "0214 0000 001", "treem.sldtbxh@laocai.example.org"):
            assert needle in head, (needle, head[:300])
        # most urgent first: overdue III.4, then VI.1/SYT, then VI.2/SYT
        assert part.index("III.4: Tổ chức") < part.index("VI.1/SYT: Tổ chức") < part.index("VI.2/SYT: Tổ chức")
        for needle in ("10/05/2024 (thứ Sáu)", "15/06/2024 (thứ Bảy), tính đến hết 17/06/2024 (thứ Hai)",
                       "quá hạn 10 ngày", "còn 26 ngày", "tiến độ 60%", "báo cáo gần nhất 02/05/2024",
                       "chưa có báo cáo", "Nơi nhận báo cáo: Sở Lao động - Thương binh và Xã hội",
                       "chủ trì: Sở LĐ-TB&XH", "Tổ chức Diễn đàn trẻ em & hội nghị",
                       "Mục tiêu: 1,36%", "số liệu năm gốc: 1,38%", "số liệu gần nhất: 1,37% (02/05/2024)",
                       "Mục tiêu: 1 tỷ đồng", "chưa có số liệu báo cáo", "#K7Q2M"):
            assert needle in part, (needle, part[:200])
    assert "chưa nhận được trả lời" not in text


def test_vietnamese_message_is_vietnamese_only():
    """No English word of the templates in the Vietnamese message, apart from the one line on English replies."""
    text, page = _parts(build_checkin_message(_data(demo=True, missed_last_round=True)))
    for part in (text, page):
        rest = part.replace("(English replies are accepted)", "")
        for word in ("Reply", "reply", "demo", "Due", "Status", "progress", "Example", "2024-W21", "Lead",
                     "TEST", "NOTE", "Contact", "tel."):
            assert word not in rest, (word, part)
        assert "THỬ NGHIỆM" in part and "chưa nhận được trả lời" in part


def test_message_en_is_english_apart_from_the_plans_own_words():
    from dataclasses import replace

    base = _data()
    data = _data(agency_name="Department of Health", missed_last_round=True,
                 office=Office("Department of Labour, Invalids and Social Affairs", "DOLISA", OFFICE.contact),
                 leads=tuple(replace(i, status_label="In progress, on time") for i in base.leads),
                 supports=tuple(replace(i, status_label="In progress, on time") for i in base.supports))
    msg = build_checkin_message(data, "en")
    assert msg.subject == "[KH 60/KH-UBND #K7Q2M] Department of Health: progress update, reply by 16:00 22/05"
    text, page = _parts(msg)
    for part in (text, page):
        for needle in ("REPLY BY: 16:00 Wednesday, 22/05/2024", "10 days overdue", "26 days left", "Target: 1.36%",
                       "baseline: 1.38%", "Target: VND 1 billion", "we have not received your answer",
                       "III.4: 60% - under way as planned", "VI.1/SYT: done", "no change",
                       "not started, in progress, done, blocked, paused, cancelled",
                       "15/06/2024 (Saturday), counted to the end of 17/06/2024 (Monday)"):
            assert needle in part, (needle, part[:300])
        # what is left once the plan's own titles and names are taken out is English (ASCII)
        rest = part
        for own in (PLAN.title, PLAN.issuer, PLAN.signer, "Tổ chức Diễn đàn trẻ em & hội nghị",
                    "Giảm tỷ lệ trẻ em có hoàn cảnh đặc biệt", "Quỹ Bảo trợ trẻ em cấp tỉnh", "Sở LĐ-TB&XH",
                    "Sở Lao động - Thương binh và Xã hội", "Lò Thị Thanh", "Chuyên viên Phòng Trẻ em"):
            rest = rest.replace(own, "")
        assert rest.replace("·", "").isascii(), [w for w in rest.split() if not w.isascii()]


def test_supporting_only_agency_is_asked_what_it_knows():
    data = _data(leads=(), indicators=())
    text, page = _parts(build_checkin_message(data))
    for part in (text, page):
        assert "đề nghị Quý cơ quan cập nhật thông tin về các nhiệm vụ phối hợp" in part
        assert "III.9: đang thực hiện - đã phối hợp triển khai" in part
        assert "Nhiệm vụ phối hợp: chỉ trả lời khi có thông tin cần bổ sung." in part
        assert "NHIỆM VỤ CHỦ TRÌ" not in part


def test_a_third_language_needs_only_a_catalog(tmp_path, monkeypatch):
    """Add config/locale/fr with two translations: the same templates render French where the catalog speaks it."""
    import shutil

    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from plantrack.config import i18n
    from plantrack.models import reply_words
    from plantrack.notifications.mail import checkin_message

    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    catalog = Catalog(locale="fr", domain="plantrack")
    catalog.add("HOW TO REPLY", "COMMENT RÉPONDRE")
    catalog.add("done", "terminé", context="reply word")
    (locale / "fr" / "LC_MESSAGES").mkdir(parents=True)
    with open(locale / "fr" / "LC_MESSAGES" / "plantrack.mo", "wb") as fh:
        write_mo(fh, catalog)
    (locale / "fr" / "LC_MESSAGES" / "plantrack.po").write_text("", encoding="utf-8")
    caches = (i18n.languages, i18n.translations, reply_words.word, reply_words.spellings,
              checkin_message._env, checkin_message._template)
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    for c in caches:
        c.cache_clear()
    try:
        assert "fr" in i18n.languages()
        text, _page = _parts(build_checkin_message(_data(), "fr"))
        assert "COMMENT RÉPONDRE" in text and "VI.1/SYT: terminé" in text
        assert "terminé" in reply_words.spellings(reply_words.ReplyWord.DONE)
    finally:
        monkeypatch.undo()
        for c in caches:
            c.cache_clear()


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
