"""The plantrack command: a thin front door over models (read-only) and flows (run ...)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from plantrack.config.settings import mask_url
from plantrack.cli.common import (console, fail, flag, parse_lang, parse_today, print_out, require_schema, state,
                                  today_option)

app = typer.Typer(help="plantrack: theo dõi tiến độ kế hoạch liên ngành / inter-agency plan tracker.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
plan_app = typer.Typer(help="Load and show plans.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")

@app.callback()
def main(db: Optional[str] = typer.Option(None, "--db", metavar="URL", help="SQLAlchemy URL (default: PLANTRACK_DATABASE_URL)")):
    state.db_url, state._settings = db, None


@app.command()
def init():
    """Create or upgrade the database schema (Alembic)."""
    from plantrack.models.migrate import upgrade

    settings = state.settings()
    try:
        upgrade(settings.database_url)
    except Exception as exc:
        fail(f"cannot initialise {settings.database_url_masked}: {exc.__class__.__name__}: "
             f"{mask_url(str(exc).splitlines()[0])}")
    console().print(f"database ready: {settings.database_url_masked}", highlight=False)


@plan_app.command("load")
def plan_load(files: list[Path] = typer.Argument(..., help="plan YAML files (each names its agency directory)")):
    """Validate each plan file and its directory, then upsert both in one transaction a file (unchanged files: nothing).

    Files load in order; the first one with problems stops the run and writes nothing, the ones before it stay loaded.
    """
    from plantrack.models.plan.file import PlanFileError, PlanLimits
    from plantrack.models.plan.load import load_plans

    settings = state.settings()
    try:
        limits = PlanLimits.from_settings(settings)
    except ValueError as exc:
        fail(str(exc))
    url = settings.database_url
    require_schema(url)
    done = 0  # files loaded or found unchanged, in order: the one after them is the one with problems
    try:
        for _, summary in load_plans(state.session_factory(), files, limits=limits):
            done += 1
            verb = "loaded" if summary.changed else "unchanged"
            console().print(f"plan {summary.plan_number} {verb}: deliverables {summary.deliverables}; "
                            f"indicators {summary.indicators}; agencies {summary.agencies}; people {summary.people}",
                            highlight=False)
    except PlanFileError as exc:
        n = len(exc.problems)
        fail(f"{files[done]}: {n} problem{'s' if n > 1 else ''}, nothing was loaded:\n"
             + "\n".join(f"  {p}" for p in exc.problems))


@plan_app.command("show")
def plan_show():
    """List loaded plans with their counts."""
    from sqlalchemy import func, select

    from plantrack.models.entities import Deliverable, Indicator, Plan

    url = state.settings().database_url
    require_schema(url)
    with state.session_factory()() as s:
        plans = s.scalars(select(Plan).order_by(Plan.number)).all()
        if not plans:
            fail("no plan loaded: run 'plantrack plan load FILE'")
        for p in plans:
            nd = s.scalar(select(func.count()).where(Deliverable.plan_id == p.id, Deliverable.archived.is_(False)))
            ni = s.scalar(select(func.count()).where(Indicator.plan_id == p.id, Indicator.archived.is_(False)))
            console().print(f"[bold]{p.number}[/] {p.title}\n  {p.issuer}, {p.issued_on:%d/%m/%Y}; "
                          f"{p.signer or ''}\n  {p.period_start:%d/%m/%Y} - {p.period_end:%d/%m/%Y}; "
                          f"{nd} deliverables, {ni} indicators; source sha256 {p.source_sha256 or '-'}",
                          highlight=False)


STATUS_THRESHOLD = 200  # more rows than this: a summary and the most urgent rows instead of every row


@app.command()
def status(
    agency: Optional[str] = typer.Option(None, "--agency", metavar="CODE", help="only what this agency leads or supports"),
    overdue: bool = flag("--overdue", help="only overdue deliverables (--status overdue, no indicators)"),
    today: Optional[str] = today_option(),
    as_json: bool = flag("--json", help="a JSON array, one object a line, streamed (every matching row)"),
    lang: Optional[str] = typer.Option(None, "--lang", metavar="vi|en", help="the language (default: PLANTRACK_LANG)"),
    plan: Optional[str] = typer.Option(None, "--plan", metavar="NUMBER", help="only this plan (its number, e.g. 60/KH-UBND)"),
    category: Optional[str] = typer.Option(None, "--category", metavar="NAME", help="only this category (e.g. training, report, indicator)"),
    status_: Optional[list[str]] = typer.Option(None, "--status", metavar="STATUS", help="only these statuses (repeat or comma-separate): "
                                                "not_started, on_track, due_soon, overdue, done_on_time, done_late, paused, cancelled"),
    all_rows: bool = flag("--all", help="every row (plain fixed-width text when there are many)"),
    limit: Optional[int] = typer.Option(None, "--limit", min=0, metavar="N", help="show the summary and the N most urgent rows"),
    by: Optional[str] = typer.Option(None, "--by", metavar="plan|agency", help="summary per 'plan' or per lead 'agency' (default: plan when several)"),
):
    """The board: every deliverable and indicator with its derived status (a summary first when there are many)."""
    from plantrack.models.board import BoardQuery, iter_board
    from plantrack.models.status import StatusKey

    settings = state.settings()
    lang = parse_lang(lang, settings.lang)
    day = parse_today(today, settings.timezone)
    statuses: set[StatusKey] = set()
    for part in (p.strip() for v in status_ or () for p in v.split(",")):
        try:
            statuses.add(StatusKey(part))
        except ValueError:
            fail(f"--status {part!r} is not a status (one of: {', '.join(StatusKey)})")
    if overdue:
        statuses.add(StatusKey.OVERDUE)
    if category is not None:
        from plantrack.models.plan.schema import CATEGORIES

        if category not in (*CATEGORIES, "indicator"):
            fail(f"--category {category!r} is not a category (one of: {', '.join((*CATEGORIES, 'indicator'))})")
    group_by = None
    if by is not None:
        from plantrack.models.board_view import GroupBy

        try:
            group_by = GroupBy(by)
        except ValueError:
            fail(f"--by {by!r}: use 'plan' or 'agency'")
    require_schema(settings.database_url)
    query = BoardQuery(agency=agency, plan=plan, category=category, statuses=frozenset(statuses),
                       indicators=not overdue, due_soon_days=settings.due_soon_days, deadlines=state.deadlines())
    with state.engine().connect() as conn:
        try:
            rows = iter_board(conn, day, query)
        except LookupError:
            fail(f"unknown agency code {agency!r}: see 'plantrack agencies'")
        if plan is not None and not _plan_exists(conn, plan):
            fail(f"no plan {plan!r} loaded: see 'plantrack plan show'")
        try:
            _print_status(rows, day, lang, agency, as_json, all_rows, limit, group_by)
        except BrokenPipeError:  # `plantrack status --json | head`: the reader has what it wanted
            import os
            import sys

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0)


def _plan_exists(conn, number: str) -> bool:
    from sqlalchemy import select

    from plantrack.models.tables import plan as plans

    return conn.scalar(select(plans.c.id).where(plans.c.number == number)) is not None


def _print_status(rows, day, lang: str, agency: str | None, as_json: bool, all_rows: bool, limit: int | None,
                  group_by) -> None:
    from plantrack.cli import board as out

    if as_json:
        out.write_json(rows, lang)
        return
    words = out.Words(lang)
    if all_rows:
        out.print_all(rows, words, day, agency)
        return
    from plantrack.models.board_view import board_view

    view = board_view(rows, threshold=STATUS_THRESHOLD, limit=limit, group_by=group_by)
    if view.complete:
        out.print_small(view, words, day, agency)
    else:
        out.print_summary(view, words, day, agency)


@app.command()
def agencies(as_json: bool = flag("--json")):
    """The agency directory: codes, names, kinds, successors and contacts."""
    from sqlalchemy import select

    from plantrack.models.entities import Agency, AgencyContact, Person

    require_schema(state.settings().database_url)
    with state.session_factory()() as s:
        ags = s.scalars(select(Agency).order_by(Agency.kind, Agency.code)).all()
        codes = {a.id: a.code for a in ags}
        contacts: dict[int, list[str]] = {}
        for c, p in s.execute(select(AgencyContact, Person).join(Person, Person.id == AgencyContact.person_id)
                              .order_by(AgencyContact.role)).all():
            contacts.setdefault(c.agency_id, []).append(f"{c.role}: {p.name} <{p.email}>")
    if as_json:
        print_out(json.dumps([{"code": a.code, "name": a.name, "name_en": a.name_en, "kind": a.kind,
                               "aliases": a.aliases, "successor": codes.get(a.successor_id),
                               "contacts": contacts.get(a.id, [])} for a in ags], ensure_ascii=False, indent=1))
        return
    from rich.table import Table

    table = Table(title="Cơ quan / Agencies")
    for col in ("Code", "Tên / Name", "Kind", "Successor", "Contacts"):
        table.add_column(col, overflow="fold")
    for a in ags:
        table.add_row(a.code, a.name, a.kind, codes.get(a.successor_id) or "", "\n".join(contacts.get(a.id, [])))
    console().print(table)


@app.command()
def report(
    code: str = typer.Argument(..., help="deliverable or indicator code, e.g. III.4 or VI.1/SYT or II.1"),
    plan: str = typer.Option("60/KH-UBND", "--plan"),
    state_: Optional[str] = typer.Option(None, "--state", help="not_started, in_progress, done, paused, cancelled, "
                                                              "blocked"),
    progress: Optional[int] = typer.Option(None, "--progress", help="0-100"),
    value: Optional[str] = typer.Option(None, "--value", help="indicator value, e.g. 1.37"),
    note: Optional[str] = typer.Option(None, "--note"),
    today: Optional[str] = today_option("report date YYYY-MM-DD"),
    by: Optional[str] = typer.Option(None, "--by", help="agency code the report is from (counts as its answer to the round)"),
):
    """Record a progress report by hand (a coordinator fixing what email could not); at least one of
    --state, --progress, --value, --note. With --today the report is dated that day, at the current time."""
    import unicodedata
    from datetime import datetime, timezone
    from decimal import Decimal, InvalidOperation
    from zoneinfo import ZoneInfo

    from plantrack.cli import common
    from plantrack.models.reports import ReportIn, UnknownCode, record_report

    if note is not None:
        note = unicodedata.normalize("NFC", note).strip() or None
    if state_ is None and progress is None and value is None and note is None:
        fail(f"nothing to report for {code}: give at least one of --state, --progress, --value or --note")
    settings = state.settings()
    day = parse_today(today, settings.timezone)
    tz = ZoneInfo(settings.timezone)
    current = common.now()
    # --today dates the report on that day at the current time of day (in the plan's zone), so reports
    # entered one after the other on a replayed day keep their order, and none is dated after that day.
    at = datetime.combine(day, current.astimezone(tz).time(), tz).astimezone(timezone.utc) if today else current
    try:
        val = Decimal(value.replace(",", ".")) if value is not None else None
    except InvalidOperation:
        fail(f"--value {value!r} is not a number")
    require_schema(settings.database_url)
    Session = state.session_factory()
    with Session() as s, s.begin():
        agency_id = None
        if by is not None:
            from sqlalchemy import select

            from plantrack.models.entities import Agency

            agency_id = s.scalar(select(Agency.id).where(Agency.code == by))
            if agency_id is None:
                fail(f"--by {by!r}: no such agency code (see 'plantrack agencies')")
        try:
            record_report(s, plan, ReportIn(code=code, state=state_, progress=progress, value=val, note=note),
                          at=at, channel="cli", agency_id=agency_id)
        except UnknownCode:
            fail(f"no deliverable or indicator {code!r} in plan {plan}")
        except ValueError as exc:
            fail(str(exc))
    console().print(f"recorded report for {code}", highlight=False)


from plantrack.cli.escalations import escalations as _escalations  # noqa: E402  (read-only: no Prefect)

app.command("escalations")(_escalations)


@app.command()
def inbox(
    rejected: bool = flag("--rejected", help="only rejected messages"),
    as_json: bool = flag("--json", help="one JSON object per message"),
    limit: int = typer.Option(200, "--limit", help="newest N messages"),
):
    """Stored incoming messages with their outcome, and the addresses check-ins bounced from (read-only)."""
    from plantrack.models.mail.inbound import inbox as inbox_rows, undeliverable

    require_schema(state.settings().database_url)
    with state.session_factory()() as s:
        rows = inbox_rows(s, rejected_only=rejected, limit=limit)
        bounced = [(u.email, u.status, u.diagnostic, u.last_at) for u in undeliverable(s)]
    if as_json:
        print_out(json.dumps({"messages": [{"id": r.id, "received_at": r.received_at.isoformat(), "sender": r.sender,
                                            "subject": r.subject, "outcome": r.outcome, "reason": r.reason,
                                            "agency": r.agency, "applied": r.applied,
                                            "not_understood": r.not_understood, "not_allowed": r.not_allowed,
                                            "source": r.source} for r in rows],
                              "undeliverable": [{"email": e, "status": st, "diagnostic": d,
                                                 "last_at": at.isoformat()} for e, st, d, at in bounced]},
                             ensure_ascii=False, indent=1))
        return
    from rich.table import Table

    table = Table(title="Thư đến / Inbox" + (" (rejected)" if rejected else ""))
    for col in ("#", "Received", "From", "Agency", "Outcome", "Lines", "Reason / Subject"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r.id), f"{r.received_at:%d/%m/%Y %H:%M}", r.sender or "", r.agency or "", str(r.outcome),
                      f"{r.applied}/{r.not_understood}/{r.not_allowed}", r.reason or r.subject or "")
    console().print(table)
    console().print(f"{len(rows)} messages (lines: applied/not understood/not allowed)", highlight=False)
    if bounced:
        console().print("Undeliverable addresses (check-ins bounced): "
                      + ", ".join(f"{e} ({st})" for e, st, _, _ in bounced), highlight=False)


@app.command()
def export(
    xlsx: Path = typer.Option(..., "--xlsx", help="write the board to this Excel file (.xlsx)"),
    today: Optional[str] = today_option(),
    lang: Optional[str] = typer.Option(None, "--lang", help="vi or en (headers and words)"),
    plan: Optional[str] = typer.Option(None, "--plan", help="only this plan (default: every plan)"),
):
    """The board as an Excel workbook: deliverables, agencies, indicators and overdue items."""
    from plantrack.models.digest.figures import FigureOptions
    from plantrack.notifications.workbook import export_workbook

    settings = state.settings()
    lang = parse_lang(lang, settings.lang)
    day = parse_today(today, settings.timezone)
    if xlsx.suffix.lower() != ".xlsx":
        fail(f"--xlsx {xlsx}: the file name must end in .xlsx")
    if not xlsx.parent.is_dir():
        fail(f"--xlsx {xlsx}: no such folder {xlsx.parent}")
    require_schema(settings.database_url)
    with state.session_factory()() as s:
        try:
            out = export_workbook(s, xlsx, day, FigureOptions.from_settings(settings, plan), lang)
        except LookupError as exc:
            fail(str(exc).strip("'\""))
    sheets = ", ".join(f"{name} {n}" for name, n in out.sheets)
    console().print(f"{out.path}: {sheets} (as of {day:%d/%m/%Y})", highlight=False)


@app.command()
def serve():
    """Serve every scheduled flow (needs a Prefect server: `prefect server start` and PREFECT_API_URL)."""
    import os
    import urllib.request

    api = os.environ.get("PREFECT_API_URL")
    if not api:
        fail("schedules need a Prefect server: run `prefect server start`, then "
             "`export PREFECT_API_URL=http://127.0.0.1:4200/api` and `plantrack serve` again")
    try:
        urllib.request.urlopen(f"{api.rstrip('/')}/health", timeout=5).close()
    except OSError as exc:
        fail(f"no Prefect server answers at PREFECT_API_URL={api} ({exc}): start one with `prefect server start`")
    state.settings()  # a bad PLANTRACK_* value stops here, not inside a scheduled run
    from plantrack.deployments.serve import main as serve_deployments

    serve_deployments()


from plantrack.cli import demo, feeds, mail, run  # noqa: E402  (groups of commands; none imports prefect at load)

app.command()(demo.demo)

app.add_typer(run.app, name="run")
app.add_typer(feeds.app, name="feeds")
app.add_typer(mail.app, name="mail")

from plantrack.cli.plan_import import register as _register_plan_import  # noqa: E402

_register_plan_import(plan_app)
