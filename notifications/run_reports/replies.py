"""The ingest-replies artifact: counts, rejected senders, undeliverable addresses, lines not applied."""
from __future__ import annotations

from plantrack.config.i18n import gettext_for, ngettext_for, plural
from plantrack.notifications.mail.inbound.ingest import IngestResult
from plantrack.notifications.mail.inbound.send import Sent
from plantrack.notifications.run_reports import common
from plantrack.notifications.run_reports.common import config_error_line, count, table, unreachable_line

NOT_APPLIED = 200  # replies whose lines not applied are listed


def description(r: IngestResult, lang: str) -> str:
    """'2 replies read by this run'."""
    ngettext = ngettext_for(lang)
    return ngettext("%(count)s reply read by this run", "%(count)s replies read by this run", r.handled) \
        % {"count": count(r.handled, lang)}


def relay_failure(sent: Sent, lang: str) -> str | None:
    """Why the flow fails when the relay could not take the receipts (the artifact's words, plain), else None."""
    return common.relay_failure(sent, sent.config_error, sent.unreachable, lang)


def read_before_failure(r: IngestResult) -> str:
    """What the CLI's English failure line says first: the replies were read and applied all the same."""
    return (plural("en", "{n} reply read", "{n} replies read", r.handled)
            + f" ({r.applied} applied, {r.partial} partly understood, {r.rejected} rejected), "
            + ("its receipt" if r.receipts == 1 else "their receipts") + " not sent: ")


def markdown(r: IngestResult, sent: Sent, lang: str) -> str:
    """r: the replies read; sent: what the outbox sent after them (the receipts, unless another run holds the lock)."""
    _, ngettext = gettext_for(lang), ngettext_for(lang)
    mail = count(sent.sent, lang)
    if sent.failed:
        mail = _("%(sent)s (%(failed)s failed)") % {"sent": mail, "failed": count(sent.failed, lang)}
    lines = ["# " + _("Replies: %(source)s") % {"source": r.source}, "",
             *table([_("Applied"), _("Partly understood"), _("Not understood"), _("Rejected"), _("Automated"),
                     _("Bounces"), _("Duplicates"), _("Receipts queued"), _("Mail sent")],
                    [(*(count(n, lang) for n in (r.applied, r.partial, r.unclear, r.rejected, r.automated, r.bounces,
                                                 r.duplicates, r.receipts)), mail)]), "",
             _("%(messages)s taken from the source (%(new)s new), %(read)s read, %(lines)s recorded.")
             % {"messages": ngettext("%(count)s message", "%(count)s messages", r.fetched)
                % {"count": count(r.fetched, lang)},
                "new": count(r.stored, lang), "read": count(r.handled, lang),
                "lines": ngettext("%(count)s report line", "%(count)s report lines", r.reports)
                % {"count": count(r.reports, lang)}},
             ""]
    if sent.locked_by:
        lines += [_("Receipts stay queued: another run (%(holder)s) holds the send lock and sends them.")
                  % {"holder": sent.locked_by}, ""]
    if sent.config_error:
        lines += [config_error_line(sent.config_error, lang), ""]
    elif sent.unreachable:
        lines += [unreachable_line(sent.unreachable, lang), ""]
    if r.rejected_senders:
        lines += ["## " + _("Rejected senders"), "", *(f"- {s}" for s in r.rejected_senders), ""]
    if r.undeliverable:
        lines += ["## " + _("Undeliverable addresses (check-ins bounced)"), "",
                  *(f"- {a}" for a in r.undeliverable), ""]
    partial = [h for h in r.details if h.unclear or h.refused][:NOT_APPLIED]
    if partial:
        unclear, refused = _("not understood"), _("not allowed")
        rows = []
        for h in partial:
            rows += [(h.sender, h.agency or "", ln.replace("|", "/"), unclear) for ln in h.unclear]
            rows += [(h.sender, h.agency or "", ln.replace("|", "/"), refused) for ln in h.refused]
        lines += ["## " + _("Lines not applied"), "", *table([_("From"), _("Agency"), _("Line"), _("Why")], rows)]
    return "\n".join(lines)
