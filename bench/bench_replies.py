"""Benchmark: replies a second through reply intake, end to end, via a Maildir and via IMAP (Dovecot, TLS),
against the bare stdlib `email` parser over the same bytes in the same run.

End to end = what ingest_replies does (without Prefect): take the messages from the source, store them raw
(committed), read them (charsets, HTML, quotes, lines), match and authorise, apply the reports in date order
(record_report), queue a threaded receipt in the outbox, and move each message out of the source. Sending the
receipts is the check-in sender's job (bench_checkins.py) and is not timed here.

The 5,000 replies answer the Lào Cai round of 2024-W21 (SQLite file): every client style of the corpus, each
from an agency's focal point with one to three lines of its own codes, with 5 % from strangers (rejected),
2 % out-of-office notices and 3 % with a line that is not understood.

    python -m bench.bench_replies [N] [--skip-imap]      (from the repository root: it uses tests/ helpers)
"""
from __future__ import annotations

import email
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from email.policy import default as default_policy
from pathlib import Path

from sqlalchemy import select

from plantrack.models.db import session_factory
from plantrack.models.entities import Agency, Deliverable
from plantrack.notifications.mail.inbound.ingest import ingest_replies
from tests.checkin_smtp import queue_round
from tests.conftest import init_and_load
from tests.replies_fixtures import intake_options
from tests.reply_corpus import STYLES, TZ7, checkins, mark_sent, out_of_office, reply, write_maildir


def corpus(url: str, n: int, seed: int = 7) -> list[bytes]:
    rnd = random.Random(seed)
    cks = checkins(url)
    with session_factory(url)() as s:
        own: dict[str, list[str]] = {}
        for code, agency in s.execute(select(Deliverable.code, Agency.code)
                                      .join(Agency, Agency.id == Deliverable.lead_agency_id)):
            own.setdefault(agency, []).append(code)
    agencies = sorted(a for a in cks if own.get(a))
    out = []
    for i in range(n):
        ck = cks[agencies[i % len(agencies)]]
        when = datetime(2024, 5, 21, 8, tzinfo=TZ7) + timedelta(seconds=i * 7)
        roll = rnd.random()
        if roll < 0.02:
            out.append(out_of_office(ck, rnd.choice(["vi", "en"]), "đến hết ngày 31/5/2024")
                       .replace(b"Message-ID: <", f"Message-ID: <{i}.".encode(), 1))
            continue
        codes = rnd.sample(own[ck.agency], min(len(own[ck.agency]), rnd.randint(1, 3)))
        lines = [f"{c}: {rnd.choice(['hoàn thành', 'dang thuc hien', f'{rnd.randint(5, 95)}%', 'vướng mắc - chờ kinh phí'])}"
                 for c in codes]
        if roll < 0.05:
            lines.append(f"{codes[0]}: chúng tôi sẽ báo cáo sau")
        sender = f"nguoi.la{i}@example.net" if roll > 0.95 else None
        out.append(reply(ck, "\n".join(lines), STYLES[i % len(STYLES)], sender=sender,
                         message_id=f"<bench.{i}@mail.laocai.example.org>", date_=when))
    return out


def bare_parse(messages: list[bytes]) -> float:
    """Seconds for the stdlib parser (policy.default) to parse each message and read its text body."""
    t = time.perf_counter()
    for raw in messages:
        m = email.message_from_bytes(raw, policy=default_policy)
        body = m.get_body(("plain", "html"))
        if body is not None:
            body.get_content()
    return time.perf_counter() - t


def fresh_db(folder: Path) -> str:
    url = f"sqlite:///{folder / 'bench.db'}"
    init_and_load(url)
    queue_round(url, date(2024, 5, 20))
    mark_sent(url)
    return url


def drain(opts) -> tuple[float, object]:
    """(seconds, summed IngestResult) of ingest runs until the source is empty."""
    t = time.perf_counter()
    total = None
    while True:
        r = ingest_replies(opts, date(2024, 5, 21))
        total = r if total is None else total + r
        if not r.more:
            break
    return time.perf_counter() - t, total


def run_maildir(url: str, messages: list[bytes], folder: Path) -> tuple[float, object]:
    md = write_maildir(folder / "Maildir", messages)
    return drain(intake_options(url, md))


def run_imap(url: str, messages: list[bytes]) -> tuple[float, object] | None:
    from tests.dovecot import dovecot_binary, start_dovecot

    binary = dovecot_binary()
    if binary is None:
        print("IMAP: dovecot not installed (apt-get install -y dovecot-imapd); skipped")
        return None
    with start_dovecot(binary) as server:
        c = server.client()
        for i in range(0, len(messages), 200):
            c.multiappend("INBOX", messages[i:i + 200])
        c.logout()
        return drain(intake_options(url, imap=server.options("tls")))


def main() -> None:
    n = int(next((a for a in sys.argv[1:] if a.isdigit()), 5000))
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = fresh_db(folder / "a") if (folder / "a").mkdir() is None else ""
        messages = corpus(url, n)
        size = sum(map(len, messages)) / len(messages)
        bare = bare_parse(messages)
        print(f"{n} replies, {size / 1024:.1f} KiB on average; bare stdlib parse + body: {n / bare:,.0f} msg/s")
        secs, r = run_maildir(url, messages, folder)
        print(f"Maildir end to end: {secs:.2f} s = {n / secs:,.0f} msg/s (goal >= 500); ratio to bare parse "
              f"{(n / secs) / (n / bare):.0%}; applied {r.applied}, partial {r.partial}, rejected {r.rejected}, "
              f"automated {r.automated}, receipts {r.receipts}, report lines {r.reports}")
        if "--skip-imap" not in sys.argv:
            (folder / "b").mkdir()
            url_b = fresh_db(folder / "b")
            bare_b = bare_parse(messages)
            got = run_imap(url_b, messages)
            if got:
                secs, r = got
                print(f"IMAP (Dovecot, TLS) end to end: {secs:.2f} s = {n / secs:,.0f} msg/s (goal >= 200); ratio to "
                      f"bare parse {(n / secs) / (n / bare_b):.0%}; applied {r.applied}, rejected {r.rejected}, "
                      f"removed {r.removed}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
