"""The send-checkins artifact: the rounds, what was queued and sent, who was not asked or did not answer."""
from __future__ import annotations

from plantrack.config.i18n import gettext_for, ngettext_for
from plantrack.notifications.mail.checkin_message import round_label
from plantrack.notifications.mail.checkins import CheckinResult
from plantrack.notifications.run_reports import common
from plantrack.notifications.run_reports.common import (config_error_line, count, demo_line, destination,
                                                        failure_rows, failures_table, lock_line, not_built_reason,
                                                        table, unreachable_line)


def round_names(keys: list[str], lang: str) -> str:
    """'60/KH-UBND tuần 21/2024' for the round key '60/KH-UBND 2024-W21'."""
    names = []
    for key in keys:
        plan, _sep, period = key.rpartition(" ")
        names.append(f"{plan} {round_label(period, lang)}".strip())
    return ", ".join(names)


def description(r: CheckinResult, lang: str) -> str:
    """'23 emails sent by this run' (check-ins, and whatever else the outbox held)."""
    _, ngettext = gettext_for(lang), ngettext_for(lang)
    if r.queued is None:
        return _("Check-ins: not sent by this run")
    return ngettext("%(count)s email sent by this run", "%(count)s emails sent by this run", r.sent) \
        % {"count": count(r.sent, lang)}


def relay_failure(r: CheckinResult, lang: str) -> str | None:
    """Why the flow fails when the relay could not be used (the artifact's words, plain), else None."""
    return common.relay_failure(r, r.config_error, r.unreachable, lang)


def markdown(r: CheckinResult, lang: str) -> str:
    _ = gettext_for(lang)
    if r.queued is None:
        return "\n".join(["# " + _("Check-ins: not sent by this run"), "",
                          lock_line(r.locked_by, r.lock_until, lang) + ". "
                          + _("That run sends the outbox; nothing was queued or sent here.")]) + "\n"
    q = r.queued
    lines = ["# " + _("Check-ins %(rounds)s") % {"rounds": round_names(q.round_keys, lang)}, "",
             *table([_("Queued now"), _("Already queued"), _("Sent"), _("Retried"), _("Failed"), _("Still queued")],
                    [tuple(count(n, lang) for n in (q.queued, q.already_queued, r.sent, r.retried, r.failed,
                                                    r.still_queued))]),
             "", _("Sent through: %(transport)s") % {"transport": destination(r.transport, lang)}, ""]
    if q.demo:
        lines += [demo_line(lang), ""]
    if q.missed_last_round:
        lines += [_("Did not answer the last round (no accepted report by email or `plantrack report --by` since its "
                    "check-in): %(agencies)s") % {"agencies": ", ".join(q.missed_last_round)}, ""]
    if q.skipped_no_contact:
        lines += [_("No focal point (not asked): %(agencies)s") % {"agencies": ", ".join(q.skipped_no_contact)}, ""]
    if r.unreachable:
        lines += [unreachable_line(r.unreachable, lang), ""]
    if r.config_error:
        lines += [config_error_line(r.config_error, lang), ""]
    lines += failures_table([(nb.to, nb.agency, not_built_reason(nb.reason, lang)) for nb in q.not_built]
                            + failure_rows(r.failures, lang), lang)
    return "\n".join(lines)
