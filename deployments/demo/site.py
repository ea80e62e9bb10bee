"""What the demo leaves in its folder: the final board (JSON, xlsx), each email as a readable page, index.html."""
from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo
from pathlib import Path

from sqlalchemy import select

from plantrack.deployments.demo.pages import maildir_files, reply_copy
from plantrack.models.board import board
from plantrack.models.db import session_factory
from plantrack.models.mail.outbox import Outbox
from plantrack.models.status import LABELS, label
from plantrack.notifications.mail.show import ShownMessage, as_html, parse_message
from plantrack.notifications.workbook import save_workbook

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]*>)", re.IGNORECASE | re.MULTILINE)
KIND_TITLES = {"checkin": "Check-ins", "receipt": "Receipts", "escalation": "Escalations", "digest": "Digests"}


@dataclass(frozen=True)
class SentMail:
    kind: str
    week: str
    eml: str  # path relative to out/
    page: str
    subject: str
    to: str


def _iso(value) -> str:
    """Dates and times in board.json as `plantrack status --json` writes them (ISO 8601)."""
    return value.isoformat()


def board_rows(url: str, day: date, lang: str) -> list[dict]:
    """The final board as JSON objects (plantrack status --json's form)."""
    with session_factory(url)() as s:
        return [r.as_json(lang) for r in board(s, day)]


def write_board_xlsx(rows: list[dict], path: Path, day: date, lang: str, tz: str = "Asia/Ho_Chi_Minh") -> None:
    """One sheet, one row per deliverable or indicator, the columns of `plantrack status --json`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = f"{day:%d-%m-%Y}"
    cols = ["code", "title", "lead", "supporting", "start", "due", "status", "progress", "days_left", "last_report_at"]
    ws.append(cols)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    def cell(value):
        if isinstance(value, datetime) and value.tzinfo is not None:  # Excel has no zones: the plan's local time
            return value.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
        if isinstance(value, (list, tuple)):
            return ", ".join(map(str, value))
        return value

    for r in rows:
        ws.append([cell(r.get(c)) for c in cols])
    for letter, width in zip("ABCDEFGHIJ", (14, 60, 16, 30, 11, 11, 24, 9, 9, 26)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    save_workbook(wb, path)


def _message_files(folder: Path) -> dict[str, Path]:
    """Message-ID -> file, for every .eml in folder (the id is in the first few KB)."""
    out = {}
    for p in sorted(folder.glob("*.eml")):
        with p.open("rb") as fh:
            m = _MESSAGE_ID.search(fh.read(8192))
        if m:
            out[m.group(1).decode("ascii", "replace")] = p
    return out


def write_page(out: Path, eml: Path, nav_depth: int) -> tuple[str, ShownMessage]:
    """The readable page beside eml (.html): its path relative to out, and the message as shown."""
    shown = parse_message(eml.read_bytes(), eml.name)
    page = eml.with_suffix(".html")
    up = "../" * nav_depth
    page.write_text(as_html(shown, nav=f'<a href="{up}index.html">← index</a>', raw_href=eml.name), encoding="utf-8")
    return page.relative_to(out).as_posix(), shown


def sent_mail(out: Path, url: str, written: set[str] = frozenset()) -> list[SentMail]:
    """Every sent message with its kind and week, each given a readable page beside its .eml (written: the .eml
    names whose page is there already, pages.PageWriter's)."""
    files = _message_files(out / "mail")
    with session_factory(url)() as s:
        rows = s.execute(select(Outbox.kind, Outbox.message_id, Outbox.subject, Outbox.recipients, Outbox.sent_at)
                         .where(Outbox.sent_at.is_not(None)).order_by(Outbox.sent_at, Outbox.id)).all()
    mails = []
    for kind, mid, subject, recipients, sent_at in rows:
        eml = files.get(mid)
        if eml is None:
            continue
        if eml.name in written:
            page = eml.with_suffix(".html").relative_to(out).as_posix()
        else:
            page, _ = write_page(out, eml, 1)
        y, w, _ = sent_at.isocalendar()
        mails.append(SentMail(str(kind), f"{y}-W{w:02d}", eml.relative_to(out).as_posix(), page, subject,
                              ", ".join(recipients)))
    return mails


def received_mail(out: Path, maildir: Path, written: set[str] = frozenset()) -> list[tuple[str, str, ShownMessage]]:
    """Every reply that reached the Maildir (read or not), copied to out/replies/ with a readable page (written:
    the copies whose page is there already, pages.PageWriter's; the index needs only their headers)."""
    (out / "replies").mkdir(exist_ok=True)
    out_list = []
    for box, p in maildir_files(maildir):
        eml = reply_copy(out, p)
        if eml.name in written:
            page = eml.with_suffix(".html").relative_to(out).as_posix()
            shown = parse_message(_head(eml.read_bytes()), eml.name)
        else:
            eml.write_bytes(p.read_bytes())
            page, shown = write_page(out, eml, 1)
        out_list.append((box.lstrip(".") or "unread", page, shown))
    out_list.sort(key=lambda t: (t[2].date.isoformat() if t[2].date else "", t[1]))
    return out_list


def _head(raw: bytes) -> bytes:
    """The header block of a message (up to its first empty line)."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    return raw[:min(ends) + 2] if ends else raw


INDEX = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>plantrack demo: KH 60/KH-UBND 2024</title>
<style>
body {{ margin: 0; font: 15px/1.45 "Noto Sans", system-ui, sans-serif; color: #1c2430; background: #f3f5f8; }}
.wrap {{ max-width: 1000px; margin: 0 auto; padding: 16px; }}
table {{ border-collapse: collapse; background: #fff; margin: 8px 0 16px; }}
th, td {{ border: 1px solid #d9dee5; padding: 4px 8px; text-align: left; vertical-align: top; }}
td.n {{ text-align: right; }} details {{ background: #fff; border: 1px solid #d9dee5; margin: 4px 0; padding: 4px 8px; }}
summary {{ cursor: pointer; }} li {{ margin: 2px 0; }}
</style></head><body><div class="wrap">
<h1 style="font-size:22px">Kế hoạch 60/KH-UBND năm 2024: một năm mô phỏng (seed {seed})</h1>
<p>{intro}</p>
<h2>Tóm tắt / Summary</h2>
<table>{summary}</table>
<h2>Bảng tiến độ cuối năm / Final board ({day})</h2>
<p><a href="board.xlsx">board.xlsx</a> · <a href="board.json">board.json</a></p>
<table>{statuses}</table>
<h2>Lịch / Calendar feeds</h2>
<ul>{feeds}</ul>
<h2>Bản tin tuần / Weekly digests</h2>
{digests}
<h2>Thư theo tuần / Mail by week</h2>
{weeks}
</div></body></html>
"""


def _li(href: str, text: str) -> str:
    return f'<li><a href="{html.escape(href)}">{html.escape(text)}</a></li>'


def write_index(out: Path, seed: int, day: date, summary: list[tuple[str, object]], rows: list[dict],
                mails: list[SentMail], replies: list[tuple[str, str, ShownMessage]], lang: str) -> Path:
    """index.html: the summary, the final board's counts, then every feed, digest and message, linked."""
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[r["status_key"]] += 1
    statuses = "".join(f"<tr><td>{html.escape(label(k, lang))}</td><td class=n>{counts[k]}</td></tr>"
                       for k in LABELS if counts.get(k))
    feeds = "".join(_li(f"feeds/{p.name}", p.name) for p in sorted((out / "feeds").glob("*.ics")))
    digest_files = sorted((out / "digests").glob("*.html")) if (out / "digests").is_dir() else []
    digests = ("<ul>" + "".join(_li(f"digests/{p.name}", p.stem) for p in digest_files) + "</ul>") if digest_files \
        else "<p>(none)</p>"
    by_week: dict[str, list] = defaultdict(list)
    for m in mails:
        by_week[m.week].append(("sent", m.kind, m.page, f"{m.subject} → {m.to}"))
    for box, page, shown in replies:
        if shown.date:
            y, w, _ = shown.date.isocalendar()
            key = f"{y}-W{w:02d}"
        else:
            key = "?"
        by_week[key].append(("received", box, page, f"{shown.header('From')}: {shown.subject}"))
    blocks = []
    for week in sorted(by_week):
        items = by_week[week]
        groups: dict[str, list] = defaultdict(list)
        for direction, kind, page, text in items:
            groups[("Sent: " + KIND_TITLES.get(kind, kind)) if direction == "sent" else f"Replies ({kind})"].append(
                _li(page, text))
        inner = "".join(f"<p><b>{html.escape(g)}</b> ({len(v)})</p><ul>{''.join(v)}</ul>" for g, v in groups.items())
        head = ", ".join(f"{html.escape(g)}: {len(v)}" for g, v in groups.items())
        blocks.append(f"<details><summary>{week}: {head}</summary>{inner}</details>")
    summary_rows = "".join(f"<tr><td>{html.escape(k)}</td><td class=n>{html.escape(str(v))}</td></tr>"
                           for k, v in summary)
    intro = ("Mỗi tuần: thư đôn đốc gửi sáng thứ Hai, các đầu mối trả lời (mô phỏng), hệ thống đọc thư trả lời, "
             "gửi xác nhận, nhắc việc quá hạn, bản tin thứ Sáu và lịch. Mọi thư gửi đi là tệp .eml; "
             "bấm vào từng thư để đọc.")
    path = out / "index.html"
    path.write_text(INDEX.format(seed=seed, intro=intro, summary=summary_rows, day=f"{day:%d/%m/%Y}",
                                 statuses=statuses, feeds=feeds, digests=digests, weeks="".join(blocks)),
                    encoding="utf-8")
    return path


def write_digests(out: Path, mails: list[SentMail]) -> list[Path]:
    """Each weekly digest that was sent, as the HTML its readers got (digests/<week>.html)."""
    from plantrack.notifications.mail.show import read_message

    folder = out / "digests"
    written = []
    for m in mails:
        if m.kind != "digest":
            continue
        shown = read_message(out / m.eml)
        if shown.html is None:
            continue
        folder.mkdir(exist_ok=True)
        path = folder / f"{m.week}.html"
        n = 2
        while path in written:  # several plans: one file each
            path, n = folder / f"{m.week}-{n}.html", n + 1
        path.write_text(shown.html, encoding="utf-8")
        written.append(path)
    return written


def write_site(opts, result, day: date, written: set[str] = frozenset(),
               replies_written: set[str] = frozenset()) -> None:
    """board.json, board.xlsx, a page per message (written, replies_written: the sent ones and the reply copies
    whose page is there), each digest as HTML, index.html."""
    import os

    url = os.environ["PLANTRACK_DATABASE_URL"]
    rows = board_rows(url, day, opts.lang)
    (opts.out / "board.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1, default=_iso), encoding="utf-8")
    write_board_xlsx(rows, opts.out / "board.xlsx", day, opts.lang)
    (opts.out / "mail").mkdir(exist_ok=True)
    mails = sent_mail(opts.out, url, written)
    write_digests(opts.out, mails)
    replies = received_mail(opts.out, opts.state / "maildir", replies_written)
    write_index(opts.out, opts.seed, day, summary_lines(result, mails, replies), rows, mails, replies, opts.lang)


def summary_lines(result, mails: list[SentMail], replies) -> list[tuple[str, object]]:
    """(what, how many) pairs of the year: the same lines the command prints at the end."""
    kinds: dict[str, int] = defaultdict(int)
    for m in mails:
        kinds[m.kind] += 1
    return [("weeks simulated", len(result.weeks)),
            ("check-ins sent", kinds.get("checkin", 0)),
            ("replies written by focal points", result.answered("replies")),
            ("  of which late", result.answered("late")),
            ("out-of-office notices", result.answered("away")),
            ("spoofed messages", result.answered("spoofed")),
            ("no answer", result.answered("silent")),
            ("replies applied", result.total("replies_applied")),
            ("receipts sent", kinds.get("receipt", 0)),
            ("escalation emails sent", kinds.get("escalation", 0)),
            ("digests sent", kinds.get("digest", 0)),
            ("messages received", len(replies)),
            ("feeds written (times)", result.total("feeds_written"))]
