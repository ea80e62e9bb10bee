"""Build the Deputy Chair's weekly digest (pure): subject, text and HTML from the same figures and templates.

One template per shape (digest.txt.j2, digest.html.j2) with jinja2.ext.i18n bound to the language's
catalog; numbers and dates formatted by Babel (config/i18n.py). The HTML is laid out for a 390 px phone:
one column, bars as tables with inline styles, no script, no image, nothing fetched.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from jinja2 import Environment

from plantrack.models.digest.figures import STATUS_ORDER, Counts, OverdueItem, PlanFigures, TargetLine, Trend
from plantrack.models.status import StatusKey, label
from plantrack.notifications.mail.message import Contact, Message, auto_headers, template_environment
from plantrack.notifications.palette import PALETTE

TITLE_CHARS = 90  # a title cut to about two lines of a phone


@dataclass(frozen=True)
class DigestData:
    """Everything the digest email says; built by the caller from the figures and the directory."""

    figures: PlanFigures
    to: tuple[Contact, ...]
    cc: tuple[Contact, ...]
    mail_from: str
    written_at: datetime  # aware; the Date header
    message_id: str  # with angle brackets
    demo: bool = False


@dataclass(frozen=True)
class Segment:
    """A part of a bar: a status, how many, and its share of the bar's width in percent."""

    status: StatusKey
    count: int
    width: float
    colour: str


def bar(counts: Counts) -> tuple[Segment, ...]:
    """The segments of a counts bar, most urgent first, zeros left out; widths add up to 100."""
    total = counts.total
    if not total:
        return ()
    parts = [(k, n) for k, n in counts.by_status if n]
    out, used = [], 0.0
    for i, (k, n) in enumerate(parts):
        width = round(100 - used, 1) if i == len(parts) - 1 else round(100 * n / total, 1)
        used += width
        out.append(Segment(k, n, width, PALETTE[k].strong))
    return tuple(out)


@dataclass(frozen=True)
class OverdueGroup:
    """Overdue items shown together: the same activity of several agencies (VI.1/SYT, VI.1/CAT, ...) with the
    same deadline, or one item alone."""

    code: str  # the shared code ("VI.1") or the item's own
    title: str  # the shared title, without the agency it ends with
    due: date
    working_days_late: int
    items: tuple[OverdueItem, ...]


def _common_title(items: list[OverdueItem]) -> str:
    heads = {it.title.rsplit(" – ", 1)[0] for it in items}
    return heads.pop() if len(heads) == 1 else items[0].title


def group_overdue(items: tuple[OverdueItem, ...], min_size: int = 3) -> tuple[OverdueGroup, ...]:
    """items (most late first) with at least min_size of one activity and deadline folded into one group."""
    by: dict[tuple[str, date], list[OverdueItem]] = {}
    for it in items:
        by.setdefault((it.code.split("/", 1)[0], it.due), []).append(it)
    out, done = [], set()
    for it in items:
        key = (it.code.split("/", 1)[0], it.due)
        members = by[key]
        if len(members) >= min_size:
            if key not in done:
                done.add(key)
                out.append(OverdueGroup(key[0], _common_title(members), it.due,
                                        max(m.working_days_late for m in members), tuple(members)))
        else:
            out.append(OverdueGroup(it.code, it.title, it.due, it.working_days_late, (it,)))
    return tuple(out)


def short(text: str, limit: int = TITLE_CHARS) -> str:
    """text cut at a word boundary to about limit characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:–-")
    return cut + "…"


def week_label(week: str, lang: str) -> str:
    """'tuần 25/2024' / 'week 25/2024' for 2024-W25."""
    from plantrack.config.i18n import gettext_for

    _ = gettext_for(lang)
    year, _sep, w = week.partition("-W")
    return _("week {week}/{year}").format(week=int(w), year=year)


@lru_cache(maxsize=8)
def _env(lang: str) -> Environment:
    """One environment per language: jinja2.ext.i18n bound to its catalog, Babel formats as filters."""
    from plantrack.config import i18n

    return template_environment(
        lang, newstyle=True,
        num=lambda v: i18n.format_number(v, lang),
        share=lambda v: "-" if v is None else i18n.format_number(round(100 * v), lang, 0) + "%",
        status=lambda k: label(k, lang),
        signed=lambda n: ("+" if n > 0 else "−" if n < 0 else "±") + str(abs(n)),
        short=short,
    )


@lru_cache(maxsize=8)
def _template(name: str, lang: str):
    return _env(lang).get_template(name)


def trend_word(trend: Trend, lang: str) -> str:
    """'giảm' / 'decrease', 'tối thiểu' / 'at least', ..."""
    from plantrack.config.i18n import gettext_for

    _ = gettext_for(lang)
    return {Trend.INCREASE: _("increase"), Trend.DECREASE: _("decrease"), Trend.AT_LEAST: _("at least"),
            Trend.AT_MOST: _("at most"), Trend.MORE_THAN: _("more than")}[trend]


def target_goal(t: TargetLine, lang: str) -> str:
    """'1,38% (2023) → 1,36% (giảm)', 'tối thiểu 100%', 'tăng' (a direction only)."""
    from plantrack.config.i18n import format_amount, gettext_for

    _ = gettext_for(lang)
    way = trend_word(t.trend, lang)
    base = format_amount(t.baseline, t.unit, lang) + (f" ({t.baseline_year})" if t.baseline_year else "") \
        if t.baseline is not None else None
    if t.target is None:
        return f"{way} " + _("from %(value)s") % {"value": base} if base else way
    goal = format_amount(t.target, t.unit, lang)
    if base and t.trend in (Trend.INCREASE, Trend.DECREASE):
        return f"{base} → {goal} ({way})"
    return (f"{base} → " if base else "") + f"{way} {goal}"


def target_latest(t: TargetLine, lang: str) -> str:
    """'mới nhất 1,37% (12/06/2024) · 50% chặng đường · chưa đạt' / 'chưa có số liệu'."""
    from plantrack.config.i18n import format_amount, format_day, format_number, gettext_for

    _ = gettext_for(lang)
    if t.latest is None:
        return _("no figure reported yet") + " · " + _("due %(day)s") % {"day": format_day(t.due, lang)}
    parts = [_("latest %(value)s (%(day)s)") % {"value": format_amount(t.latest, t.unit, lang),
                                                 "day": format_day(t.latest_on, lang)}]
    if t.progress is not None:
        parts.append(_("%(share)s of the way") % {"share": format_number(round(100 * t.progress), lang, 0) + "%"})
    if t.achieved is not None:
        parts.append(_("achieved") if t.achieved else _("not achieved yet"))
    return " · ".join(parts)


def subject_for(f: PlanFigures, lang: str) -> str:
    """'[KH 60/KH-UBND] Tóm tắt tuần 25/2024: 17 quá hạn, 2 vướng mắc mới' (the words of the templates)."""
    from plantrack.config.i18n import gettext_for, ngettext_for

    _, n_ = gettext_for(lang), ngettext_for(lang)
    late, new = len(f.all_overdue), len(f.changes.new_blockers)
    parts = [n_("%(count)s overdue", "%(count)s overdue", late) % {"count": late}]
    if new:
        parts.append(n_("%(count)s new blocker", "%(count)s new blockers", new) % {"count": new})
    head = _("Weekly digest %(week)s") % {"week": week_label(f.week, lang)}
    return f"[KH {f.plan_number}] {head}: {', '.join(parts)}"


def sender_name(f: PlanFigures, lang: str) -> str:
    from plantrack.config.i18n import gettext_for

    _ = gettext_for(lang)
    return _("Plan %(number)s monitoring") % {"number": f.plan_number}


def build_digest_message(data: DigestData, lang: str = "vi") -> Message:
    """The digest email for data in lang (a language with a catalog): text and HTML alternatives, our headers."""
    from plantrack.config.i18n import languages

    if lang not in languages():
        raise ValueError(f"lang must be one of {', '.join(languages())}, not {lang!r}")
    f = data.figures
    ctx = {
        "f": f, "d": data, "lang": lang, "week": week_label(f.week, lang), "order": STATUS_ORDER,
        "bar": bar, "palette": PALETTE, "StatusKey": StatusKey, "overdue_groups": group_overdue(f.overdue),
        "subject": subject_for(f, lang),
        "delta": dict(f.changes.counts) if f.changes.counts is not None else None,
        "target_goal": lambda t: target_goal(t, lang), "target_latest": lambda t: target_latest(t, lang),
    }
    text = _template("digest.txt.j2", lang).render(ctx)
    html = _template("digest.html.j2", lang).render(ctx)
    name = sender_name(f, lang)
    headers = auto_headers(name, data.mail_from, data.to, data.cc, None, data.written_at, data.message_id,
                           f"digest {f.plan_number} {f.week}",
                           "demo mode: sent to the local .eml folder only" if data.demo else None)
    return Message(subject=ctx["subject"], text=text, html=html, headers=tuple(headers),
                   envelope_from=data.mail_from, recipients=tuple(c.email for c in data.to + data.cc))
