"""Simulated focal points: each answers its agency's check-in as a real MIME message, written ahead and
delivered into the Maildir when the virtual clock reaches its time. Deterministic for a seed.

How they behave (per agency and week, drawn from Random(seed, week, agency)): most answer within two days,
some answer late (over the weekend, read the next week), some not at all, some send an out-of-office
notice; replies come as plain text, without diacritics, HTML only (Outlook or Gmail quoting), partly
malformed (a line nobody can read) or with the report attached. Once a year a spoofed sender claims
work done. What every reply says is kept in a ledger (one JSON object a line), with whether each line
is meant to be understood: the demo's test compares the final board with it.
"""
from __future__ import annotations

import hashlib

import json
import os
import random
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from plantrack.models.board import RowKind, board
from plantrack.models.db import session_factory
from plantrack.models.entities import Agency, Person
from plantrack.models.enums import OutboxKind
from plantrack.models.mail.outbox import CheckinRound, Outbox
from plantrack.models.status import OPEN_STATUSES

SPOOF_WEEK = 25  # the ISO week (mid-June, the 6-month reports) whose first on-time reply is followed by a spoofed one

# Behaviour of an agency in a week: cumulative thresholds of one draw.
SILENT, AWAY, LATE = 0.08, 0.13, 0.25
# Style of a reply: cumulative thresholds of another draw.
NO_DIACRITICS, HTML_ONLY, MALFORMED, ATTACHED = 0.12, 0.24, 0.34, 0.42

WORDS = {  # state words as focal points write them, with and without diacritics
    "done": ("hoàn thành", "hoan thanh"),
    "in_progress": ("đang thực hiện", "dang thuc hien"),
    "not_started": ("chưa bắt đầu", "chua bat dau"),
}
NOTES = (("đang tổng hợp", "dang tong hop"), ("đã triển khai tại các xã", "da trien khai tai cac xa"),
         ("đúng kế hoạch", "dung ke hoach"), ("chờ kinh phí bổ sung", "cho kinh phi bo sung"))
FAKE_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass(frozen=True)
class FocalPointsOptions:
    """Where replies go and how they are drawn, built once from Settings (the demo's)."""

    database_url: str = field(repr=False)
    maildir: Path
    pending: Path  # replies written ahead, named by their delivery time
    ledger: Path
    seed: int = 1
    timezone: str = "Asia/Ho_Chi_Minh"

    @classmethod
    def from_settings(cls, settings, seed: int) -> FocalPointsOptions:
        state = Path(settings.data_dir)
        return cls(settings.database_url, Path(settings.maildir or state / "maildir"), state / "pending-replies",
                   state / "replies-ledger.jsonl", seed, settings.timezone)


@dataclass(frozen=True)
class Line:
    """One line of a reply as the simulation meant it; understood=False for a line nobody can read."""

    code: str
    text: str
    state: str | None = None  # done | in_progress | not_started, for deliverables
    progress: int | None = None
    value: float | None = None  # for indicators
    understood: bool = True


@dataclass(frozen=True)
class SimulatedReply:
    """One message written by a simulated focal point (or by the spoofer)."""

    week: str
    agency: str
    sender: str
    kind: str  # on_time | late | away | spoofed
    style: str  # plain | no_diacritics | html_only | malformed | attached | auto
    at: str  # ISO time of its Date header (and of its delivery)
    message_id: str
    lines: tuple[Line, ...] = ()

    @property
    def counts(self) -> bool:
        """Whether its understood lines should reach the board (a spoofed message or a notice: no)."""
        return self.kind in ("on_time", "late")


@dataclass(frozen=True)
class Answered:
    """What answer_checkins did for one round."""

    checkins: int = 0
    replies: int = 0
    late: int = 0
    silent: int = 0
    away: int = 0
    spoofed: int = 0


def _truth(seed: int, code: str, start: date | None, due: date | None) -> tuple[date, date]:
    """When the agency starts and finishes the deliverable in this simulated year (most on time)."""
    rng = random.Random(f"{seed}:truth:{code}")
    begin = start or date(2024, 1, 30)
    end = due or date(2024, 12, 31)
    draw = rng.random()
    if draw < 0.72:
        finish = end - timedelta(days=rng.randint(0, max(0, min(25, (end - begin).days))))
    elif draw < 0.92:
        finish = end + timedelta(days=rng.randint(5, 45))
    else:
        finish = date(2025, 3, 31)  # not finished this year
    return begin, max(finish, begin)


def progress_on(seed: int, code: str, start: date | None, due: date | None, day: date) -> int:
    """The simulated progress of a deliverable on day: 0 before it starts, 100 once finished, by fives between."""
    begin, finish = _truth(seed, code, start, due)
    if day < begin:
        return 0
    if day >= finish:
        return 100
    span = max(1, (finish - begin).days)
    return min(95, 5 * int(20 * (day - begin).days / span))


def indicator_value(seed: int, code: str, baseline, target, direction: str, day: date) -> float | None:
    """A plausible value of a % indicator on day, moving from its baseline towards its target."""
    rng = random.Random(f"{seed}:ind:{code}:{day.isocalendar()[1]}")
    base = float(baseline) if baseline is not None else 50.0
    goal = float(target) if target is not None else base + (5 if direction == "increase" else -5)
    share = min(1.0, max(0.0, (day - date(2024, 1, 30)).days / 335)) * rng.uniform(0.85, 1.05)
    return round(base + (goal - base) * share, 2)


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _lines(opts: FocalPointsOptions, rows, agency: str, day: date, plain: bool) -> list[Line]:
    """What the agency reports on day: every open deliverable it leads, its indicators now and then."""
    k = 1 if plain else 0
    out: list[Line] = []
    rng = random.Random(f"{opts.seed}:lines:{agency}:{day}")
    for r in rows:
        if r.lead != agency:
            continue
        if r.kind == RowKind.INDICATOR:
            if r.unit == "%" and rng.random() < 0.3:
                v = indicator_value(opts.seed, r.code, r.baseline, r.target, str(r.direction), day)
                out.append(Line(r.code, f"{r.code}: {_number(v)}%", value=v))
            continue
        if r.status_key not in OPEN_STATUSES:
            continue
        p = progress_on(opts.seed, r.code, r.start, r.due, day)
        if p >= 100:
            out.append(Line(r.code, f"{r.code}: {WORDS['done'][k]}", state="done", progress=100))
        elif p == 0:
            if r.start and r.start > day:
                continue  # not due to start yet: nothing to say
            out.append(Line(r.code, f"{r.code}: {WORDS['not_started'][k]}", state="not_started", progress=0))
        else:
            note = rng.choice(NOTES)[k]
            out.append(Line(r.code, f"{r.code}: {p}% - {note}", state="in_progress", progress=p))
    return out


def _quote_gmail(original_text: str, when: datetime, sender: str) -> str:
    head = f"Vào {format_datetime(when)}, {sender} đã viết:"
    return head + "\n" + "\n".join("> " + ln for ln in original_text.splitlines()[:40])


def _quote_outlook(original_text: str, when: datetime, sender: str, subject: str) -> str:
    return ("-----Original Message-----\n"
            f"From: {sender}\nSent: {when:%A, %B %d, %Y %I:%M %p}\nSubject: {subject}\n\n"
            + "\n".join(original_text.splitlines()[:40]))


_REPLY_TO = re.compile(rb"^Reply-To:.*?<([^>\s]+)>", re.IGNORECASE | re.MULTILINE)
_FIRST_TEXT = re.compile(rb'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: '
                         rb"quoted-printable\r\n\r\n(.*?)\r\n--=_plantrack_", re.DOTALL)


def _checkin_parts(raw: bytes) -> tuple[str, str]:
    """(Reply-To address, plain text) of a check-in as stored in the outbox: read straight from the form
    checkin_message writes (a tenth of a parse), else parsed."""
    import quopri

    head = raw[:raw.find(b"\r\n\r\n")]
    m, t = _REPLY_TO.search(head), _FIRST_TEXT.search(raw)
    if m and t:
        return m.group(1).decode("ascii"), quopri.decodestring(t.group(1)).decode("utf-8", "replace").replace("\r\n", "\n")
    import email

    msg = email.message_from_bytes(raw)
    reply_to = parseaddr(msg.get("Reply-To") or msg.get("From") or "")[1]
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return reply_to, (part.get_payload(decode=True) or b"").decode(part.get_content_charset() or "utf-8",
                                                                          "replace")
    return reply_to, ""


def _headers(msg, sender: tuple[str, str], to: str, subject: str, when: datetime, message_id: str,
             in_reply_to: str) -> None:
    from email.header import Header

    msg["From"] = formataddr(sender, charset="utf-8")
    msg["To"] = to
    msg["Subject"] = Header(subject, "utf-8").encode()
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    msg["In-Reply-To"] = in_reply_to
    msg["References"] = in_reply_to


def _build(sender: tuple[str, str], to: str, subject: str, in_reply_to: str, message_id: str, when: datetime,
           body: str, style: str, quote: str, attachment: str | None) -> bytes:
    """A reply as a mail client writes it: plain text (or HTML only), the original quoted, maybe a PDF attached."""
    from email.mime.application import MIMEApplication
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    if style == "html_only":
        import html

        paragraphs = "".join(f"<div>{html.escape(ln)}</div>" for ln in body.splitlines()) or "<div><br></div>"
        quoted = "<br>".join(html.escape(ln) for ln in quote.splitlines())
        content = MIMEText(f"<html><body>{paragraphs}<div><br></div><div id=\"divRplyFwdMsg\"><hr>"
                           f"<blockquote class=\"gmail_quote\">{quoted}</blockquote></div></body></html>",
                           "html", "utf-8")
    else:
        content = MIMEText(body + "\n\n" + quote + "\n", "plain", "utf-8")
    if attachment:
        msg = MIMEMultipart("mixed")
        # The same reply for the same seed: a boundary from the message, not the email package's random one.
        msg.set_boundary("=_reply_" + hashlib.sha256(message_id.encode()).hexdigest()[:24])
        msg.attach(content)
        pdf = MIMEApplication(FAKE_PDF, "pdf")
        pdf.add_header("Content-Disposition", "attachment", filename=attachment)
        msg.attach(pdf)
    else:
        msg = content
    _headers(msg, sender, to, subject, when, message_id, in_reply_to)
    return msg.as_bytes()


def _away_notice(sender: tuple[str, str], to: str, subject: str, in_reply_to: str, message_id: str,
                 when: datetime, back: date) -> bytes:
    from email.mime.text import MIMEText

    msg = MIMEText(f"Tôi đang nghỉ phép đến hết ngày {back:%d/%m/%Y}. Việc gấp xin liên hệ đồng chí phó phòng.\n"
                   f"I am out of the office until {back:%d/%m/%Y}.\n", "plain", "utf-8")
    _headers(msg, sender, to, f"Trả lời tự động: {subject}", when, message_id, in_reply_to)
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Autoreply"] = "yes"
    return msg.as_bytes()


def _write_pending(opts: FocalPointsOptions, when: datetime, message_id: str, raw: bytes) -> None:
    opts.pending.mkdir(parents=True, exist_ok=True)
    stem = message_id.strip("<>").replace("@", "_").replace("/", "_")
    (opts.pending / f"{when.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%S}-{stem}.eml").write_bytes(raw)


def answer_checkins(opts: FocalPointsOptions, today: date) -> Answered:
    """Every focal point asked in today's round answers (or not) as drawn; replies go to the pending folder."""
    tz = ZoneInfo(opts.timezone)
    year, week, _ = today.isocalendar()
    key = f"{year}-W{week:02d}"
    Session = session_factory(opts.database_url)
    with Session() as s:
        sent = s.execute(
            select(Outbox.message, Outbox.subject, Outbox.message_id, Agency.code, Person.name, Person.email)
            .join(CheckinRound, CheckinRound.id == Outbox.round_id).join(Agency, Agency.id == Outbox.agency_id)
            .join(Person, Person.id == Outbox.person_id)
            .where(Outbox.kind == OutboxKind.CHECKIN, CheckinRound.key == key)
            .order_by(Agency.code)).all()
        rows = board(s, today)
    counts = {"checkins": len(sent), "replies": 0, "late": 0, "silent": 0, "away": 0, "spoofed": 0}
    ledger: list[SimulatedReply] = []
    spoof_done = False
    for raw, subject, message_id, agency, name, addr in sent:
        rng = random.Random(f"{opts.seed}:{key}:{agency}")
        draw = rng.random()
        reply_to, original = _checkin_parts(raw)
        domain = addr.rpartition("@")[2]
        sent_at = datetime.combine(today, time(8, 0), tz)
        if draw < SILENT:
            counts["silent"] += 1
            continue
        if draw < AWAY:
            when = sent_at + timedelta(minutes=rng.randint(1, 20))
            mid = f"<away.{key}.{agency.lower()}@{domain}>"
            back = today + timedelta(days=rng.choice((4, 7, 11)))
            _write_pending(opts, when, mid, _away_notice((name, addr), reply_to, subject, message_id, mid, when, back))
            ledger.append(SimulatedReply(key, agency, addr, "away", "auto", when.isoformat(), mid))
            counts["away"] += 1
            continue
        late = draw < LATE
        when = (datetime.combine(today + timedelta(days=rng.choice((5, 6))), time(rng.randint(8, 20), 0), tz)
                if late else sent_at + timedelta(days=rng.choice((1, 1, 2, 3)), hours=rng.randint(0, 8)))
        style_draw = rng.random()
        style = ("no_diacritics" if style_draw < NO_DIACRITICS else "html_only" if style_draw < HTML_ONLY else
                 "malformed" if style_draw < MALFORMED else "attached" if style_draw < ATTACHED else "plain")
        lines = _lines(opts, rows, agency, when.date(), plain=style == "no_diacritics")
        if style == "malformed":
            bad = lines[0].code if lines else "III.1"
            lines.append(Line(bad, f"{bad}: 150% xong het roi", understood=False))
            lines.append(Line("III.99", "III.99: hoàn thành", understood=False))
        greeting = ("Kinh gui Van phong," if style == "no_diacritics" else "Kính gửi Văn phòng,")
        thanks = ("Tran trong." if style == "no_diacritics" else "Trân trọng.")
        said = [ln.text for ln in lines] or ["Đơn vị đã nhận thư, đang phối hợp thực hiện." if style != "no_diacritics"
                                            else "Don vi da nhan thu, dang phoi hop thuc hien."]
        body = "\n".join([greeting, "", *said, "",
                          "Báo cáo đính kèm." if style == "attached" else "", thanks, name])
        quote = (_quote_outlook(original, sent_at, reply_to, subject) if rng.random() < 0.5
                 else _quote_gmail(original, sent_at, reply_to))
        mid = f"<re.{key}.{agency.lower()}@{domain}>"
        attachment = "bao-cao-tien-do.pdf" if style == "attached" else None
        raw_reply = _build((name, addr), reply_to, f"Re: {subject}", message_id, mid, when, body, style, quote,
                           attachment)
        _write_pending(opts, when, mid, raw_reply)
        ledger.append(SimulatedReply(key, agency, addr, "late" if late else "on_time", style, when.isoformat(), mid,
                                     tuple(lines)))
        counts["replies"] += 1
        counts["late"] += late
        if week == SPOOF_WEEK and not late and lines and not spoof_done:
            spoof_done = True
            code = next((ln.code for ln in lines if ln.state), lines[0].code)
            fake = ("Phòng Kế hoạch", f"{addr.partition('@')[0]}@{domain.replace('.', '-')}.mail-vn.example")
            sid = f"<spoof.{key}.{agency.lower()}@mail-vn.example>"
            swhen = when + timedelta(hours=1)
            sbody = f"{code}: hoàn thành\n\n{name}"
            _write_pending(opts, swhen, sid, _build(fake, reply_to, f"Re: {subject}", message_id, sid, swhen, sbody,
                                                    "plain", "", None))
            ledger.append(SimulatedReply(key, agency, fake[1], "spoofed", "plain", swhen.isoformat(), sid,
                                         (Line(code, f"{code}: hoàn thành", "done", 100),)))
            counts["spoofed"] += 1
    if ledger:
        opts.ledger.parent.mkdir(parents=True, exist_ok=True)
        with opts.ledger.open("a", encoding="utf-8") as fh:
            for rep in ledger:
                fh.write(json.dumps(asdict(rep), ensure_ascii=False) + "\n")
    return Answered(**counts)


def deliver_replies(opts: FocalPointsOptions, until: datetime) -> int:
    """Move the pending replies dated up to `until` into the Maildir, oldest first; returns how many."""
    if not opts.pending.is_dir():
        return 0
    stamp = until.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%S")
    due = sorted(p for p in opts.pending.glob("*.eml") if p.name[:15] <= stamp)
    if not due:
        return 0
    new = opts.maildir / "new"
    new.mkdir(parents=True, exist_ok=True)
    for n, p in enumerate(due):
        # A Maildir name (time.sequence.host): unique, sorting in arrival order; os.replace is atomic, as
        # Maildir delivery requires (readers never see a partial file).
        os.replace(p, new / f"{p.name[:15]}.{n:04d}{p.stem[15:][:60]}.plantrack-demo")
    return len(due)


def read_ledger(path: Path) -> list[SimulatedReply]:
    """The ledger's replies, in the order they were written."""
    out = []
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        d["lines"] = tuple(Line(**ln) for ln in d["lines"])
        out.append(SimulatedReply(**d))
    return out


def expected_reports(ledger: list[SimulatedReply], until: str) -> dict[str, Line]:
    """What the board should say at the end: for each code, the last understood line of a reply that counts
    (not spoofed, not a notice) dated up to `until` (ISO), replies taken in date order as intake applies them."""
    out: dict[str, Line] = {}
    for rep in sorted(ledger, key=lambda r: r.at):
        if not rep.counts or rep.at > until:
            continue
        for line in rep.lines:
            if line.understood:
                out[line.code] = line
    return out
