"""Flow send-checkins: ask each agency's focal point for this round's status, exactly once."""
from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from plantrack.tasks.checkins import queue_checkins, queued_batches, release_send_lock, send_mail_batch, take_send_lock


class RelayUnreachable(RuntimeError):
    pass


def _artifact(queued: dict, totals: dict) -> str:
    lines = [f"# Check-ins {', '.join(queued['round_keys'])}", "",
             "| queued now | already queued | sent | retried | failed | still queued |",
             "| --- | --- | --- | --- | --- | --- |",
             f"| {queued['queued']} | {queued['already_queued']} | {totals['sent']} | {totals['retried']} "
             f"| {totals['failed']} | {totals['still_queued']} |", ""]
    if queued["demo"]:
        lines.append("**Demo mode**: no PLANTRACK_SECRET_KEY; mail went to the local .eml writer only.\n")
    if queued["missed_last_round"]:
        lines.append(f"Did not answer the last round: {', '.join(queued['missed_last_round'])}\n")
    if queued["skipped_no_contact"]:
        lines.append(f"No focal point (not asked): {', '.join(queued['skipped_no_contact'])}\n")
    if totals["unreachable"]:
        lines.append(f"**Relay unreachable**: {totals['unreachable']}; the messages stay queued.\n")
    if totals["failures"]:
        lines += ["## Failures", "", "| to | subject | reason |", "| --- | --- | --- |"]
        lines += [f"| {f['to']} | {f['subject']} | {f['reason']} |" for f in totals["failures"]]
    return "\n".join(lines)


@flow(name="send-checkins")
def send_checkins(today: date | None = None, database_url: str | None = None, plan_number: str | None = None) -> dict:
    """Steps (today defaults to the current date in PLANTRACK_TIMEZONE): 0. take-send-lock: one sending run at a time; when another live run holds it, this run only
       writes the artifact `send-checkins` saying so and returns {"locked_by": holder, ...} (not a failure:
       the holder is sending the same outbox);
    1. queue-checkins: open the round, write one message per agency with open work to the outbox;
    2. list-queued-mail: what the outbox holds to send (this round's and any left over);
    3. send-queued-mail, once per batch (stops when the relay is unreachable);
    4. a markdown artifact with sent / retried / failed counts and the failures; release-send-lock.
    Fails (after the artifact) when the relay could not be reached; nothing is lost, a rerun sends it.
    """
    from prefect.runtime import flow_run

    lock = take_send_lock(database_url, flow_run.id)
    totals = {"sent": 0, "retried": 0, "failed": 0, "failures": [], "still_queued": 0, "unreachable": None,
              "locked_by": lock["held_by"]}
    if lock["held_by"]:
        create_markdown_artifact(key="send-checkins", description="Check-in emails of this run",
                                 markdown=f"# Check-ins: not sent by this run\n\n**{lock['message']}**. "
                                          "That run sends the outbox; nothing was queued or sent here.\n")
        return {"queued": None, **totals}
    try:
        queued = queue_checkins(today, database_url, plan_number)
        for batch in queued_batches(database_url):
            report = send_mail_batch(batch, database_url, lock["holder"])
            for k in ("sent", "retried", "failed"):
                totals[k] += report[k]
            totals["failures"] += report["failures"]
            totals["still_queued"] = report["still_queued"]
            if report["unreachable"]:
                totals["unreachable"] = report["unreachable"]
                break
    finally:
        release_send_lock(lock["holder"], database_url)
    create_markdown_artifact(key="send-checkins", markdown=_artifact(queued, totals),
                             description="Check-in emails of this run")
    if totals["unreachable"]:
        raise RelayUnreachable(f"SMTP relay unreachable ({totals['unreachable']}); "
                               f"{totals['still_queued']} messages stay queued for the next run")
    return {"queued": queued, **totals}
