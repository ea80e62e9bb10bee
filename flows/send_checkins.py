"""Flow send-checkins: ask each agency's focal point for this round's status, exactly once."""
from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from plantrack.config.settings import load_settings
from plantrack.notifications.mail.checkins import CheckinOptions, CheckinResult
from plantrack.flows.naming import round_name
from plantrack.flows.relay import RelayConfigError, RelayUnreachable, raise_relay_failure
from plantrack.flows.results import NO_RESULTS
from plantrack.notifications.board import BoardOptions
from plantrack.notifications.run_reports import checkins
from plantrack.tasks.board import publish_status_board
from plantrack.tasks.checkins import run_checkin_round

__all__ = ["RelayConfigError", "RelayUnreachable", "send_checkins"]  # the mail flows' relay errors: one per cause


@flow(name="send-checkins", flow_run_name=round_name("send-checkins"), **NO_RESULTS)
def send_checkins(today: date | None = None, plan_number: str | None = None) -> CheckinResult:
    """Ask every agency with open work for its status (today: default the date in PLANTRACK_TIMEZONE).

    Steps: run_checkin_round, one task for the use case (notifications/mail/checkins.py): take the send
    lock (when another live run holds it, only the artifact says so), open the round (one message per agency
    into the outbox), send everything due in batches, give the lock back; then the artifact `send-checkins`
    and publish_status_board (`plan-status-board`, `overdue`). Fails after the artifacts
    when the relay was unreachable, or refused our TLS/AUTH configuration (RelayConfigError; not
    retried), with the artifact's words in PLANTRACK_LANG: a rerun sends the rest.
    """
    from prefect.runtime import flow_run

    settings = load_settings()
    opts = CheckinOptions.from_settings(settings, plan_number)
    day = today or settings.today()
    result = run_checkin_round(opts, day, flow_run.id)
    create_markdown_artifact(key="send-checkins", markdown=checkins.markdown(result, settings.lang),
                             description=checkins.description(result, settings.lang))
    publish_status_board(BoardOptions.from_settings(settings), day)
    raise_relay_failure(result.config_error, result.unreachable, result.still_queued,
                        checkins.relay_failure(result, settings.lang))
    return result
