"""Flow send-weekly-digest: the Deputy Chair's weekly digest of each plan, exactly once a week."""
from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from plantrack.config.settings import load_settings
from plantrack.flows.naming import week_name
from plantrack.flows.results import NO_RESULTS
from plantrack.flows.relay import RelayConfigError, RelayUnreachable, raise_relay_failure
from plantrack.notifications.board import BoardOptions
from plantrack.notifications.mail.digest import DigestOptions, DigestResult
from plantrack.notifications.run_reports import digest
from plantrack.tasks.board import publish_status_board
from plantrack.tasks.digest import run_digest

__all__ = ["RelayConfigError", "RelayUnreachable", "send_weekly_digest"]  # the check-ins' errors: one per cause


@flow(name="send-weekly-digest", flow_run_name=week_name("send-weekly-digest"), **NO_RESULTS)
def send_weekly_digest(today: date | None = None, plan_number: str | None = None) -> DigestResult:
    """Send each plan's weekly digest to its digest_to people (today: default the date in PLANTRACK_TIMEZONE).

    Steps: run_digest, one task for the use case (notifications/mail/digest.py): queue the digest (the
    figures as of today, compared with the last week's snapshot; the message and this week's snapshot into
    the outbox in one transaction, once a week), then the check-ins' sending path (send lock, batches, the
    lock given back); the artifact `send-weekly-digest`; publish_status_board (`plan-status-board`,
    `overdue`). Fails after the artifacts when the relay was unreachable or refused our TLS/AUTH
    configuration, with the artifact's words in PLANTRACK_LANG (a rerun sends what is queued).
    """
    from prefect.runtime import flow_run

    settings = load_settings()
    day = today or settings.today()
    opts = DigestOptions.from_settings(settings, plan_number)
    result = run_digest(opts, day, flow_run.id)
    create_markdown_artifact(key="send-weekly-digest", markdown=digest.markdown(result, settings.lang),
                             description=digest.description(result, settings.lang))
    publish_status_board(BoardOptions.from_settings(settings), day)
    raise_relay_failure(result.config_error, result.unreachable, result.still_queued,
                        digest.relay_failure(result, settings.lang))
    return result
