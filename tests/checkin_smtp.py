"""Test helpers for check-ins: a recording aiosmtpd handler on loopback and a queued round."""
from __future__ import annotations

import asyncio
import email
import threading
from contextlib import contextmanager
from datetime import date
from email.policy import default

SECRET = "test-secret-key"
MAIL_FROM = "theodoi@laocai.example.org"


class Recorder:
    """Accepts mail, or answers with reply(envelope) when that returns a string; counts arrivals."""

    def __init__(self, reply=None, delay: float = 0.0):
        self.reply, self.delay = reply, delay
        self.arrived: list[bytes] = []  # every DATA received, accepted or not
        self.accepted: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.arrived.append(envelope.content)
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = self.reply(envelope) if self.reply else None
        if answer:
            return answer
        with self.lock:
            self.accepted.append(envelope.content)
        return "250 OK"

    def parsed(self):
        return [email.message_from_bytes(b, policy=default) for b in self.accepted]


@contextmanager
def smtp_server(handler):
    from plantrack.notifications.mail.local_smtp import controller

    ctl = controller(handler)
    ctl.start()
    try:
        yield ctl.hostname, ctl.port
    finally:
        ctl.stop()


def identity(lang: str = "vi"):
    from plantrack.notifications.mail.checkin_round import MailIdentity

    return MailIdentity(mail_from=MAIL_FROM, secret=SECRET, lang=lang)


def queue_round(url: str, today: date = date(2024, 5, 20), lang: str = "vi"):
    from plantrack.models.db import session_factory
    from plantrack.notifications.mail.checkin_round import enqueue_round

    with session_factory(url)() as s, s.begin():
        return enqueue_round(s, today, identity(lang))


def send_all(url: str, host: str, port: int, **policy):
    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import due_ids
    from plantrack.notifications.mail.dispatch import Dispatcher, RetryPolicy
    from plantrack.notifications.mail.smtp import SmtpConfig
    from plantrack.notifications.mail.transports import SmtpTransport

    Session = session_factory(url)
    with Session() as s:
        ids = due_ids(s)
    cfg = SmtpConfig(host, port, rate_per_minute=0, timeout=5)
    return asyncio.run(Dispatcher(Session, SmtpTransport(cfg), RetryPolicy(**{"retry_seconds": 0.01, **policy})).run(ids))


def expected_agencies(url: str, today: date = date(2024, 5, 20)) -> set[str]:
    """Agencies leading or supporting an open deliverable, computed straight from the board."""
    from plantrack.models.board import board
    from plantrack.models.db import session_factory
    from plantrack.models.status import OPEN_STATUSES

    with session_factory(url)() as s:
        rows = [r for r in board(s, today) if r.kind == "deliverable" and r.status_key in OPEN_STATUSES]
    return {r.lead for r in rows} | {c for r in rows for c in r.supporting}
