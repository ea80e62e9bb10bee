"""What the run reports share: tables, the sending line, demo mode, the send lock, the relay, failures."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from plantrack.config.i18n import format_day, gettext_for
from plantrack.notifications.mail.transports import Destination


class Sending(Protocol):
    """What the outbox did in a run (CheckinResult, DigestResult, EscalationResult)."""

    sent: int
    retried: int
    failed: int
    still_queued: int
    transport: Destination | None


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """A markdown table: the header line, the rule and a line a row."""
    return ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _h in headers) + " |",
            *("| " + " | ".join(str(c) for c in row) + " |" for row in rows)]


def destination(d: Destination | None, lang: str) -> str:
    """Where the run's mail went: 'máy chủ gửi thư SMTP relay:25', 'tệp .eml trong thư mục /srv/outbox'."""
    return d.describe(lang) if d is not None else "-"


def sent_line(r: Sending, lang: str) -> str:
    _ = gettext_for(lang)
    return (_("Sent %(sent)s, retried %(retried)s, failed %(failed)s, still queued %(still)s (%(transport)s)")
            % {"sent": r.sent, "retried": r.retried, "failed": r.failed, "still": r.still_queued,
               "transport": destination(r.transport, lang)})


def demo_line(lang: str) -> str:
    _ = gettext_for(lang)
    return _("**Demo mode**: no PLANTRACK_SECRET_KEY; mail went to the local .eml folder only.")


def lock_line(holder: str | None, until: datetime | None, lang: str) -> str:
    """'**Another run holds the send lock: host:pid:run (lease until 18/06/2024 09:05:00 UTC)**'."""
    _ = gettext_for(lang)
    lease = f"{format_day(until.date(), lang)} {until:%H:%M:%S}" if until else "-"
    return "**" + _("Another run holds the send lock: %(holder)s (lease until %(until)s UTC)") \
        % {"holder": holder, "until": lease} + "**"


def unreachable_line(problem: str, lang: str) -> str:
    _ = gettext_for(lang)
    return _("**Relay unreachable**: %(problem)s; the messages stay queued.") % {"problem": problem}


def config_error_line(error: str, lang: str) -> str:
    """The relay refused our TLS/AUTH setup: retrying cannot help until a setting changes."""
    _ = gettext_for(lang)
    return _("**Relay configuration error**: %(error)s; nothing more was sent, the messages stay queued.") \
        % {"error": error}


def failures_table(rows: Sequence[tuple[str, str, str]], lang: str) -> list[str]:
    """'## Failures' and a table of (to, subject, reason); nothing without rows."""
    _ = gettext_for(lang)
    if not rows:
        return []
    return ["## " + _("Failures"), "", *table([_("To"), _("Subject"), _("Reason")], rows)]
