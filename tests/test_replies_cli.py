"""plantrack mail deliver (the MTA pipe), plantrack inbox, and the ingest-replies flow with receipts sent by SMTP."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.checkin_smtp import MAIL_FROM, SECRET, Recorder, smtp_server
from tests.replies_fixtures import board_of, replies_db, replies_template, seed_checkins  # noqa: F401
from tests.reply_corpus import reply, write_maildir


def _deliver(url, raw: bytes, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from plantrack.cli.main import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLANTRACK_SECRET_KEY", SECRET)
    monkeypatch.setenv("PLANTRACK_MAIL_FROM", MAIL_FROM)
    r = CliRunner().invoke(app, ["--db", url, "mail", "deliver", "--today", "2024-05-21"], input=raw,
                           catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def test_mail_deliver_exit_codes(replies_db, seed_checkins, monkeypatch, tmp_path):
    raw = reply(seed_checkins["SYT"], "V.6: 45%")
    code, out, err = _deliver(replies_db, raw, monkeypatch, tmp_path)
    assert code == 0 and "stored as message 1: applied" in out, err
    assert board_of(replies_db)["V.6"].progress == 45
    code, out, _ = _deliver(replies_db, raw, monkeypatch, tmp_path)  # the MTA delivered it twice
    assert code == 0 and "already stored" in out
    assert _deliver(replies_db, b"", monkeypatch, tmp_path)[0] == 65
    assert _deliver(replies_db, b"\x00\x01 just bytes, no header\n", monkeypatch, tmp_path)[0] == 65
    code, _, err = _deliver("postgresql+psycopg://postgres@127.0.0.1:9/nowhere", raw, monkeypatch, tmp_path)
    assert code == 75 and "try again later" in err


def test_inbox_lists_outcomes_read_only(replies_db, seed_checkins, monkeypatch, tmp_path, cli):
    _deliver(replies_db, reply(seed_checkins["SYT"], "V.6: 45%", message_id="<c1@x>"), monkeypatch, tmp_path)
    _deliver(replies_db, reply(seed_checkins["SYT"], "V.6: 46%", sender="who@example.net", message_id="<c2@x>"),
             monkeypatch, tmp_path)
    code, out, _ = cli(replies_db, "inbox", "--json")
    data = json.loads(out)
    assert code == 0 and [m["outcome"] for m in data["messages"]] == ["rejected", "applied"]
    assert data["messages"][0]["reason"].startswith("unknown_sender")
    code, out, _ = cli(replies_db, "inbox", "--rejected", "--json")
    assert [m["sender"] for m in json.loads(out)["messages"]] == ["who@example.net"]
    code, out, _ = cli(replies_db, "inbox")
    assert code == 0 and "rejected" in out and "applied" in out and "2 messages" in out
    probe = ("import sys; from typer.testing import CliRunner; from plantrack.cli.main import app; "
             f"r = CliRunner().invoke(app, ['--db', {replies_db!r}, 'inbox', '--json']); "
             "print(r.exit_code, 'prefect' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.stdout.split() == ["0", "False"], done.stderr


def test_flow_ingests_and_sends_receipts_over_smtp(prefect_api, replies_db, seed_checkins, monkeypatch, tmp_path,
                                                   cli):
    from prefect.artifacts import Artifact

    ck = seed_checkins["SYT"]
    md = write_maildir(tmp_path / "Maildir", [reply(ck, "V.6: 60%\nVI.1/SYT: xong 60%", message_id="<f1@x>"),
                                              reply(ck, "V.6: 1%", sender="x@example.net", message_id="<f2@x>")])
    from plantrack.models.db import session_factory
    from sqlalchemy import update

    from plantrack.models.mail.outbox import Outbox

    with session_factory(replies_db)() as s, s.begin():  # the round's check-ins were sent already
        s.execute(update(Outbox).values(status="sent"))
    rec = Recorder()
    with smtp_server(rec) as (host, port):
        for k, v in {"SMTP_HOST": host, "SMTP_PORT": str(port), "SECRET_KEY": SECRET, "MAIL_FROM": MAIL_FROM,
                     "SMTP_RATE_PER_MINUTE": "0", "MAILDIR": str(md), "DATABASE_URL": replies_db,
                     "SMTP_CONCURRENCY": "1"}.items():  # 2 workers race on 2 messages in smtp.send_batch (QueueEmpty)
            monkeypatch.setenv(f"PLANTRACK_{k}", v)
        code, out, err = cli(replies_db, "run", "replies", "--today", "2024-05-21")
    assert code == 0, err
    out = " ".join(out.split())
    assert "1 partly understood" in out and "1 rejected" in out and "rejected: x@example.net" in out
    assert sorted(m["To"].addresses[0].addr_spec for m in rec.parsed()) == [ck.focal, "x@example.net"]
    assert all(m["In-Reply-To"] in ("<f1@x>", "<f2@x>") for m in rec.parsed())
    art = Artifact.get("ingest-replies")
    assert art is not None and "| 0 | 1 | 0 | 1 |" in art.data and "x@example.net" in art.data
    assert board_of(replies_db)["V.6"].progress == 60


def test_run_replies_without_a_source_says_what_to_set(prefect_api, replies_db, monkeypatch, cli):
    monkeypatch.setenv("PLANTRACK_DATABASE_URL", replies_db)  # restored afterwards (the command sets it)
    monkeypatch.delenv("PLANTRACK_MAILDIR", raising=False)
    monkeypatch.delenv("PLANTRACK_IMAP_HOST", raising=False)
    code, _, err = cli(replies_db, "run", "replies", "--today", "2024-05-21")
    assert code == 1 and "PLANTRACK_MAILDIR" in err
