"""The board as an Excel workbook (no Prefect): sheets of deliverables, agencies, indicators and overdue items,
headers in the reader's language, real dates shown dd/mm/yyyy, a frozen header row with filters, widths that
fit, status cells coloured as the digest colours them (notifications/palette.py). Written atomically."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timezone
from pathlib import Path

from sqlalchemy.orm import Session

from plantrack.models.board import board
from plantrack.models.digest import sources
from plantrack.models.digest.figures import FigureOptions, PlanFigures, local_day, plan_figures, plans
from plantrack.models.status import OPEN_STATUSES, StatusKey, label
from plantrack.notifications.board import answer_words
from plantrack.notifications.palette import PALETTE

DATE_FORMAT = "DD/MM/YYYY"
MAX_WIDTH = 60  # characters; longer texts wrap
Cell = str | int | float | date | None


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text | long | date | int | number | percent | status


@dataclass(frozen=True)
class Sheet:
    """One sheet: its title, columns and rows (values in column order; a status cell holds its StatusKey)."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell | StatusKey, ...], ...]


@dataclass(frozen=True)
class WorkbookResult:
    path: Path
    sheets: tuple[tuple[str, int], ...]  # (title, data rows)


def workbook_sheets(session: Session, today: date, opts: FigureOptions, lang: str = "vi") -> tuple[Sheet, ...]:
    """The four sheets of every loaded plan (or opts' plan) as of today."""
    from plantrack.config.i18n import gettext_for
    from plantrack.notifications.calendar.events import category_label

    _ = gettext_for(lang)
    every = plans(session, opts.plan_number)
    several = len(every) > 1
    lead_col = (Column(_("Plan")),) if several else ()

    def plan_cell(number: str) -> tuple:
        return (number,) if several else ()

    figures: list[PlanFigures] = [plan_figures(session, p, today, opts, lang) for p in every]
    deliverables, indicators = [], []
    for p in every:
        levels = sources.escalation_levels(session, p.id)
        for r in board(session, today, plan_number=p.number, due_soon_days=opts.due_soon_days,
                       deadlines=opts.deadlines):
            last = local_day(r.last_report_at, opts.tz)
            if r.kind == "deliverable":
                deliverables.append(plan_cell(p.number) + (
                    r.code, r.title, category_label(r.category, lang), r.lead, ", ".join(r.supporting), r.start,
                    r.due, StatusKey(r.status_key), r.progress / 100 if r.progress is not None else None,
                    r.working_days_left if r.status_key in OPEN_STATUSES else None,
                    last,
                    levels.get(r.code)))
            else:
                indicators.append(plan_cell(p.number) + (
                    r.code, r.title, r.lead, r.unit, r.baseline, r.baseline_year, r.target,
                    _direction(r.direction, lang), r.last_value, last, r.due, StatusKey(r.status_key),
                    "-" if r.achieved is None else _("yes") if r.achieved else _("no")))
    agencies = []
    answered = answer_words(lang)
    for f in figures:
        for a in f.agencies:
            agencies.append(plan_cell(f.plan_number) + (
                a.code, a.name, *(n for _k, n in a.counts.by_status), a.counts.total, a.counts.never_reported,
                a.reports_on_time, a.reports_due, a.on_time_rate, answered[a.last_answer], a.missed_in_a_row))
    overdue = [plan_cell(f.plan_number) + (o.code, o.title, o.lead, o.due, o.working_days_late, o.level,
                                            o.last_report)
               for f in figures for o in f.all_overdue]
    statuses = tuple(k for k, _n in figures[0].counts.by_status) if figures else ()
    return (
        Sheet(_("Deliverables"), lead_col + (
            Column(_("Code")), Column(_("Title"), "long"), Column(_("Category")), Column(_("Lead")),
            Column(_("Supporting"), "long"), Column(_("Start"), "date"), Column(_("Effective deadline"), "date"),
            Column(_("Status"), "status"), Column(_("Progress"), "percent"), Column(_("Working days left"), "int"),
            Column(_("Last report"), "date"), Column(_("Escalation level"), "int")), tuple(deliverables)),
        Sheet(_("Agencies"), lead_col + (
            Column(_("Agency")), Column(_("Name"), "long"), *(Column(label(k, lang), "int") for k in statuses),
            Column(_("Lead items"), "int"), Column(_("Never reported"), "int"), Column(_("Answered on time"), "int"),
            Column(_("Check-ins due"), "int"), Column(_("On-time rate"), "percent"),
            Column(_("Answered the last round")), Column(_("Rounds missed in a row"), "int")), tuple(agencies)),
        Sheet(_("Indicators"), lead_col + (
            Column(_("Code")), Column(_("Target text"), "long"), Column(_("Lead")), Column(_("Unit")),
            Column(_("Baseline"), "number"), Column(_("Baseline year"), "int"), Column(_("Target"), "number"),
            Column(_("Direction")), Column(_("Latest value"), "number"), Column(_("Last report"), "date"),
            Column(_("Effective deadline"), "date"), Column(_("Status"), "status"), Column(_("Achieved"))),
            tuple(indicators)),
        Sheet(_("Overdue"), lead_col + (
            Column(_("Code")), Column(_("Title"), "long"), Column(_("Lead")), Column(_("Effective deadline"), "date"),
            Column(_("Working days overdue"), "int"), Column(_("Escalation level"), "int"),
            Column(_("Last report"), "date")), tuple(overdue)),
    )


def _direction(direction: str, lang: str) -> str:
    from plantrack.config.i18n import gettext_for

    _ = gettext_for(lang)
    return {"at_most": _("at most"), "at_least": _("at least"), "more_than": _("more than"),
            "increase": _("increase"), "decrease": _("decrease")}.get(str(direction), str(direction))


def _width(value, kind: str, lang: str) -> int:
    if value is None:
        return 1
    if kind == "date":
        return 10
    if kind == "status":
        return len(label(value, lang))
    if kind == "percent":
        return 5
    return len(str(value))


def write_workbook(sheets: tuple[Sheet, ...], path: Path, lang: str = "vi") -> WorkbookResult:
    """Write sheets to path as .xlsx (a temporary file renamed over path: never half-written)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE1E6")
    fills = {k: PatternFill("solid", fgColor=c.tint.lstrip("#").upper()) for k, c in PALETTE.items()}
    fonts = {k: Font(color=c.text.lstrip("#").upper() if k == StatusKey.OVERDUE else "1A1A1A",
                     bold=k == StatusKey.OVERDUE) for k, c in PALETTE.items()}
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title[:31])  # Excel's limit for a sheet name
        ws.append([c.header for c in sheet.columns])
        for cell in ws[1]:
            cell.font, cell.fill, cell.alignment = bold, header_fill, wrap
        widths = [max(len(w) for w in c.header.split()) + 2 for c in sheet.columns]
        for row in sheet.rows:
            ws.append([label(v, lang) if c.kind == "status" and v is not None else v
                       for c, v in zip(sheet.columns, row)])
            cells = ws[ws.max_row]
            for i, (c, v, cell) in enumerate(zip(sheet.columns, row, cells)):
                widths[i] = max(widths[i], min(MAX_WIDTH, _width(v, c.kind, lang) + 2))
                cell.alignment = wrap if c.kind == "long" else top
                if c.kind == "date":
                    cell.number_format = DATE_FORMAT
                elif c.kind == "percent":
                    cell.number_format = "0%"
                elif c.kind == "status" and v is not None:
                    cell.fill, cell.font = fills[v], fonts[v]
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{max(1, ws.max_row)}"
    save_workbook(wb, Path(path))
    return WorkbookResult(Path(path), tuple((s.title[:31], len(s.rows)) for s in sheets))


def save_workbook(wb, path: Path) -> None:
    """Save an openpyxl workbook to path through a temporary file (never half-written), stamped with clock.now():
    the demo's virtual clock makes the same board the same bytes (openpyxl stamps the system time of saving in
    docProps/core.xml, the zip module its entries)."""
    import re
    import zipfile

    from plantrack.config import clock

    at = clock.now().astimezone(timezone.utc).replace(microsecond=0, tzinfo=None)
    path = Path(path)
    saved, tmp = path.with_name(f".{path.name}.saved"), path.with_name(f".{path.name}.tmp")
    wb.save(saved)
    try:
        with zipfile.ZipFile(saved) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for item in src.infolist():
                data = src.read(item.filename)
                if item.filename == "docProps/core.xml":
                    data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + at.isoformat().encode() + b"Z", data)
                out.writestr(zipfile.ZipInfo(item.filename, at.timetuple()[:6]), data, zipfile.ZIP_DEFLATED)
        os.replace(tmp, path)
    finally:
        saved.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


def export_workbook(session: Session, path: Path, today: date, opts: FigureOptions, lang: str = "vi") -> WorkbookResult:
    """The board as of today written to path as an Excel workbook."""
    return write_workbook(workbook_sheets(session, today, opts, lang), path, lang)
