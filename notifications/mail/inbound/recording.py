"""Apply an authorised reply: record each report line its agency may give, file its attachments."""
from __future__ import annotations

import email
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantrack.models.entities import Deliverable, Indicator
from plantrack.models.mail.inbound import InboundAttachment
from plantrack.models.reports import ReportIn, record_report
from plantrack.notifications.mail.message import TEMPLATES
from plantrack.notifications.mail.inbound.directory import Directory, Item
from plantrack.notifications.mail.inbound.lines import CodeBook, Kind, Report, Said, fold, read_lines
from plantrack.notifications.mail.inbound.reader import ReadMessage
from plantrack.notifications.mail.inbound.receipt import ReceiptLine
from plantrack.notifications.mail.inbound.receipt_queue import example_line, said_text


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
def checkin_lines(message: bytes) -> frozenset[str]:
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


@dataclass(frozen=True)
class Recorded:
    """What applying one reply did, as its receipt lists it."""

    recorded: tuple[str, ...]  # the lines recorded, as the receipt repeats them
    unclear: tuple[ReceiptLine, ...]
    refused: tuple[ReceiptLine, ...]
    codes: tuple[str, ...]  # of the items recorded
    attachments: tuple[str, ...]  # file names kept (or why not)


class Recorder:
    """Records the replies of one batch against one Directory; see record()."""

    def __init__(self, session: Session, directory: Directory, lang: str, words: dict[str, str], tz: ZoneInfo,
                 attachment_max_bytes: int):
        self.s, self.dir, self.lang, self.words, self.tz = session, directory, lang, words, tz
        self.attachment_max_bytes = attachment_max_bytes
        self._loaded: dict[tuple, object] = {}

    def record(self, inbound_id: int, r: ReadMessage, at: datetime, plan_id: int, agency_id: int,
               checkin: bytes | None) -> Recorded:
        """Record the lines of reply r from agency_id (checkin: the message it answers, whose lines it may paste)."""
        plan = self.dir.plans[plan_id]
        book = self.dir.books.get(plan_id) or CodeBook(())
        agency = self.dir.agencies[agency_id]
        text = remove_pasted(r.new_text, checkin_lines(checkin) if checkin else frozenset())
        lines = read_lines(text, book, agency.code, at.astimezone(self.tz).year)
        self._load([it for rep in lines.reports if (it := self.dir.items.get((plan_id, rep.code))) is not None])
        recorded, unclear, refused, codes = [], [], [], []
        named: list[int] = []
        w = self.words
        for rep in lines.reports:
            item = self.dir.items.get((plan_id, rep.code))
            lead_name = self.dir.agency_name(item.lead, self.lang) if item else ""
            if item is None:
                unclear.append(ReceiptLine(rep.line, w["unknown_code"], example_line(self.dir, w, plan_id, agency_id)))
                continue
            if item.lead == agency_id:
                self._record(plan, rep, at, r, agency_id, item)
                recorded.append(said_text(rep, w, self.lang))
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
                                       example_line(self.dir, w, plan_id, agency_id, u.code)))
        kept = self._attachments(inbound_id, r, plan_id, agency_id, named)
        return Recorded(tuple(recorded), tuple(unclear), tuple(refused), tuple(codes), kept)

    def _record(self, plan: str, rep: Report, at: datetime, r: ReadMessage, agency_id: int, item: Item) -> None:
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

    def _load(self, items: list[Item]) -> None:
        """Load the ORM rows of items not loaded yet: two queries at most for a reply's lines (one get each cost
        ~1.5 ms here)."""
        for kind, model in ((Kind.DELIVERABLE, Deliverable), (Kind.INDICATOR, Indicator)):
            ids = {it.id for it in items if it.kind == kind and (kind, it.id) not in self._loaded}
            if ids:
                for obj in self.s.scalars(select(model).where(model.id.in_(ids))):
                    self._loaded[(kind, obj.id)] = obj

    def _orm(self, item: Item):
        """The ORM row of item (loaded once per batch, then from the session's identity map)."""
        key = (item.kind, item.id)
        obj = self._loaded.get(key)
        if obj is None:
            obj = self._loaded[key] = self.s.get(Indicator if item.kind == Kind.INDICATOR else Deliverable, item.id)
        return obj

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
            content = a.data if len(a.data) <= self.attachment_max_bytes else None
            for did in targets or [None]:
                self.s.add(InboundAttachment(inbound_id=inbound_id, filename=a.filename, content_type=a.content_type,
                                             size=len(a.data), sha256=a.sha256, content=content, deliverable_id=did))
            kept.append(a.filename if content is not None else f"{a.filename} (>{self.attachment_max_bytes} B: "
                        "not kept)")
        return tuple(kept)
