"""Flow send-checkins: ask each agency's focal point for this round's status, exactly once."""
from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from plantrack.config.settings import load_settings
from plantrack.notifications.mail.checkins import CheckinOptions, CheckinResult
from plantrack.flows.naming import round_name
from plantrack.flows.results import NO_RESULTS
from plantrack.notifications.board import BoardOptions
from plantrack.tasks.board import publish_status_board
from plantrack.tasks.checkins import run_checkin_round


class RelayUnreachable(RuntimeError):
    pass


class RelayConfigError(RuntimeError):
    """The relay refused our TLS/certificate/AUTH configuration: fix a setting, then rerun."""


def _artifact(result: CheckinResult) -> str:
    if result.queued is None:
        return (f"# Check-ins: not sent by this run\n\n**{result.lock_message}**. "
                "That run sends the outbox; nothing was queued or sent here.\n")
    q = result.queued
    lines = [f"# Check-ins {', '.join(q.round_keys)}", "",
             "| queued now | already queued | sent | retried | failed | still queued |",
             "| --- | --- | --- | --- | --- | --- |",
             f"| {q.queued} | {q.already_queued} | {result.sent} | {result.retried} "
             f"| {result.failed} | {result.still_queued} |", "", f"Sent through: {result.transport}", ""]
    if q.demo:
        lines.append("**Demo mode**: no PLANTRACK_SECRET_KEY; mail went to the local .eml folder only.\n")
    if q.missed_last_round:
        lines.append(f"Did not answer the last round (no accepted report by email or `plantrack report --by` since its "
                     f"check-in): {', '.join(q.missed_last_round)}\n")
    if q.skipped_no_contact:
        lines.append(f"No focal point (not asked): {', '.join(q.skipped_no_contact)}\n")
    if result.unreachable:
        lines.append(f"**Relay unreachable**: {result.unreachable}; the messages stay queued.\n")
    if result.config_error:
        lines.append(f"**Relay configuration error** ({result.relay_problem}): {result.config_error}; "
                     "nothing more was sent, the messages stay queued.\n")
    if result.failures or q.not_built:
        lines += ["## Failures", "", "| to | subject | reason |", "| --- | --- | --- |"]
        lines += [f"| {nb.to} | {nb.agency} | {nb.reason} |" for nb in q.not_built]
        lines += [f"| {f.to} | {f.subject} | {f.reason} |" for f in result.failures]
    return "\n".join(lines)


@flow(name="send-checkins", flow_run_name=round_name("send-checkins"), **NO_RESULTS)
def send_checkins(today: date | None = None, plan_number: str | None = None) -> CheckinResult:
    """Ask every agency with open work for its status (today: default the date in PLANTRACK_TIMEZONE).

    Steps: run_checkin_round, one task for the use case (notifications/mail/checkins.py): take the send
    lock (when another live run holds it, only the artifact says so), open the round (one message per agency
    into the outbox), send everything due in batches, give the lock back; then the artifact `send-checkins`
    and publish_status_board (`plan-status-board`, `overdue`). Fails after the artifacts
    when the relay was unreachable, or refused our TLS/AUTH configuration (RelayConfigError; not
    retried): a rerun sends the rest.
    """
    from prefect.runtime import flow_run

    settings = load_settings()
    opts = CheckinOptions.from_settings(settings, plan_number)
    day = today or settings.today()
    result = run_checkin_round(opts, day, flow_run.id)
    create_markdown_artifact(key="send-checkins", markdown=_artifact(result),
                             description="Check-in emails of this run")
    publish_status_board(BoardOptions.from_settings(settings), day)
    if result.config_error:
        raise RelayConfigError(f"SMTP relay configuration error: {result.config_error}; "
                               f"{result.still_queued} messages stay queued")
    if result.unreachable:
        raise RelayUnreachable(f"SMTP relay unreachable ({result.unreachable}); "
                               f"{result.still_queued} messages stay queued for the next run")
    return result
