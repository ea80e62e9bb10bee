"""Golden check-ins of the seed plan, as their recipients read them: a few whole messages in plain text.

Each golden file (tests/golden/checkins/*.txt) holds one message of a deterministic round: the
headers a reader sees (From, To, Cc, Reply-To, Subject), the text part, and the visible text of the
HTML part (block elements on their own lines). Reference tags, reply tokens and Message-IDs depend
on database ids and the key, so they are replaced by #REF, <token> and <message-id>: a failure
shows words that changed, not hashes. One more file lists every message of every round (subject and
recipients), so a message that appears or disappears shows too.

Regenerate after an intended change of wording or layout, then read the diff before committing:

    python -m tests.checkin_golden
"""
from __future__ import annotations

import email
import re
from datetime import date, datetime, timezone
from email.policy import default
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy import select, update

GOLDEN_DIR = Path(__file__).resolve().parent / "golden" / "checkins"
SECRET = "golden-secret"
MAIL_FROM = "theodoi@laocai.example.org"
# (today, lang, period, demo): weeks with many overdue items, a month round, English, demo mode.
SCENARIOS = [
    (date(2024, 2, 5), "vi", "week", False),
    (date(2024, 5, 20), "vi", "week", False),
    (date(2024, 5, 27), "en", "week", False),  # previous round sent, one agency answered: others 'missed'
    (date(2024, 6, 3), "vi", "week", True),
    (date(2024, 11, 15), "en", "month", True),
    (date(2024, 12, 30), "vi", "week", False),  # 2025-W01, mostly overdue; titles/names with <&"'>
]
# The whole messages kept: (round key, agency) -> file name.
KEPT = {
    ("2024-W21", "SYT"): "2024-W21-SYT.vi.txt",  # leads, supports and a target
    ("2024-W21", "UBND-BACHA"): "2024-W21-UBND-BACHA.vi.txt",  # a district: reports and eleven supported items
    ("2024-W22", "STTTT"): "2024-W22-STTTT.en.txt",  # English, did not answer the previous round
    ("2024-11", "TINHDOAN"): "2024-11-TINHDOAN.en.txt",  # English month round in demo mode
    ("2025-W01", "SLDTBXH"): "2025-W01-SLDTBXH.vi.txt",  # the coordinator itself, overdue items, <&"'> in names
}
SUMMARY = "rounds.txt"


class _Clock:
    """Stands in for checkin_round.datetime: a fixed, aware 'now' (everything else delegates)."""

    @staticmethod
    def now(tz=None):
        return datetime(2024, 5, 20, 0, 30, 15, tzinfo=timezone.utc)

    def __getattr__(self, name):
        return getattr(datetime, name)


class _Visible(HTMLParser):
    """The text a reader sees in an HTML part: block elements start lines, runs of spaces collapse."""

    BLOCKS = {"p", "div", "h1", "h2", "h3", "li", "br", "tr", "title", "pre"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines, self.current, self.skip = [], [], 0

    def _flush(self):
        line = " ".join("".join(self.current).split())
        if line:
            self.lines.append(line)
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag in ("head", "style", "script"):
            self.skip += 1
        if tag in self.BLOCKS:
            self._flush()

    def handle_endtag(self, tag):
        if tag in ("head", "style", "script"):
            self.skip -= 1
        if tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data):
        if not self.skip:
            self.current.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    parser._flush()
    return "\n".join(parser.lines)


def readable(raw: bytes, ref: str) -> str:
    """One stored message as its reader sees it, with id-dependent values masked."""
    m = email.message_from_bytes(raw, policy=default)
    head = [f"{name}: {m[name]}" for name in ("From", "To", "Cc", "Reply-To", "Subject") if m[name] is not None]
    text = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
    page = visible_text(m.get_body(("html",)).get_content())
    out = "\n".join(head) + "\n\n===== text/plain =====\n" + text + "\n===== text/html (visible text) =====\n" + page + "\n"
    out = out.replace(ref, "REF").replace(ref.lower(), "ref")
    return re.sub(r"theodoi\+[a-z2-7]+@", "theodoi+<token>@", out)


def render_scenarios(url: str, patch) -> dict[str, str]:
    """Run SCENARIOS on a database with the seed plan loaded; returns golden file name -> content.

    patch(obj, name, value) is monkeypatch.setattr (or setattr when regenerating).
    """
    import plantrack.notifications.mail.checkin_round as cr
    from plantrack.models.db import session_factory
    from plantrack.models.entities import Agency, Deliverable, StatusReport
    from plantrack.models.mail.outbox import SENT, CheckinRound, Outbox

    patch(cr, "datetime", _Clock())
    Session = session_factory(url)
    out: dict[str, str] = {}
    summary: list[str] = []
    for today, lang, period, demo in SCENARIOS:
        if today == date(2024, 12, 30):
            with Session() as s, s.begin():
                s.execute(update(Deliverable).where(Deliverable.code == "III.4")
                          .values(title='Diễn đàn <trẻ em> & "hội nghị" \'2024\''))
                s.execute(update(Agency).where(Agency.code == "SLDTBXH")
                          .values(name='Sở LĐ-TB&XH <"test">', name_en="Labour & <Social> 'Affairs'"))
        ident = cr.MailIdentity(mail_from=MAIL_FROM, secret=SECRET, lang=lang, demo=demo)
        with Session() as s, s.begin():
            cr.enqueue_round(s, today, ident, period=period)
        with Session() as s, s.begin():
            rows = s.execute(select(Outbox, CheckinRound.key, Agency.code)
                             .join(CheckinRound, CheckinRound.id == Outbox.round_id)
                             .join(Agency, Agency.id == Outbox.agency_id)
                             .where(Outbox.status != SENT).order_by(Agency.code)).all()
            summary.append(f"== {today} {lang} {period}{' demo' if demo else ''}: {len(rows)} messages")
            for row, key, code in rows:
                summary.append(f"{code}: {row.subject.replace(row.ref, 'REF')} -> {', '.join(row.recipients)}")
                name = KEPT.get((key, code))
                if name:
                    out[name] = readable(bytes(row.message), row.ref)
            s.execute(update(Outbox).where(Outbox.status != SENT)
                      .values(status=SENT, sent_at=datetime(2024, 1, 1, tzinfo=timezone.utc)))
            if today == date(2024, 5, 20):
                agency_id = s.scalar(select(Agency.id).where(Agency.code == "SYT"))
                s.add(StatusReport(reported_at=datetime(2024, 5, 22, tzinfo=timezone.utc), agency_id=agency_id,
                                   channel="email", note="golden"))
    out[SUMMARY] = "\n".join(summary) + "\n"
    return out


if __name__ == "__main__":  # regenerate the golden files; read `git diff tests/golden` before committing
    import tempfile

    from tests.conftest import init_and_load

    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'golden.db'}"
    init_and_load(url)
    files = render_scenarios(url, setattr)
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for old in GOLDEN_DIR.glob("*.txt"):
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        (GOLDEN_DIR / name).write_text(text, encoding="utf-8")
    print(f"{len(files)} files -> {GOLDEN_DIR}")
