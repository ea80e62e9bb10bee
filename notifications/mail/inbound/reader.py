"""Read one raw message into plain data: headers, the new text of the reply, attachments, automated kind (pure).

read_message never raises: whatever the bytes, it returns a ReadMessage (an unreadable one says why in
`defect`). It parses with the stdlib `email` package (compat32 policy, which does not raise on broken
headers) and decodes every header and body itself.
"""
from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.header import Header, decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from plantrack.notifications.mail.inbound.automated import Auto, Bounce, away_until, bounces, classify
from plantrack.notifications.mail.inbound.quotes import strip_html_quotes, strip_quotes
from plantrack.notifications.mail.inbound.text import decode_bytes, html_to_text

RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Delivered-To", "X-Envelope-To")
_TOKEN = re.compile(r"\+([a-z2-7]{40})@", re.IGNORECASE)
_TAG = re.compile(r"\[\s*KH\s+([^\]#]{1,40}?)\s*#\s*([A-Za-z2-7]{5})\s*\]", re.IGNORECASE)
_MSGID = re.compile(r"<[^<>\s]{1,990}>")
_SURROGATE = re.compile("[\udc80-\udcff]")
_MAX_TEXT = 1_000_000  # characters of body text read at most


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    sha256: str


@dataclass(frozen=True)
class ReadMessage:
    """What a raw message says, decoded; nothing here comes from the database."""

    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    sender: str | None  # From address, lower case
    sender_name: str
    recipients: tuple[str, ...]  # every address of the recipient headers, lower case
    subject: str
    date: datetime | None  # aware; None when missing or unreadable
    auth_results: tuple[str, ...]
    auto: Auto | None
    auto_reason: str
    bounces: tuple[Bounce, ...]
    bounced_message_id: str | None
    new_text: str  # the reply's own text: quotes, signatures and pasted originals removed
    attachments: tuple[Attachment, ...]
    defect: str | None = None

    @property
    def tokens(self) -> tuple[str, ...]:
        """Reply tokens found in recipient addresses (local+TOKEN@domain), in header order."""
        out = []
        for addr in self.recipients:
            m = _TOKEN.search(addr)
            if m and m.group(1).lower() not in out:
                out.append(m.group(1).lower())
        return tuple(out)

    @property
    def tag(self) -> tuple[str, str] | None:
        """(plan number, reference tag) of a subject tag [KH 60/KH-UBND #K7Q2M]."""
        m = _TAG.search(self.subject)
        return (m.group(1).strip(), m.group(2).upper()) if m else None

    def away_until(self, sent: date) -> date | None:
        return away_until(self.new_text, self.subject, sent)


def header_text(msg: Message, name: str) -> str:
    """A header decoded to text (RFC 2047 words in any charset, raw 8-bit bytes detected), unfolded."""
    try:
        raw = msg.get(name)
        if raw is None:
            return ""
        return _decode_header_value(raw)
    except Exception:  # noqa: BLE001 - a header the email package cannot hand over is no header
        return ""


def _decode_header_value(raw) -> str:
    if isinstance(raw, Header):  # compat32 wraps raw 8-bit headers as unknown-8bit Header objects
        try:
            return " ".join("".join(decode_bytes(p, c) if isinstance(p, bytes) else p
                                    for p, c in decode_header(raw)).split())
        except Exception:  # noqa: BLE001
            raw = str(raw)
    if not isinstance(raw, str):
        raw = str(raw)
    if not raw.isascii() and _SURROGATE.search(raw):  # raw 8-bit bytes kept as surrogates by the parser
        raw = decode_bytes(raw.encode("utf-8", "surrogateescape"))
    out = []
    try:
        parts = decode_header(raw)
    except Exception:  # noqa: BLE001
        parts = [(raw, None)]
    for piece, charset in parts:
        out.append(decode_bytes(piece, charset) if isinstance(piece, bytes) else piece)
    return " ".join("".join(out).split())


def _addresses(msg: Message, names: tuple[str, ...]) -> list[tuple[str, str]]:
    values = []
    for n in names:
        try:
            values += [_decode_header_value(v) for v in (msg.get_all(n) or [])]
        except Exception:  # noqa: BLE001
            continue
    try:
        return [(nm, a.strip().lower()) for nm, a in getaddresses(values) if a and "@" in a]
    except Exception:  # noqa: BLE001
        return []


def _ids(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_MSGID.findall(value)))


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        d = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if d is None:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    try:
        return d.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


def _is_attachment(part: Message) -> bool:
    disp = part.get("Content-Disposition")
    disp = ("" if disp is None else str(disp)).split(";", 1)[0].strip().lower()
    if disp == "attachment":
        return True
    if part.get_content_maintype() in ("text",) and disp != "inline" and part.get_filename() is None:
        return False
    return part.get_filename() is not None or part.get_content_maintype() in ("application", "image", "audio",
                                                                              "video")


def _payload_bytes(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, list):  # message/rfc822: the enclosed message
        try:
            return payload[0].as_bytes() if payload else b""
        except Exception:  # noqa: BLE001
            return b""
    return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""


def _part_text(part: Message) -> str:
    data = _payload_bytes(part)[: _MAX_TEXT * 4]
    return decode_bytes(data, part.get_content_charset())[:_MAX_TEXT]


def _body_and_attachments(msg: Message) -> tuple[str, tuple[Attachment, ...]]:
    plain: str | None = None
    html: str | None = None
    atts: list[Attachment] = []
    stack = [msg]
    while stack:
        part = stack.pop(0)
        ctype = part.get_content_type()
        if part.is_multipart():
            if ctype in ("multipart/report",):
                continue  # a DSN: read by automated.bounces
            payload = part.get_payload()
            if isinstance(payload, list):
                stack[0:0] = [p for p in payload if isinstance(p, Message)]
            continue
        if ctype.startswith("message/") or ctype == "text/rfc822-headers":
            continue  # an enclosed original (forward or DSN): never the reply's text
        if part is not msg and _is_attachment(part):
            data = _payload_bytes(part)
            name = part.get_filename()
            name = _decode_header_value(name) if name else ""
            atts.append(Attachment(name[:255] or "attachment", ctype[:127], data, hashlib.sha256(data).hexdigest()))
            continue
        if ctype == "text/plain" and plain is None:
            plain = _part_text(part)
        elif ctype == "text/html" and html is None:
            html = _part_text(part)
        elif ctype.startswith("text/") and plain is None and html is None and part is msg:
            plain = _part_text(part)
    if plain is not None and plain.strip():
        return strip_quotes(plain), tuple(atts)
    if html is not None:
        return strip_quotes(html_to_text(strip_html_quotes(html))), tuple(atts)
    return strip_quotes(plain or ""), tuple(atts)


def parse_bytes(raw: bytes) -> Message:
    """The stdlib parse of raw (compat32: lenient, never raises on broken input)."""
    return email.message_from_bytes(raw)


def read_message(raw: bytes) -> ReadMessage:
    """Everything we read from raw; never raises (a message that cannot be read says why in .defect)."""
    try:
        return _read(raw)
    except RecursionError:
        return _unreadable("MIME structure nested too deeply")
    except Exception as exc:  # noqa: BLE001 - every message must be stored and answered; none may crash a run
        return _unreadable(f"unreadable message ({exc.__class__.__name__})")


def _unreadable(reason: str) -> ReadMessage:
    return ReadMessage(None, (), (), None, "", (), "", None, (), None, "", (), None, "", (), defect=reason)


def _read(raw: bytes) -> ReadMessage:
    msg = parse_bytes(raw)
    subject = header_text(msg, "Subject")[:998]
    from_ = _addresses(msg, ("From",))
    sender_name, sender = (from_[0] if from_ else ("", None))
    if sender is None:
        name, addr = parseaddr(header_text(msg, "From"))
        sender = addr.lower() if "@" in addr else None
    recipients = tuple(dict.fromkeys(a for _, a in _addresses(msg, RECIPIENT_HEADERS)))
    mid = _ids(header_text(msg, "Message-ID"))
    body, atts = _body_and_attachments(msg)
    auto, reason = classify(msg, subject, sender, body)
    bnc, original = bounces(msg) if auto == Auto.BOUNCE else ((), None)
    return ReadMessage(
        message_id=mid[0] if mid else None,
        in_reply_to=_ids(header_text(msg, "In-Reply-To")),
        references=_ids(header_text(msg, "References")),
        sender=sender[:320] if sender else None,
        sender_name=sender_name[:255],
        recipients=recipients,
        subject=subject,
        date=_date(header_text(msg, "Date")),
        auth_results=tuple(_decode_header_value(v) for v in (msg.get_all("Authentication-Results") or [])),
        auto=auto, auto_reason=reason, bounces=bnc, bounced_message_id=original,
        new_text=body, attachments=atts,
        defect=None if msg.get("From") is not None or msg.keys() else "no headers: not an email message",
    )


def auth_failure(results: tuple[str, ...], trusted_authserv_id: str | None) -> str | None:
    """'dmarc=fail' / 'spf=fail' from the first Authentication-Results header of the trusted server, else None."""
    if not trusted_authserv_id:
        return None
    want = trusted_authserv_id.strip().lower()
    for value in results:
        head, _, rest = value.partition(";")
        words = head.split()
        if not words or words[0].lower() != want:
            continue
        found = re.findall(r"\b(dmarc|spf)\s*=\s*(\w+)", rest.lower())
        bad = [f"{k}={v}" for k, v in found if v == "fail"]
        return ", ".join(bad) or None  # only the topmost header of our own server counts
    return None
