"""Build one check-in email from plain data (pure): subject, text and HTML from the same Jinja2 context."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from jinja2 import Environment

from plantrack.notifications.mail.message import Contact, Message, auto_headers, check_headers, template_environment


@dataclass(frozen=True)
class ContactPerson:
    """The person a recipient can call about the check-in (from the agency directory)."""

    name: str
    email: str
    phone: str | None = None
    position: str | None = None


@dataclass(frozen=True)
class PlanCitation:
    """The plan as a Vietnamese official letter cites it: số hiệu, ngày, cơ quan ban hành, trích yếu, người ký."""

    number: str
    title: str
    issuer: str
    issued_on: date
    signer: str | None = None


@dataclass(frozen=True)
class Office:
    """Who asks: the coordinating office (names in the message's language) and its contact person."""

    name: str
    short_name: str  # for the From display name
    contact: ContactPerson | None = None


@dataclass(frozen=True)
class ItemLine:
    """One deliverable as the agency sees it in the email."""

    code: str
    title: str
    due: date | None
    status: str  # a StatusKey value
    status_label: str
    progress: int | None
    days_left: int | None
    lead: str = ""  # the lead agency's name, for the 'you support' list
    report_to: str | None = None  # where a report goes (agency name)
    effective_due: date | None = None  # the working day a deadline falling on a day off moves to
    last_report: date | None = None  # day of the latest report (plan time); None: never reported
    due_wording: str = "by"  # before: the plan writes "trước ngày" (due is then the written day)


@dataclass(frozen=True)
class IndicatorLine:
    code: str
    text: str
    unit: str
    baseline: float | int | None
    target: float | int | None  # None: the plan gives a direction only (increase/decrease)
    last_value: float | int | None
    due: date | None
    last_report: date | None = None
    direction: str | None = None  # a Direction value


@dataclass(frozen=True)
class CheckinData:
    """Everything a check-in email says; built by the caller from the database, rendered here."""

    plan: PlanCitation
    office: Office
    round_key: str  # 2024-W21 | 2024-05
    agency_code: str
    agency_name: str
    to: tuple[Contact, ...]
    cc: tuple[Contact, ...]
    leads: tuple[ItemLine, ...]
    supports: tuple[ItemLine, ...]
    indicators: tuple[IndicatorLine, ...]
    today: date
    reply_by: datetime  # plan time; shown as '16:00 thứ Tư, 22/05/2024'
    written_at: datetime  # aware; the Date header
    ref: str  # reference tag, e.g. K7Q2M
    mail_from: str
    reply_to: str
    message_id: str  # with angle brackets
    missed_last_round: bool = False
    demo: bool = False


MAX_ITEMS = 40  # PLANTRACK_CHECKIN_MAX_ITEMS


def _summary(hidden: list[ItemLine], lang: str) -> str:
    """'12 more not listed here: 3 Quá hạn, 9 ...' for the items a long check-in leaves out."""
    if not hidden:
        return ""
    counts: dict[str, int] = {}
    for it in hidden:
        counts[it.status_label] = counts.get(it.status_label, 0) + 1
    parts = ", ".join(f"{n} {label}" for label, n in counts.items())
    from plantrack.config.i18n import ngettext_for

    text = ngettext_for(lang)("... and %(count)d more not listed here (%(parts)s).",
                              "... and %(count)d more not listed here (%(parts)s).", len(hidden))
    return text % {"count": len(hidden), "parts": parts}


@lru_cache(maxsize=8)
def _env(lang: str) -> Environment:
    """One environment per language: jinja2.ext.i18n bound to that language's catalog, Babel formats."""
    from plantrack.config import i18n

    # Old-style gettext calls: one Python call per {% trans %} instead of two (about 20 % of a message's
    # render time); variables are still escaped in HTML (Markup % values).
    return template_environment(lang, newstyle=False, moment=lambda v: i18n.format_moment(v, lang),
                                pct=lambda p: "-" if p is None else f"{p}%")


@lru_cache(maxsize=16)
def _template(name: str, lang: str):
    # Compiled once per process and language; get_template would check the file's mtime on every message.
    return _env(lang).get_template(name)


def round_label(round_key: str, lang: str) -> str:
    """'tuần 21/2024' / 'week 21/2024' for 2024-W21; 'tháng 5/2024' / 'month 5/2024' for 2024-05."""
    from plantrack.config.i18n import gettext_for

    _ = gettext_for(lang)
    year, _sep, rest = round_key.partition("-")
    if rest.startswith("W"):
        return _("week {week}/{year}").format(week=int(rest[1:]), year=year)
    return _("month {month}/{year}").format(month=int(rest), year=year)


def urgency(item: ItemLine) -> tuple:
    """Sort key: fewest days left (overdue first), undated last, then plan code."""
    return (item.days_left is None, item.days_left if item.days_left is not None else 0, item.code)


def subject_for(data: CheckinData, lang: str) -> str:
    """'[KH 60/KH-UBND #K7Q2M] Sở Y tế: cập nhật tiến độ, trả lời trước 16:00 22/05': tag, who, what, by when."""
    from plantrack.config.i18n import gettext_for

    text = gettext_for(lang)("{agency}: progress update, reply by {time} {day}").format(
        agency=data.agency_name, time=f"{data.reply_by:%H:%M}", day=f"{data.reply_by:%d/%m}")
    return f"[KH {data.plan.number} #{data.ref}] {text}"


def sender_name(data: CheckinData, lang: str) -> str:
    """The From display name: the office that asks, and for which plan."""
    from plantrack.config.i18n import gettext_for

    return gettext_for(lang)("{office} (plan {number})").format(office=data.office.short_name,
                                                                number=data.plan.number)


def citation_subject(title: str) -> str:
    """The trích yếu as cited after 'về': the title without its leading document type ('Kế hoạch ...')."""
    return re.sub(r"^(Kế hoạch|Plan)\s+", "", title.strip())


def reply_examples(data: CheckinData, lang: str) -> tuple[str, ...]:
    """Example reply lines made from the recipient's own codes (most urgent first), in lang's words."""
    from plantrack.config.i18n import format_amount, gettext_for
    from plantrack.models.reply_words import ReplyWord, word

    _ = gettext_for(lang)
    leads = sorted(data.leads, key=urgency)
    out = []
    if leads:
        first = leads[0]
        note = _("compiling the figures") if first.report_to else _("under way as planned")
        out.append(f"{first.code}: 60% - {note}")
    if len(leads) > 1:
        out.append(f"{leads[1].code}: {word(ReplyWord.DONE, lang)}")
    if len(leads) > 2:
        out.append(f"{leads[2].code}: {word(ReplyWord.BLOCKED, lang)} - {_('waiting for funds')}")
    if not leads and data.supports:
        first = sorted(data.supports, key=urgency)[0]
        out.append(f"{first.code}: {word(ReplyWord.IN_PROGRESS, lang)} - {_('our part is under way')}")
    for ind in data.indicators:  # a figure as it would be reported (a direction-only target has none)
        sample = ind.baseline if ind.baseline is not None else ind.target
        if sample is not None:
            out.append(f"{ind.code}: {format_amount(sample, ind.unit, lang)}")
            break
    return tuple(out)


def build_checkin_message(data: CheckinData, lang: str = "vi", max_items: int = MAX_ITEMS) -> Message:
    """The check-in email for data in lang (a language with a catalog): text and HTML alternatives, our headers.

    At most max_items deliverables are listed in full (what the agency leads first, most urgent first);
    the rest are counted by status. Raises UnsafeHeader for a header value with a line break."""
    from plantrack.config.i18n import languages
    from plantrack.models.reply_words import STATE_WORDS, ReplyWord, word

    if lang not in languages():
        raise ValueError(f"lang must be one of {', '.join(languages())}, not {lang!r}")
    leads, supports = sorted(data.leads, key=urgency), sorted(data.supports, key=urgency)
    shown_leads = leads[:max_items]
    shown_supports = supports[:max(0, max_items - len(shown_leads))]
    ctx = {
        "d": data, "lang": lang, "round": round_label(data.round_key, lang),
        "leads": shown_leads, "supports": shown_supports,
        "leads_total": len(leads), "supports_total": len(supports),
        "leads_more": _summary(leads[len(shown_leads):], lang),
        "supports_more": _summary(supports[len(shown_supports):], lang),
        "plan_subject": citation_subject(data.plan.title),
        "examples": reply_examples(data, lang),
        "state_words": ", ".join(word(w, lang) for w in STATE_WORDS),
        "no_change": word(ReplyWord.NO_CHANGE, lang),
    }
    text = _template("checkin.txt.j2", lang).render(ctx)
    html = _template("checkin.html.j2", lang).render(ctx)
    name = sender_name(data, lang)
    headers = auto_headers(name, data.mail_from, data.to, data.cc, data.reply_to, data.written_at, data.message_id,
                           f"{data.round_key} {data.agency_code} {data.ref}",
                           "demo key: reply tokens are not secret" if data.demo else None)
    subject = subject_for(data, lang)
    check_headers((*headers, ("Subject", subject)))
    return Message(subject=subject, text=text, html=html, headers=tuple(headers),
                   envelope_from=data.mail_from,
                   recipients=tuple(c.email for c in data.to + data.cc))
