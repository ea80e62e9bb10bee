"""The escalate-overdue flow through Prefect and `plantrack run escalate`: sends once, nothing on a day off."""
from __future__ import annotations

import os
from datetime import date

from tests.checkin_smtp import MAIL_FROM, SECRET, Recorder, smtp_server
from tests.conftest import top_modules_after_each
from tests.test_smtp_security import pki  # noqa: F401  (the throw-away CA and relay certificate)


def test_flow_sends_one_email_per_recipient_once_and_nothing_on_a_day_off(prefect_api, loaded_sqlite, monkeypatch):
    from prefect.artifacts import Artifact

    from plantrack.flows.escalate_overdue import escalate_overdue_flow
    from plantrack.notifications.run_reports.escalations import markdown

    rec = Recorder()
    with smtp_server(rec) as (host, port):
        for k, v in {"DATABASE_URL": loaded_sqlite, "SMTP_HOST": host, "SMTP_PORT": str(port), "SECRET_KEY": SECRET,
                     "MAIL_FROM": MAIL_FROM, "SMTP_RATE_PER_MINUTE": "0"}.items():
            monkeypatch.setenv(f"PLANTRACK_{k}", v)
        off = escalate_overdue_flow(today=date(2024, 6, 15))
        assert not off.working_day and off.day_off == "thứ Bảy" and rec.arrived == []
        assert "Day off (thứ Bảy): nothing was recorded or sent." in markdown(off, "en")
        first = escalate_overdue_flow(today=date(2024, 6, 17))
        again = escalate_overdue_flow(today=date(2024, 6, 17))
    assert len(first.fired) == 20 and first.queued == 20 and first.sent == 20
    assert again.fired == () and again.queued == 0 and again.sent == 0
    tos = [m["To"].addresses[0].addr_spec for m in rec.parsed()]
    assert len(tos) == len(set(tos)) == 20
    text = markdown(first, "en")
    assert "| 2 overdue | SYT | deadline | VI.1/SYT | daumoi.syt@laocai.example.org, giamdoc.syt@laocai.example.org |" \
        in text
    shown = Artifact.get("escalate-overdue")  # the last run's, in the default language (vi)
    assert shown.description == "0 lượt đôn đốc ngày 17/06/2024" and "**0 lượt đôn đốc** mới" in shown.data
    assert "| 2 quá hạn | SYT | theo hạn | VI.1/SYT |" in markdown(first, "vi")


def test_cli_run_escalate_with_the_local_relay(prefect_api, loaded_sqlite, cli, monkeypatch, tmp_path):
    outbox = tmp_path / "mail"
    monkeypatch.delenv("PLANTRACK_SECRET_KEY", raising=False)
    monkeypatch.delenv("PLANTRACK_SMTP_HOST", raising=False)
    monkeypatch.setenv("PLANTRACK_OUTBOX_DIR", str(outbox))
    monkeypatch.setenv("PLANTRACK_SMTP_RATE_PER_MINUTE", "0")
    code, out, err = cli(loaded_sqlite, "run", "escalate", "--today", "2024-06-16")
    assert code == 0 and "day off (Chủ nhật); nothing sent" in out, err
    code, out, err = cli(loaded_sqlite, "run", "escalate", "--today", "2024-06-17")
    assert code == 0 and "20 fired (level 2: 20); 20 emails queued" in out and "sent 20" in out, err
    assert "DEMO MODE" in out and len(list(outbox.glob("*.eml"))) == 20


def test_escalations_listing_does_not_import_prefect(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PLANTRACK_DATA_DIR", str(tmp_path / "data"))
    assert cli(None, "init")[0] == 0
    for imported in top_modules_after_each(dict(os.environ), ["escalations", "--today", "2024-06-17"],
                                           ["escalations", "--pending", "--json"]):
        assert "prefect" not in imported and "sqlalchemy" in imported

def test_relay_refusing_our_login_fails_the_run_and_keeps_every_message(prefect_api, loaded_sqlite, monkeypatch, pki):
    """A relay that refuses the configured password: the run records today's rungs, sends nothing, says why in its
    artifact and fails (as check-ins and the digest do); a rerun with the right password sends each message once."""
    import pytest

    from plantrack.flows.escalate_overdue import RelayConfigError, escalate_overdue_flow
    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import Outbox
    from sqlalchemy import select
    from tests.test_smtp_security import PASSWORD, USER, relay

    with relay(pki, "starttls") as (rec, host, port):
        for k, v in {"DATABASE_URL": loaded_sqlite, "SMTP_HOST": host, "SMTP_PORT": str(port), "SECRET_KEY": SECRET,
                     "MAIL_FROM": MAIL_FROM, "SMTP_RATE_PER_MINUTE": "0", "SMTP_SECURITY": "starttls",
                     "SMTP_USER": USER, "SMTP_PASSWORD": "sai", "SMTP_CA_FILE": pki[1]}.items():
            monkeypatch.setenv(f"PLANTRACK_{k}", v)
        with pytest.raises(RelayConfigError) as failed:
            escalate_overdue_flow(today=date(2024, 6, 17))
        shown, english = str(failed.value), failed.value.english  # the Prefect UI's (vi by default), the CLI's
        assert shown.startswith(f"Lỗi cấu hình máy chủ gửi thư: {host}:{port} không chấp nhận tên đăng nhập hoặc mật "
                                "khẩu (kiểm tra PLANTRACK_SMTP_USER và PLANTRACK_SMTP_PASSWORD): `535 ")
        assert shown.endswith(f"còn chờ gửi 20 (máy chủ gửi thư SMTP {host}:{port})")
        assert "refused the login" in english and "20 messages stay queued: fix the setting" in english
        assert "sai" not in shown + english
        with session_factory(loaded_sqlite)() as s:
            assert [r.status for r in s.scalars(select(Outbox))] == ["queued"] * 20
        assert rec.arrived == []
        monkeypatch.setenv("PLANTRACK_SMTP_PASSWORD", PASSWORD)
        again = escalate_overdue_flow(today=date(2024, 6, 17))
    assert again.fired == () and again.sent == 20 and again.relay_config_error is None
    assert len({m["Message-ID"] for m in rec.parsed()}) == len(rec.accepted) == 20


def test_report_says_the_relay_refused_the_configuration():
    from plantrack.notifications.mail.escalation_run import EscalationResult
    from plantrack.notifications.run_reports.escalations import markdown

    from plantrack.notifications.mail.smtp import RelayError, RelayProblem

    refused = RelayError(RelayProblem.AUTH_FAILED, "relay:587", "535 5.7.8 Authentication failed",
                         "relay:587 refused the login of 'theodoi': 535 5.7.8 Authentication failed")
    r = EscalationResult(date(2024, 6, 17), True, queued=3, still_queued=3, relay_config_error=refused)
    assert "**Relay configuration error**: relay:587 refused the user name or password (check PLANTRACK_SMTP_USER " \
        "and PLANTRACK_SMTP_PASSWORD): `535 5.7.8 Authentication failed`; nothing more was sent, the messages stay " \
        "queued." in markdown(r, "en")
    assert "**Lỗi cấu hình máy chủ gửi thư**: relay:587 không chấp nhận tên đăng nhập hoặc mật khẩu (kiểm tra " \
        "PLANTRACK_SMTP_USER và PLANTRACK_SMTP_PASSWORD): `535 5.7.8 Authentication failed`; không gửi thêm thư " \
        "nào, thư vẫn nằm trong hàng đợi." in markdown(r, "vi")
