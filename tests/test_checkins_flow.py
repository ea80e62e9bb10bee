"""The send-checkins flow through Prefect, and `plantrack run checkins` with the embedded .eml relay."""
from __future__ import annotations

from datetime import date

from tests.checkin_smtp import MAIL_FROM, SECRET, Recorder, smtp_server


def test_flow_sends_once_then_nothing(prefect_api, loaded_sqlite, monkeypatch):
    from plantrack.flows.send_checkins import send_checkins

    monkeypatch.setenv("PLANTRACK_DATABASE_URL", loaded_sqlite)
    rec = Recorder()
    with smtp_server(rec) as (host, port):
        for k, v in {"SMTP_HOST": host, "SMTP_PORT": str(port), "SECRET_KEY": SECRET, "MAIL_FROM": MAIL_FROM,
                     "SMTP_RATE_PER_MINUTE": "0", "SMTP_BATCH_SIZE": "8"}.items():
            monkeypatch.setenv(f"PLANTRACK_{k}", v)
        first = send_checkins(today=date(2024, 5, 20))
        second = send_checkins(today=date(2024, 5, 20))
    assert first.queued.queued == 23 and first.sent == 23 and first.failed == 0
    assert second.queued.queued == 0 and second.sent == 0
    assert len(rec.arrived) == 23


def test_cli_run_checkins_with_local_relay(prefect_api, loaded_sqlite, cli, monkeypatch, tmp_path):
    outbox = tmp_path / "mail"
    monkeypatch.delenv("PLANTRACK_SECRET_KEY", raising=False)
    monkeypatch.delenv("PLANTRACK_SMTP_HOST", raising=False)
    monkeypatch.setenv("PLANTRACK_OUTBOX_DIR", str(outbox))
    monkeypatch.setenv("PLANTRACK_SMTP_RATE_PER_MINUTE", "0")
    code, out, err = cli(loaded_sqlite, "run", "checkins", "--today", "2024-05-20")
    assert code == 0, err
    assert "sent 23" in out and "DEMO MODE" in out
    assert len(list(outbox.glob("*.eml"))) == 23
    code, out, _ = cli(loaded_sqlite, "run", "checkins", "--today", "2024-05-20")
    assert code == 0 and "sent 0" in out and len(list(outbox.glob("*.eml"))) == 23


def test_cli_refuses_relay_without_secret(prefect_api, loaded_sqlite, cli, monkeypatch):
    monkeypatch.delenv("PLANTRACK_SECRET_KEY", raising=False)
    monkeypatch.setenv("PLANTRACK_SMTP_HOST", "relay.laocai.example.org")
    monkeypatch.setenv("PLANTRACK_MAIL_FROM", MAIL_FROM)
    code, _, err = cli(loaded_sqlite, "run", "checkins", "--today", "2024-05-20")
    assert code == 1 and "PLANTRACK_SECRET_KEY" in err


def test_flow_sends_nothing_while_another_run_holds_the_lock(prefect_api, loaded_sqlite, monkeypatch):
    from plantrack.flows.send_checkins import send_checkins
    from plantrack.models.db import session_factory
    from plantrack.models.mail.send_lock import acquire, release

    monkeypatch.setenv("PLANTRACK_DATABASE_URL", loaded_sqlite)
    holder = "other-host.example:4242:run-a"  # another host: its lease decides
    with session_factory(loaded_sqlite)() as s, s.begin():
        acquire(s, holder, 600)
    rec = Recorder()
    with smtp_server(rec) as (host, port):
        for k, v in {"SMTP_HOST": host, "SMTP_PORT": str(port), "SECRET_KEY": SECRET, "MAIL_FROM": MAIL_FROM,
                     "SMTP_RATE_PER_MINUTE": "0"}.items():
            monkeypatch.setenv(f"PLANTRACK_{k}", v)
        out = send_checkins(today=date(2024, 5, 20))
        assert out.locked_by == holder and out.sent == 0 and rec.arrived == []
        with session_factory(loaded_sqlite)() as s, s.begin():
            release(s, holder)
        again = send_checkins(today=date(2024, 5, 20))
    assert again.locked_by is None and again.sent == 23
