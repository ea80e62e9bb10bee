"""Automated mail: what marks a message as not written by a person, bounces (DSN), away-until dates (pure)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import Message
from enum import StrEnum

from plantrack.notifications.mail.inbound.lines import fold


class Auto(StrEnum):
    OUT_OF_OFFICE = "out_of_office"
    BOUNCE = "bounce"
    AUTOMATED = "automated"


@dataclass(frozen=True)
class Bounce:
    """One failed recipient of a delivery status notification."""

    address: str
    status: str  # 5.1.1
    action: str  # failed | delayed | ...
    diagnostic: str = ""


_OOO_SUBJECT = re.compile(
    r"\b(?:out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|away from|"
    r"on vacation|vacation (?:reply|notice|message)|on leave|tra loi tu dong|thu tra loi tu dong|tu dong tra loi|"
    r"phan hoi tu dong|vang mat|khong co mat|khong co o van phong|nghi phep|thong bao nghi)\b")
_OOO_BODY = re.compile(
    r"\b(?:out of (?:the )?office|away from (?:the |my )?(?:office|desk)|on (?:annual )?leave|on vacation|"
    r"vang mat|khong co mat|di cong tac|nghi phep|limited access to (?:my )?e-?mail)\b")
_BOUNCE_SUBJECT = re.compile(
    r"\b(?:undeliverable|undelivered mail|delivery status notification|delivery (?:has )?failed|"
    r"mail delivery failed|returned mail|failure notice|non[- ]?delivery|khong gui duoc|khong the gui)\b")
_DAEMON = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
_PRECEDENCE = {"auto_reply", "bulk", "junk", "list"}


def _h(msg: Message, name: str) -> str:
    """A header as plain str (compat32 hands raw 8-bit headers over as Header objects)."""
    try:
        v = msg.get(name)
        return "" if v is None else str(v)
    except Exception:  # noqa: BLE001
        return ""


def classify(msg: Message, subject: str, sender: str | None, body: str) -> tuple[Auto | None, str]:
    """(kind, reason) for automated mail, (None, '') for mail a person wrote."""
    ctype = msg.get_content_type()
    if ctype == "multipart/report" and "delivery-status" in str(msg.get_param("report-type") or "").lower():
        return Auto.BOUNCE, "delivery status notification"
    fs = fold(subject)
    if (sender and _DAEMON.match(sender)) or _BOUNCE_SUBJECT.search(fs) and (not sender or _empty_return_path(msg)):
        return Auto.BOUNCE, "bounce"
    auto = _h(msg, "Auto-Submitted").strip().lower()
    reasons = []
    if auto and not auto.startswith("no"):
        reasons.append(f"Auto-Submitted: {auto}")
    for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"):
        if msg.get(h) is not None:
            reasons.append(h)
    prec = _h(msg, "Precedence").strip().lower()
    if prec in _PRECEDENCE:
        reasons.append(f"Precedence: {prec}")
    if msg.get("List-Id") is not None:
        reasons.append("List-Id")
    if _empty_return_path(msg):
        reasons.append("empty Return-Path")
    if _OOO_SUBJECT.search(fs):
        return Auto.OUT_OF_OFFICE, "out-of-office: " + subject[:80]
    if reasons:
        if _OOO_BODY.search(fold(body[:2000])):
            return Auto.OUT_OF_OFFICE, "out-of-office (" + ", ".join(reasons) + ")"
        return Auto.AUTOMATED, ", ".join(reasons)
    return None, ""


def _empty_return_path(msg: Message) -> bool:
    rp = msg.get("Return-Path")
    return rp is not None and _h(msg, "Return-Path").strip() in ("<>", "")


def bounces(msg: Message) -> tuple[tuple[Bounce, ...], str | None]:
    """The failed recipients of a DSN and the Message-ID of the message that bounced (if included)."""
    found: list[Bounce] = []
    original: str | None = None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            blocks = part.get_payload()
            if not isinstance(blocks, list):
                continue
            for block in blocks[1:] if len(blocks) > 1 else blocks:
                if not isinstance(block, Message):
                    continue
                rcpt = _h(block, "Final-Recipient") or _h(block, "Original-Recipient")
                addr = rcpt.split(";", 1)[-1].strip().strip("<>").lower()
                action = _h(block, "Action").strip().lower()
                status = _h(block, "Status").strip()
                diag = " ".join(_h(block, "Diagnostic-Code").split())
                if addr and "@" in addr:
                    found.append(Bounce(addr, status[:16], action[:16], diag[:500]))
        elif ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers") and original is None:
            original = _original_id(part)
    return tuple(found), original


def _original_id(part: Message) -> str | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        mid = _h(payload[0], "Message-ID")
    else:
        raw = part.get_payload(decode=True) or b""
        m = re.search(rb"^Message-ID:\s*(<[^>\r\n]+>)", raw, re.IGNORECASE | re.MULTILINE)
        mid = m.group(1).decode("ascii", "replace") if m else None
    return str(mid).strip() if mid else None


_MONTHS = {m: i + 1 for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"))}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MON = "|".join(sorted(_MONTHS, key=len, reverse=True))
_D = (rf"(?:(?P<d>\d{{1,2}})[/.-](?P<m>\d{{1,2}})(?:[/.-](?P<y>\d{{2,4}}))?"
      rf"|(?P<d2>\d{{1,2}})\s*thang\s*(?P<m2>\d{{1,2}})(?:\s*nam\s*(?P<y2>\d{{4}}))?"
      rf"|(?P<mn>{_MON})\.?\s+(?P<d3>\d{{1,2}})(?:st|nd|rd|th)?,?(?:\s+(?P<y3>\d{{4}}))?"
      rf"|(?P<d4>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mn4>{_MON})\.?,?(?:\s+(?P<y4>\d{{4}}))?)")
_UNTIL = re.compile(rf"\b(?:den het ngay|den het|den ngay|cho den ngay|cho den|den|toi ngay|until|till|through|to)\s+"
                    rf"(?:(?:ngay|thu \w+|\w+day),?\s+)?{_D}")
_BACK = re.compile(rf"\b(?:tro lai|quay lai|quay tro lai|di lam lai|lam viec lai|return(?:ing)?|back)\b[^.\n]{{0,40}}?"
                   rf"(?:vao |on |ngay )*(?:(?:ngay|thu \w+|\w+day),?\s+)?{_D}")


def away_until(body: str, subject: str, sent: date) -> date | None:
    """The last day an out-of-office notice says its sender is away, when it gives one."""
    text = fold(subject + "\n" + body[:4000])
    m = _UNTIL.search(text)
    if m:
        return _date_of(m, sent)
    m = _BACK.search(text)
    if m:
        day = _date_of(m, sent)
        return day - timedelta(days=1) if day else None
    return None


def _date_of(m: re.Match, sent: date) -> date | None:
    g = m.groupdict()
    try:
        if g["d"]:
            d, mo, y = int(g["d"]), int(g["m"]), g["y"]
        elif g["d2"]:
            d, mo, y = int(g["d2"]), int(g["m2"]), g["y2"]
        elif g["mn"]:
            d, mo, y = int(g["d3"]), _MONTHS[g["mn"]], g["y3"]
        else:
            d, mo, y = int(g["d4"]), _MONTHS[g["mn4"]], g["y4"]
        year = int(y) if y else sent.year
        if year < 100:
            year += 2000
        day = date(year, mo, d)
        if not y and day < sent - timedelta(days=1):
            day = date(year + 1, mo, d)
        if not sent - timedelta(days=1) <= day <= sent + timedelta(days=366):
            return None
        return day
    except (ValueError, KeyError, TypeError):
        return None
