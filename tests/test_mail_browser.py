"""Escalation emails and receipts in a real browser (Debian's chromium, headless, driven by Selenium), as a
phone and a desktop mail client show their HTML part, and that part saying what the text part says.

At 390 px (mobile emulation: without a viewport meta a phone lays the page out 980 px wide and shrinks it)
and at 1200 px: the layout viewport is the screen, nothing wider than it, every text at least 4.5:1.
Built from plain data with the builders (no database): every kind of section, long Vietnamese titles.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timezone
from html.parser import HTMLParser

import pytest

from tests.browser_helpers import FIT_JS, browser, fit_and_contrast_problems, \
    measure  # noqa: F401  (browser: a fixture)

MEASURE = FIT_JS + r"""
return Object.assign(fit(), {fontSize: parseFloat(getComputedStyle(document.querySelector('body > div')).fontSize)});
"""

LONG_TITLE = ("Báo cáo 6 tháng công tác bảo vệ, chăm sóc trẻ em năm 2024 – Ủy ban nhân dân huyện Mường Khương, "
              "kèm biểu tổng hợp số liệu trẻ em có hoàn cảnh đặc biệt")
LONG_CODE = "VI.1/UBND-MUONGKHUONG"


def _escalation(lang: str):
    from plantrack.notifications.mail.escalation_message import EscalationData, EscItem, Section, \
        build_escalation_message
    from plantrack.notifications.mail.message import Contact

    def item(code, days, progress=None, last=None, note=None):
        return EscItem(code, LONG_TITLE, "60/KH-UBND", "Ủy ban nhân dân huyện Mường Khương",
                       "trước 15/06/2024 (thứ Bảy), tính đến hết 14/06/2024 (thứ Sáu)",
                       "Quá hạn" if days is not None and days < 0 else "Chưa bắt đầu (chưa có báo cáo)",
                       days, progress, last, note)

    sections = (
        Section("deadline", 3, 5, (item(LONG_CODE, -6, 30, "18/06/2024"), item("VI.1/CAT", -6, 90, "20/06/2024"))),
        Section("deadline", 2, 1, (item("VI.1/SYT", -1),)),
        Section("blocked", 2, 0, (item("III.9", 12, 40, "10/06/2024", "chờ kinh phí, chưa có quyết định"),)),
        Section("silent", 2, 2, (item("III.3", 87),), agency="Đài Phát thanh và Truyền hình tỉnh Lào Cai",
                rounds=("tuần 8/2024", "tuần 7/2024")),
        Section("deadline", 1, -3, (item("III.6/UBND-BATXAT", 1, 95, "18/12/2024"),)),
        Section("deadline", 2, 1, (item("V.8/UBND-BATXAT", -2),), fyi=True),
    )
    data = EscalationData(
        plan="60/KH-UBND", to=Contact("Nguyễn Thị Lan", "daumoi.sldtbxh@laocai.example.org"),
        cc=(Contact("Giám đốc Sở", "giamdoc.sldtbxh@laocai.example.org"),), sections=sections,
        today=date(2024, 6, 24), written_at=datetime(2024, 6, 24, tzinfo=timezone.utc),
        mail_from="theodoi@laocai.example.org", sender_name="Theo dõi KH 60/KH-UBND",
        reply_to="theodoi+abc@laocai.example.org", message_id="<esc.test@laocai.example.org>", ref="L2JDY",
        in_reply_to="<ck.test@laocai.example.org>", demo=True)
    return build_escalation_message(data, lang)


def _receipt(lang: str, rejected: bool = False):
    from plantrack.notifications.mail.checkin_message import ContactPerson
    from plantrack.notifications.mail.inbound.receipt import ReceiptData, ReceiptLine, build_receipt

    long_line = "V.6: 150% xong het roi " + "x" * 90  # a quoted line with no place to break
    data = ReceiptData(
        to="daumoi.ubnd.muongkhuong@laocai.example.org", to_name="Lồ Thị Vân",
        subject="Re: [KH 60/KH-UBND #P7D4B] Ủy ban nhân dân huyện Mường Khương: cập nhật tiến độ",
        in_reply_to="<re.1@laocai.example.org>", references=("<ck.1@laocai.example.org>",),
        received=date(2024, 2, 10), written_at=datetime(2024, 2, 16, 8, tzinfo=timezone.utc),
        message_id="<rc.1@laocai.example.org>", mail_from="theodoi@laocai.example.org",
        sender_name="Theo dõi KH 60/KH-UBND", plan_number="60/KH-UBND", ref="P7D4B",
        agency_name="Ủy ban nhân dân huyện Mường Khương",
        recorded=(f"{LONG_CODE}: Đang thực hiện, 5% - đúng kế hoạch", "V.6: Chưa bắt đầu"),
        unclear=(ReceiptLine(long_line, "không hiểu được tình trạng", "V.6: 60% - đang tổng hợp"),),
        refused=(ReceiptLine("III.3: hoàn thành", "chủ trì: Sở LĐ-TB&XH"),),
        attachments=("bao-cao-6-thang-ubnd-huyen-muong-khuong-2024-ban-chinh-thuc-co-dau-do.pdf",),
        rejected="địa chỉ gửi không phải đầu mối đã đăng ký" if rejected else None,
        contact=ContactPerson("Lò Thị Thanh", "treem.sldtbxh@laocai.example.org", "0214 0000 001",
                              "Chuyên viên Phòng Trẻ em, Sở LĐ-TB&XH"))
    return build_receipt(data, lang)


CASES = {
    "escalation-vi": lambda: _escalation("vi"), "escalation-en": lambda: _escalation("en"),
    "receipt-vi": lambda: _receipt("vi"), "receipt-en": lambda: _receipt("en"),
    "receipt-rejected-vi": lambda: _receipt("vi", rejected=True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_reads_on_a_phone_and_a_desktop(case, tmp_path, browser):
    msg = CASES[case]()
    path = tmp_path / f"{case}.html"
    path.write_text(msg.html, encoding="utf-8")
    problems = []
    for width in (390, 1200):
        m = measure(browser, path, width, MEASURE)
        where = f"{case} at {width} px"
        problems += fit_and_contrast_problems(m, width, where)
        if m["fontSize"] < 14:
            problems.append(f"{where}: text is {m['fontSize']} px")
    assert not problems, "\n".join(problems)


class _Visible(HTMLParser):
    """The text a reader sees in an HTML part (not the <title>)."""

    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("head", "title", "style")
        self.parts.append(" ")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("head", "title", "style")
        self.parts.append(" ")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def _words(text: str) -> Counter:
    """Words as a reader compares them: case, the separators between fields (| · ( ) [ ] ,) and list dashes
    left out."""
    return Counter(w for w in re.split(r"[\s|·()\[\],]+", text.casefold()) if w and w != "-")


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_html_part_says_what_the_text_part_says(case):
    msg = CASES[case]()
    seen = _Visible()
    seen.feed(msg.html)
    html_words, text_words = _words("".join(seen.parts)), _words(msg.text)
    assert html_words == text_words, (f"only in HTML: {html_words - text_words}; "
                                      f"only in text: {text_words - html_words}")
    name = msg.header("To").split('"')[1]
    assert name in "".join(seen.parts)  # diacritics survive as characters, not entities or '?'


def test_an_escalation_leaves_out_a_progress_nobody_reported():
    msg = _escalation("vi")
    blocks = msg.text.split("\n- ")
    syt = next(b for b in blocks if b.startswith("VI.1/SYT:"))  # never reported: no percentage to show
    cat = next(b for b in blocks if b.startswith("VI.1/CAT:"))
    assert "Tiến độ" not in syt and "Tiến độ: 90%" in cat
    assert "Tiến độ: -" not in msg.text and "Tiến độ: -" not in msg.html


def test_a_vietnamese_escalation_has_no_english_words_and_the_check_ins_test_banner():
    from plantrack.notifications.mail.escalation_message import WORDS

    msg = _escalation("vi")
    english = {w for v in WORDS.values() for w in re.findall(r"[a-z]{4,}", v.lower())} - {"reply"}  # (Reply): the button
    shown = set(re.findall(r"[a-z]{4,}", msg.text.lower()))
    assert not english & shown, english & shown
    assert msg.text.startswith("[THỬ NGHIỆM - thư gửi thử, không phải văn bản chính thức]")


def test_an_english_escalation_counts_one_in_the_singular():
    msg = _escalation("en")
    assert msg.subject.endswith(": 3 overdue, 1 due soon, 1 blocked, 1 agency not answering")
    assert "1 working day overdue" in msg.text and "1 working day left" in msg.text
    assert "6 working days overdue" in msg.text and "has not answered 2 check-ins in a row" in msg.text
    assert " 1 working days " not in msg.text + msg.html and "1 agencies" not in msg.subject
