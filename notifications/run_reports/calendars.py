"""The publish-calendars artifact: the feeds written, the events, the dates left out."""
from __future__ import annotations

from datetime import date

from plantrack.config.i18n import format_day, gettext_for, ngettext_for
from plantrack.notifications.calendar.publish import PublishResult
from plantrack.notifications.run_reports.common import count, table

LISTED = 50  # feed names shown before "and N more"
LEFT_OUT = 500  # dates left out listed


def description(r: PublishResult, lang: str) -> str:
    """'3 feeds changed'."""
    ngettext, n = ngettext_for(lang), len(r.written)
    return ngettext("%(count)s feed changed", "%(count)s feeds changed", n) % {"count": count(n, lang)}


def markdown(r: PublishResult, today: date, lang: str) -> str:
    _, ngettext = gettext_for(lang), ngettext_for(lang)
    head = ["# " + _("Calendars %(day)s") % {"day": format_day(today, lang)}, ""]
    if r.unchanged:
        until = format_day(r.valid_until, lang) if r.valid_until else _("no status change ahead")
        return "\n".join(head + [
            "- " + _("nothing changed since %(since)s, valid until %(until)s: no feed written, events not rebuilt")
            % {"since": format_day(r.valid_from, lang), "until": until},
            "- " + _("events: %(events)s; left out (no valid date): %(skipped)s")
            % {"events": count(r.events, lang), "skipped": count(len(r.skipped), lang)}])
    n = len(r.written)
    lines = head + ["- " + ngettext("**%(count)s feed** changed (unchanged feeds are not rewritten)",
                                    "**%(count)s feeds** changed (unchanged feeds are not rewritten)", n)
                    % {"count": count(n, lang)},
                    "- " + _("events: %(events)s; new %(new)s; changed %(changed)s")
                    % {"events": count(r.events, lang), "new": count(r.new_events, lang),
                       "changed": count(len(r.changed_events), lang)},
                    "- " + _("left out (no valid date): %(count)s") % {"count": count(len(r.skipped), lang)}, ""]
    if r.written:
        shown = ", ".join(f"`{name}`" for name in r.written[:LISTED])
        more = " " + _("and %(count)s more") % {"count": count(n - LISTED, lang)} if n > LISTED else ""
        lines += ["## " + _("Written"), shown + more, ""]
    if r.skipped:
        lines += ["## " + _("Left out"), *table([_("Plan and code")], [(k,) for k in r.skipped[:LEFT_OUT]])]
    return "\n".join(lines)
