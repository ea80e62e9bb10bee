"""What the run reports share: tables, counts, the sending line, demo mode, the send lock, the relay, failures."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from plantrack.config.i18n import format_count as count  # the reports' name, imported from here by each
from plantrack.config.i18n import format_day, gettext_for
from plantrack.notifications.mail.dispatch import Failure
from plantrack.notifications.mail.smtp import FailureKind, RelayError, RelayProblem
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
            % {"sent": count(r.sent, lang), "retried": count(r.retried, lang), "failed": count(r.failed, lang),
               "still": count(r.still_queued, lang), "transport": destination(r.transport, lang)})


def demo_line(lang: str) -> str:
    _ = gettext_for(lang)
    return _("**Demo mode**: no PLANTRACK_SECRET_KEY; mail went to the local .eml folder only.")


def lock_line(holder: str | None, until: datetime | None, lang: str) -> str:
    """'**Another run holds the send lock: host:pid:run (lease until 18/06/2024 09:05:00 UTC)**'."""
    _ = gettext_for(lang)
    lease = f"{format_day(until.date(), lang)} {until:%H:%M:%S}" if until else "-"
    return "**" + _("Another run holds the send lock: %(holder)s (lease until %(until)s UTC)") \
        % {"holder": holder, "until": lease} + "**"


def raw(text: str) -> str:
    """The server's (or the network's) own words, as code: untranslated, searchable, and '<a@b>' stays visible."""
    return "`" + text.replace("`", "'") + "`"


def relay_text(e: RelayError, lang: str) -> str:
    """Why nothing could be sent over the relay, in lang, then the relay's or the network's own words."""
    _ = gettext_for(lang)
    why = {
        RelayProblem.UNREACHABLE: _("%(where)s does not answer or dropped the connection"),
        RelayProblem.TLS_UNVERIFIED: _("the TLS certificate of %(where)s does not verify (set PLANTRACK_SMTP_CA_FILE "
                                       "to the CA that signed it)"),
        RelayProblem.TLS_FAILED: _("no TLS connection could be set up with %(where)s (check PLANTRACK_SMTP_SECURITY "
                                   "and PLANTRACK_SMTP_PORT)"),
        RelayProblem.STARTTLS_NOT_OFFERED: _("%(where)s does not offer STARTTLS (check PLANTRACK_SMTP_PORT and "
                                             "PLANTRACK_SMTP_SECURITY)"),
        RelayProblem.AUTH_NOT_OFFERED: _("%(where)s offers no login plantrack can use (PLAIN, LOGIN, CRAM-MD5) "
                                         "although PLANTRACK_SMTP_USER is set (many relays offer it only over TLS: "
                                         "PLANTRACK_SMTP_SECURITY)"),
        RelayProblem.AUTH_FAILED: _("%(where)s refused the user name or password (check PLANTRACK_SMTP_USER and "
                                    "PLANTRACK_SMTP_PASSWORD)"),
        RelayProblem.AUTH_REQUIRED: _("%(where)s requires a login (or TLS) before sending (set PLANTRACK_SMTP_USER, "
                                      "PLANTRACK_SMTP_PASSWORD and PLANTRACK_SMTP_SECURITY)"),
    }[e.problem] % {"where": e.where or "-"}
    return f"{why}: {raw(e.reply)}" if e.reply else why


def relay_line(sentence: str, error: RelayError, lang: str, bold: bool = True) -> str:
    """A report's sentence about the relay (a catalog word with %(problem)s or %(error)s) filled with relay_text;
    bold=False drops its markdown bold (a flow's failure message is plain text) and never touches the reply."""
    text = relay_text(error, lang)
    return (sentence if bold else sentence.replace("**", "")) % {"problem": text, "error": text}


def unreachable_line(problem: RelayError, lang: str, bold: bool = True) -> str:
    _ = gettext_for(lang)
    return relay_line(_("**Relay unreachable**: %(problem)s; the messages stay queued."), problem, lang, bold)


def config_error_line(error: RelayError, lang: str, bold: bool = True) -> str:
    """The relay refused our TLS/AUTH setup: retrying cannot help until a setting changes."""
    _ = gettext_for(lang)
    return relay_line(_("**Relay configuration error**: %(error)s; nothing more was sent, the messages stay queued."),
                      error, lang, bold)


class RelayLine(Protocol):
    def __call__(self, error: RelayError, lang: str, bold: bool = True) -> str: ...


def relay_failure(r: Sending, config_error: RelayError | None, unreachable: RelayError | None, lang: str,
                  config_line: RelayLine = config_error_line, unreachable_line: RelayLine = unreachable_line
                  ) -> str | None:
    """Why a mail flow fails, in lang and plain text (the Prefect UI's state message): its report's sentence about
    the relay, then what was sent and what stays queued; None when the relay did its part."""
    if config_error:
        return f"{config_line(config_error, lang, bold=False)} {sent_line(r, lang)}"
    if unreachable:
        return f"{unreachable_line(unreachable, lang, bold=False)} {sent_line(r, lang)}"
    return None


def failure_reason(f: Failure, lang: str) -> str:
    """Why a message was not sent, in lang, then the server's reply: 'máy chủ gửi thư từ chối thư: `550 ...`'."""
    if f.kind is None:
        return f.reason
    _ = gettext_for(lang)
    why = {FailureKind.RECIPIENT_REFUSED: _("the relay refused the recipient"),
           FailureKind.MESSAGE_REFUSED: _("the relay refused the message"),
           FailureKind.DEFERRED: _("the relay asked to try later"),
           FailureKind.CONNECTION: _("the connection to the relay failed"),
           FailureKind.NOT_SENDABLE: _("this message cannot be sent")}[f.kind]
    if f.tries:
        why = _("gave up after %(tries)s tries (%(why)s)") % {"tries": count(f.tries, lang), "why": why}
    return f"{why}: {raw(f.reply)}" if f.reply else why


def not_built_reason(error: str, lang: str) -> str:
    """A message the builder refused (an unsafe header from the directory), then the builder's own words."""
    _ = gettext_for(lang)
    return _("not built (fix the directory entry)") + ": " + raw(error)


def failures_table(rows: Sequence[tuple[str, str, str]], lang: str) -> list[str]:
    """'## Failures' and a table of (to, subject, reason); nothing without rows."""
    _ = gettext_for(lang)
    if not rows:
        return []
    return ["## " + _("Failures"), "", *table([_("To"), _("Subject"), _("Reason")], rows)]


def failure_rows(failures: Iterable[Failure], lang: str) -> list[tuple[str, str, str]]:
    """The rows of failures_table for messages the relay did not take."""
    return [(f.to, f.subject, failure_reason(f, lang)) for f in failures]
