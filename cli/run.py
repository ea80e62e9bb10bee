"""plantrack run ...: start a Prefect flow now (imports Prefect, so only here)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Optional

import typer

from plantrack.config.i18n import plural
from plantrack.cli.common import (err_console, fail, flag, parse_today, print_wrapped, require_schema,
                                  settings_for_flows, today_option)

app = typer.Typer(help="Run a flow now (calendars, checkins, replies, escalate, digest).", no_args_is_help=True)
VERBOSE = flag("--verbose", "-v", help="also print Prefect's logs (they are in the Prefect UI anyway)")
TODAY = today_option()


def _api(verbose: bool):
    """PREFECT_API_URL's server, or a local one that stops with this command (even when it is killed)."""
    import os

    if not verbose:  # before Prefect sets up its logging: run logs go to the API (and its UI) only
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    import plantrack.flows  # noqa: F401  (Prefect defaults before Prefect loads)
    from plantrack.deployments.local_api import prefect_api

    return prefect_api()


def _below_error(record) -> bool:
    return record.levelno < 40  # logging.ERROR


def _prefect_console_handler():
    """The handler through which Prefect prints logs to stderr (set up when Prefect's flow API is first imported)."""
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler

    return next((h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)), None)


def _console_shows_errors(verbose: bool) -> None:
    """Without --verbose, Prefect's console shows warnings but no errors or tracebacks: the command reports a failed
    run in one line of its own, and the run's logs stay in the Prefect UI (call after Prefect set up logging)."""
    handler = _prefect_console_handler()
    if handler is not None:
        (handler.removeFilter if verbose else handler.addFilter)(_below_error)


def _progress(verbose: bool, text: str):
    """A spinner with text on a terminal's stderr while the run goes; nothing with --verbose (Prefect's logs print
    there) or when stderr is a pipe or a file. Drawn on Prefect's own console, so that a warning it prints meanwhile
    goes above the spinner instead of onto its line."""
    from contextlib import nullcontext

    handler = _prefect_console_handler()
    console = handler.console if handler is not None else err_console()
    return nullcontext() if verbose or not console.is_terminal else console.status(text)


def _run_flow(today: str | None, verbose: bool, start: Callable[[date], tuple[Callable, tuple]],
              check: Callable | None = None):
    """(settings, day, result) of running a flow now; its relay or source errors exit 1 with their message.

    check(settings) refuses a bad configuration before Prefect starts; start(day) imports the flow once
    Prefect is set up and returns (the call of the flow, the errors that end the command).
    """
    settings = settings_for_flows()
    require_schema(settings.database_url)
    day = parse_today(today, settings.timezone)
    if check is not None:
        check(settings)
    api = _api(verbose)
    call, errors = start(day)
    _console_shows_errors(verbose)
    name = call.func.name  # the flow's
    try:
        with _progress(verbose, f"{name}: connecting to the Prefect API") as status, api:
            if status is not None:
                status.update(f"{name}: running (its logs are in the Prefect UI)")
            return settings, day, call()
    except errors as exc:
        from plantrack.flows.relay import RelayFailure

        if isinstance(exc, RelayFailure):
            fail(exc.english)  # the CLI speaks English; the Prefect UI shows str(exc), in PLANTRACK_LANG
        fail(str(exc).strip("'\"") if isinstance(exc, LookupError) else str(exc))  # a KeyError's text is quoted


def _check_mail(settings) -> None:
    """Exit when the mail identity or the transport of settings is unsafe."""
    from plantrack.notifications.mail.checkin_round import MailConfigError, mail_identity
    from plantrack.notifications.mail.transports import transport_from_settings

    try:
        mail_identity(settings)
        transport_from_settings(settings)
    except MailConfigError as exc:
        fail(str(exc))


def _where(destination) -> str:
    """Where the run's mail went, in the CLI's English."""
    return destination.describe("en") if destination else "-"


def _sending(out, failed: int, demo: bool) -> str:
    """What the outbox step of a run did, as the summaries end."""
    return (f"sent {out.sent}, retried {out.retried}, failed {failed}, still queued {out.still_queued} "
            f"({_where(out.transport)})" + (" [DEMO MODE]" if demo else ""))


@app.command()
def calendars(today: Optional[str] = TODAY,
              force: bool = flag("--force", help="rebuild every event even if nothing changed"),
              verbose: bool = VERBOSE):
    """Publish the iCalendar feeds (flow publish-calendars)."""
    def start(day):
        from plantrack.flows.publish_calendars import publish_calendars_flow

        return partial(publish_calendars_flow, today=day, force=force), ()
    settings, _, out = _run_flow(today, verbose, start)
    written = out.written
    shown = ", ".join(written[:8]) + (f" and {len(written) - 8} more" if len(written) > 8 else "")
    head = "nothing changed" if out.unchanged else \
        plural("en", "{n} feed written", "{n} feeds written", len(written)) + (f" ({shown})" if written else "")
    print_wrapped(f"calendars in {settings.feeds_dir}: {head}; {plural('en', '{n} event', '{n} events', out.events)}; "
                  f"{plural('en', '{n} date left out', '{n} dates left out', len(out.skipped))}; "
                  f"status valid until {out.valid_until}")


@app.command()
def checkins(today: Optional[str] = TODAY, verbose: bool = VERBOSE):
    """Queue and send this round's check-in emails (flow send-checkins)."""
    def start(day):
        from plantrack.flows.send_checkins import RelayConfigError, RelayUnreachable, send_checkins

        return partial(send_checkins, today=day), (RelayUnreachable, RelayConfigError)
    _, _, out = _run_flow(today, verbose, start, _check_mail)
    if out.locked_by:
        print_wrapped(f"check-ins: another send-checkins run holds the send lock ({out.locked_by}); "
                      "nothing queued or sent by this run")
        return
    q = out.queued
    print_wrapped(f"check-ins {', '.join(q.round_keys)}: {q.queued} queued now, {q.already_queued} queued before; "
                  + _sending(out, out.failed + len(q.not_built), q.demo))


def _check_intake(settings) -> None:
    """Exit when reply intake is unsafe or has no source."""
    from plantrack.notifications.mail.checkin_round import MailConfigError
    from plantrack.notifications.mail.inbound.ingest import IngestOptions, IntakeNotConfigured

    try:
        IngestOptions.from_settings(settings)
        if settings.imap_host is None and settings.maildir is None:
            raise IntakeNotConfigured("no reply source: set PLANTRACK_IMAP_HOST (and _USER, _PASSWORD) or "
                                      "PLANTRACK_MAILDIR")
    except (MailConfigError, IntakeNotConfigured) as exc:
        fail(str(exc))


@app.command()
def replies(today: Optional[str] = TODAY, verbose: bool = VERBOSE):
    """Read the replies from IMAP or the Maildir, apply them and send the receipts (flow ingest-replies)."""
    def start(day):
        from plantrack.flows.ingest_replies import RelayConfigError, RelayUnreachable, ingest_replies_flow
        from plantrack.notifications.mail.inbound.ingest import SourceUnavailable

        return partial(ingest_replies_flow, today=day), (SourceUnavailable, RelayUnreachable, RelayConfigError)
    _, _, r = _run_flow(today, verbose, start, _check_intake)
    print_wrapped(f"replies from {r.source}: {r.fetched} taken ({r.stored} new), {r.handled} read: {r.applied} "
                  f"applied, {r.partial} partly understood, {r.unclear} not understood, {r.rejected} rejected, "
                  f"{r.automated} automated, {r.bounces} bounces, {r.duplicates} duplicates; {r.reports} report "
                  f"lines recorded, {r.receipts} receipts queued")
    for sender in r.rejected_senders:
        print_wrapped(f"  rejected: {sender}")
    for addr in r.undeliverable:
        print_wrapped(f"  undeliverable: {addr}")


def _check_escalation(settings) -> None:
    """Exit when the mail setup is unsafe or the ladder or working-days file is bad."""
    from plantrack.models.yamlconf import ConfigFileError
    from plantrack.notifications.mail.checkin_round import MailConfigError
    from plantrack.notifications.mail.escalation import EscalationOptions

    try:
        EscalationOptions.from_settings(settings)
    except (MailConfigError, ConfigFileError) as exc:
        fail(str(exc))


@app.command()
def escalate(today: Optional[str] = TODAY, verbose: bool = VERBOSE):
    """Record today's escalations and send their emails (flow escalate-overdue); nothing on a day off."""
    def start(day):
        from plantrack.flows.escalate_overdue import RelayConfigError, RelayUnreachable, escalate_overdue_flow

        return partial(escalate_overdue_flow, today=day), (RelayUnreachable, RelayConfigError)
    _, day, out = _run_flow(today, verbose, start, _check_escalation)
    if out.locked_by:
        print_wrapped(f"escalations: another run holds the send lock ({out.locked_by}); nothing recorded or sent")
        return
    if out.day_off:
        print_wrapped(f"escalations {day:%d/%m/%Y}: day off ({out.day_off}); nothing sent")
        return
    per_level: dict[int, int] = {}
    for f in out.fired:
        per_level[f.level] = per_level.get(f.level, 0) + 1
    levels = ", ".join(f"level {lvl}: {n}" for lvl, n in sorted(per_level.items())) or "none"
    print_wrapped(f"escalations {day:%d/%m/%Y}: {len(out.fired)} fired ({levels}); {out.queued} emails queued, "
                  f"{out.resolved} resolved; sent {out.sent}, failed {out.failed}, still queued {out.still_queued} "
                  f"({_where(out.transport)})" + (" [DEMO MODE]" if out.demo else ""))


@app.command()
def digest(today: Optional[str] = TODAY,
           plan: Optional[str] = typer.Option(None, "--plan", help="only this plan (default: every plan)"),
           verbose: bool = VERBOSE):
    """Queue and send this week's digest to each plan's Deputy Chair (flow send-weekly-digest)."""
    def start(day):
        from plantrack.flows.send_weekly_digest import RelayConfigError, RelayUnreachable, send_weekly_digest
        from plantrack.notifications.mail.digest import DigestConfigError

        return (partial(send_weekly_digest, today=day, plan_number=plan),
                (RelayUnreachable, RelayConfigError, DigestConfigError, LookupError))
    _, _, out = _run_flow(today, verbose, start, _check_mail)
    q = out.queued
    for d in q.digests:
        what = "queued now" if d.queued else "already queued this week (not sent again)"
        print_wrapped(f"digest {d.plan} {d.week}: {what}; to {', '.join(d.to)}"
                      + (f", cc {', '.join(d.cc)}" if d.cc else "")
                      + f"; {d.overdue} overdue, {d.new_blockers} new blockers")
    for number in q.no_recipient:
        print_wrapped(f"digest {number}: no recipient (the plan file's digest_to is empty)")
    tail = _sending(out, out.failed, q.demo)
    if out.locked_by:
        tail = f"another run holds the send lock ({out.locked_by}): it sends the digest"
    print_wrapped(tail)
