"""Act on stored messages: match each to its check-in, check who may report what, apply the understood
lines in date order, record away notices and bounces, queue one receipt per human reply.

The caller owns the session and commits; nothing here talks to a mail server. Matching is in matching.py,
recording the lines in recording.py, the receipts in receipt_queue.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plantrack.models.mail.inbound import InboundMessage, Outcome, end_away, mark_undeliverable, record_away, \
    seen_message_ids, utcnow
from plantrack.models.mail.outbox import CheckinRound, enqueue
from plantrack.notifications.mail.inbound.automated import Auto
from plantrack.notifications.mail.inbound.directory import Directory
from plantrack.notifications.mail.inbound.matching import Matcher, Rejection, Thread
from plantrack.notifications.mail.inbound.reader import ReadMessage, auth_failure, read_message
from plantrack.notifications.mail.inbound.receipt import WORDS
from plantrack.notifications.mail.inbound.receipt_queue import REJECTION_TEXT, ReceiptQueue
from plantrack.notifications.mail.inbound.recording import Recorder


@dataclass(frozen=True)
class IntakeConfig:
    """What reading replies needs to know (no database URL, no server password)."""

    secret: str = field(repr=False)
    mail_from: str = "theodoi@plantrack.localhost"
    sender_name: str = ""
    lang: str = "vi"
    trusted_authserv_id: str | None = None
    attachment_max_bytes: int = 10_000_000
    away_default_days: int = 7
    contact: str = ""  # the address receipts name when the plan names no contact person (default: mail_from)
    timezone: str = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class Handled:
    """What was done with one stored message (for counts, the artifact and tests)."""

    inbound_id: int
    outcome: Outcome
    sender: str | None
    agency: str | None
    reason: str | None
    applied: tuple[str, ...] = ()  # codes
    unclear: tuple[str, ...] = ()  # lines
    refused: tuple[str, ...] = ()  # lines
    receipt: bool = False


class Intake:
    """Handles a batch of stored messages against one Directory; see handle()."""

    def __init__(self, session: Session, cfg: IntakeConfig, today: date):
        self.s, self.cfg, self.today = session, cfg, today
        self.dir = Directory(session)
        self.tz = ZoneInfo(cfg.timezone)
        self.words = WORDS[cfg.lang]
        self.recorder = Recorder(session, self.dir, cfg.lang, self.words, self.tz, cfg.attachment_max_bytes)
        self.our_addresses = {cfg.mail_from.lower()}
        self.our_local = cfg.mail_from.lower().rpartition("@")[0]
        self.our_domain = cfg.mail_from.lower().rpartition("@")[2]

    def handle(self, rows: list[tuple[int, bytes, datetime, str]]) -> list[Handled]:
        """rows: (inbound id, raw, received_at, sha256). Reads, judges and applies them in date order."""
        reads = [(i, read_message(raw), received, sha) for i, raw, received, sha in rows]
        mids = [r.message_id for _, r, _, _ in reads if r.message_id]
        seen = seen_message_ids(self.s, mids, [i for i, *_ in reads]) if mids else set()
        self.matcher = Matcher(self.s, self.cfg.secret, self.today, [r for _, r, _, _ in reads])
        self.rounds = self.matcher.rounds
        self.receipts = ReceiptQueue(self.cfg, self.dir, self.words, self.rounds)

        def when(item) -> datetime:
            _, r, received, _ = item
            return min(r.date, received) if r.date else received
        out: list[Handled] = []
        batch_mids: set[str] = set()
        self.updates: list[dict] = []  # inbound_message rows, written in one statement at the end
        with self.s.no_autoflush:  # one flush for the batch, not one per query
            for item in sorted(reads, key=lambda it: (when(it), it[0])):
                inbound_id, r, received, sha = item
                if r.message_id and (r.message_id in seen or r.message_id in batch_mids):
                    out.append(self._finish(inbound_id, r, when(item), Outcome.DUPLICATE,
                                            "same Message-ID as a message already read"))
                    continue
                if r.message_id:
                    batch_mids.add(r.message_id)
                out.append(self._one(inbound_id, r, received, when(item), sha))
        enqueue(self.s, self.receipts.rows)  # receipts: outbox rows, inserted in one statement
        if self.updates:
            self.s.execute(update(InboundMessage), self.updates)
        return out

    def _finish(self, inbound_id: int, r: ReadMessage, at: datetime, outcome: Outcome, reason: str | None, *,
                round_id=None, agency_id=None, person_id=None, applied=0, unclear=0, refused=0,
                receipt_key=None, codes=(), unclear_lines=(), refused_lines=()) -> Handled:
        self.updates.append({
            "id": inbound_id, "outcome": outcome, "reason": (reason or None) and reason[:2000], "sender": r.sender,
            "subject": r.subject or None, "sent_at": at, "round_id": round_id, "agency_id": agency_id,
            "person_id": person_id, "applied": applied, "not_understood": unclear, "not_allowed": refused,
            "receipt_key": receipt_key, "processed_at": utcnow()})
        code = self.dir.agencies[agency_id].code if agency_id in self.dir.agencies else None
        return Handled(inbound_id, outcome, r.sender, code, reason, tuple(codes), tuple(unclear_lines),
                       tuple(refused_lines), receipt_key is not None)

    def _one(self, inbound_id: int, r: ReadMessage, received: datetime, at: datetime, sha: str) -> Handled:
        if r.defect and not r.sender:
            return self._finish(inbound_id, r, at, Outcome.REJECTED, r.defect)
        sender = r.sender
        if sender and (sender in self.our_addresses
                       or (sender.endswith("@" + self.our_domain) and sender.startswith(self.our_local + "+"))):
            return self._finish(inbound_id, r, at, Outcome.AUTOMATED, "our own message came back")
        if r.auto == Auto.BOUNCE:
            return self._bounce(inbound_id, r, at)
        if r.auto is not None:
            return self._automated(inbound_id, r, at)
        if r.defect:
            return self._reject(inbound_id, r, at, sha, Rejection.UNREADABLE, r.defect)
        failed = auth_failure(r.auth_results, self.cfg.trusted_authserv_id)
        if failed:  # a forged sender: answering would send mail to whoever was impersonated
            return self._finish(inbound_id, r, at, Outcome.REJECTED, f"Authentication-Results: {failed}")
        claims, thread, why, detail = self.matcher.match(r)
        if claims is None:
            return self._reject(inbound_id, r, at, sha, why, detail, thread=thread)
        rnd = self.rounds.get(claims.round_id)
        agency_id = self.dir.final.get(claims.agency_id, claims.agency_id)
        person = self.dir.person_by_email.get(sender or "")
        if person is None:
            return self._reject(inbound_id, r, at, sha, Rejection.UNKNOWN_SENDER, f"unknown sender {sender}",
                                thread=thread, agency_id=agency_id, round_id=claims.round_id)
        person_id, person_name = person
        if agency_id not in self.dir.person_agencies.get(person_id, ()):
            name = self.dir.agency_name(agency_id, self.cfg.lang)
            return self._reject(inbound_id, r, at, sha, Rejection.OTHER_AGENCY,
                                f"{sender} is not a person of {self.dir.agencies[agency_id].code}", thread=thread,
                                agency_id=agency_id, round_id=claims.round_id, fmt={"agency": name})
        day = at.astimezone(self.tz).date()
        spans = self.dir.away.get(person_id, ())
        if any(since <= day <= until for since, until in spans):  # a person who writes is back
            end_away(self.s, person_id, day)
            for span in spans:
                if span[0] <= day <= span[1]:
                    span[1] = day - timedelta(days=1)
        return self._apply(inbound_id, r, at, sha, rnd, agency_id, person_id, person_name, thread)

    # outcomes -----------------------------------------------------------------------------------------

    def _reject(self, inbound_id, r: ReadMessage, at, sha, why: Rejection, detail: str, *, thread=None,
                agency_id=None, round_id=None, fmt=None) -> Handled:
        key = None
        if r.sender and "@" in r.sender:
            rnd = self.rounds.get(round_id or (thread.round_id if thread else None) or -1)
            plan = self.dir.plans.get(rnd.plan_id) if rnd else (r.tag[0] if r.tag else None)
            text = REJECTION_TEXT[self.cfg.lang][why].format(**(fmt or {"agency": ""}))
            key = self.receipts.add(inbound_id, r, sha, at, plan=plan, ref=thread.ref if thread else None,
                                    round_id=round_id, agency_id=None, person_id=None, rejected=text)
        return self._finish(inbound_id, r, at, Outcome.REJECTED, f"{why}: {detail}", round_id=round_id,
                            agency_id=agency_id, receipt_key=key)

    def _automated(self, inbound_id, r: ReadMessage, at: datetime) -> Handled:
        reason = r.auto_reason
        person = self.dir.person_by_email.get(r.sender or "")
        if r.auto == Auto.OUT_OF_OFFICE and person is not None:
            sent = at.astimezone(self.tz).date()
            until = r.away_until(sent)
            given = until is not None
            if until is None:
                until = sent + timedelta(days=self.cfg.away_default_days)
            record_away(self.s, person[0], sent, until, given, inbound_id)
            self.s.flush()
            self.dir.away[person[0]].append([sent, until])
            reason = f"{reason}; away until {until.isoformat()}" + ("" if given else " (no date given: default)")
        return self._finish(inbound_id, r, at, Outcome.AUTOMATED, reason, person_id=person[0] if person else None)

    def _bounce(self, inbound_id, r: ReadMessage, at: datetime) -> Handled:
        thread = self.matcher.threads.get(r.bounced_message_id or "")
        failed = [b for b in r.bounces if b.action == "failed" or b.status.startswith("5")]
        marked = []
        for b in failed:
            ours = thread is not None
            if ours or b.address in self.dir.person_by_email:
                mark_undeliverable(self.s, b.address, b.status or "5.0.0", b.diagnostic, at, inbound_id,
                                   thread.outbox_id if thread else None)
                marked.append(b.address)
        reason = ("undeliverable: " + ", ".join(marked)) if marked else (
            "bounce (delayed or for an address we do not know)" if r.bounces else "bounce without a delivery-status part")
        return self._finish(inbound_id, r, at, Outcome.BOUNCE, reason,
                            round_id=thread.round_id if thread else None, agency_id=thread.agency_id if thread else None)

    def _apply(self, inbound_id, r: ReadMessage, at: datetime, sha: str, rnd: CheckinRound, agency_id: int,
               person_id: int, person_name: str, thread: Thread | None) -> Handled:
        done = self.recorder.record(inbound_id, r, at, rnd.plan_id, agency_id, thread.message if thread else None)
        recorded, unclear, refused = done.recorded, done.unclear, done.refused
        if recorded and not unclear and not refused:
            outcome = Outcome.APPLIED
        elif recorded:
            outcome = Outcome.PARTIAL
        else:
            outcome = Outcome.UNCLEAR
        key = self.receipts.add(inbound_id, r, sha, at, plan=self.dir.plans[rnd.plan_id],
                                ref=thread.ref if thread else None, round_id=rnd.id, agency_id=agency_id,
                                person_id=person_id, agency_name=self.dir.agency_name(agency_id, self.cfg.lang),
                                recorded=recorded, unclear=unclear, refused=refused,
                                attachments=done.attachments, to_name=person_name)
        reason = None if outcome == Outcome.APPLIED else (
            f"{len(unclear)} not understood, {len(refused)} not allowed" if (unclear or refused) else "no report line")
        return self._finish(inbound_id, r, at, outcome, reason, round_id=rnd.id, agency_id=agency_id,
                            person_id=person_id, applied=len(recorded), unclear=len(unclear), refused=len(refused),
                            receipt_key=key, codes=done.codes, unclear_lines=[u.line for u in unclear],
                            refused_lines=[x.line for x in refused])


def handle_stored(session: Session, cfg: IntakeConfig, today: date, ids: list[int]) -> list[Handled]:
    """Read and act on the stored messages ids (pending ones); the caller commits."""
    if not ids:
        return []
    rows = []
    for i in range(0, len(ids), 500):
        rows += session.execute(select(InboundMessage.id, InboundMessage.raw, InboundMessage.received_at,
                                       InboundMessage.sha256)
                                .where(InboundMessage.id.in_(ids[i:i + 500]),
                                       InboundMessage.outcome == Outcome.PENDING)).all()
    return Intake(session, cfg, today).handle(rows)
