"""The coordinators' status board (plain functions, no Prefect): one row per lead agency and the overdue list,
as of a day, from the same figures as the digest. tasks/board.py publishes them as the Prefect UI's table
artifacts `plan-status-board` and `overdue` at the end of every flow run."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from plantrack.models.db import session_factory
from plantrack.models.digest.figures import FigureOptions, board_figures, plans
from plantrack.models.digest.sources import LastAnswer
from plantrack.models.status import StatusKey, label

BOARD_KEY = "plan-status-board"
OVERDUE_KEY = "overdue"


@dataclass(frozen=True)
class BoardOptions:
    """What the board needs, built once from Settings at the flow boundary."""

    database_url: str = field(repr=False)  # may hold a password: never shown
    lang: str = "vi"
    figures: FigureOptions = FigureOptions()
    max_rows: int = 1000  # per artifact, most urgent first: every run of every flow stores one in Prefect

    @classmethod
    def from_settings(cls, settings) -> BoardOptions:
        return cls(settings.database_url, settings.lang, FigureOptions.from_settings(settings),
                   settings.board_max_rows)


@dataclass(frozen=True)
class AgencyRow:
    """One lead agency of one plan: its lead items per status, never reported, whether it answered the last round."""

    plan: str
    agency: str
    name: str
    by_status: tuple[tuple[StatusKey, int], ...]
    total: int
    never_reported: int
    last_answer: LastAnswer  # to the latest check-in round it was sent

    @property
    def overdue(self) -> int:
        return dict(self.by_status)[StatusKey.OVERDUE]


@dataclass(frozen=True)
class OverdueRow:
    """One overdue deliverable: its effective deadline, how late in working days, escalation level, last report."""

    plan: str
    code: str
    title: str
    lead: str
    due: date
    working_days_late: int
    level: int | None
    last_report: date | None


@dataclass(frozen=True)
class StatusBoard:
    today: date
    plans: tuple[str, ...]
    agencies: tuple[AgencyRow, ...]  # most overdue first
    overdue: tuple[OverdueRow, ...]  # most late first


def status_board(opts: BoardOptions, today: date) -> StatusBoard:
    """The board of every loaded plan as of today."""
    agencies, overdue, numbers = [], [], []
    with session_factory(opts.database_url)() as s:
        for plan in plans(s, opts.figures.plan_number):
            f = board_figures(s, plan, today, opts.figures, opts.lang)
            numbers.append(plan.number)
            agencies += [AgencyRow(plan.number, a.code, a.name, a.counts.by_status, a.counts.total,
                                   a.counts.never_reported, a.last_answer) for a in f.agencies]
            overdue += [OverdueRow(plan.number, o.code, o.title, o.lead, o.due, o.working_days_late, o.level,
                                   o.last_report) for o in f.overdue]
    overdue.sort(key=lambda o: (-o.working_days_late, -(o.level or 0), o.plan, o.code))
    return StatusBoard(today, tuple(numbers), tuple(agencies), tuple(overdue))


# ---- as table artifacts (column headers in the coordinators' language) -------------------------------------

def _day(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else "-"


# Counts in the tables are text grouped as lang writes them, not JSON numbers: neither Prefect UI sorts an artifact
# table (3.9: v2's columns are display-only, v1's p-table gets no sort), both show a cell as String(value), so a
# number would read 1049 beside the description's 1.049, and both UIs' search matches the text shown.

def agency_table(board: StatusBoard, lang: str, limit: int | None = None) -> list[dict[str, str]]:
    """The rows of the `plan-status-board` artifact (the first limit, most overdue first): headers are the
    status words of lang, counts written as lang groups them."""
    from plantrack.config.i18n import format_count, gettext_for

    _ = gettext_for(lang)
    several = len(board.plans) > 1
    answered = answer_words(lang)
    out = []
    for a in board.agencies[:limit]:
        row: dict[str, str] = {}
        if several:
            row[_("Plan")] = a.plan
        row[_("Agency")] = a.agency
        row[_("Name")] = a.name
        for k, n in a.by_status:
            row[label(k, lang)] = format_count(n, lang)
        row[_("Lead items")] = format_count(a.total, lang)
        row[_("Never reported")] = format_count(a.never_reported, lang)
        row[_("Answered the last round")] = answered[a.last_answer]
        out.append(row)
    return out


def answer_words(lang: str) -> dict[LastAnswer, str]:
    """'có' / 'không' / 'chưa đến hạn trả lời' / 'chưa được đôn đốc' for a LastAnswer."""
    from plantrack.config.i18n import gettext_for

    _ = gettext_for(lang)
    return {LastAnswer.ANSWERED: _("yes"), LastAnswer.MISSED: _("no"),
            LastAnswer.WAITING: _("not yet, the reply deadline has not passed"), LastAnswer.NOT_ASKED: _("not asked yet")}


def overdue_table(board: StatusBoard, lang: str, limit: int | None = None) -> list[dict[str, str | int]]:
    """The rows of the `overdue` artifact (the first limit, most late first); working days written as lang groups
    them, the escalation level (1-4, not a count) as a number."""
    from plantrack.config.i18n import format_count, gettext_for

    _ = gettext_for(lang)
    several = len(board.plans) > 1
    out = []
    for o in board.overdue[:limit]:
        row: dict[str, str | int] = {}
        if several:
            row[_("Plan")] = o.plan
        row.update({_("Code"): o.code, _("Title"): o.title, _("Lead"): o.lead, _("Effective deadline"): _day(o.due),
                    _("Working days overdue"): format_count(o.working_days_late, lang),
                    _("Escalation level"): o.level or "-", _("Last report"): _day(o.last_report)})
        out.append(row)
    return out


def board_description(board: StatusBoard, lang: str, limit: int | None = None) -> tuple[str, str]:
    """One-line descriptions of the two artifacts (what, as of when, and how many rows of how many), counts written
    as lang groups them: '1.049' (vi), '1,049' (en)."""
    from plantrack.config.i18n import format_count, gettext_for, ngettext_for

    _, n_ = gettext_for(lang), ngettext_for(lang)
    day = _day(board.today)
    late = sum(a.overdue for a in board.agencies)

    def shown(total: int) -> str:
        if limit is None or total <= limit:
            return ""
        return " " + _("(the first %(shown)s of %(total)s)") % {"shown": format_count(limit, lang),
                                                                 "total": format_count(total, lang)}
    return (_("Lead items of each agency by status, as of %(day)s: %(count)s overdue")
            % {"day": day, "count": format_count(late, lang)} + shown(len(board.agencies)),
            n_("%(count)s overdue item as of %(day)s, most late first",
               "%(count)s overdue items as of %(day)s, most late first", len(board.overdue))
            % {"day": day, "count": format_count(len(board.overdue), lang)} + shown(len(board.overdue)))
