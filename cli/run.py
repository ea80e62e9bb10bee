"""plantrack run ...: start a Prefect flow now (imports Prefect, so only here)."""
from __future__ import annotations

from typing import Optional

import typer

from plantrack.config.i18n import plural
from plantrack.cli.common import fail, print_out, parse_today, require_schema, settings_for_flows

app = typer.Typer(help="Run a flow now (calendars, checkins, replies, escalate, digest).", no_args_is_help=True)
VERBOSE = typer.Option(False, "--verbose", "-v", help="also print Prefect's logs (they are in the Prefect UI anyway)")


def _api(verbose: bool):
    """PREFECT_API_URL's server, or a local one that stops with this command (even when it is killed)."""
    import os

    if not verbose:  # before Prefect sets up its logging: run logs go to the API (and its UI) only
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    import plantrack.flows  # noqa: F401  (Prefect defaults before Prefect loads)
    from plantrack.deployments.local_api import prefect_api

    return prefect_api()


@app.command()
def calendars(today: Optional[str] = typer.Option(None, "--today", help="evaluate as of YYYY-MM-DD"),
              force: bool = typer.Option(False, "--force", help="rebuild every event even if nothing changed"),
              verbose: bool = VERBOSE):
    """Publish the iCalendar feeds (flow publish-calendars)."""
    settings = settings_for_flows()
    require_schema(settings.database_url)
    day = parse_today(today, settings.timezone)
    api = _api(verbose)
    from plantrack.flows.publish_calendars import publish_calendars_flow

    with api:
        out = publish_calendars_flow(today=day, force=force)
    written = out.written
    shown = ", ".join(written[:8]) + (f" and {len(written) - 8} more" if len(written) > 8 else "")
    head = "nothing changed" if out.unchanged else \
        plural("en", "{n} feed written", "{n} feeds written", len(written)) + (f" ({shown})" if written else "")
    print_out(f"calendars in {settings.feeds_dir}: {head}; {plural('en', '{n} event', '{n} events', out.events)}; "
              f"{plural('en', '{n} date left out', '{n} dates left out', len(out.skipped))}; "
              f"status valid until {out.valid_until}")


@app.command()
def checkins(today: Optional[str] = typer.Option(None, "--today", help="evaluate as of YYYY-MM-DD"),
             verbose: bool = VERBOSE):
    """Queue and send this round's check-in emails (flow send-checkins)."""
    settings = settings_for_flows()
    require_schema(settings.database_url)
    day = parse_today(today, settings.timezone)
    from plantrack.notifications.mail.checkin_round import MailConfigError, mail_identity
    from plantrack.notifications.mail.transports import transport_from_settings

    try:
        mail_identity(settings)  # refuse an unsafe configuration before Prefect starts
        transport_from_settings(settings)
    except MailConfigError as exc:
        fail(str(exc))
    api = _api(verbose)
    from plantrack.flows.send_checkins import RelayConfigError, RelayUnreachable, send_checkins

    try:
        with api:
            out = send_checkins(today=day)
    except (RelayUnreachable, RelayConfigError) as exc:
        fail(str(exc))
    if out.locked_by:
        print_out(f"check-ins: another send-checkins run holds the send lock ({out.locked_by}); "
                        "nothing queued or sent by this run")
        return
    q = out.queued
    print_out(f"check-ins {', '.join(q.round_keys)}: {q.queued} queued now, {q.already_queued} "
                    f"queued before; sent {out.sent}, retried {out.retried}, failed {out.failed + len(q.not_built)}, "
                    f"still queued {out.still_queued} ({out.transport})" + (" [DEMO MODE]" if q.demo else ""))


@app.command()
def replies(today: Optional[str] = typer.Option(None, "--today", help="evaluate as of YYYY-MM-DD"),
            verbose: bool = VERBOSE):
    """Read the replies from IMAP or the Maildir, apply them and send the receipts (flow ingest-replies)."""
    settings = settings_for_flows()
    require_schema(settings.database_url)
    day = parse_today(today, settings.timezone)
    from plantrack.notifications.mail.checkin_round import MailConfigError
    from plantrack.notifications.mail.inbound.ingest import IngestOptions, IntakeNotConfigured, SourceUnavailable

    try:
        IngestOptions.from_settings(settings)  # refuse an unsafe or missing configuration before Prefect starts
        if settings.imap_host is None and settings.maildir is None:
            raise IntakeNotConfigured("no reply source: set PLANTRACK_IMAP_HOST (and _USER, _PASSWORD) or "
                                      "PLANTRACK_MAILDIR")
    except (MailConfigError, IntakeNotConfigured) as exc:
        fail(str(exc))
    api = _api(verbose)
    from plantrack.flows.ingest_replies import ingest_replies_flow

    try:
        with api:
            r = ingest_replies_flow(today=day)
    except SourceUnavailable as exc:
        fail(str(exc))
    print_out(f"replies from {r.source}: {r.fetched} taken ({r.stored} new), {r.handled} read: {r.applied} "
                    f"applied, {r.partial} partly understood, {r.unclear} not understood, {r.rejected} rejected, "
                    f"{r.automated} automated, {r.bounces} bounces, {r.duplicates} duplicates; {r.reports} report "
                    f"lines recorded, {r.receipts} receipts queued")
    for sender in r.rejected_senders:
        print_out(f"  rejected: {sender}")
    for addr in r.undeliverable:
        print_out(f"  undeliverable: {addr}")


@app.command()
def escalate(today: Optional[str] = typer.Option(None, "--today", help="evaluate as of YYYY-MM-DD"),
             verbose: bool = VERBOSE):
    """Record today's escalations and send their emails (flow escalate-overdue); nothing on a day off."""
    settings = settings_for_flows()
    require_schema(settings.database_url)
    day = parse_today(today, settings.timezone)
    from plantrack.models.yamlconf import ConfigFileError
    from plantrack.notifications.mail.checkin_round import MailConfigError
    from plantrack.notifications.mail.escalation import EscalationOptions

    try:
        EscalationOptions.from_settings(settings)  # refuse an unsafe mail setup or a bad ladder before Prefect
    except (MailConfigError, ConfigFileError) as exc:
        fail(str(exc))
    api = _api(verbose)
    from plantrack.flows.escalate_overdue import RelayUnreachable, escalate_overdue_flow

    try:
        with api:
            out = escalate_overdue_flow(today=day)
    except RelayUnreachable as exc:
        fail(str(exc))
    if out.locked_by:
        print_out(f"escalations: another run holds the send lock ({out.locked_by}); nothing recorded or sent")
        return
    if out.day_off:
        print_out(f"escalations {day:%d/%m/%Y}: day off ({out.day_off}); nothing sent")
        return
    per_level: dict[int, int] = {}
    for f in out.fired:
        per_level[f.level] = per_level.get(f.level, 0) + 1
    levels = ", ".join(f"level {lvl}: {n}" for lvl, n in sorted(per_level.items())) or "none"
    print_out(f"escalations {day:%d/%m/%Y}: {len(out.fired)} fired ({levels}); {out.queued} emails queued, "
                    f"{out.resolved} resolved; sent {out.sent}, failed {out.failed}, still queued {out.still_queued} "
                    f"({out.transport})" + (" [DEMO MODE]" if out.demo else ""))


@app.command()
def digest(today: Optional[str] = typer.Option(None, "--today", help="evaluate as of YYYY-MM-DD"),
           plan: Optional[str] = typer.Option(None, "--plan", help="only this plan (default: every plan)"),
           verbose: bool = VERBOSE):
    """Queue and send this week's digest to each plan's Deputy Chair (flow send-weekly-digest)."""
    settings = settings_for_flows()
    require_schema(settings.database_url)
    day = parse_today(today, settings.timezone)
    from plantrack.notifications.mail.checkin_round import MailConfigError, mail_identity
    from plantrack.notifications.mail.transports import transport_from_settings

    try:
        mail_identity(settings)  # refuse an unsafe configuration before Prefect starts
        transport_from_settings(settings)
    except MailConfigError as exc:
        fail(str(exc))
    api = _api(verbose)
    from plantrack.flows.send_weekly_digest import RelayConfigError, RelayUnreachable, send_weekly_digest
    from plantrack.notifications.mail.digest import DigestConfigError

    try:
        with api:
            out = send_weekly_digest(today=day, plan_number=plan)
    except (RelayUnreachable, RelayConfigError, DigestConfigError, LookupError) as exc:
        fail(str(exc).strip("'\""))
    q = out.queued
    for d in q.digests:
        what = "queued now" if d.queued else "already queued this week (not sent again)"
        print_out(f"digest {d.plan} {d.week}: {what}; to {', '.join(d.to)}"
                        + (f", cc {', '.join(d.cc)}" if d.cc else "")
                        + f"; {d.overdue} overdue, {d.new_blockers} new blockers")
    for number in q.no_recipient:
        print_out(f"digest {number}: no recipient (the plan file's digest_to is empty)")
    tail = f"sent {out.sent}, retried {out.retried}, failed {out.failed}, still queued {out.still_queued} " \
           f"({out.transport})" + (" [DEMO MODE]" if q.demo else "")
    if out.locked_by:
        tail = f"another run holds the send lock ({out.locked_by}): it sends the digest"
    print_out(tail)
