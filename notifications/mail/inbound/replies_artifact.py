"""The ingest-replies artifact text (pure): counts, rejected senders, undeliverable addresses."""
from __future__ import annotations

from plantrack.notifications.mail.inbound.ingest import IngestResult


def artifact_markdown(r: IngestResult, sent: int, failed: int, locked_by: str | None) -> str:
    lines = [f"# Replies: {r.source}", "",
             "| applied | partly understood | not understood | rejected | automated | bounces | duplicates "
             "| receipts queued | mail sent |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
             f"| {r.applied} | {r.partial} | {r.unclear} | {r.rejected} | {r.automated} | {r.bounces} "
             f"| {r.duplicates} | {r.receipts} | {sent}{f' ({failed} failed)' if failed else ''} |", "",
             f"{r.fetched} messages taken from the source ({r.stored} new), {r.handled} read, {r.reports} report "
             f"lines recorded.", ""]
    if locked_by:
        lines.append(f"Receipts stay queued: another run ({locked_by}) holds the send lock and sends them.\n")
    if r.rejected_senders:
        lines += ["## Rejected senders", ""] + [f"- {s}" for s in r.rejected_senders] + [""]
    if r.undeliverable:
        lines += ["## Undeliverable addresses (check-ins bounced)", ""] + [f"- {a}" for a in r.undeliverable] + [""]
    partial = [h for h in r.details if h.unclear or h.refused]
    if partial:
        lines += ["## Lines not applied", "", "| from | agency | line | why |", "| --- | --- | --- | --- |"]
        for h in partial[:200]:
            lines += [f"| {h.sender} | {h.agency or ''} | {ln.replace('|', '/')} | not understood |" for ln in h.unclear]
            lines += [f"| {h.sender} | {h.agency or ''} | {ln.replace('|', '/')} | not allowed |" for ln in h.refused]
    return "\n".join(lines)
