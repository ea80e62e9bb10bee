"""What other parts record, read for the digest and the board: escalation levels (models/escalation),
blockers as the reply intake and the 'blocked' state record them, answers to check-in rounds
(models/mail/outbox.py unanswered) and the reply deadline the check-ins state."""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from plantrack.models.base import as_utc
from plantrack.models.entities import Deliverable, StatusReport
from plantrack.models.enums import OutboxKind, OutboxStatus
from plantrack.models.escalation.table import Escalation
from plantrack.models.mail.outbox import CheckinRound, Outbox
from plantrack.models.workdays import WorkCalendar, add_working_days


# ---- escalation levels (the escalation table, models/escalation) -------------------------------------------

def escalation_levels(session: Session, plan_id: int) -> dict[str, int]:
    """Deliverable code -> the highest level of its active (unresolved) escalations."""
    E, D = Escalation.__table__.c, Deliverable.__table__.c
    q = (select(D.code, func.max(E.level)).join(Deliverable.__table__, D.id == E.deliverable_id)
         .where(E.resolved_on.is_(None), E.plan_id == plan_id).group_by(D.code))
    return dict(session.execute(q).all())


# ---- blockers (issue 9: "vướng mắc" in a reply; issue 10: the state 'blocked') ----------------------------

# The reply intake records a blocker as a note starting with its word for it ("Vướng mắc: chờ kinh phí",
# "Blocked: ..."), keeping the state; a supporting agency's line is kept as "[SYT] III.5: vướng mắc - ...".
_BLOCKER = re.compile(r"^\s*(?:\[[^\]]*\]\s*)?(?:[\w./-]+\s*:\s*)?(?:đang\s+|có\s+)?(vướng mắc|vuong mac|khó khăn|"
                      r"kho khan|blocked|stuck)\b\s*[:,.\-–]?\s*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)


def blocker_note(state: str | None, note: str | None) -> str | None:
    """The blocker's explanation when a report says the item is blocked ('' when it gives none), else None."""
    if note:
        m = _BLOCKER.match(note)
        if m:
            return m.group("rest").strip()
    if state == "blocked":
        return (note or "").strip()
    return None


@dataclass(frozen=True)
class BlockerReport:
    """A report that an item is blocked (vướng mắc), with its note."""

    code: str
    reported_at: datetime
    note: str
    agency_id: int | None  # who reported it (None: entered by a coordinator)


def blocker_reports(session: Session, plan_id: int, after: datetime, until: datetime) -> list[BlockerReport]:
    """Blocker reports on plan_id's deliverables with after < reported_at <= until, the newest per item."""
    R, D = StatusReport.__table__.c, Deliverable.__table__.c
    q = (select(D.code, R.reported_at, type_coerce(R.state, String), R.note, R.agency_id)
         .join(Deliverable.__table__, D.id == R.deliverable_id)
         .where(D.plan_id == plan_id, D.archived.is_(False), R.reported_at > after, R.reported_at <= until)
         .order_by(R.reported_at, R.id))
    newest: dict[str, BlockerReport] = {}
    for code, at, state, note, agency_id in session.execute(q).all():
        text = blocker_note(state, note)
        if text is not None:
            at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
            newest[code] = BlockerReport(code, at, text, agency_id)
    return sorted(newest.values(), key=lambda b: (b.reported_at, b.code))


# ---- check-in answers (issue 4 rounds, issue 9 answers: models/mail/outbox.py unanswered) ------------------

class LastAnswer(StrEnum):
    """How an agency stands on the latest check-in round it was sent."""

    ANSWERED = "answered"
    MISSED = "missed"  # its reply deadline passed without an answer
    WAITING = "waiting"  # not answered yet, its reply deadline not passed
    NOT_ASKED = "not_asked"


@dataclass(frozen=True)
class Answers:
    """How an agency answered the check-in rounds it was sent (DHIS2's reporting rate: on time / due)."""

    due: int  # rounds whose answer window closed, plus open ones already answered
    on_time: int  # answered within the window
    last: LastAnswer  # the latest round it was asked in
    missed_in_a_row: int  # closed rounds not answered, newest first, until one was answered
    last_round: str | None  # key of that latest round

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The last instant of day in tz, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(timezone.utc) - timedelta(microseconds=1)


def reply_deadline(as_of: date, reply_days: int, reply_time: time, tz: ZoneInfo,
                   cal: WorkCalendar | None = None) -> datetime:
    """The REPLY BY of a round opened on as_of, as its check-ins state it (notifications/mail/checkin_round.py
    ReplyWindow): reply_time on the reply_days-th working day after it, plan time; returned in UTC."""
    return datetime.combine(add_working_days(as_of, reply_days, cal), reply_time, tz).astimezone(timezone.utc)


def checkin_answers(session: Session, plan_id: int, today: date, reply_days: int, reply_time: time,
                    tz: ZoneInfo, cal: WorkCalendar | None = None) -> dict[int, Answers]:
    """Agency id -> its answers to plan_id's check-in rounds opened on or before today.

    A round's answer window ends at the reply deadline its check-ins stated (reply_deadline). Answered:
    the rule of unanswered in models/mail/outbox.py (a report from the agency after its check-in was sent, later
    reports answering earlier rounds too). On time: such a report by the deadline.
    """
    R, O, S = CheckinRound.__table__.c, Outbox.__table__.c, StatusReport.__table__.c
    rounds = session.execute(select(R.id, R.key, R.as_of).where(R.plan_id == plan_id, R.as_of <= today)
                             .order_by(R.key.desc())).all()
    if not rounds:
        return {}
    ids = [r.id for r in rounds]
    sent: dict[int, dict[int, datetime]] = {}
    for rid, agency_id, at in session.execute(
            select(O.round_id, O.agency_id, O.sent_at)
            .where(O.round_id.in_(ids), O.kind == OutboxKind.CHECKIN, O.status == OutboxStatus.SENT)).all():
        sent.setdefault(rid, {})[agency_id] = at
    agencies = {a for per in sent.values() for a in per}
    if not agencies:
        return {}
    first = min(at for per in sent.values() for at in per.values())
    reports: dict[int, list[datetime]] = {}
    for agency_id, at in session.execute(select(S.agency_id, S.reported_at)
                                         .where(S.agency_id.in_(agencies), S.reported_at >= first)).all():
        reports.setdefault(agency_id, []).append(at)
    for times in reports.values():
        times.sort()
    closed_by = end_of_day(today, tz)
    tally = {a: _Tally() for a in agencies}
    for rid, key, as_of in rounds:  # newest first
        asked = sent.get(rid)
        if not asked:
            continue
        window_end = reply_deadline(as_of, reply_days, reply_time, tz, cal)
        closed = window_end <= closed_by
        for agency_id, sent_at in asked.items():
            t = tally[agency_id]
            times = reports.get(agency_id, ())
            answered = bool(times) and times[-1] >= sent_at  # unanswered()'s rule, from the reports read once
            if t.last_round is None:
                t.last_round = key
                t.last = LastAnswer.ANSWERED if answered else LastAnswer.MISSED if closed else LastAnswer.WAITING
            if closed or answered:
                t.due += 1
                first_after = bisect_left(times, sent_at)
                t.on_time += first_after < len(times) and times[first_after] <= window_end
            if closed and t.streak_open:
                if answered:
                    t.streak_open = False
                else:
                    t.missed_in_a_row += 1
    return {a: Answers(t.due, t.on_time, t.last, t.missed_in_a_row, t.last_round) for a, t in tally.items()}


def last_answers(session: Session, plan_id: int, today: date, reply_days: int, reply_time: time, tz: ZoneInfo,
                 cal: WorkCalendar | None = None) -> dict[int, LastAnswer]:
    """Agency id -> how it stands on the latest of plan_id's rounds opened on or before today that it was sent:
    checkin_answers(...)[agency].last, reading that round's check-ins and each agency's latest report only (the
    status board asks after every flow run; reading every round, as the digest's answer rates need, costs more)."""
    R, O, S = CheckinRound.__table__.c, Outbox.__table__.c, StatusReport.__table__.c
    sent = (O.kind == OutboxKind.CHECKIN) & (O.status == OutboxStatus.SENT)
    newest = dict(session.execute(
        select(O.agency_id, func.max(R.key)).join(CheckinRound.__table__, R.id == O.round_id)
        .where(R.plan_id == plan_id, R.as_of <= today, sent).group_by(O.agency_id)).all())
    if not newest:
        return {}
    asked: dict[int, tuple[datetime, date]] = {}
    for agency_id, key, as_of, at in session.execute(
            select(O.agency_id, R.key, R.as_of, O.sent_at).join(CheckinRound.__table__, R.id == O.round_id)
            .where(R.plan_id == plan_id, R.key.in_(set(newest.values())), sent)).all():
        if newest.get(agency_id) == key:
            asked[agency_id] = (at, as_of)
    latest = dict(session.execute(select(S.agency_id, func.max(S.reported_at))
                                  .where(S.agency_id.in_(list(asked))).group_by(S.agency_id)).all())
    closed_by = end_of_day(today, tz)
    out = {}
    for agency_id, (sent_at, as_of) in asked.items():
        last = latest.get(agency_id)
        if last is not None and as_utc(last) >= sent_at:  # unanswered()'s rule: a report after the check-in
            out[agency_id] = LastAnswer.ANSWERED
        elif reply_deadline(as_of, reply_days, reply_time, tz, cal) <= closed_by:
            out[agency_id] = LastAnswer.MISSED
        else:
            out[agency_id] = LastAnswer.WAITING
    return out


@dataclass
class _Tally:
    due: int = 0
    on_time: int = 0
    last: LastAnswer = LastAnswer.NOT_ASKED
    missed_in_a_row: int = 0
    last_round: str | None = None
    streak_open: bool = True  # still counting missed rounds back from the newest
