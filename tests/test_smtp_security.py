"""SMTP as provincial relays are really reached: STARTTLS or implicit TLS with a certificate, AUTH PLAIN/LOGIN.

aiosmtpd on loopback with a certificate from a throw-away CA (trustme). Each refusal has its own reason
in the send report and on every row, the messages stay queued with no attempt counted, and none of
them is called "relay unreachable".
"""
from __future__ import annotations

import asyncio
import ssl
from contextlib import contextmanager

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from sqlalchemy import select

from plantrack.models.db import session_factory
from plantrack.models.mail.outbox import Outbox, due_ids
from plantrack.notifications.mail.dispatch import Dispatcher, RetryPolicy
from plantrack.notifications.mail.local_smtp import free_port
from plantrack.notifications.mail.smtp import RelayProblem, SmtpConfig
from plantrack.notifications.mail.transports import SmtpTransport
from tests.checkin_smtp import MAIL_FROM, SECRET, Recorder, queue_round
from tests.replies_fixtures import replies_db, replies_template, seed_checkins  # noqa: F401

USER, PASSWORD = "theodoi@laocai.example.org", "mật-khẩu đúng"
# aiosmtpd warns "AUTH without TLS" for implicit TLS, which it does not count as TLS (the test relay is TLS).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a certificate for 127.0.0.1 signed by it, the CA's PEM file, and another CA nobody trusts."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("pki")
    ca_file = folder / "relay-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return cert, str(ca_file)


class Auth:
    """aiosmtpd authenticator: one user and password; records the mechanisms used."""

    def __init__(self):
        self.mechanisms: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.mechanisms.append(mechanism)
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
            and auth_data.password.decode() == PASSWORD
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


class TlsRecorder(Recorder):
    """Also records whether each accepted message came over TLS and after AUTH."""

    def __init__(self):
        super().__init__()
        self.sessions: list[tuple[bool, bool]] = []

    async def handle_DATA(self, server, session, envelope):
        self.sessions.append((session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None,
                              session.authenticated))
        return await super().handle_DATA(server, session, envelope)


class _NoAuthSMTP(SMTP):
    async def push(self, status):  # a relay that never advertises AUTH
        if not status.startswith("250-AUTH"):
            await super().push(status)


class _NoAuthController(Controller):
    def factory(self):
        return _NoAuthSMTP(self.handler, **self.SMTP_kwargs)


@contextmanager
def relay(pki, mode: str, *, auth: Auth | None = None, auth_required: bool = True, no_auth: bool = False,
          exclude: tuple[str, ...] = ()):
    """aiosmtpd on loopback: mode 'starttls' (STARTTLS required) or 'tls' (implicit TLS)."""
    cert, _ = pki
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    handler = TlsRecorder()
    kw = dict(hostname="127.0.0.1", port=free_port(), authenticator=auth or Auth(), auth_required=auth_required,
              auth_exclude_mechanism=list(exclude), ready_timeout=10)
    if mode == "starttls":
        kw.update(tls_context=ctx, require_starttls=True)
    else:  # implicit TLS: aiosmtpd only counts STARTTLS as TLS for AUTH, so do not ask it to
        kw.update(ssl_context=ctx, auth_require_tls=False)
    cls = _NoAuthController if no_auth else Controller
    ctl = cls(handler, **kw)
    ctl.start()
    try:
        yield handler, ctl.hostname, ctl.port
    finally:
        ctl.stop()


def _send(url, cfg: SmtpConfig):
    Session = session_factory(url)
    with Session() as s:
        ids = due_ids(s)
    return asyncio.run(Dispatcher(Session, SmtpTransport(cfg), RetryPolicy(max_attempts=3, retry_seconds=0.01)).run(ids))


def _cfg(host, port, mode, pki, **over) -> SmtpConfig:
    base = dict(host=host, port=port, security=mode, user=USER, password=PASSWORD, timeout=5, rate_per_minute=0,
                ca_file=pki[1])
    return SmtpConfig(**{**base, **over})


def _rows(url):
    with session_factory(url)() as s:
        return s.scalars(select(Outbox)).all()


def _assert_all_queued(url, report, problem: RelayProblem, words: str, reply: str = ""):
    """Everything stays queued; the error names the problem and the relay, and keeps the relay's reply apart."""
    n = len(_rows(url))
    assert n > 10 and report.sent == 0 and report.failed == 0 and report.still_queued == n
    error = report.config_error
    assert error.problem == problem and report.unreachable is None
    assert words in str(error) and "unreachable" not in str(error)
    assert error.where.startswith("127.0.0.1:") and error.reply.startswith(reply)
    rows = _rows(url)
    assert {r.status for r in rows} == {"queued"} and {r.attempts for r in rows} == {0}
    assert all(r.last_error.startswith(f"relay configuration error ({problem})") for r in rows)


@pytest.mark.parametrize("mode, mechanism", [("starttls", "PLAIN"), ("tls", "LOGIN")])
def test_tls_and_auth_send_everything(loaded_sqlite, pki, mode, mechanism):
    auth = Auth()
    n = queue_round(loaded_sqlite).queued
    exclude = ("PLAIN",) if mechanism == "LOGIN" else ("LOGIN",)
    with relay(pki, mode, auth=auth, exclude=exclude) as (rec, host, port):
        report = _send(loaded_sqlite, _cfg(host, port, mode, pki))
    assert n > 10 and report.sent == n and report.config_error is None and len(rec.accepted) == n
    assert set(rec.sessions) == {(True, True)}  # every message over TLS, after AUTH
    assert set(auth.mechanisms) == {mechanism}


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_wrong_password_is_a_configuration_error_and_keeps_the_messages(loaded_sqlite, pki, mode):
    queue_round(loaded_sqlite)
    with relay(pki, mode) as (rec, host, port):
        report = _send(loaded_sqlite, _cfg(host, port, mode, pki, password="sai"))
    assert rec.arrived == []
    _assert_all_queued(loaded_sqlite, report, RelayProblem.AUTH_FAILED, f"refused the login of '{USER}': 535", "535 ")
    assert PASSWORD not in repr(report.config_error)


def test_relay_without_auth_is_a_configuration_error(loaded_sqlite, pki):
    queue_round(loaded_sqlite)
    with relay(pki, "starttls", no_auth=True, auth_required=False) as (rec, host, port):
        report = _send(loaded_sqlite, _cfg(host, port, "starttls", pki))
    assert rec.arrived == []
    _assert_all_queued(loaded_sqlite, report, RelayProblem.AUTH_NOT_OFFERED, "offers no AUTH")


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_certificate_that_does_not_verify_is_refused_unless_allowed(loaded_sqlite, pki, mode):
    n = queue_round(loaded_sqlite).queued
    with relay(pki, mode) as (rec, host, port):
        report = _send(loaded_sqlite, _cfg(host, port, mode, pki, ca_file=None))  # the system CAs only
        assert rec.arrived == []
        _assert_all_queued(loaded_sqlite, report, RelayProblem.TLS_UNVERIFIED, "certificate does not verify")
        assert "PLANTRACK_SMTP_CA_FILE" in str(report.config_error) and "certificate" in report.config_error.reply
        allowed = _send(loaded_sqlite, _cfg(host, port, mode, pki, ca_file=None, verify_cert=False))
    assert allowed.sent == n and len(rec.accepted) == n


def test_relay_requiring_auth_when_none_is_configured(loaded_sqlite, pki):
    queue_round(loaded_sqlite)
    with relay(pki, "starttls") as (rec, host, port):
        report = _send(loaded_sqlite, _cfg(host, port, "starttls", pki, user=None, password=None))
    assert rec.arrived == []
    _assert_all_queued(loaded_sqlite, report, RelayProblem.AUTH_REQUIRED, "requires authentication", "530 ")


def test_starttls_not_offered(loaded_sqlite, pki):
    from tests.checkin_smtp import smtp_server

    queue_round(loaded_sqlite)
    with smtp_server(Recorder()) as (host, port):  # plain relay, no STARTTLS
        report = _send(loaded_sqlite, _cfg(host, port, "starttls", pki))
    _assert_all_queued(loaded_sqlite, report, RelayProblem.STARTTLS_NOT_OFFERED, "does not offer STARTTLS")


def test_wrong_password_through_the_flow_says_so_in_artifact_and_cli(prefect_api, loaded_sqlite, cli, pki,
                                                                    monkeypatch):
    """What a coordinator sees: the CLI's one line and the send-checkins artifact name the login, not the network."""
    from prefect.artifacts import Artifact

    monkeypatch.setenv("PLANTRACK_DATABASE_URL", loaded_sqlite)  # restored after the test (the CLI sets it)
    with relay(pki, "starttls") as (rec, host, port):
        for k, v in {"SMTP_HOST": host, "SMTP_PORT": str(port), "SMTP_SECURITY": "starttls", "SMTP_USER": USER,
                     "SMTP_PASSWORD": "sai", "SMTP_CA_FILE": pki[1], "SECRET_KEY": SECRET, "MAIL_FROM": MAIL_FROM,
                     "SMTP_RATE_PER_MINUTE": "0"}.items():
            monkeypatch.setenv(f"PLANTRACK_{k}", v)
        code, out, err = cli(loaded_sqlite, "run", "checkins", "--today", "2024-05-20")
    (line,) = err.strip().splitlines()  # the CLI's own line: Prefect's error log and traceback only with --verbose
    assert code == 1 and line.startswith("error: SMTP relay configuration error: ") and "refused the login" in line
    assert "unreachable" not in line and "sai" not in err + out  # never the password
    markdown = Artifact.get("send-checkins").data
    # the default language, vi: what is wrong and which settings to check, then the relay's own reply
    assert f"**Lỗi cấu hình máy chủ gửi thư**: {host}:{port} không chấp nhận tên đăng nhập hoặc mật khẩu (kiểm tra " \
        "PLANTRACK_SMTP_USER và PLANTRACK_SMTP_PASSWORD): `535 " in markdown
    assert "Không kết nối được máy chủ gửi thư" not in markdown and "sai" not in markdown
    assert {r.status for r in _rows(loaded_sqlite)} == {"queued"} and rec.arrived == []


def _state_message(state) -> str:
    """The failed run's state message as the Prefect UI reads it from the API."""
    from prefect.client.orchestration import get_client

    async def read():
        async with get_client() as client:
            return await client.read_flow_run(state.state_details.flow_run_id)
    run = asyncio.run(read())
    assert run.state.is_failed()
    return run.state.message


def test_wrong_password_fails_the_run_in_the_coordinators_language(prefect_api, loaded_sqlite, pki, monkeypatch):
    """What the Prefect UI says of the failed send-checkins run: the artifact's words in PLANTRACK_LANG (vi by
    default, en available), the relay's reply and the PLANTRACK_* names verbatim; the CLI keeps its English."""
    from datetime import date

    from plantrack.flows.send_checkins import send_checkins

    with relay(pki, "starttls") as (rec, host, port):
        for k, v in {"DATABASE_URL": loaded_sqlite, "SMTP_HOST": host, "SMTP_PORT": str(port),
                     "SMTP_SECURITY": "starttls", "SMTP_USER": USER, "SMTP_PASSWORD": "sai", "SMTP_CA_FILE": pki[1],
                     "SECRET_KEY": SECRET, "MAIL_FROM": MAIL_FROM, "SMTP_RATE_PER_MINUTE": "0"}.items():
            monkeypatch.setenv(f"PLANTRACK_{k}", v)
        monkeypatch.delenv("PLANTRACK_LANG", raising=False)
        vi = send_checkins(today=date(2024, 5, 20), return_state=True)
        monkeypatch.setenv("PLANTRACK_LANG", "en")
        en = send_checkins(today=date(2024, 5, 20), return_state=True)
    where = f"{host}:{port}"
    assert _state_message(vi) == (
        "Flow run encountered an exception: RelayConfigError: Lỗi cấu hình máy chủ gửi thư: "
        f"{where} không chấp nhận tên đăng nhập hoặc mật khẩu (kiểm tra PLANTRACK_SMTP_USER và "
        "PLANTRACK_SMTP_PASSWORD): `535 5.7.8 Authentication credentials invalid`; không gửi thêm thư nào, thư vẫn "
        "nằm trong hàng đợi. "
        f"Đã gửi 0, gửi lại 0, lỗi 0, còn chờ gửi 23 (máy chủ gửi thư SMTP {where})")
    assert _state_message(en) == (
        "Flow run encountered an exception: RelayConfigError: Relay configuration error: "
        f"{where} refused the user name or password (check PLANTRACK_SMTP_USER and PLANTRACK_SMTP_PASSWORD): "
        "`535 5.7.8 Authentication credentials invalid`; nothing more was sent, the messages stay queued. "
        f"Sent 0, retried 0, failed 0, still queued 23 (SMTP relay {where})")
    english = en.result(raise_on_failure=False).english  # what `plantrack run checkins` prints
    assert english.startswith(f"SMTP relay configuration error: {where} refused the login of '{USER}': 535 ")
    assert "sai" not in english and rec.arrived == []


def test_relay_refusing_connections_fails_the_digest_run_in_the_coordinators_language(prefect_api, loaded_sqlite,
                                                                                     monkeypatch):
    """Nothing listens on the relay's port: the send-weekly-digest run fails with the digest artifact's words."""
    from datetime import date

    from plantrack.flows.send_weekly_digest import send_weekly_digest
    from plantrack.notifications.mail.local_smtp import free_port

    port = free_port()  # nothing listens: the connection is refused
    for k, v in {"DATABASE_URL": loaded_sqlite, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                 "SECRET_KEY": SECRET, "MAIL_FROM": MAIL_FROM, "SMTP_RATE_PER_MINUTE": "0",
                 "SMTP_MAX_ATTEMPTS": "1"}.items():  # one try: the run gives up at once, no back-off to wait
        monkeypatch.setenv(f"PLANTRACK_{k}", v)
    monkeypatch.delenv("PLANTRACK_LANG", raising=False)
    vi = _state_message(send_weekly_digest(today=date(2024, 6, 21), return_state=True))
    monkeypatch.setenv("PLANTRACK_LANG", "en")
    en = _state_message(send_weekly_digest(today=date(2024, 6, 21), return_state=True))
    where = f"127.0.0.1:{port}"
    assert vi.startswith("Flow run encountered an exception: RelayUnreachable: Không kết nối được máy chủ gửi thư: "
                         f"{where} không phản hồi hoặc đã ngắt kết nối: `")
    assert vi.endswith(f"`; bản tóm tắt vẫn nằm trong hàng đợi. Đã gửi 0, gửi lại 0, lỗi 0, còn chờ gửi 1 "
                       f"(máy chủ gửi thư SMTP {where})")
    assert en.startswith(f"Flow run encountered an exception: RelayUnreachable: Relay unreachable: {where} does not "
                         "answer or dropped the connection: `")
    assert en.endswith(f"`; the digest stays queued. Sent 0, retried 0, failed 0, still queued 1 (SMTP relay {where})")
    assert "**" not in vi + en  # the artifact's bold is markdown; the UI shows a state message as plain text


def test_relay_refusing_our_login_fails_the_intake_run_after_applying_the_replies(prefect_api, replies_db,
                                                                                 seed_checkins, pki, monkeypatch,
                                                                                 tmp_path):
    """ingest-replies applies the replies, then its receipts meet a relay that refuses the password: the artifact
    says so and the run fails in PLANTRACK_LANG (it used to pass, saying nothing); the receipts stay queued."""
    from datetime import date

    from prefect.artifacts import Artifact

    from plantrack.flows.ingest_replies import ingest_replies_flow
    from tests.replies_fixtures import board_of
    from tests.reply_corpus import reply as reply_mail, write_maildir

    md = write_maildir(tmp_path / "Maildir", [
        reply_mail(seed_checkins["SYT"], "VI.1/SYT: 50%", message_id="<r1@x>")])
    day = date(2024, 5, 24)
    with relay(pki, "starttls") as (rec, host, port):
        for k, v in {"DATABASE_URL": replies_db, "MAILDIR": str(md), "SMTP_HOST": host, "SMTP_PORT": str(port),
                     "SMTP_SECURITY": "starttls", "SMTP_USER": USER, "SMTP_PASSWORD": "sai", "SMTP_CA_FILE": pki[1],
                     "SECRET_KEY": SECRET, "MAIL_FROM": MAIL_FROM, "SMTP_RATE_PER_MINUTE": "0"}.items():
            monkeypatch.setenv(f"PLANTRACK_{k}", v)
        monkeypatch.delenv("PLANTRACK_LANG", raising=False)
        vi = ingest_replies_flow(today=day, return_state=True)
        shown = Artifact.get("ingest-replies").data
        monkeypatch.setenv("PLANTRACK_LANG", "en")
        en = ingest_replies_flow(today=day, return_state=True)  # nothing new to read; the receipt is still queued
    where = f"{host}:{port}"
    assert board_of(replies_db, day)["VI.1/SYT"].progress == 50  # applied before the relay refused
    assert rec.arrived == [] and {r.status for r in _rows(replies_db) if r.kind == "receipt"} == {"queued"}
    assert f"**Lỗi cấu hình máy chủ gửi thư**: {where} không chấp nhận tên đăng nhập hoặc mật khẩu" in shown
    assert _state_message(vi).startswith("Flow run encountered an exception: RelayConfigError: Lỗi cấu hình máy chủ "
                                         f"gửi thư: {where} không chấp nhận tên đăng nhập hoặc mật khẩu (kiểm tra ")
    assert _state_message(vi).endswith(f"Đã gửi 0, gửi lại 0, lỗi 0, còn chờ gửi 1 (máy chủ gửi thư SMTP {where})")
    assert _state_message(en).endswith("`535 5.7.8 Authentication credentials invalid`; nothing more was sent, the "
                                       f"messages stay queued. Sent 0, retried 0, failed 0, still queued 1 "
                                       f"(SMTP relay {where})")
    # what `plantrack run replies` prints: the replies were applied all the same, then why the receipts stay queued
    assert vi.result(raise_on_failure=False).english.startswith(
        "1 reply read (1 applied, 0 partly understood, 0 rejected), its receipt not sent: SMTP relay "
        f"configuration error: {where} refused the login")


def test_each_retry_of_an_unreachable_relay_is_in_the_runs_logs(prefect_api, loaded_sqlite, monkeypatch):
    """A scheduled run waiting out the relay's back-off says so where a coordinator watches: the Prefect UI's logs."""
    from datetime import date

    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    from plantrack.deployments.local_api import drain_workers
    from plantrack.flows.send_checkins import send_checkins
    from plantrack.notifications.mail.local_smtp import free_port

    port = free_port()  # nothing listens: the connection is refused
    for k, v in {"DATABASE_URL": loaded_sqlite, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                 "SECRET_KEY": SECRET, "MAIL_FROM": MAIL_FROM, "SMTP_RATE_PER_MINUTE": "0",
                 "SMTP_MAX_ATTEMPTS": "3", "SMTP_RETRY_SECONDS": "0.01"}.items():
        monkeypatch.setenv(f"PLANTRACK_{k}", v)
    state = send_checkins(today=date(2024, 5, 20), return_state=True)
    assert state.is_failed()
    drain_workers()
    with get_client(sync_client=True) as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    retries = [log.message for log in logs if log.level == 30 and "relay unreachable" in log.message]
    assert len(retries) == 2 and "connection try 2 of 3 failed" in retries[1], [log.message for log in logs]
    assert f"127.0.0.1:{port}" in retries[0]
