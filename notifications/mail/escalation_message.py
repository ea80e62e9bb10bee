"""Build one escalation email (pure): every item a recipient must act on or know about today, by level.

One template per shape (escalation.txt.j2, escalation.html.j2); its words are English message ids
(WORDS) translated by the catalog of each language (config/locale), so a third language is one more catalog. Headers and MIME are the
check-ins' (Message from message.py): same identity, threading by In-Reply-To/References.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from email.utils import format_datetime
from functools import lru_cache

from jinja2 import Environment

from plantrack.notifications.mail.checkin_message import MAX_ITEMS
from plantrack.notifications.mail.message import Contact, Message, check_headers, mailbox, mailboxes, \
    template_environment


@dataclass(frozen=True)
class EscItem:
    """One deliverable as an escalation email shows it."""

    code: str
    title: str
    plan: str
    agency: str  # the responsible agency's name
    deadline: str  # written wording with weekday, and the effective deadline when it differs
    status: str  # derived status, with 'chưa có báo cáo' when never reported
    days: int | None  # working days left (negative: overdue)
    progress: int | None
    last_report: str | None  # dd/mm/yyyy of the last report
    note: str | None = None  # the last report's note (what blocks a blocked item)


@dataclass(frozen=True)
class Section:
    """Items of one rung (reason, level, at), or of one silent agency."""

    reason: str  # deadline | blocked | silent
    level: int
    at: int
    items: tuple[EscItem, ...]
    agency: str = ""  # silent: the agency that did not answer
    rounds: tuple[str, ...] = ()  # silent: the rounds it skipped, newest first ('tuần 22/2024')
    fyi: bool = False  # a copy of what went to someone else (the recipient was in Cc)

    @property
    def order(self) -> tuple:
        return (self.fyi, -self.level, self.reason, -self.at, self.agency)


@dataclass(frozen=True)
class EscalationData:
    """Everything one escalation email says; built by the caller, rendered here."""

    plan: str  # plan number for the subject tag ('' when the items span plans)
    to: Contact
    cc: tuple[Contact, ...]
    sections: tuple[Section, ...]
    today: date
    written_at: datetime
    mail_from: str
    sender_name: str
    reply_to: str
    message_id: str
    ref: str | None = None  # the recipient's check-in tag, when the reminder continues that thread
    in_reply_to: str | None = None  # that check-in's Message-ID
    demo: bool = False


# English message ids (context "escalation"); the words of each language are in config/locale.
WORDS = {
    "subject": "Reminders of {day}",
    "overdue": "{n} overdue",
    "soon": "{n} due soon",
    "blocked": "{n} blocked",
    "greeting": "Dear {name},",
    "intro": "The monitoring office of {plan} asks for your attention to the following (as of "
        "{day}; times in working days).",
    "plan_label": "plan {plan}",
    "plans_label": "the plans",
    "level": "Level {n}",
    "before": "Due soon",
    "after": "Overdue",
    "after_n": "Overdue by {n} working days or more",
    "blocked_title": "Blocked, needs a decision",
    "silent_title": "No answer to check-ins: {agency}",
    "before_note": "Please complete and report before the deadline.",
    "after_note": "Please complete and report now.",
    "late_note": "Please follow up with the lead agency.",
    "blocked_note": "The lead agency reported these blocked; please look into them.",
    "fyi": "Copied for information",
    "agency": "Lead",
    "deadline": "Deadline",
    "progress": "Progress",
    "last": "Last report",
    "never": "none yet",
    "today": "due today",
    "how": 'To update, just reply to this message, one line per deliverable: code, colon, '
        'status or percent (e.g. "{code}: done" or "{code}: blocked - reason").',
    "regards": "Regards,",
    "auto": "Automatic message",
    "demo": "TEST - a trial message, not an official letter",  # the check-in's and the digest's words
    "more": "... and {n} more not listed here.",
    "note": "Note",
}


# Words with a count (context "escalation"): (singular, plural) English message ids, picked by the plural rule
# of each language ("1 agencies not answering", "1 working days overdue" was what one id for both gave).
COUNTED = {
    "silent": ("{n} agency not answering", "{n} agencies not answering"),
    "silent_note": ("{agency} has not answered {n} check-in in a row ({rounds}).",
                    "{agency} has not answered {n} check-ins in a row ({rounds})."),
    "left": ("{n} working day left", "{n} working days left"),
    "late": ("{n} working day overdue", "{n} working days overdue"),
}


@lru_cache(maxsize=8)
def words(lang: str) -> dict[str, str]:
    """The words of the escalation email in lang."""
    from plantrack.config.i18n import translations

    t = translations(lang)
    return {k: t.pgettext("escalation", v) for k, v in WORDS.items()}


@lru_cache(maxsize=1024)
def counted(key: str, n: int, lang: str) -> str:
    """The COUNTED words of key for n in lang, in the form that language uses for n (n not yet filled in)."""
    from plantrack.config.i18n import translations

    one, many = COUNTED[key]
    return translations(lang).npgettext("escalation", one, many, n)


def section_title(s: Section, lang: str) -> str:
    w = words(lang)
    if s.reason == "blocked":
        title = w["blocked_title"]
    elif s.reason == "silent":
        title = w["silent_title"].format(agency=s.agency)
    elif s.at <= 0:
        title = w["before"]
    elif s.at == 1:
        title = w["after"]
    else:
        title = w["after_n"].format(n=s.at)
    head = f"{w['level'].format(n=s.level)}: {title}"
    return f"{w['fyi']} - {head}" if s.fyi else head


def section_note(s: Section, lang: str) -> str:
    w = words(lang)
    if s.reason == "blocked":
        return w["blocked_note"]
    if s.reason == "silent":
        n = len(s.rounds)
        return counted("silent_note", n, lang).format(agency=s.agency, n=n, rounds=", ".join(s.rounds))
    return w["before_note"] if s.at <= 0 else (w["after_note"] if s.at == 1 else w["late_note"])


def days_text(days: int | None, lang: str) -> str:
    if days is None:
        return ""
    if days == 0:
        return words(lang)["today"]
    return counted("late", -days, lang).format(n=-days) if days < 0 else counted("left", days, lang).format(n=days)


def _counts(data: EscalationData) -> list[str]:
    overdue = soon = blocked = 0
    silent = set()
    for s in data.sections:
        if s.fyi:
            continue
        if s.reason == "silent":
            silent.add(s.agency)
        elif s.reason == "blocked":
            blocked += len(s.items)
        elif s.at > 0:
            overdue += len(s.items)
        else:
            soon += len(s.items)
    return [(k, n) for k, n in (("overdue", overdue), ("soon", soon), ("blocked", blocked), ("silent", len(silent)))
            if n]


def subject_for(data: EscalationData, lang: str) -> str:
    w = words(lang)
    tag = f"[KH {data.plan}{f' #{data.ref}' if data.ref else ''}] " if data.plan else "[plantrack] "
    counts = ", ".join((counted(k, n, lang) if k in COUNTED else w[k]).format(n=n) for k, n in _counts(data))
    return tag + w["subject"].format(day=data.today.strftime("%d/%m/%Y")) + (f": {counts}" if counts else "")


@lru_cache(maxsize=1)
def _env() -> Environment:
    return template_environment(None)  # the words come translated in the context (WORDS), not from the template


@lru_cache(maxsize=4)
def _template(name: str):
    return _env().get_template(name)


def build_escalation_message(data: EscalationData, lang: str = "vi", max_items: int = MAX_ITEMS) -> Message:
    """The escalation email for data in lang: text and HTML alternatives, check-in headers, threaded.

    At most max_items deliverables are listed in full, highest level first (the others are counted); raises
    UnsafeHeader (a ValueError) for a header that would break the message, as check-ins do."""
    w = words(lang)
    sections, room = [], max_items
    for s in sorted(data.sections, key=lambda s: s.order):
        shown = s.items[:max(room, 0)]
        room -= len(shown)
        sections.append((s, shown, len(s.items) - len(shown)))
    first_code = next((it.code for s in data.sections for it in s.items), "VI.1/SYT")
    ctx = {
        "d": data, "w": w, "lang": lang, "sections": sections, "title": lambda s: section_title(s, lang),
        "note": lambda s: section_note(s, lang), "days": lambda n: days_text(n, lang),
        "pct": lambda p: f"{p}%",  # shown only when known: "Tiến độ: -" read as a figure missing by mistake
        "day": data.today.strftime("%d/%m/%Y"),
        "plan": w["plan_label"].format(plan=data.plan) if data.plan else w["plans_label"],
        "how": w["how"].format(code=first_code) if data.ref else "",
    }
    text = _template("escalation.txt.j2").render(ctx)
    html = _template("escalation.html.j2").render(ctx)
    headers = [("From", mailbox(data.sender_name, data.mail_from)), ("To", mailbox(data.to.name, data.to.email))]
    if data.cc:
        headers.append(("Cc", mailboxes(data.cc)))
    headers += [("Reply-To", mailbox(data.sender_name, data.reply_to)), ("Date", format_datetime(data.written_at)),
                ("Message-ID", data.message_id)]
    if data.in_reply_to:
        headers += [("In-Reply-To", data.in_reply_to), ("References", data.in_reply_to)]
    # Not "All": that also suppresses the non-delivery reports that tell the intake an address is dead.
    headers += [("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "OOF, AutoReply"),
                ("X-Plantrack-Ref", f"escalation {data.today.isoformat()}{f' {data.ref}' if data.ref else ''}")]
    if data.demo:
        headers.append(("X-Plantrack-Demo", "demo key: reply tokens are not secret"))
    subject = subject_for(data, lang)
    check_headers((*headers, ("Subject", subject)))
    return Message(subject=subject, text=text, html=html, headers=tuple(headers),
                   envelope_from=data.mail_from, recipients=(data.to.email,) + tuple(c.email for c in data.cc))
