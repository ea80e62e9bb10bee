"""A stored message (an .eml file, a Maildir file) as people read it: decoded headers, the text, the attachments.

Used by `plantrack mail show` (text) and by the demo's site (HTML). Reading only: the stdlib parser with the
modern policy decodes RFC 2047 words, quoted-printable and base64.
"""
from __future__ import annotations

import email
import html
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

SHOWN_HEADERS = ("From", "To", "Cc", "Reply-To", "Date", "Subject")


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    size: int


@dataclass(frozen=True)
class ShownMessage:
    """What a reader needs of one message (text: the plain part, or the HTML part made text)."""

    name: str
    headers: tuple[tuple[str, str], ...]  # SHOWN_HEADERS present, decoded, in that order
    date: datetime | None
    subject: str
    text: str
    html: str | None
    attachments: tuple[Attachment, ...]
    auto: str | None  # Auto-Submitted value (auto-generated check-ins, auto-replied out-of-office notices)

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k == name), "")


def _html_to_text(markup: str) -> str:
    import html2text

    h = html2text.HTML2Text()
    h.body_width = 0  # no hard wrapping: the terminal wraps
    h.ignore_images = True
    return h.handle(markup).strip() + "\n"


def parse_message(raw: bytes, name: str = "") -> ShownMessage:
    """raw (an RFC 5322 message, possibly led by X-Envelope-* lines) as a ShownMessage."""
    msg: EmailMessage = email.message_from_bytes(raw, policy=policy.default)  # type: ignore[assignment]
    headers = tuple((h, " ".join(str(msg[h]).split())) for h in SHOWN_HEADERS if msg[h] is not None)
    try:
        when = parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
    except (TypeError, ValueError):
        when = None
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    markup = html_part.get_content() if html_part is not None else None
    if text_part is not None:
        text = text_part.get_content()
    elif markup is not None:
        text = _html_to_text(markup)
    else:
        text = ""
    attachments = []
    for part in msg.iter_attachments():
        payload = part.get_payload(decode=True) or b""
        attachments.append(Attachment(part.get_filename() or "(no name)", part.get_content_type(), len(payload)))
    return ShownMessage(name, headers, when, str(msg["Subject"] or ""), text.replace("\r\n", "\n"), markup,
                        tuple(attachments), str(msg["Auto-Submitted"]) if msg["Auto-Submitted"] else None)


def read_message(path: Path) -> ShownMessage:
    return parse_message(Path(path).read_bytes(), Path(path).name)


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def as_text(m: ShownMessage) -> str:
    """Headers, a rule, the text, then the attachments: what `plantrack mail show FILE` prints."""
    width = max((len(k) for k, _ in m.headers), default=4)
    lines = [f"{k + ':':<{width + 1}} {v}" for k, v in m.headers]
    lines += ["-" * 72, m.text.rstrip("\n")]
    if m.attachments:
        lines += ["-" * 72] + [f"[attachment] {a.name} ({a.content_type}, {_size(a.size)})" for a in m.attachments]
    return "\n".join(lines) + "\n"


def one_line(m: ShownMessage) -> str:
    """Date, first recipient and subject on one line (listing a folder)."""
    when = m.date.strftime("%Y-%m-%d %H:%M") if m.date else "-"
    to = m.header("To").split(",")[0]
    return f"{when}  {to}  {m.subject}"


PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ margin: 0; font: 15px/1.45 "Noto Sans", system-ui, sans-serif; color: #1c2430; background: #f3f5f8; }}
.wrap {{ max-width: 860px; margin: 0 auto; padding: 16px; }}
table.h {{ border-collapse: collapse; width: 100%; background: #fff; }}
table.h th {{ text-align: left; width: 7em; color: #5b6675; font-weight: 600; padding: 3px 8px; vertical-align: top; }}
table.h td {{ padding: 3px 8px; word-break: break-word; }}
pre {{ white-space: pre-wrap; background: #fff; padding: 12px; border: 1px solid #d9dee5; font: 14px/1.45 "Noto Sans Mono", monospace; }}
iframe {{ width: 100%; height: 70vh; border: 1px solid #d9dee5; background: #fff; }}
.nav a {{ margin-right: 1em; }} .tag {{ display: inline-block; padding: 1px 6px; border-radius: 3px; background: #e6ebf2; font-size: 13px; }}
</style></head><body><div class="wrap">
<p class="nav">{nav}</p>
<h1 style="font-size:20px">{title}</h1>
<table class="h">{headers}</table>
{auto}
<h2 style="font-size:16px">{text_label}</h2>
<pre>{text}</pre>
{html_block}
{attachments}
</div></body></html>
"""


def as_html(m: ShownMessage, nav: str = "", raw_href: str | None = None) -> str:
    """A standalone page: headers, the text part, the HTML part in a sandboxed frame, the attachments."""
    esc = html.escape
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in m.headers)
    if raw_href:
        rows += f'<tr><th>.eml</th><td><a href="{esc(raw_href)}">{esc(m.name)}</a></td></tr>'
    html_block = ""
    if m.html is not None:
        html_block = ('<h2 style="font-size:16px">HTML</h2>'
                      f'<iframe sandbox="" srcdoc="{esc(m.html, quote=True)}"></iframe>')
    att = ""
    if m.attachments:
        att = "<h2 style=\"font-size:16px\">Attachments</h2><ul>" + "".join(
            f"<li>{esc(a.name)} ({esc(a.content_type)}, {_size(a.size)})</li>" for a in m.attachments) + "</ul>"
    auto = f'<p><span class="tag">Auto-Submitted: {esc(m.auto)}</span></p>' if m.auto else ""
    return PAGE.format(title=esc(m.subject or m.name), nav=nav, headers=rows, auto=auto,
                       text_label="Text" if m.html is None or m.text else "Text (from the HTML)",
                       text=esc(m.text), html_block=html_block, attachments=att)
