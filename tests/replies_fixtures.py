"""Fixtures of the reply-intake tests: a seeded database with this week's round queued and sent, copied per test."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from tests.checkin_smtp import MAIL_FROM, SECRET
from tests.reply_corpus import checkins, mark_sent

ROUND_DAY = date(2024, 5, 20)  # Monday of ISO week 21
REPLY_DAY = date(2024, 5, 21)


@pytest.fixture(scope="session")
def replies_template(tmp_path_factory) -> Path:
    """A SQLite file: schema, seed plan, the 2024-W21 round queued and marked sent at 08:00 (+07)."""
    from tests.checkin_smtp import queue_round
    from tests.conftest import init_and_load

    path = tmp_path_factory.mktemp("replies") / "template.db"
    url = f"sqlite:///{path}"
    init_and_load(url)
    queue_round(url, ROUND_DAY)
    mark_sent(url)
    from plantrack.models.db import session_factory

    session_factory(url).kw["bind"].dispose()
    session_factory.cache_clear()
    return path


@pytest.fixture
def replies_db(replies_template, tmp_path) -> str:
    """A private copy of the template database; its URL."""
    from plantrack.models.db import session_factory

    dest = tmp_path / "plantrack.db"
    shutil.copy(replies_template, dest)
    yield f"sqlite:///{dest}"
    session_factory.cache_clear()


@pytest.fixture(scope="session")
def seed_checkins(replies_template):
    """The check-ins of the template, by agency code (the same in every copy)."""
    return checkins(f"sqlite:///{replies_template}")


def intake_options(url: str, maildir: Path | None = None, imap=None, **cfg):
    from plantrack.notifications.mail.inbound.apply import IntakeConfig
    from plantrack.notifications.mail.inbound.ingest import IngestOptions

    return IngestOptions(url, IntakeConfig(SECRET, MAIL_FROM, **cfg), maildir=maildir, imap=imap)


def board_of(url: str, day: date = REPLY_DAY) -> dict:
    from plantrack.models.board import board
    from plantrack.models.db import session_factory

    with session_factory(url)() as s:
        return {r.code: r for r in board(s, day)}


def receipts(url: str) -> list:
    """The receipts in the outbox, parsed, oldest first."""
    import email
    from email.policy import default

    from sqlalchemy import select

    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import Outbox

    with session_factory(url)() as s:
        rows = s.scalars(select(Outbox.message).where(Outbox.kind == "receipt").order_by(Outbox.id)).all()
    return [email.message_from_bytes(m, policy=default) for m in rows]
