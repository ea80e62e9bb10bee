"""Test helpers for escalation: options, one run of the use case per day, the queued messages parsed."""
from __future__ import annotations

import email
from dataclasses import dataclass, replace
from datetime import date
from email.policy import default

from sqlalchemy import select

from tests.checkin_smtp import MAIL_FROM, SECRET


def options(url: str, lang: str = "vi", **ladder_changes):
    """Escalation options for url: the test identity, the shipped ladder (with changes), mail kept in memory."""
    from plantrack.models.escalation.ladder import read_ladder
    from plantrack.notifications.mail.checkin_round import MailIdentity
    from plantrack.notifications.mail.checkins import SendOptions
    from plantrack.notifications.mail.escalation import EscalationOptions
    from plantrack.notifications.mail.transports import MemoryTransport

    ladder = read_ladder()
    if ladder_changes:
        ladder = replace(ladder, **ladder_changes)
    return EscalationOptions(url, MailIdentity(mail_from=MAIL_FROM, secret=SECRET, lang=lang),
                             SendOptions(MemoryTransport(), rate_per_minute=0), ladder)


def run_day(url: str, day: date, opts=None):
    """record_escalations for day in its own transaction, as the task runs it (nothing is sent)."""
    from plantrack.models.db import session_factory
    from plantrack.notifications.mail.escalation import record_escalations

    with session_factory(url)() as s, s.begin():
        return record_escalations(s, opts or options(url), day)


@dataclass
class Mail:
    key: str
    to: str
    cc: list[str]
    subject: str
    text: str
    html: str
    msg: email.message.EmailMessage


def queued(url: str, kind: str = "escalation") -> list[Mail]:
    """Every outbox message of kind, parsed, oldest first."""
    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import Outbox

    out = []
    with session_factory(url)() as s:
        for row in s.scalars(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)):
            m = email.message_from_bytes(bytes(row.message), policy=default)
            out.append(Mail(row.idempotency_key, m["To"].addresses[0].addr_spec,
                            [a.addr_spec for a in m["Cc"].addresses] if m["Cc"] else [], str(m["Subject"]),
                            m.get_body(("plain",)).get_content(), m.get_body(("html",)).get_content(), m))
    return out


def day_of(mail: Mail) -> str:
    return mail.key.split("/")[1]
