"""Build the answer to a reply (pure): what was recorded, what was not understood or not allowed, and why.

The receipt is threaded under the reply (In-Reply-To, References, `Re:` subject with the tag) and marked
`Auto-Submitted: auto-replied` so that autoresponders do not answer it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from email.utils import format_datetime

from plantrack.notifications.mail.checkin_message import ContactPerson, _template
from plantrack.notifications.mail.message import Message, mailbox

# Words of the receipt that are not in its template, per language.
WORDS = {
    "vi": {
        "not_started": "Chưa bắt đầu", "in_progress": "Đang thực hiện", "done": "Hoàn thành",
        "paused": "Tạm dừng", "cancelled": "Hủy", "blocked": "Vướng mắc",
        "note_to_lead": "ghi nhận là ý kiến phối hợp, gửi cơ quan chủ trì ({lead})",
        "completed_on": "ngày hoàn thành {day}",
        "example_note": "đang tổng hợp",
        "unknown_code": "không có mã này trong kế hoạch",
        "no_value": "thiếu tình trạng hoặc phần trăm sau dấu hai chấm",
        "not_understood": "không hiểu được tình trạng (dùng: hoàn thành, đang thực hiện, chưa bắt đầu, vướng mắc, tạm dừng, hủy, hoặc phần trăm)",
        "bad_percent": "phần trăm phải từ 0 đến 100",
        "ambiguous_number": "số có thể hiểu hai cách (dấu chấm/phẩy); ghi rõ, ví dụ 1.200.000.000 đồng hoặc 1,2 tỷ",
        "wrong_unit": "đơn vị không khớp với chỉ tiêu ({unit})",
        "value_for_deliverable": "nhiệm vụ cần tình trạng hoặc phần trăm (có dấu %)",
        "state_for_indicator": "chỉ tiêu cần số liệu, không phải tình trạng",
        "not_lead": "Quý cơ quan không chủ trì cũng không phối hợp nhiệm vụ này (chủ trì: {lead})",
        "not_owner": "chỉ tiêu này do {lead} báo cáo",
        "duplicate_line": "mã này được ghi nhiều lần trong thư; chỉ dòng cuối được ghi nhận",
    },
    "en": {
        "not_started": "Not started", "in_progress": "In progress", "done": "Done",
        "paused": "Paused", "cancelled": "Cancelled", "blocked": "Blocked",
        "note_to_lead": "recorded as a supporting agency's note to the lead ({lead})",
        "completed_on": "completed on {day}",
        "example_note": "compiling",
        "unknown_code": "there is no such code in the plan",
        "no_value": "a state or a percentage is missing after the colon",
        "not_understood": "the state was not understood (use: done, in progress, not started, blocked, paused, cancelled, or a percentage)",
        "bad_percent": "a percentage must be between 0 and 100",
        "ambiguous_number": "the number can be read two ways (dot/comma); write e.g. 1,200,000,000 đồng or 1.2 tỷ",
        "wrong_unit": "the unit does not match the indicator ({unit})",
        "value_for_deliverable": "an activity needs a state or a percentage (with %)",
        "state_for_indicator": "an indicator needs a value, not a state",
        "not_lead": "your agency neither leads nor supports this item (lead: {lead})",
        "not_owner": "this indicator is reported by {lead}",
        "duplicate_line": "this code appears more than once; only the last line was recorded",
    },
}


@dataclass(frozen=True)
class ReceiptLine:
    line: str
    reason: str
    example: str = ""


@dataclass(frozen=True)
class ReceiptData:
    """Everything a receipt says; built by the intake from what it did with one reply."""

    to: str
    to_name: str
    subject: str  # the reply's subject
    in_reply_to: str | None
    references: tuple[str, ...]
    received: date
    written_at: datetime
    message_id: str
    mail_from: str
    sender_name: str
    plan_number: str | None
    ref: str | None
    agency_name: str = ""
    recorded: tuple[str, ...] = ()
    unclear: tuple[ReceiptLine, ...] = ()
    refused: tuple[ReceiptLine, ...] = ()
    attachments: tuple[str, ...] = ()
    rejected: str | None = None  # why nothing was recorded
    contact: ContactPerson | None = None  # the person check-ins name, or an address alone (name "")
    example: str = ""
    reply_to: str | None = None  # the check-in's tokened reply address, so a reply to the receipt still matches


def receipt_subject(subject: str, plan_number: str | None, ref: str | None) -> str:
    """'Re: <subject>' once, with the [KH plan #REF] tag kept or added."""
    s = " ".join(subject.split()) or "(no subject)"
    low = s.lower()
    while low.startswith(("re:", "aw:", "tl:", "trả lời:", "fw:", "fwd:")):
        s = s.split(":", 1)[1].strip()
        low = s.lower()
    if plan_number and ref and f"#{ref}".lower() not in low:
        s = f"[KH {plan_number} #{ref}] {s}"
    return f"Re: {s}"[:400]


def build_receipt(data: ReceiptData, lang: str = "vi") -> Message:
    """The receipt email for data in lang: text and an HTML rendering of the same text."""
    text = _template(f"receipt.{lang}.txt.j2", lang).render(r=data)
    subject = receipt_subject(data.subject, data.plan_number, data.ref)
    page = _template("receipt.html.j2", lang).render(lang=lang, subject=subject, text=text)
    refs = tuple(dict.fromkeys(data.references[-10:] + ((data.in_reply_to,) if data.in_reply_to else ())))
    headers = [("From", mailbox(data.sender_name, data.mail_from)), ("To", mailbox(data.to_name, data.to))]
    if data.reply_to:
        headers.append(("Reply-To", mailbox(data.sender_name, data.reply_to)))
    headers += [("Date", format_datetime(data.written_at)), ("Message-ID", data.message_id)]
    if data.in_reply_to:
        headers.append(("In-Reply-To", data.in_reply_to))
    if refs:
        headers.append(("References", "\r\n ".join(refs)))
    headers += [("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "OOF, AutoReply")]
    if data.ref:
        headers.append(("X-Plantrack-Ref", f"receipt {data.ref}"))
    return Message(subject=subject, text=text, html=page,
                   headers=tuple(headers), envelope_from=data.mail_from, recipients=(data.to,))
