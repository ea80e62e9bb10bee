"""Read stored messages and act on them: match each to its check-in, check who may report what, apply
the understood lines in date order, record away notices and bounces, queue one receipt per human reply.

The caller owns the session and commits; nothing here talks to a mail server.
"""
from __future__ import annotations

import email
import hashlib
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plantrack.models.board import successor_map
from plantrack.models.entities import Agency, AgencyContact, Deliverable, Indicator, Person, Plan, \
    deliverable_support
from plantrack.models.mail.inbound import InboundAttachment, InboundMessage, Outcome, PersonAway, end_away, \
    mark_undeliverable, record_away, seen_message_ids, utcnow
from plantrack.models.mail.outbox import CheckinRound, Outbox, enqueue
from plantrack.models.reports import ReportIn, record_report
from plantrack.notifications.mail.checkin_message import TEMPLATES
from plantrack.notifications.mail.inbound.automated import Auto
from plantrack.notifications.mail.inbound.lines import CodeBook, Kind, Problem, Report, Said, Target, Unclear, \
    fold, read_lines
from plantrack.notifications.mail.inbound.reader import ReadMessage, auth_failure, read_message
from plantrack.notifications.mail.inbound.receipt import WORDS, ReceiptData, ReceiptLine, build_receipt
from plantrack.notifications.mail.tokens import BadToken, ReplyClaims, verify_reply_token


class Rejection(StrEnum):
    """Why a message changed nothing (the receipt says it in the reader's language)."""

    UNREADABLE = "unreadable"
    AUTH_FAILED = "auth_failed"
    NO_CHECKIN = "no_checkin"
    BAD_TOKEN = "bad_token"
    EXPIRED_TOKEN = "expired_token"
    TOKEN_MISMATCH = "token_mismatch"
    UNKNOWN_SENDER = "unknown_sender"
    OTHER_AGENCY = "other_agency"


REJECTION_TEXT = {
    "vi": {
        Rejection.UNREADABLE: "không đọc được thư",
        Rejection.AUTH_FAILED: "máy chủ thư không xác thực được địa chỉ người gửi",
        Rejection.NO_CHECKIN: "thư không phải là thư trả lời một thư đề nghị cập nhật tiến độ",
        Rejection.BAD_TOKEN: "địa chỉ trả lời không hợp lệ",
        Rejection.EXPIRED_TOKEN: "đợt cập nhật này đã hết hạn trả lời; vui lòng trả lời thư của đợt mới nhất",
        Rejection.TOKEN_MISMATCH: "địa chỉ trả lời thuộc về một đợt hoặc cơ quan khác với thư được trả lời",
        Rejection.UNKNOWN_SENDER: "địa chỉ người gửi chưa được đăng ký với cơ quan nào",
        Rejection.OTHER_AGENCY: "người gửi không thuộc cơ quan được đề nghị cập nhật ({agency})",
    },
    "en": {
        Rejection.UNREADABLE: "the message could not be read",
        Rejection.AUTH_FAILED: "the mail server could not verify the sender address",
        Rejection.NO_CHECKIN: "the message is not a reply to a progress check-in",
        Rejection.BAD_TOKEN: "the reply address is not valid",
        Rejection.EXPIRED_TOKEN: "this check-in round no longer takes replies; please answer the latest one",
        Rejection.TOKEN_MISMATCH: "the reply address belongs to another round or agency than the message answered",
        Rejection.UNKNOWN_SENDER: "the sender address is not registered with any agency",
        Rejection.OTHER_AGENCY: "the sender is not a person of the agency that was asked ({agency})",
    },
}


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
    contact: str = ""
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


@dataclass(frozen=True)
class _Item:
    code: str
    plan_id: int
    kind: Kind
    id: int
    lead: int  # agency id responsible now (successor applied)
    supporting: frozenset[int]
    category: str
    done: bool
    due: date | None


class Directory:
    """The plan data a batch of replies is judged against, loaded once per batch."""

    def __init__(self, session: Session):
        self.final = successor_map(session)
        self.agencies = {a.id: a for a in session.scalars(select(Agency))}
        self.person_by_email: dict[str, tuple[int, str]] = {
            e.lower(): (pid, name) for pid, e, name in session.execute(select(Person.id, Person.email, Person.name))}
        self.person_agencies: dict[int, set[int]] = defaultdict(set)
        for aid, pid in session.execute(select(AgencyContact.agency_id, AgencyContact.person_id)):
            self.person_agencies[pid].add(self.final.get(aid, aid))
        self.plans = dict(session.execute(select(Plan.id, Plan.number)).all())
        support: dict[int, set[int]] = defaultdict(set)
        for did, aid in session.execute(select(deliverable_support.c.deliverable_id, deliverable_support.c.agency_id)):
            support[did].add(self.final.get(aid, aid))
        self.items: dict[tuple[int, str], _Item] = {}
        targets: dict[int, list[Target]] = defaultdict(list)
        for d in session.execute(select(Deliverable.id, Deliverable.plan_id, Deliverable.code, Deliverable.lead_agency_id,
                                        Deliverable.category, Deliverable.state, Deliverable.due_date)
                                 .where(Deliverable.archived.is_(False)).order_by(Deliverable.position)):
            self.items[(d.plan_id, d.code)] = _Item(d.code, d.plan_id, Kind.DELIVERABLE, d.id,
                                                    self.final.get(d.lead_agency_id, d.lead_agency_id),
                                                    frozenset(support.get(d.id, ())), d.category,
                                                    d.state in ("done", "cancelled"), d.due_date)
            targets[d.plan_id].append(Target(d.code, Kind.DELIVERABLE))
        for i in session.execute(select(Indicator.id, Indicator.plan_id, Indicator.code, Indicator.owner_agency_id,
                                        Indicator.unit, Indicator.due_date)
                                 .where(Indicator.archived.is_(False)).order_by(Indicator.position)):
            self.items[(i.plan_id, i.code)] = _Item(i.code, i.plan_id, Kind.INDICATOR, i.id,
                                                    self.final.get(i.owner_agency_id, i.owner_agency_id),
                                                    frozenset(), "indicator", False, i.due_date)
            targets[i.plan_id].append(Target(i.code, Kind.INDICATOR, i.unit))
        self.units = {(pid, t.code): t.unit for pid, ts in targets.items() for t in ts}
        # person -> [since, until] of their away notices (ended in memory too, as end_away ends them in SQL)
        self.away: dict[int, list[list[date]]] = defaultdict(list)
        for pid, since, until in session.execute(select(PersonAway.person_id, PersonAway.since, PersonAway.until)):
            self.away[pid].append([since, until])
        self.books = {pid: CodeBook(ts) for pid, ts in targets.items()}

    def agency_name(self, agency_id: int | None, lang: str) -> str:
        a = self.agencies.get(agency_id) if agency_id else None
        if a is None:
            return ""
        return a.name if lang == "vi" else (a.name_en or a.name)


@dataclass
class _Thread:
    """The check-in (or receipt) a reply answers, as found in the outbox."""

    outbox_id: int
    round_id: int | None
    agency_id: int | None
    ref: str | None
    message: bytes


_REPLY_TO_TOKEN = re.compile(rb"^Reply-To:[^\r\n]*\+([a-z2-7]{40})@", re.IGNORECASE | re.MULTILINE)


def _token_of(message: bytes) -> str | None:
    head = message.split(b"\r\n\r\n", 1)[0]
    m = _REPLY_TO_TOKEN.search(head)
    return m.group(1).decode("ascii").lower() if m else None


@lru_cache(maxsize=1)
def _template_examples() -> frozenset[str]:
    """The example lines of the check-in templates (folded), which every quoted original repeats."""
    out = set()
    for path in TEMPLATES.glob("checkin.*.txt.j2"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.match(r"^\s+[IVX]+\.\d", line):
                out.add(fold(line))
    return frozenset(out)


@lru_cache(maxsize=256)
def _checkin_lines(message: bytes) -> frozenset[str]:
    """The folded lines of a stored check-in's plain text (what a reply may paste back)."""
    msg = email.message_from_bytes(message)
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            data = part.get_payload(decode=True) or b""
            text = data.decode(part.get_content_charset() or "utf-8", "replace")
            return frozenset(f for f in (fold(ln) for ln in text.splitlines()) if len(f) > 3)
    return frozenset()


def remove_pasted(text: str, checkin: frozenset[str]) -> str:
    """text without the lines of our check-in pasted back (when at least three of them are there)."""
    known = checkin | _template_examples()
    lines = text.split("\n")
    hits = [fold(ln) in known for ln in lines]
    if sum(hits) < 3:
        return text
    return "\n".join(ln for ln, hit in zip(lines, hits) if not hit)


class Intake:
    """Handles a batch of stored messages against one Directory; see handle()."""

    def __init__(self, session: Session, cfg: IntakeConfig, today: date):
        self.s, self.cfg, self.today = session, cfg, today
        self.dir = Directory(session)
        self._loaded: dict[tuple, object] = {}
        self.tz = ZoneInfo(cfg.timezone)
        self.words = WORDS[cfg.lang]
        self.our_addresses = {cfg.mail_from.lower()}
        self.our_local = cfg.mail_from.lower().rpartition("@")[0]
        self.our_domain = cfg.mail_from.lower().rpartition("@")[2]

    # lookups ------------------------------------------------------------------------------------------

    def _threads(self, reads: list[ReadMessage]) -> tuple[dict[str, _Thread], dict[str, list[_Thread]]]:
        ids = {i for r in reads for i in (*r.in_reply_to, *r.references)} | {
            r.bounced_message_id for r in reads if r.bounced_message_id}
        refs = {r.tag[1] for r in reads if r.tag}
        by_id: dict[str, _Thread] = {}
        by_ref: dict[str, list[_Thread]] = defaultdict(list)
        cols = (Outbox.id, Outbox.round_id, Outbox.agency_id, Outbox.ref, Outbox.message, Outbox.message_id)
        id_list = sorted(ids)
        for i in range(0, len(id_list), 500):
            for row in self.s.execute(select(*cols).where(Outbox.message_id.in_(id_list[i:i + 500]))):
                by_id[row.message_id] = _Thread(row.id, row.round_id, row.agency_id, row.ref, row.message)
        if refs:
            for row in self.s.execute(select(*cols).where(Outbox.ref.in_(sorted(refs)), Outbox.kind == "checkin")
                                      .order_by(Outbox.id.desc())):
                by_ref[row.ref].append(_Thread(row.id, row.round_id, row.agency_id, row.ref, row.message))
        return by_id, by_ref

    def _rounds(self, ids: set[int]) -> dict[int, CheckinRound]:
        if not ids:
            return {}
        return {r.id: r for r in self.s.scalars(select(CheckinRound).where(CheckinRound.id.in_(ids)))}

    # the batch ----------------------------------------------------------------------------------------

    def handle(self, rows: list[tuple[int, bytes, datetime, str]]) -> list[Handled]:
        """rows: (inbound id, raw, received_at, sha256). Reads, judges and applies them in date order."""
        reads = [(i, read_message(raw), received, sha) for i, raw, received, sha in rows]
        mids = [r.message_id for _, r, _, _ in reads if r.message_id]
        seen = seen_message_ids(self.s, mids, [i for i, *_ in reads]) if mids else set()
        self.threads, self.by_ref = self._threads([r for _, r, _, _ in reads])
        claims_rounds = set()
        for _, r, _, _ in reads:
            for t in r.tokens:
                try:
                    claims_rounds.add(verify_reply_token(self.cfg.secret, t, date(2000, 1, 1)).round_id)
                except BadToken:
                    pass
        claims_rounds |= {t.round_id for t in self.threads.values() if t.round_id}
        claims_rounds |= {t.round_id for ts in self.by_ref.values() for t in ts if t.round_id}
        self.rounds = self._rounds(claims_rounds)

        def when(item) -> datetime:
            _, r, received, _ = item
            return min(r.date, received) if r.date else received
        out: list[Handled] = []
        batch_mids: set[str] = set()
        self.updates: list[dict] = []  # inbound_message rows, written in one statement at the end
        self.receipt_rows: list[dict] = []  # outbox rows, inserted in one statement at the end
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
        enqueue(self.s, self.receipt_rows)
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
        claims, thread, why, detail = self._match(r)
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

    # matching -----------------------------------------------------------------------------------------

    def _match(self, r: ReadMessage) -> tuple[ReplyClaims | None, _Thread | None, Rejection | None, str]:
        thread = None
        for mid in (*r.in_reply_to, *reversed(r.references)):
            thread = self.threads.get(mid)
            if thread is not None:
                break
        if thread is None and r.tag:
            candidates = self.by_ref.get(r.tag[1], [])
            thread = candidates[0] if candidates else None
        token = r.tokens[0] if r.tokens else (self._thread_token(thread) if thread else None)
        if token is None:
            return None, thread, Rejection.NO_CHECKIN, "no reply token, no known In-Reply-To, References or tag"
        try:
            claims = verify_reply_token(self.cfg.secret, token, self.today)
        except BadToken as exc:
            why = Rejection.EXPIRED_TOKEN if str(exc).startswith("expired") else Rejection.BAD_TOKEN
            return None, thread, why, f"reply token: {exc}"
        if claims.round_id not in self.rounds:
            return None, thread, Rejection.BAD_TOKEN, f"reply token names round {claims.round_id}, which does not exist"
        if thread is not None and thread.round_id is not None and (thread.round_id, thread.agency_id) != (
                claims.round_id, claims.agency_id):
            return None, thread, Rejection.TOKEN_MISMATCH, (
                f"token of round {claims.round_id} agency {claims.agency_id} on a reply to round {thread.round_id} "
                f"agency {thread.agency_id}")
        return claims, thread, None, ""

    def _thread_token(self, thread: _Thread) -> str | None:
        """The reply token of the check-in a thread belongs to (a receipt's own check-in when it is one)."""
        token = _token_of(thread.message)
        if token is None and thread.round_id is not None and thread.agency_id is not None:
            msg = self.s.scalar(select(Outbox.message).where(Outbox.round_id == thread.round_id,
                                                             Outbox.agency_id == thread.agency_id,
                                                             Outbox.kind == "checkin").order_by(Outbox.id).limit(1))
            token = _token_of(msg) if msg else None
        return token

    # outcomes -----------------------------------------------------------------------------------------

    def _reject(self, inbound_id, r: ReadMessage, at, sha, why: Rejection, detail: str, *, thread=None,
                agency_id=None, round_id=None, fmt=None) -> Handled:
        key = None
        if r.sender and "@" in r.sender:
            rnd = self.rounds.get(round_id or (thread.round_id if thread else None) or -1)
            plan = self.dir.plans.get(rnd.plan_id) if rnd else (r.tag[0] if r.tag else None)
            text = REJECTION_TEXT[self.cfg.lang][why].format(**(fmt or {"agency": ""}))
            key = self._queue_receipt(inbound_id, r, sha, at, plan=plan, ref=thread.ref if thread else None,
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
        thread = self.threads.get(r.bounced_message_id or "")
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
               person_id: int, person_name: str, thread: _Thread | None) -> Handled:
        plan_id = rnd.plan_id
        plan = self.dir.plans[plan_id]
        book = self.dir.books.get(plan_id) or CodeBook(())
        agency = self.dir.agencies[agency_id]
        text = remove_pasted(r.new_text, _checkin_lines(thread.message) if thread else frozenset())
        lines = read_lines(text, book, agency.code, at.astimezone(self.tz).year)
        recorded, unclear, refused, codes = [], [], [], []
        named: list[int] = []
        w = self.words
        for rep in lines.reports:
            item = self.dir.items.get((plan_id, rep.code))
            lead_name = self.dir.agency_name(item.lead, self.cfg.lang) if item else ""
            if item is None:
                unclear.append(ReceiptLine(rep.line, w["unknown_code"], self._example(plan_id, agency_id)))
                continue
            if item.lead == agency_id:
                self._record(plan, rep, at, r, agency_id, item)
                recorded.append(self._said(rep))
                codes.append(rep.code)
                if item.kind == Kind.DELIVERABLE:
                    named.append(item.id)
            elif item.kind == Kind.DELIVERABLE and agency_id in item.supporting:
                note = f"[{agency.code}] {rep.line.strip()}"
                record_report(self.s, plan, ReportIn(code=rep.code, note=note[:2000]), at=at, channel="email",
                              reporter_email=r.sender, agency_id=agency_id, source_message_id=r.message_id,
                              update_current=False, item=self._orm(item))
                recorded.append(f"{rep.code}: " + w["note_to_lead"].format(lead=lead_name))
                codes.append(rep.code)
                named.append(item.id)
            else:
                key = "not_owner" if item.kind == Kind.INDICATOR else "not_lead"
                refused.append(ReceiptLine(rep.line, w[key].format(lead=lead_name)))
        for u in lines.unclear:
            unit = self.dir.units.get((plan_id, u.code or ""), "")
            unclear.append(ReceiptLine(u.line, w[str(u.problem)].format(unit=unit),
                                       self._example(plan_id, agency_id, u.code)))
        kept = self._attachments(inbound_id, r, plan_id, agency_id, named)
        if recorded and not unclear and not refused:
            outcome = Outcome.APPLIED
        elif recorded:
            outcome = Outcome.PARTIAL
        else:
            outcome = Outcome.UNCLEAR
        key = self._queue_receipt(inbound_id, r, sha, at, plan=plan, ref=thread.ref if thread else None,
                                  round_id=rnd.id, agency_id=agency_id, person_id=person_id,
                                  agency_name=self.dir.agency_name(agency_id, self.cfg.lang),
                                  recorded=tuple(recorded), unclear=tuple(unclear), refused=tuple(refused),
                                  attachments=kept, to_name=person_name)
        reason = None if outcome == Outcome.APPLIED else (
            f"{len(unclear)} not understood, {len(refused)} not allowed" if (unclear or refused) else "no report line")
        return self._finish(inbound_id, r, at, outcome, reason, round_id=rnd.id, agency_id=agency_id,
                            person_id=person_id, applied=len(recorded), unclear=len(unclear), refused=len(refused),
                            receipt_key=key, codes=codes, unclear_lines=[u.line for u in unclear],
                            refused_lines=[x.line for x in refused])

    def _record(self, plan: str, rep: Report, at: datetime, r: ReadMessage, agency_id: int, item: _Item) -> None:
        if rep.kind == Kind.INDICATOR:
            rin = ReportIn(code=rep.code, value=rep.value, note=rep.note)
        elif rep.said == Said.BLOCKED:  # state blocked (escalated at once, issue 10); the note says so in words
            note = self.words["blocked"] + (f": {rep.note}" if rep.note else "")
            rin = ReportIn(code=rep.code, state="blocked", progress=rep.progress, note=note)
        else:
            rin = ReportIn(code=rep.code, state=str(rep.said), progress=rep.progress, completed_on=rep.completed_on,
                           note=rep.note)
        record_report(self.s, plan, rin, at=at, channel="email", reporter_email=r.sender, agency_id=agency_id,
                      source_message_id=r.message_id, item=self._orm(item))

    def _orm(self, item: _Item):
        """The ORM row of item (loaded once per batch, then from the session's identity map)."""
        key = (item.kind, item.id)
        obj = self._loaded.get(key)
        if obj is None:
            obj = self._loaded[key] = self.s.get(Indicator if item.kind == Kind.INDICATOR else Deliverable, item.id)
        return obj

    def _said(self, rep: Report) -> str:
        w = self.words
        if rep.kind == Kind.INDICATOR:
            v = f"{rep.value:,f}".rstrip("0").rstrip(".") if "." in f"{rep.value:f}" else f"{rep.value:,f}"
            if self.cfg.lang == "vi":
                v = v.replace(",", "X").replace(".", ",").replace("X", ".")
            return f"{rep.code}: {v}"
        parts = [w[str(rep.said)]]
        if rep.progress is not None and rep.said != Said.DONE:
            parts.append(f"{rep.progress}%")
        if rep.completed_on:
            parts.append(w["completed_on"].format(day=rep.completed_on.strftime("%d/%m/%Y")))
        out = f"{rep.code}: " + ", ".join(parts)
        return out + (f" - {rep.note}" if rep.note else "")

    def _reply_to(self, r: ReadMessage) -> str | None:
        for addr in r.recipients:
            if addr.startswith(self.our_local + "+") and addr.endswith("@" + self.our_domain):
                return addr
        return None

    def _example(self, plan_id: int, agency_id: int, code: str | None = None) -> str:
        """A correct line with one of the agency's own codes (the one it tried, when it is its own)."""
        own = [it for (pid, c), it in self.dir.items.items() if pid == plan_id and it.lead == agency_id]
        item = next((it for it in own if it.code == code), None)
        if item is None:
            item = next((it for it in own if it.kind == Kind.DELIVERABLE and not it.done), None) or (
                own[0] if own else None)
        if item is None:
            return "III.4: 60% - " + self.words["example_note"]
        if item.kind == Kind.INDICATOR:
            unit = self.dir.units.get((plan_id, item.code), "")
            value = "1,37%" if unit == "%" else "850 triệu đồng" if fold(unit) == "dong" else "120"
            return f"{item.code}: {value}"
        return f"{item.code}: 60% - " + self.words["example_note"]

    def _attachments(self, inbound_id: int, r: ReadMessage, plan_id: int, agency_id: int,
                     named: list[int]) -> tuple[str, ...]:
        if not r.attachments:
            return ()
        targets = list(dict.fromkeys(named))
        if not targets:  # the only open report the agency owes next, when there is exactly one
            reports = sorted((it for (pid, _), it in self.dir.items.items()
                              if pid == plan_id and it.lead == agency_id and it.category == "report" and not it.done
                              and it.kind == Kind.DELIVERABLE), key=lambda it: (it.due or date.max))
            if reports and (len(reports) == 1 or reports[0].due != reports[1].due):
                targets = [reports[0].id]
        kept = []
        for a in r.attachments:
            content = a.data if len(a.data) <= self.cfg.attachment_max_bytes else None
            for did in targets or [None]:
                self.s.add(InboundAttachment(inbound_id=inbound_id, filename=a.filename, content_type=a.content_type,
                                             size=len(a.data), sha256=a.sha256, content=content, deliverable_id=did))
            kept.append(a.filename if content is not None else f"{a.filename} (>{self.cfg.attachment_max_bytes} B: "
                        "not kept)")
        return tuple(kept)

    def _queue_receipt(self, inbound_id: int, r: ReadMessage, sha: str, at: datetime, *, plan, ref, round_id,
                       agency_id, person_id, to_name: str = "", **what) -> str:
        domain = self.cfg.mail_from.rpartition("@")[2]
        key = f"receipt/{sha}"
        data = ReceiptData(
            to=r.sender, to_name=to_name or r.sender_name, subject=r.subject, in_reply_to=r.message_id,
            references=r.references, received=at.astimezone(self.tz).date(), written_at=utcnow(),
            message_id=f"<rc.{inbound_id}.{secrets.token_hex(4)}@{domain}>", mail_from=self.cfg.mail_from,
            sender_name=self.cfg.sender_name or (f"Theo dõi KH {plan}" if self.cfg.lang == "vi" and plan else
                                                  f"Plan {plan} monitoring" if plan else self.cfg.mail_from),
            plan_number=plan, ref=ref, contact=self.cfg.contact or self.cfg.mail_from,
            example=self._example(self.rounds[round_id].plan_id, agency_id) if round_id in self.rounds and agency_id
            else "III.4: 60%", reply_to=self._reply_to(r), **what)
        msg = build_receipt(data, self.cfg.lang)
        self.receipt_rows.append({"idempotency_key": key, "kind": "receipt", "round_id": round_id, "agency_id": agency_id,
                          "person_id": person_id, "ref": ref, "envelope_from": msg.envelope_from,
                          "recipients": list(msg.recipients), "subject": msg.subject, "message": msg.as_bytes(),
                          "message_id": data.message_id})
        return key


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
