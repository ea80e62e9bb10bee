"""Flow ingest-replies: read the focal points' replies, apply what they report, answer each one."""
from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.events import emit_event

from plantrack.config.settings import load_settings
from plantrack.deployments.specs import REPORTS_CHANGED
from plantrack.flows.naming import day_name
from plantrack.flows.relay import RelayConfigError, RelayUnreachable, raise_relay_failure
from plantrack.flows.results import NO_RESULTS
from plantrack.notifications.board import BoardOptions
from plantrack.notifications.mail.checkins import CheckinOptions
from plantrack.notifications.mail.inbound.ingest import IngestOptions, IngestResult
from plantrack.notifications.run_reports import replies
from plantrack.tasks.board import publish_status_board
from plantrack.tasks.checkins import send_outbox
from plantrack.tasks.replies import ingest_replies

__all__ = ["RelayConfigError", "RelayUnreachable", "ingest_replies_flow"]  # the mail flows' relay errors


@flow(name="ingest-replies", flow_run_name=day_name("ingest-replies"), **NO_RESULTS)
def ingest_replies_flow(today: date | None = None) -> IngestResult:
    """Read every reply waiting in the configured source and answer it (today: default the date in
    PLANTRACK_TIMEZONE).

    Steps: ingest_replies, once per batch until the source (IMAP or Maildir) is drained (each message
    stored raw and committed, then read, matched, authorised, applied in date order, answered with a
    receipt queued in the outbox, then moved out of the source); send_outbox (send lock, batches, the lock
    given back: the check-ins' sending path), so receipts leave by the same transport and dispatcher as
    check-ins (when another run holds the send lock, that run sends them); the artifact `ingest-replies`
    (applied / partly understood / rejected / automated, rejected senders, undeliverable addresses);
    publish_status_board (`plan-status-board`, `overdue`); when a reply changed the board, the event
    plantrack.reports.changed (the publish-calendars deployment runs after it). Fails after all that when the
    relay was unreachable or refused our TLS/AUTH configuration, with the artifact's words in PLANTRACK_LANG (the
    replies are applied; the receipts stay queued for the next run).
    """
    from prefect.runtime import flow_run

    settings = load_settings()
    opts = IngestOptions.from_settings(settings)  # built once here; no secret is a flow parameter
    today = today or settings.today()
    total = None
    while True:
        res = ingest_replies(opts, today)
        total = res if total is None else total + res
        if not res.more:
            break
    sent = send_outbox(CheckinOptions.from_settings(settings), flow_run.id)
    create_markdown_artifact(key="ingest-replies", markdown=replies.markdown(total, sent, settings.lang),
                             description=replies.description(total, settings.lang))
    publish_status_board(BoardOptions.from_settings(settings), today)
    if total.applied or total.partial:  # the deployed publish-calendars runs after this event
        emit_event(REPORTS_CHANGED, resource={"prefect.resource.id": "plantrack.reports"},
                   payload={"applied": total.applied, "partial": total.partial})
    raise_relay_failure(sent.config_error, sent.unreachable, sent.still_queued,
                        replies.relay_failure(sent, settings.lang), done=replies.read_before_failure(total))
    return total
