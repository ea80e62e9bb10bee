"""Prefect tasks of ingest-replies: thin wrappers over the intake use case (one task run per batch of messages)."""
from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from plantrack.notifications.mail.inbound import ingest
from plantrack.notifications.mail.inbound.ingest import IngestOptions, IngestResult


@task(cache_policy=NO_CACHE)
def ingest_replies(opts: IngestOptions, today: date) -> IngestResult:
    """Take one batch from the reply source: store raw, read, apply, queue receipts, remove from the source."""
    result = ingest.ingest_replies(opts, today)
    log = get_run_logger()
    log.info("%s: %d fetched (%d new), %d read: %d applied, %d partly understood, %d not understood, "
             "%d rejected, %d automated, %d bounces, %d duplicates; %d receipts queued", result.source,
             result.fetched, result.stored, result.handled, result.applied, result.partial, result.unclear,
             result.rejected, result.automated, result.bounces, result.duplicates, result.receipts)
    for sender in result.rejected_senders:
        log.warning("rejected: %s", sender)
    for addr in result.undeliverable:
        log.warning("undeliverable: %s", addr)
    return result
