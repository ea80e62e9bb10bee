"""What every email plantrack writes shares (pure): the templates, the headers of an automated message,
the RFC 5322 form stored in the outbox, and the header checks behind it."""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, formataddr, getaddresses
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parent / "templates"


def template_environment(lang: str | None, newstyle: bool = False, **filters) -> Environment:
    """The templates of TEMPLATES (HTML ones autoescaped) with filters; with lang, also jinja2.ext.i18n bound
    to that language's catalog (newstyle: gettext calls that format their own %(name)s values) and its Babel
    formats as the filters day, dated and amount."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      extensions=["jinja2.ext.i18n"] if lang else [])
    if lang:
        from plantrack.config import i18n

        env.policies["ext.i18n.trimmed"] = True  # one-line message ids whatever the template's line breaks
        env.install_gettext_translations(i18n.translations(lang), newstyle=newstyle)
        env.filters.update(
            day=lambda v: i18n.format_day(v, lang),
            dated=lambda v: i18n.format_dated(v, lang),
            amount=lambda v, unit: i18n.format_amount(v, unit, lang),
        )
    env.filters.update(filters)
    return env


@dataclass(frozen=True)
class Contact:
    name: str
    email: str


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
# The form mailbox() writes: "display name" <addr-spec>, comma-separated.
_OUR_ADDRESS = re.compile(r'"((?:[^"\\]|\\.)*)" <([^<>"\s]+)>')
_WORD_BYTES = 45  # utf-8 bytes per encoded word: 60 base64 characters, 72 with =?utf-8?b?...?= (limit 75)


def key_tag(key: str, length: int = 8) -> str:
    """A short hex tag of a message's idempotency key, for its Message-ID: unique per message, and the same when
    the same message is built again (a demo re-run with the same seed writes the same mail)."""
    return hashlib.sha256(key.encode()).hexdigest()[:length]


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


def mailbox(name: str, email: str) -> str:
    """'"name" <email>' as an address header holds it: plain quoting, encoded when the message is serialised
    (headerregistry.Address costs ~1 ms per call)."""
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{email}>'


def mailboxes(contacts: tuple[Contact, ...]) -> str:
    """The contacts as an address header holds them, comma-separated."""
    return ", ".join(mailbox(c.name, c.email) for c in contacts)


def auto_headers(sender_name: str, mail_from: str, to: tuple[Contact, ...], cc: tuple[Contact, ...],
                 reply_to: str | None, written_at: datetime, message_id: str, ref: str,
                 demo: str | None) -> list[tuple[str, str]]:
    """The headers of a message plantrack writes on its own, in order: From, To, Cc (when any), Reply-To
    (when given), Date, Message-ID, the automated-message marks, X-Plantrack-Ref and X-Plantrack-Demo (when
    demo says why)."""
    headers = [("From", mailbox(sender_name, mail_from)), ("To", mailboxes(to))]
    if cc:
        headers.append(("Cc", mailboxes(cc)))
    if reply_to is not None:
        headers.append(("Reply-To", mailbox(sender_name, reply_to)))
    headers += [
        ("Date", format_datetime(written_at)),
        ("Message-ID", message_id),
        ("Auto-Submitted", "auto-generated"),
        # Not 'All': that also suppresses the non-delivery reports the reply intake needs.
        ("X-Auto-Response-Suppress", "OOF, AutoReply"),
        ("X-Plantrack-Ref", ref),
    ]
    if demo:
        headers.append(("X-Plantrack-Demo", demo))
    return headers


class UnsafeHeader(ValueError):
    """A header value that would break the message: a line break (header injection) or a non-ASCII address."""


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
