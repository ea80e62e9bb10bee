"""The send-weekly-digest artifact: each plan's digest, who gets it, and what the outbox sent."""
from __future__ import annotations

from plantrack.config.i18n import gettext_for, ngettext_for
from plantrack.notifications.mail.checkin_message import round_label
from plantrack.notifications.mail.digest import DigestResult
from plantrack.notifications.mail.smtp import RelayError
from plantrack.notifications.run_reports import common
from plantrack.notifications.run_reports.common import (count, demo_line, failure_rows, failures_table, lock_line,
                                                        relay_line, sent_line, table)


def description(r: DigestResult, lang: str) -> str:
    """'1 weekly digest queued by this run'."""
    ngettext, n = ngettext_for(lang), r.queued.queued
    return ngettext("%(count)s weekly digest queued by this run", "%(count)s weekly digests queued by this run",
                    n) % {"count": count(n, lang)}


def unreachable_line(error: RelayError, lang: str, bold: bool = True) -> str:
    _ = gettext_for(lang)
    return relay_line(_("**Relay unreachable**: %(problem)s; the digest stays queued."), error, lang, bold)


def config_error_line(error: RelayError, lang: str, bold: bool = True) -> str:
    _ = gettext_for(lang)
    return relay_line(_("**Relay refused our configuration**: %(error)s; the digest stays queued."), error, lang,
                      bold)


def relay_failure(r: DigestResult, lang: str) -> str | None:
    """Why the flow fails when the relay could not be used (the artifact's words, plain), else None."""
    return common.relay_failure(r, r.config_error, r.unreachable, lang, config_error_line, unreachable_line)


def markdown(r: DigestResult, lang: str) -> str:
    _ = gettext_for(lang)
    q = r.queued
    rows = [(d.plan, round_label(d.week, lang), _("queued") if d.queued else _("already queued this week"),
             ", ".join(d.to), ", ".join(d.cc) or "-", count(d.overdue, lang), count(d.new_blockers, lang))
            for d in q.digests]
    lines = ["# " + _("Weekly digest"), "",
             *table([_("Plan"), _("Week"), _("This run"), _("To"), _("Cc"), _("Overdue"), _("New blockers")], rows),
             "", sent_line(r, lang), ""]
    if q.demo:
        lines += [demo_line(lang), ""]
    if q.no_recipient:
        lines += [_("No digest recipient in the plan file (digest_to): %(plans)s")
                  % {"plans": ", ".join(q.no_recipient)}, ""]
    if r.locked_by:
        lines += [lock_line(r.locked_by, r.lock_until, lang) + ": "
                  + _("the digest stays queued; that run (or the next) sends it."), ""]
    if r.unreachable:
        lines += [unreachable_line(r.unreachable, lang), ""]
    if r.config_error:
        lines += [config_error_line(r.config_error, lang), ""]
    lines += failures_table(failure_rows(r.failures, lang), lang)
    return "\n".join(lines)
