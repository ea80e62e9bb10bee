"""Match a reply to the check-in it answers and verify the reply token that names its round and agency."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantrack.models.mail.outbox import CheckinRound, Outbox
from plantrack.notifications.mail.inbound.reader import ReadMessage
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


@dataclass
class Thread:
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


class Matcher:
    """The outbox messages and rounds a batch of replies may answer, loaded once; see match()."""

    def __init__(self, session: Session, secret: str, today: date, reads: list[ReadMessage]):
        self.s, self.secret, self.today = session, secret, today
        self.threads, self.by_ref = self._threads(reads)
        claims_rounds = set()
        for r in reads:
            for t in r.tokens:
                try:
                    claims_rounds.add(verify_reply_token(secret, t, date(2000, 1, 1)).round_id)
                except BadToken:
                    pass
        claims_rounds |= {t.round_id for t in self.threads.values() if t.round_id}
        claims_rounds |= {t.round_id for ts in self.by_ref.values() for t in ts if t.round_id}
        self.rounds = self._rounds(claims_rounds)

    def _threads(self, reads: list[ReadMessage]) -> tuple[dict[str, Thread], dict[str, list[Thread]]]:
        ids = {i for r in reads for i in (*r.in_reply_to, *r.references)} | {
            r.bounced_message_id for r in reads if r.bounced_message_id}
        refs = {r.tag[1] for r in reads if r.tag}
        by_id: dict[str, Thread] = {}
        by_ref: dict[str, list[Thread]] = defaultdict(list)
        cols = (Outbox.id, Outbox.round_id, Outbox.agency_id, Outbox.ref, Outbox.message, Outbox.message_id)
        id_list = sorted(ids)
        for i in range(0, len(id_list), 500):
            for row in self.s.execute(select(*cols).where(Outbox.message_id.in_(id_list[i:i + 500]))):
                by_id[row.message_id] = Thread(row.id, row.round_id, row.agency_id, row.ref, row.message)
        if refs:
            for row in self.s.execute(select(*cols).where(Outbox.ref.in_(sorted(refs)), Outbox.kind == "checkin")
                                      .order_by(Outbox.id.desc())):
                by_ref[row.ref].append(Thread(row.id, row.round_id, row.agency_id, row.ref, row.message))
        return by_id, by_ref

    def _rounds(self, ids: set[int]) -> dict[int, CheckinRound]:
        if not ids:
            return {}
        return {r.id: r for r in self.s.scalars(select(CheckinRound).where(CheckinRound.id.in_(ids)))}

    def match(self, r: ReadMessage) -> tuple[ReplyClaims | None, Thread | None, Rejection | None, str]:
        """(claims, thread, None, "") of a reply that answers a live round, else (None, thread, why, detail)."""
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
            claims = verify_reply_token(self.secret, token, self.today)
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

    def _thread_token(self, thread: Thread) -> str | None:
        """The reply token of the check-in a thread belongs to (a receipt's own check-in when it is one)."""
        token = _token_of(thread.message)
        if token is None and thread.round_id is not None and thread.agency_id is not None:
            msg = self.s.scalar(select(Outbox.message).where(Outbox.round_id == thread.round_id,
                                                             Outbox.agency_id == thread.agency_id,
                                                             Outbox.kind == "checkin").order_by(Outbox.id).limit(1))
            token = _token_of(msg) if msg else None
        return token
