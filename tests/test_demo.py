"""plantrack demo on a few weeks: the real flows on a virtual clock leave feeds, emails, the board and index.html."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

WEEKS = 3
START = "2024-06-03"  # the weeks around the 6-month reports (due 15/06)


def _run_demo(out: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANTRACK_") and k != "PREFECT_API_URL"}
    proc = subprocess.run([sys.executable, "-m", "plantrack.cli", "demo", "--out", str(out), "--seed", "7",
                           "--start", START, "--weeks", str(WEEKS)], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "out"
    return out, _run_demo(out)


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".state" not in p.relative_to(out).parts}


def test_the_same_seed_leaves_the_same_files_byte_for_byte(demo_out, tmp_path):
    """Every email, reply, feed, digest, page and the board (.xlsx included) of a second run with the same seed
    are the same bytes: the virtual clock, Message-IDs and MIME boundaries come from the run, not from chance."""
    out, _ = demo_out
    again = tmp_path / "again"
    _run_demo(again)
    first, second = _files(out), _files(again)
    assert sorted(first) == sorted(second)
    assert len([n for n in first if n.endswith(".eml")]) > 100
    assert [n for n in first if first[n] != second[n]] == []


def _summary(stdout: str) -> dict[str, int]:
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^  ([a-z -]+?): (\d+)$", stdout, re.MULTILINE)}


def test_demo_sends_one_checkin_per_agency_and_week_and_writes_every_email(demo_out):
    from sqlalchemy import func, select

    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import CheckinRound, Outbox

    out, stdout = demo_out
    counts = _summary(stdout)
    assert counts["weeks simulated"] == WEEKS
    url = f"sqlite:///{out / '.state' / 'plantrack.db'}"
    with session_factory(url)() as s:
        per_round = dict(s.execute(select(CheckinRound.key, func.count(Outbox.id))
                                   .join(Outbox, Outbox.round_id == CheckinRound.id).where(Outbox.kind == "checkin")
                                   .group_by(CheckinRound.key)).all())
        sent = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "sent"))
    assert sorted(per_round) == ["2024-W23", "2024-W24", "2024-W25"]
    assert all(n >= 20 for n in per_round.values()), per_round  # the seed plan's agencies with open work
    assert counts["check-ins sent"] == sum(per_round.values())
    emls = sorted((out / "mail").glob("*.eml"))
    assert len(emls) == sent  # every message that left is an .eml file, once
    assert all(p.with_suffix(".html").exists() for p in emls)
    assert counts["replies written by focal points"] + counts["no answer"] + counts["out-of-office notices"] \
        == counts["check-ins sent"]


LAST_INTAKE = "2024-06-21T15:00"  # Friday of the last simulated week, when the last intake ran


def test_every_human_reply_is_read_and_answered_with_a_receipt(demo_out):
    from sqlalchemy import func, select

    from plantrack.deployments.demo.focal_points import read_ledger
    from plantrack.models.db import session_factory
    from plantrack.models.mail.inbound import InboundMessage
    from plantrack.models.mail.outbox import Outbox

    out, stdout = demo_out
    ledger = [r for r in read_ledger(out / ".state" / "replies-ledger.jsonl") if r.at <= LAST_INTAKE]
    url = f"sqlite:///{out / '.state' / 'plantrack.db'}"
    with session_factory(url)() as s:
        outcomes = dict(s.execute(select(InboundMessage.message_id, InboundMessage.outcome)).all())
        receipts = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.kind == "receipt",
                                                                            Outbox.status == "sent"))
    assert set(outcomes) == {r.message_id for r in ledger}  # every message delivered was read, once
    by_kind = {}
    for r in ledger:  # a supporting agency's reply says nothing about items: no report line to apply
        kind = r.kind if r.kind not in ("on_time", "late") else "reported" if r.lines else "no lines"
        by_kind.setdefault(kind, set()).add(str(outcomes[r.message_id]))
    assert by_kind["spoofed"] == {"rejected"}
    assert by_kind.get("away", {"automated"}) == {"automated"}
    assert by_kind["reported"] == {"applied", "partial"}  # partial: the malformed ones
    assert by_kind.get("no lines", {"unclear"}) == {"unclear"}
    human = [r for r in ledger if r.kind != "away"]
    assert receipts == len(human) == _summary(stdout)["receipts sent"]


def test_the_final_board_agrees_with_the_simulated_replies(demo_out):
    from plantrack.deployments.demo.focal_points import expected_reports, read_ledger

    out, _ = demo_out
    expected = expected_reports(read_ledger(out / ".state" / "replies-ledger.jsonl"), LAST_INTAKE)
    board = {r["code"]: r for r in json.loads((out / "board.json").read_text(encoding="utf-8"))}
    assert len(expected) > 40
    wrong = []
    for code, line in expected.items():
        row = board[code]
        if line.value is not None:
            ok = row["last_value"] is not None and abs(row["last_value"] - line.value) < 1e-9
        else:
            ok = row["state"] == line.state and (line.state != "in_progress" or row["progress"] == line.progress)
        if not ok:
            wrong.append((code, line.text, row["state"], row["progress"], row.get("last_value")))
    assert not wrong, wrong
    # Nothing else moved: an item nobody reported on is still as the plan file left it.
    untouched = [r for c, r in board.items() if c not in expected and r["kind"] == "deliverable"]
    assert all(r["last_report_at"] is None for r in untouched)


def test_every_feed_parses(demo_out):
    from icalendar import Calendar

    out, _ = demo_out
    feeds = sorted((out / "feeds").glob("*.ics"))
    assert any(p.name == "plan.ics" for p in feeds) and len(feeds) > 20
    for p in feeds:
        cal = Calendar.from_ical(p.read_bytes())
        assert cal.get("X-WR-CALNAME"), p.name


def test_the_board_is_left_as_json_and_xlsx(demo_out):
    from openpyxl import load_workbook

    out, _ = demo_out
    rows = json.loads((out / "board.json").read_text(encoding="utf-8"))
    assert len(rows) == 84 + 14  # deliverables and indicators of the seed plan
    sheet = load_workbook(out / "board.xlsx").active
    assert sheet.max_row == len(rows) + 1
    assert [c.value for c in sheet[1]][:2] == ["code", "title"]
    assert {sheet.cell(row=i, column=1).value for i in range(2, sheet.max_row + 1)} == {r["code"] for r in rows}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def test_index_links_resolve(demo_out):
    out, _ = demo_out
    parser = _Links()
    parser.feed((out / "index.html").read_text(encoding="utf-8"))
    assert len(parser.hrefs) > 100
    missing = [h for h in parser.hrefs if not (out / h).exists()]
    assert not missing, missing[:10]
    kinds = {h.split("/")[0] for h in parser.hrefs}
    assert {"board.xlsx", "board.json", "feeds", "mail", "replies"} <= kinds
    page = next(h for h in parser.hrefs if h.startswith("mail/"))  # each email page links back and to its .eml
    inner = _Links()
    inner.feed((out / page).read_text(encoding="utf-8"))
    assert "../index.html" in inner.hrefs and all((out / page).parent.joinpath(h).exists() for h in inner.hrefs)


def test_replies_are_real_mime_messages_of_every_kind(demo_out):
    from plantrack.deployments.demo.focal_points import read_ledger
    from plantrack.notifications.mail.show import read_message

    out, _ = demo_out
    ledger = read_ledger(out / ".state" / "replies-ledger.jsonl")
    styles = {r.style for r in ledger}
    assert {"plain", "html_only", "no_diacritics", "malformed", "attached"} <= styles | {"auto"}, styles
    received = [read_message(p) for p in (out / "replies").glob("*.eml")]
    assert len(received) == len([r for r in ledger if r.at <= LAST_INTAKE])  # delivered by the last intake
    assert any(m.attachments for m in received) and any(m.html for m in received)  # a PDF; HTML-only replies
    assert any(m.auto == "auto-replied" for m in received) or not any(r.kind == "away" for r in ledger)


def test_focal_points_are_deterministic_for_a_seed(loaded_sqlite, tmp_path):
    """Same seed and round: the same replies, said the same way; another seed: other replies."""
    import shutil

    from plantrack.config.settings import load_settings
    from plantrack.deployments.demo.focal_points import FocalPointsOptions, answer_checkins, read_ledger
    from plantrack.notifications.mail.checkins import CheckinOptions, run_checkin_round

    settings = load_settings(database_url=loaded_sqlite, outbox_dir=str(tmp_path / "mail"))
    run_checkin_round(CheckinOptions.from_settings(settings), date(2024, 6, 3))
    ledgers = []
    for n, seed in enumerate((5, 5, 6)):
        state = tmp_path / f"s{n}"
        opts = FocalPointsOptions(loaded_sqlite, state / "maildir", state / "pending", state / "ledger.jsonl", seed)
        answer_checkins(opts, date(2024, 6, 3))
        ledgers.append(read_ledger(opts.ledger))
        shutil.rmtree(state / "pending")
    assert ledgers[0] == ledgers[1] and len(ledgers[0]) > 10
    assert ledgers[0] != ledgers[2]


def test_escalations_fire_on_the_weekly_run_and_go_out_by_email(demo_out):
    """What is late or silent climbs the ladder on the simulated Mondays (escalate-overdue at 07:00); the
    escalation emails left, and the summary counts them."""
    from sqlalchemy import func, select

    from plantrack.models.db import session_factory
    from plantrack.models.escalation.table import Escalation
    from plantrack.models.mail.outbox import Outbox

    out, stdout = demo_out
    url = f"sqlite:///{out / '.state' / 'plantrack.db'}"
    with session_factory(url)() as s:
        days = set(s.scalars(select(Escalation.fired_on).distinct()))
        fired = s.scalar(select(func.count()).select_from(Escalation))
        emails = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.kind == "escalation",
                                                                          Outbox.status == "sent"))
    assert fired > 0 and emails > 0
    assert days <= {date(2024, 6, 3), date(2024, 6, 10), date(2024, 6, 17)}  # the simulated Mondays
    assert _summary(stdout)["escalation emails sent"] == emails


def test_the_deputy_chair_gets_one_digest_a_week_browsable_from_the_index(demo_out):
    """send-weekly-digest runs on each simulated Friday: one digest a week left by email, each also written
    as HTML in digests/ and linked from index.html; the summary counts them."""
    from sqlalchemy import select

    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import Outbox

    out, stdout = demo_out
    url = f"sqlite:///{out / '.state' / 'plantrack.db'}"
    with session_factory(url)() as s:
        subjects = list(s.scalars(select(Outbox.subject).where(Outbox.kind == "digest", Outbox.status == "sent")))
    assert len(subjects) == WEEKS, subjects
    assert _summary(stdout)["digests sent"] == WEEKS
    pages = sorted((out / "digests").glob("*.html"))
    assert [p.stem for p in pages] == ["2024-W23", "2024-W24", "2024-W25"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="digests/{p.name}"' in index for p in pages)
    assert all("60/KH-UBND" in p.read_text(encoding="utf-8") for p in pages)
    from email import message_from_bytes
    from email.utils import parsedate_to_datetime

    sent_on = sorted(parsedate_to_datetime(message_from_bytes(p.read_bytes())["Date"]).date()
                     for p in (out / "mail").glob("*digest.*.eml"))
    assert sent_on == [date(2024, 6, 7), date(2024, 6, 14), date(2024, 6, 21)]  # dated on the simulated Fridays
