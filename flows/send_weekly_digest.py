"""Flow send-weekly-digest: the Deputy Chair's weekly digest of each plan, exactly once a week."""
from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from plantrack.config.settings import load_settings
from plantrack.flows.naming import week_name
from plantrack.flows.results import NO_RESULTS
from plantrack.flows.send_checkins import RelayConfigError, RelayUnreachable
from plantrack.notifications.board import BoardOptions
from plantrack.notifications.mail.digest import DigestOptions, DigestResult
from plantrack.tasks.board import publish_status_board
from plantrack.tasks.digest import run_digest

__all__ = ["RelayConfigError", "RelayUnreachable", "send_weekly_digest"]  # the check-ins' errors: one per cause


def _artifact(result: DigestResult) -> str:
    q = result.queued
    lines = ["# Tóm tắt tuần / weekly digest", "",
             "| plan | week | this run | to | cc | overdue | new blockers |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {d.plan} | {d.week} | {'queued' if d.queued else 'already queued this week'} | {', '.join(d.to)} "
              f"| {', '.join(d.cc) or '-'} | {d.overdue} | {d.new_blockers} |" for d in q.digests]
    lines += ["", f"Sent {result.sent}, retried {result.retried}, failed {result.failed}, still queued "
              f"{result.still_queued} ({result.transport})", ""]
    if q.demo:
        lines.append("**Demo mode**: no PLANTRACK_SECRET_KEY; mail went to the local .eml folder only.\n")
    if q.no_recipient:
        lines.append(f"No digest recipient in the plan file (digest_to): {', '.join(q.no_recipient)}\n")
    if result.locked_by:
        lines.append(f"**{result.lock_message}**: the digest stays queued; that run (or the next) sends it.\n")
    if result.unreachable:
        lines.append(f"**Relay unreachable**: {result.unreachable}; the digest stays queued.\n")
    if result.config_error:
        lines.append(f"**Relay refused our configuration**: {result.config_error}; the digest stays queued.\n")
    for f in result.failures:
        lines.append(f"- failed: {f.to} ({f.subject}): {f.reason}")
    return "\n".join(lines)


@flow(name="send-weekly-digest", flow_run_name=week_name("send-weekly-digest"), **NO_RESULTS)
def send_weekly_digest(today: date | None = None, plan_number: str | None = None) -> DigestResult:
    """Send each plan's weekly digest to its digest_to people (today: default the date in PLANTRACK_TIMEZONE).

    Steps: run_digest, one task for the use case (notifications/mail/digest.py): queue the digest (the
    figures as of today, compared with the last week's snapshot; the message and this week's snapshot into
    the outbox in one transaction, once a week), then the check-ins' sending path (send lock, batches, the
    lock given back); the artifact `send-weekly-digest`; publish_status_board (`plan-status-board`,
    `overdue`). Fails after the artifacts when the relay was unreachable or refused our TLS/AUTH
    configuration (a rerun sends what is queued).
    """
    from prefect.runtime import flow_run

    settings = load_settings()
    day = today or settings.today()
    opts = DigestOptions.from_settings(settings, plan_number)
    result = run_digest(opts, day, flow_run.id)
    create_markdown_artifact(key="send-weekly-digest", markdown=_artifact(result),
                             description="The weekly digest of this run")
    publish_status_board(BoardOptions.from_settings(settings), day)
    if result.config_error:
        raise RelayConfigError(f"SMTP relay configuration error: {result.config_error}; "
                               f"{result.still_queued} messages stay queued")
    if result.unreachable:
        raise RelayUnreachable(f"SMTP relay unreachable ({result.unreachable}); "
                               f"{result.still_queued} messages stay queued for the next run")
    return result
