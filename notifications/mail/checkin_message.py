"""Build one check-in email from plain data (pure): subject, text and HTML from the same Jinja2 context."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
import base64
import binascii
import hashlib
import re
from email.utils import format_datetime, formataddr, getaddresses
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Contact:
    name: str
    email: str


@dataclass(frozen=True)
class ContactPerson:
    """The person a recipient can call about the check-in (from the agency directory)."""

    name: str
    email: str
    phone: str | None = None
    position: str | None = None


@dataclass(frozen=True)
class PlanCitation:
    """The plan as a Vietnamese official letter cites it: số hiệu, ngày, cơ quan ban hành, trích yếu, người ký."""

    number: str
    title: str
    issuer: str
    issued_on: date
    signer: str | None = None


@dataclass(frozen=True)
class Office:
    """Who asks: the coordinating office (names in the message's language) and its contact person."""

    name: str
    short_name: str  # for the From display name
    contact: ContactPerson | None = None


@dataclass(frozen=True)
class ItemLine:
    """One deliverable as the agency sees it in the email."""

    code: str
    title: str
    due: date | None
    status: str  # a StatusKey value
    status_label: str
    progress: int | None
    days_left: int | None
    lead: str = ""  # the lead agency's name, for the 'you support' list
    report_to: str | None = None  # where a report goes (agency name)
    effective_due: date | None = None  # the working day a deadline falling on a day off moves to
    last_report: date | None = None  # day of the latest report (plan time); None: never reported
    due_wording: str = "by"  # before: the plan writes "trước ngày" (due is then the written day)


@dataclass(frozen=True)
class IndicatorLine:
    code: str
    text: str
    unit: str
    baseline: float | int | None
    target: float | int | None  # None: the plan gives a direction only (increase/decrease)
    last_value: float | int | None
    due: date | None
    last_report: date | None = None
    direction: str | None = None  # a Direction value


@dataclass(frozen=True)
class CheckinData:
    """Everything a check-in email says; built by the caller from the database, rendered here."""

    plan: PlanCitation
    office: Office
    round_key: str  # 2024-W21 | 2024-05
    agency_code: str
    agency_name: str
    to: tuple[Contact, ...]
    cc: tuple[Contact, ...]
    leads: tuple[ItemLine, ...]
    supports: tuple[ItemLine, ...]
    indicators: tuple[IndicatorLine, ...]
    today: date
    reply_by: datetime  # plan time; shown as '16:00 thứ Tư, 22/05/2024'
    written_at: datetime  # aware; the Date header
    ref: str  # reference tag, e.g. K7Q2M
    mail_from: str
    reply_to: str
    message_id: str  # with angle brackets
    missed_last_round: bool = False
    demo: bool = False


@dataclass(frozen=True)
class Message:
    """A rendered email, immutable; as_bytes() gives the RFC 5322 form stored in the outbox."""

    subject: str
    text: str
    html: str
    headers: tuple[tuple[str, str], ...]  # From, To, Cc, Reply-To, Message-ID, ... in order
    envelope_from: str
    recipients: tuple[str, ...]  # To and Cc addresses, for RCPT TO

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def as_bytes(self) -> bytes:
        """RFC 5322 bytes, 7-bit clean: RFC 2047 headers, quoted-printable text and HTML alternatives."""
        # Written by hand: the email package's serialisation cost ~15 ms a message (see bench/).
        boundary = "=_plantrack_" + hashlib.sha1(self.header("Message-ID").encode()).hexdigest()[:24]
        lines = [f"{k}: {_encode_header(k, v)}" for k, v in self.headers]
        lines += [f"Subject: {_encode_header('Subject', self.subject)}", "MIME-Version: 1.0",
                  f'Content-Type: multipart/alternative; boundary="{boundary}"', ""]
        head = "\r\n".join(lines).encode("ascii")
        parts = [head]
        for subtype, body in (("plain", self.text), ("html", self.html)):
            parts += [f"--{boundary}\r\nContent-Type: text/{subtype}; charset=\"utf-8\"\r\n"
                      "Content-Transfer-Encoding: quoted-printable\r\n".encode("ascii"), _qp(body)]
        parts.append(f"--{boundary}--\r\n".encode("ascii"))
        return b"\r\n".join(parts)


_ADDRESS_HEADERS = {"from", "to", "cc", "reply-to"}
# The form _addr() writes: "display name" <addr-spec>, comma-separated.
_OUR_ADDRESS = re.compile(r'"((?:[^"\\]|\\.)*)" <([^<>"\s]+)>')
_WORD_BYTES = 45  # utf-8 bytes per encoded word: 60 base64 characters, 72 with =?utf-8?b?...?= (limit 75)


def _encode_header(name: str, value: str) -> str:
    # Written by hand: email.header.Header and email.utils.getaddresses cost ~0.5 ms a message each.
    if name.lower() in _ADDRESS_HEADERS:
        return ",\r\n ".join(_encode_address(n, a) for n, a in _addresses(value))
    if value.isascii():
        return value
    # Leading ASCII words stay readable (the [KH ... #K7Q2M] tag survives clients that mangle encoded words).
    words = value.split(" ")
    n = next(i for i, w in enumerate(words) if not w.isascii())
    head = " ".join(words[:n])
    return (head + " " if n else "") + _encoded_words(" ".join(words[n:]))


def _addresses(value: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header in our own form, else parsed by the email package."""
    found = _OUR_ADDRESS.findall(value)
    if found and ", ".join(f'"{n}" <{a}>' for n, a in found) == value:
        return [(re.sub(r"\\(.)", r"\1", n), a) for n, a in found]
    return getaddresses([value])


@lru_cache(maxsize=4096)
def _encode_address(display: str, address: str) -> str:
    if not display:
        return address
    if display.isascii():
        return formataddr((display, address))
    return f"{_encoded_words(display)} <{address}>"


def _encoded_words(text: str) -> str:
    """text as RFC 2047 base64 encoded words (utf-8), split on character boundaries, folded between words."""
    words, chunk, size = [], [], 0
    for ch in text:
        n = len(ch.encode("utf-8"))
        if size + n > _WORD_BYTES:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(ch)
        size += n
    words.append("".join(chunk))
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w.encode('utf-8')).decode('ascii')}?=" for w in words)


def _qp(text: str) -> bytes:
    body = binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return body.replace(b"\n", b"\r\n") + (b"" if body.endswith(b"\n") else b"\r\n")


def _addr(name: str, email: str) -> str:
    # Plain quoting (encoded at serialisation); headerregistry.Address costs ~1 ms per call.
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{email}>'


def _fmt(contacts: tuple[Contact, ...]) -> str:
    return ", ".join(_addr(c.name, c.email) for c in contacts)


class UnsafeHeader(ValueError):
    """A header value that would break the message: a line break (header injection) or a non-ASCII address."""


MAX_ITEMS = 40  # PLANTRACK_CHECKIN_MAX_ITEMS
_FIELD_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 field name: printable ASCII except ':'


def check_headers(headers: tuple[tuple[str, str], ...]) -> None:
    """Raise UnsafeHeader when a header value holds CR, LF (or another control character) or an address
    header a non-ASCII address: the second line of defence behind the plan file's checks."""
    for name, value in headers:
        if not _FIELD_NAME.fullmatch(name):
            raise UnsafeHeader(f"header name {name[:80]!r} is not a field name (printable ASCII without ':'): refused")
        bad = next((c for c in value if c < " " or c == "\x7f"), None)
        if bad is not None:
            raise UnsafeHeader(f"{name} header holds control character U+{ord(bad):04X}: refused "
                               f"(header injection?): {value[:80]!r}")
        if name.lower() in _ADDRESS_HEADERS:
            for _, address in _addresses(value):
                if not address.isascii():
                    raise UnsafeHeader(f"{name} address {address!r} is not ASCII: plantrack sends without SMTPUTF8 "
                                       "(reload the directory: it converts IDN domains and refuses non-ASCII mailbox names)")


def _summary(hidden: list[ItemLine], lang: str) -> str:
    """'12 more not listed here: 3 Quá hạn, 9 ...' for the items a long check-in leaves out."""
    if not hidden:
        return ""
    counts: dict[str, int] = {}
    for it in hidden:
        counts[it.status_label] = counts.get(it.status_label, 0) + 1
    parts = ", ".join(f"{n} {label}" for label, n in counts.items())
    from plantrack.config.i18n import ngettext_for

    text = ngettext_for(lang)("... and %(count)d more not listed here (%(parts)s).",
                              "... and %(count)d more not listed here (%(parts)s).", len(hidden))
    return text % {"count": len(hidden), "parts": parts}



@lru_cache(maxsize=8)
def _env(lang: str) -> Environment:
    """One environment per language: jinja2.ext.i18n bound to that language's catalog, Babel formats."""
    from plantrack.config import i18n

    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      extensions=["jinja2.ext.i18n"])
    env.policies["ext.i18n.trimmed"] = True  # one-line message ids whatever the template's line breaks
    # Old-style calls: one Python call per {% trans %} instead of two (about 20 % of a message's render
    # time); variables are still escaped in HTML (Markup % values).
    env.install_gettext_translations(i18n.translations(lang), newstyle=False)
    env.filters.update(
        day=lambda v: i18n.format_day(v, lang),
        dated=lambda v: i18n.format_dated(v, lang),
        moment=lambda v: i18n.format_moment(v, lang),
        amount=lambda v, unit: i18n.format_amount(v, unit, lang),
        pct=lambda p: "-" if p is None else f"{p}%",
    )
    return env


@lru_cache(maxsize=16)
def _template(name: str, lang: str):
    # Compiled once per process and language; get_template would check the file's mtime on every message.
    return _env(lang).get_template(name)


def round_label(round_key: str, lang: str) -> str:
    """'tuần 21/2024' / 'week 21/2024' for 2024-W21; 'tháng 5/2024' / 'month 5/2024' for 2024-05."""
    from plantrack.config.i18n import gettext_for

    _ = gettext_for(lang)
    year, _sep, rest = round_key.partition("-")
    if rest.startswith("W"):
        return _("week {week}/{year}").format(week=int(rest[1:]), year=year)
    return _("month {month}/{year}").format(month=int(rest), year=year)


def urgency(item: ItemLine) -> tuple:
    """Sort key: fewest days left (overdue first), undated last, then plan code."""
    return (item.days_left is None, item.days_left if item.days_left is not None else 0, item.code)


def subject_for(data: CheckinData, lang: str) -> str:
    """'[KH 60/KH-UBND #K7Q2M] Sở Y tế: cập nhật tiến độ, trả lời trước 16:00 22/05': tag, who, what, by when."""
    from plantrack.config.i18n import gettext_for

    text = gettext_for(lang)("{agency}: progress update, reply by {time} {day}").format(
        agency=data.agency_name, time=f"{data.reply_by:%H:%M}", day=f"{data.reply_by:%d/%m}")
    return f"[KH {data.plan.number} #{data.ref}] {text}"


def sender_name(data: CheckinData, lang: str) -> str:
    """The From display name: the office that asks, and for which plan."""
    from plantrack.config.i18n import gettext_for

    return gettext_for(lang)("{office} (plan {number})").format(office=data.office.short_name,
                                                                number=data.plan.number)


def citation_subject(title: str) -> str:
    """The trích yếu as cited after 'về': the title without its leading document type ('Kế hoạch ...')."""
    return re.sub(r"^(Kế hoạch|Plan)\s+", "", title.strip())


def reply_examples(data: CheckinData, lang: str) -> tuple[str, ...]:
    """Example reply lines made from the recipient's own codes (most urgent first), in lang's words."""
    from plantrack.config.i18n import format_amount, gettext_for
    from plantrack.models.reply_words import ReplyWord, word

    _ = gettext_for(lang)
    leads = sorted(data.leads, key=urgency)
    out = []
    if leads:
        first = leads[0]
        note = _("compiling the figures") if first.report_to else _("under way as planned")
        out.append(f"{first.code}: 60% - {note}")
    if len(leads) > 1:
        out.append(f"{leads[1].code}: {word(ReplyWord.DONE, lang)}")
    if len(leads) > 2:
        out.append(f"{leads[2].code}: {word(ReplyWord.BLOCKED, lang)} - {_('waiting for funds')}")
    if not leads and data.supports:
        first = sorted(data.supports, key=urgency)[0]
        out.append(f"{first.code}: {word(ReplyWord.IN_PROGRESS, lang)} - {_('our part is under way')}")
    for ind in data.indicators:  # a figure as it would be reported (a direction-only target has none)
        sample = ind.baseline if ind.baseline is not None else ind.target
        if sample is not None:
            out.append(f"{ind.code}: {format_amount(sample, ind.unit, lang)}")
            break
    return tuple(out)


def build_checkin_message(data: CheckinData, lang: str = "vi", max_items: int = MAX_ITEMS) -> Message:
    """The check-in email for data in lang (a language with a catalog): text and HTML alternatives, our headers.

    At most max_items deliverables are listed in full (what the agency leads first, most urgent first);
    the rest are counted by status. Raises UnsafeHeader for a header value with a line break."""
    from plantrack.config.i18n import languages
    from plantrack.models.reply_words import STATE_WORDS, ReplyWord, word

    if lang not in languages():
        raise ValueError(f"lang must be one of {', '.join(languages())}, not {lang!r}")
    leads, supports = sorted(data.leads, key=urgency), sorted(data.supports, key=urgency)
    shown_leads = leads[:max_items]
    shown_supports = supports[:max(0, max_items - len(shown_leads))]
    ctx = {
        "d": data, "lang": lang, "round": round_label(data.round_key, lang),
        "leads": shown_leads, "supports": shown_supports,
        "leads_total": len(leads), "supports_total": len(supports),
        "leads_more": _summary(leads[len(shown_leads):], lang),
        "supports_more": _summary(supports[len(shown_supports):], lang),
        "plan_subject": citation_subject(data.plan.title),
        "examples": reply_examples(data, lang),
        "state_words": ", ".join(word(w, lang) for w in STATE_WORDS),
        "no_change": word(ReplyWord.NO_CHANGE, lang),
    }
    text = _template("checkin.txt.j2", lang).render(ctx)
    html = _template("checkin.html.j2", lang).render(ctx)
    name = sender_name(data, lang)
    headers = [
        ("From", _addr(name, data.mail_from)),
        ("To", _fmt(data.to)),
    ]
    if data.cc:
        headers.append(("Cc", _fmt(data.cc)))
    headers += [
        ("Reply-To", _addr(name, data.reply_to)),
        ("Date", format_datetime(data.written_at)),
        ("Message-ID", data.message_id),
        ("Auto-Submitted", "auto-generated"),
        # Not 'All': that also suppresses the non-delivery reports the reply intake needs.
        ("X-Auto-Response-Suppress", "OOF, AutoReply"),
        ("X-Plantrack-Ref", f"{data.round_key} {data.agency_code} {data.ref}"),
    ]
    if data.demo:
        headers.append(("X-Plantrack-Demo", "demo key: reply tokens are not secret"))
    subject = subject_for(data, lang)
    check_headers((*headers, ("Subject", subject)))
    return Message(subject=subject, text=text, html=html, headers=tuple(headers),
                   envelope_from=data.mail_from,
                   recipients=tuple(c.email for c in data.to + data.cc))
