"""The escalate-overdue artifact: today's escalations by level and agency, and what the outbox sent."""
from __future__ import annotations

from plantrack.config.i18n import format_day, gettext_for, ngettext_for, translations
from plantrack.models.escalation.ladder import role_name
from plantrack.notifications.mail.escalation_run import EscalationResult, NoRecipient
from plantrack.notifications.run_reports import common
from plantrack.notifications.run_reports.common import (config_error_line, count, demo_line, failure_rows,
                                                        failures_table, lock_line, raw, sent_line, table,
                                                        unreachable_line)


def relay_failure(r: EscalationResult, lang: str) -> str | None:
    """Why the flow fails when the relay could not be used (the artifact's words, plain), else None."""
    return common.relay_failure(r, r.relay_config_error, r.relay_unreachable, lang)


def level_names(lang: str) -> dict[int, str]:
    """The rungs by level: 'nhắc hạn', 'quá hạn', 'cơ quan thường trực', 'Phó Chủ tịch UBND tỉnh'."""
    pgettext = translations(lang).pgettext
    return {1: pgettext("escalation level", "reminder"), 2: pgettext("escalation level", "overdue"),
            3: pgettext("escalation level", "coordinator"), 4: pgettext("escalation level", "Deputy Chair")}


def reason_names(lang: str) -> dict[str, str]:
    """Why a rung fired (EscalationReason values): a deadline, an agency that does not answer, a blocked item."""
    pgettext = translations(lang).pgettext
    return {"deadline": pgettext("escalation reason", "deadline"), "silent": pgettext("escalation reason", "silent"),
            "blocked": pgettext("escalation reason", "blocked")}


def no_recipient(u: NoRecipient, lang: str) -> str:
    """'III.2 (mức 3, cơ quan thường trực)' / 'III.2 (level 3, coordinator)'."""
    _ = gettext_for(lang)
    return _("%(what)s (level %(level)s, %(role)s)") % {"what": u.what, "level": u.level,
                                                        "role": role_name(u.role, lang)}


def not_built(item: str) -> str:
    """'x@y: `UnsafeHeader: ...`' of 'x@y: UnsafeHeader: ...': the builder's own words as such."""
    address, sep, error = item.partition(": ")
    return f"{address}: {raw(error)}" if sep else raw(item)


def description(r: EscalationResult, lang: str) -> str:
    """'2 escalations on 18/06/2024'."""
    ngettext = ngettext_for(lang)
    n = len(r.fired)
    return ngettext("%(count)s escalation on %(day)s", "%(count)s escalations on %(day)s", n) \
        % {"count": count(n, lang), "day": format_day(r.today, lang)}


def markdown(r: EscalationResult, lang: str) -> str:
    _, ngettext = gettext_for(lang), ngettext_for(lang)
    day = format_day(r.today, lang)
    if r.locked_by:
        return "\n".join(["# " + _("Escalations %(day)s: not run") % {"day": day}, "",
                          lock_line(r.locked_by, r.lock_until, lang) + "; "
                          + _("nothing was recorded or sent here.")]) + "\n"
    head = "# " + _("Escalations %(day)s") % {"day": day}
    if r.day_off:
        return "\n".join([head, "", _("**Day off (%(why)s): nothing was recorded or sent.** The next working day's "
                                      "run sends what is due.") % {"why": r.day_off}]) + "\n"
    n = len(r.fired)
    lines = [head, "",
             "- " + ngettext("**%(count)s escalation** fired; emails queued now: %(queued)s (already queued: "
                             "%(already)s); resolved: %(resolved)s",
                             "**%(count)s escalations** fired; emails queued now: %(queued)s (already queued: "
                             "%(already)s); resolved: %(resolved)s", n)
             % {"count": count(n, lang), "queued": count(r.queued, lang), "already": count(r.already_queued, lang),
                "resolved": count(r.resolved, lang)},
             "- " + sent_line(r, lang)]
    if r.demo:
        lines.append("- " + demo_line(lang))
    levels, reasons = level_names(lang), reason_names(lang)
    rows = []
    for (level, agency), fired in r.by_level_agency().items():
        rows.append((f"{level} {levels.get(level, '')}".strip(), agency,
                     ", ".join(sorted({reasons.get(f.reason, f.reason) for f in fired})),
                     ", ".join(sorted({f.code or f"({f.title})" for f in fired})),
                     ", ".join(sorted({p for f in fired for p in f.recipients})) or _("(listed, no email)")))
    lines += ["", *table([_("Level"), _("Agency"), _("Reason"), _("Items"), _("To")], rows)]
    if r.unreachable:
        lines += ["", _("**Nobody to send to** (add the person to the directory): %(items)s")
                  % {"items": ", ".join(no_recipient(u, lang) for u in r.unreachable)}]
    if r.not_built:
        lines += ["", _("**Not built** (fix the directory entry): %(items)s")
                  % {"items": "; ".join(not_built(item) for item in r.not_built)}]
    if r.relay_config_error:
        lines += ["", config_error_line(r.relay_config_error, lang)]
    elif r.relay_unreachable:
        lines += ["", unreachable_line(r.relay_unreachable, lang)]
    if r.failures:
        lines += ["", *failures_table(failure_rows(r.failures, lang), lang)]
    return "\n".join(lines) + "\n"
