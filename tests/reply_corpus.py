"""A corpus of replies to the seed plan's check-ins, generated: every client style of issue 9, vi/en,
with and without diacritics, HTML only, windows-1258, base64, attachments, out-of-office, DSN bounces."""
from __future__ import annotations

import email
import shutil
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from datetime import datetime, timezone, timedelta
from pathlib import Path

from sqlalchemy import select, update

TZ7 = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class Checkin:
    """One check-in as its recipient saw it."""

    agency: str
    reply_to: str  # theodoi+token@domain
    message_id: str
    subject: str
    focal: str  # the focal point's address
    focal_name: str
    text: str  # the plain-text body
    html: str
    sent: datetime
    ref: str


def checkins(url: str) -> dict[str, Checkin]:
    """The queued check-ins of url by agency code."""
    from plantrack.models.db import session_factory
    from plantrack.models.entities import Agency
    from plantrack.models.mail.outbox import Outbox

    out = {}
    with session_factory(url)() as s:
        for code, msg, mid, ref in s.execute(select(Agency.code, Outbox.message, Outbox.message_id, Outbox.ref)
                                             .join(Agency, Agency.id == Outbox.agency_id)
                                             .where(Outbox.kind == "checkin")):
            m = email.message_from_bytes(msg, policy=email.policy.default)
            text = m.get_body(("plain",)).get_content()
            html = m.get_body(("html",)).get_content()
            to = m["To"].addresses[0]
            out[code] = Checkin(code, m["Reply-To"].addresses[0].addr_spec, mid, str(m["Subject"]), to.addr_spec,
                                to.display_name, text, html, datetime(2024, 5, 20, 8, 0, tzinfo=TZ7), ref)
    return out


def mark_sent(url: str, at: datetime = datetime(2024, 5, 20, 1, 0, tzinfo=timezone.utc)) -> None:
    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import Outbox

    with session_factory(url)() as s, s.begin():
        s.execute(update(Outbox).where(Outbox.kind == "checkin").values(status="sent", sent_at=at))


def _quoted(text: str) -> str:
    return "\n".join(("> " + ln) if ln else ">" for ln in text.splitlines())


def _attribution(style: str, ck: Checkin) -> str:
    who = f"Theo dõi KH 60/KH-UBND <theodoi@laocai.example.org>"
    return {
        "gmail_en": f"On Mon, May 20, 2024 at 8:00 AM {who} wrote:",
        # Gmail wraps a long attribution over two lines
        "gmail_vi": f"Vào Th 2, 20 thg 5, 2024 lúc 08:00 Theo dõi KH 60/KH-UBND <\ntheodoi@laocai.example.org> đã viết:",
        "apple": f"On 20 May 2024, at 08:00, {who} wrote:",
        "apple_vi": f"Vào lúc 08:00, ngày 20 thg 5, 2024, {who} đã viết:",
        "thunderbird": f"On 20/05/2024 08:00, Theo dõi KH 60/KH-UBND wrote:",
        "thunderbird_vi": f"Vào 20/05/2024 08:00, Theo dõi KH 60/KH-UBND đã viết:",
        "yahoo": f"On Monday, May 20, 2024 at 08:00:00 AM GMT+7, {who} wrote:",
    }[style]


def _outlook_block(ck: Checkin, vi: bool) -> str:
    if vi:
        return (f"Từ: Theo dõi KH 60/KH-UBND <theodoi@laocai.example.org>\nĐã gửi: Thứ Hai, 20 tháng 5, 2024 8:00 SA\n"
                f"Đến: {ck.focal_name} <{ck.focal}>\nChủ đề: {ck.subject}\n\n{ck.text}")
    return (f"From: Theo dõi KH 60/KH-UBND <theodoi@laocai.example.org>\nSent: Monday, May 20, 2024 8:00 AM\n"
            f"To: {ck.focal_name} <{ck.focal}>\nSubject: {ck.subject}\n\n{ck.text}")


STYLES = ("outlook", "outlook_vi", "outlook_separator", "gmail_en", "gmail_vi", "gmail_html", "apple", "apple_vi",
          "iphone", "iphone_vi", "android", "android_vi", "thunderbird_bottom", "thunderbird_vi", "zimbra", "yahoo",
          "yahoo_html", "windows_mail", "outlook_web_html", "plain_no_quote")


def body_for(style: str, ck: Checkin, new: str) -> tuple[str, str | None]:
    """(text, html or None) of a reply in style whose own text is new, quoting ck the way that client does."""
    q = _quoted(ck.text)
    if style == "outlook":
        return f"{new}\n\nTrân trọng,\nNguyễn Văn A\n\n{_outlook_block(ck, False)}", None
    if style == "outlook_vi":
        return f"{new}\n\n{_outlook_block(ck, True)}", None
    if style == "outlook_separator":
        return f"{new}\n\n-----Original Message-----\n{_outlook_block(ck, False)}", None
    if style in ("gmail_en", "gmail_vi", "apple", "apple_vi", "yahoo"):
        return f"{new}\n\n{_attribution(style, ck)}\n\n{q}\n", None
    if style == "gmail_html":
        html = (f'<div dir="ltr">{new.replace(chr(10), "<br>")}</div><br><div class="gmail_quote">'
                f'<div dir="ltr" class="gmail_attr">Vào Th 2, 20 thg 5, 2024 lúc 08:00 Theo dõi đã viết:<br></div>'
                f'<blockquote class="gmail_quote" style="margin:0px">{ck.html}</blockquote></div>')
        return f"{new}\n\n{_attribution('gmail_vi', ck)}\n\n{q}\n", html
    if style == "iphone":
        return f"{new}\n\nSent from my iPhone\n\n> {_attribution('apple', ck)}\n>\n{q}\n", None
    if style == "iphone_vi":
        return f"{new}\n\nGửi từ iPhone của tôi\n\n> {_attribution('apple_vi', ck)}\n>\n{q}\n", None
    if style == "android":
        return (f"{new}\n\nSent from my Samsung Galaxy smartphone.\n\n-------- Original message --------\n"
                f"From: Theo dõi <theodoi@laocai.example.org>\nDate: 5/20/24 08:00 (GMT+07:00)\nTo: {ck.focal}\n"
                f"Subject: {ck.subject}\n\n{ck.text}"), None
    if style == "android_vi":
        return (f"{new}\n\n-------- Thư gốc --------\nTừ: Theo dõi <theodoi@laocai.example.org>\n"
                f"Ngày: 20/05/2024 08:00 (GMT+07:00)\nĐến: {ck.focal}\nChủ đề: {ck.subject}\n\n{ck.text}"), None
    if style == "thunderbird_bottom":
        return f"{_attribution('thunderbird', ck)}\n{q}\n\n{new}\n\n-- \nNguyễn Văn A\nSở Y tế\n", None
    if style == "thunderbird_vi":
        return f"{new}\n\n{_attribution('thunderbird_vi', ck)}\n{q}\n", None
    if style == "zimbra":
        return (f"{new}\n\n----- Original Message -----\nFrom: \"Theo dõi\" <theodoi@laocai.example.org>\n"
                f"To: \"{ck.focal_name}\" <{ck.focal}>\nSent: Monday, May 20, 2024 8:00:00 AM\n"
                f"Subject: {ck.subject}\n\n{ck.text}"), None
    if style == "yahoo_html":
        html = (f'<html><body><div class="ydp1"><div>{new.replace(chr(10), "<br>")}</div></div>'
                f'<div id="ydp5yahoo_quoted_1234" class="ydp5yahoo_quoted"><div>On Monday, May 20, 2024, '
                f'Theo dõi wrote:</div><div>{ck.html}</div></div></body></html>')
        return f"{new}\n\n{_attribution('yahoo', ck)}\n\n{q}\n", html
    if style == "windows_mail":
        return (f"{new}\n\nSent from Mail for Windows\n\nFrom: Theo dõi\nSent: Monday, May 20, 2024 8:00 AM\n"
                f"To: {ck.focal}\nSubject: {ck.subject}\n\n{ck.text}"), None
    if style == "outlook_web_html":
        html = (f'<html><head><style>p{{margin:0}}</style></head><body><div style="font-family:Calibri">'
                f'{"".join(f"<p>{ln}</p>" for ln in new.splitlines())}</div><hr style="display:inline-block">'
                f'<div id="divRplyFwdMsg" dir="ltr"><b>From:</b> Theo dõi<br><b>Sent:</b> Monday<br>'
                f'<b>Subject:</b> {ck.subject}</div><div>{ck.html}</div></body></html>')
        return "", html
    if style == "plain_no_quote":
        return new, None
    raise ValueError(style)


def reply(ck: Checkin, new: str, style: str = "gmail_en", *, sender: str | None = None, sender_name: str = "",
          to: str | None = None, message_id: str | None = None, date_: datetime | None = None,
          in_reply_to: bool = True, subject: str | None = None, charset: str = "utf-8", cte: str | None = None,
          html_only: bool = False, attachments: tuple[tuple[str, str, bytes], ...] = (),
          headers: tuple[tuple[str, str], ...] = ()) -> bytes:
    """A reply to ck whose own text is new, in a client style; returns RFC 5322 bytes."""
    text, html = body_for(style, ck, new)
    m = EmailMessage()
    m["From"] = f"{sender_name or ck.focal_name} <{sender or ck.focal}>"
    m["To"] = to or ck.reply_to
    m["Subject"] = subject if subject is not None else "Re: " + ck.subject
    m["Date"] = format_datetime(date_ or datetime(2024, 5, 21, 9, 0, tzinfo=TZ7))
    m["Message-ID"] = message_id or f"<{abs(hash((new, style, sender, str(date_)))):x}@mail.laocai.example.org>"
    if in_reply_to:
        m["In-Reply-To"] = ck.message_id
        m["References"] = ck.message_id
    for k, v in headers:
        m[k] = v
    if html_only or style == "outlook_web_html":
        m.set_content(html or text, subtype="html", charset=charset, cte=cte)
    else:
        m.set_content(text, charset=charset, cte=cte)
        if html:
            m.add_alternative(html, subtype="html")
    for name, ctype, data in attachments:
        main, sub = ctype.split("/")
        m.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return m.as_bytes(policy=SMTP)


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """text in windows-1258 the way Vietnamese Windows writes it: base letters precomposed, tone marks combining."""
    import unicodedata

    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONES))
        out += (base + "".join(c for c in d if c in _TONES)).encode("cp1258", errors="replace")
    return bytes(out)


def raw_8bit(ck: Checkin, new: str, charset: str | None, *, sender: str | None = None) -> bytes:
    """A plain reply whose body is raw 8-bit bytes in charset (None: no charset declared, bytes in utf-8)."""
    body = (new + "\n\n" + _attribution("gmail_en", ck) + "\n" + _quoted(ck.text) + "\n")
    data = (to_cp1258(body) if charset == "windows-1258" else body.encode(charset or "utf-8", errors="replace"))
    data = data.replace(b"\n", b"\r\n")
    ctype = f"text/plain; charset={charset}" if charset else "text/plain"
    head = (f"From: {sender or ck.focal}\r\nTo: {ck.reply_to}\r\nSubject: Re: [KH 60/KH-UBND #{ck.ref}] cap nhat\r\n"
            f"Date: Tue, 21 May 2024 10:00:00 +0700\r\nMessage-ID: <8bit-{charset}-{abs(hash(new)):x}@x.example>\r\n"
            f"In-Reply-To: {ck.message_id}\r\nMIME-Version: 1.0\r\nContent-Type: {ctype}\r\n"
            f"Content-Transfer-Encoding: 8bit\r\n\r\n")
    return head.encode("ascii") + data


def out_of_office(ck: Checkin, lang: str, until_text: str, *, auto_header: bool = True) -> bytes:
    m = EmailMessage()
    m["From"] = f"{ck.focal_name} <{ck.focal}>"
    m["To"] = ck.reply_to
    if lang == "vi":
        m["Subject"] = "Trả lời tự động: " + ck.subject
        m.set_content(f"Tôi đang đi công tác {until_text}. Việc gấp xin liên hệ phó giám đốc.\n")
    else:
        m["Subject"] = "Automatic reply: " + ck.subject
        m.set_content(f"I am out of the office {until_text} with limited access to email.\n")
    m["Date"] = format_datetime(datetime(2024, 5, 20, 8, 1, tzinfo=TZ7))
    m["Message-ID"] = f"<ooo-{lang}-{ck.agency}@mail.laocai.example.org>"
    m["In-Reply-To"] = ck.message_id
    if auto_header:
        m["Auto-Submitted"] = "auto-replied"
        m["X-Autoreply"] = "yes"
    return m.as_bytes(policy=SMTP)


def dsn(ck: Checkin, address: str, status: str = "5.1.1", action: str = "failed") -> bytes:
    """A delivery status notification (RFC 3464) for ck to address, with the original's headers."""
    boundary = "dsn-boundary-1"
    return (f"From: Mail Delivery System <MAILER-DAEMON@mx.laocai.example.org>\r\nTo: theodoi@laocai.example.org\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nDate: Mon, 20 May 2024 08:05:00 +0700\r\n"
            f"Message-ID: <dsn-{address}-{status}@mx.laocai.example.org>\r\nAuto-Submitted: auto-replied\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; "
            f"boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
            f"I'm sorry to have to inform you that your message could not be delivered.\r\n\r\n--{boundary}\r\n"
            f"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.laocai.example.org\r\n\r\n"
            f"Final-Recipient: rfc822; {address}\r\nAction: {action}\r\nStatus: {status}\r\n"
            f"Diagnostic-Code: smtp; 550 5.1.1 <{address}>: Recipient address rejected: User unknown\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: theodoi@laocai.example.org\r\n"
            f"To: {address}\r\nMessage-ID: {ck.message_id}\r\nSubject: check-in\r\n\r\n--{boundary}--\r\n").encode()


def write_maildir(folder: Path, messages: list[bytes]) -> Path:
    """A fresh Maildir at folder holding messages, in order."""
    shutil.rmtree(folder, ignore_errors=True)
    for sub in ("tmp", "new", "cur"):
        (folder / sub).mkdir(parents=True)
    for i, raw in enumerate(messages):  # names in delivery order, as an MTA's time-stamped names sort
        (folder / "new" / f"{1716256800 + i}.M{i:06d}P1.mail.laocai.example.org").write_bytes(raw)
    return folder


__all__ = ["Checkin", "checkins", "mark_sent", "reply", "raw_8bit", "out_of_office", "dsn", "write_maildir", "STYLES",
           "body_for", "date"]
