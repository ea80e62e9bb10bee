"""The receipt of each reply: its data from what the intake did, built and gathered as outbox rows."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from plantrack.models.mail.inbound import utcnow
from plantrack.models.mail.outbox import CheckinRound
from plantrack.notifications.mail.checkin_message import ContactPerson
from plantrack.notifications.mail.inbound.directory import Directory
from plantrack.notifications.mail.inbound.lines import Kind, Report, Said, fold
from plantrack.notifications.mail.inbound.matching import Rejection
from plantrack.notifications.mail.inbound.reader import ReadMessage
from plantrack.notifications.mail.message import key_tag
from plantrack.notifications.mail.inbound.receipt import ReceiptData, build_receipt

if TYPE_CHECKING:  # apply.py builds a ReceiptQueue: importing it at run time would be circular
    from plantrack.notifications.mail.inbound.apply import IntakeConfig

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


def said_text(rep: Report, words: dict[str, str], lang: str) -> str:
    """A recorded report line as the receipt repeats it ('V.6: In progress, 30% - note')."""
    if rep.kind == Kind.INDICATOR:
        v = f"{rep.value:,f}".rstrip("0").rstrip(".") if "." in f"{rep.value:f}" else f"{rep.value:,f}"
        if lang == "vi":
            v = v.replace(",", "X").replace(".", ",").replace("X", ".")
        return f"{rep.code}: {v}"
    parts = [words[str(rep.said)]]
    if rep.progress is not None and rep.said != Said.DONE:
        parts.append(f"{rep.progress}%")
    if rep.completed_on:
        parts.append(words["completed_on"].format(day=rep.completed_on.strftime("%d/%m/%Y")))
    out = f"{rep.code}: " + ", ".join(parts)
    return out + (f" - {rep.note}" if rep.note else "")


def example_line(directory: Directory, words: dict[str, str], plan_id: int, agency_id: int,
                 code: str | None = None) -> str:
    """A correct line with one of the agency's own codes (the one it tried, when it is its own)."""
    own = [it for (pid, c), it in directory.items.items() if pid == plan_id and it.lead == agency_id]
    item = next((it for it in own if it.code == code), None)
    if item is None:
        item = next((it for it in own if it.kind == Kind.DELIVERABLE and not it.done), None) or (
            own[0] if own else None)
    if item is None:
        return "III.4: 60% - " + words["example_note"]
    if item.kind == Kind.INDICATOR:
        unit = directory.units.get((plan_id, item.code), "")
        value = "1,37%" if unit == "%" else "850 triệu đồng" if fold(unit) == "dong" else "120"
        return f"{item.code}: {value}"
    return f"{item.code}: 60% - " + words["example_note"]


class ReceiptQueue:
    """The receipts of one batch as outbox rows (rows), for the caller to enqueue in one statement."""

    def __init__(self, cfg: IntakeConfig, directory: Directory, words: dict[str, str], rounds: dict[int, CheckinRound]):
        self.cfg, self.dir, self.words, self.rounds = cfg, directory, words, rounds
        self.tz = ZoneInfo(cfg.timezone)
        self.our_local = cfg.mail_from.lower().rpartition("@")[0]
        self.our_domain = cfg.mail_from.lower().rpartition("@")[2]
        self.rows: list[dict] = []

    def add(self, inbound_id: int, r: ReadMessage, sha: str, at: datetime, *, plan, ref, round_id,
            agency_id, person_id, to_name: str = "", **what) -> str:
        """Build the receipt of reply r saying what (ReceiptData fields); returns its idempotency key."""
        cfg = self.cfg
        domain = cfg.mail_from.rpartition("@")[2]
        key = f"receipt/{sha}"
        data = ReceiptData(
            to=r.sender, to_name=to_name or r.sender_name, subject=r.subject, in_reply_to=r.message_id,
            references=r.references, received=at.astimezone(self.tz).date(), written_at=utcnow(),
            message_id=f"<rc.{inbound_id}.{key_tag(key)}@{domain}>", mail_from=cfg.mail_from,
            sender_name=cfg.sender_name or (f"Theo dõi KH {plan}" if cfg.lang == "vi" and plan else
                                             f"Plan {plan} monitoring" if plan else
                                             "Văn phòng theo dõi kế hoạch" if cfg.lang == "vi" else
                                             "Plan monitoring office"),
            plan_number=plan, ref=ref, contact=self.contact(plan, known_sender=person_id is not None),
            example=example_line(self.dir, self.words, self.rounds[round_id].plan_id, agency_id)
            if round_id in self.rounds and agency_id else "III.4: 60%", reply_to=self._reply_to(r), **what)
        msg = build_receipt(data, cfg.lang)
        self.rows.append({"idempotency_key": key, "kind": "receipt", "round_id": round_id, "agency_id": agency_id,
                          "person_id": person_id, "ref": ref, "envelope_from": msg.envelope_from,
                          "recipients": list(msg.recipients), "subject": msg.subject, "message": msg.as_bytes(),
                          "message_id": data.message_id})
        return key

    def contact(self, plan: str | None, known_sender: bool = True) -> ContactPerson:
        """Whom the receipt names: the person the plan's check-ins name (with no plan known, the one every plan names),
        but only to a sender matched to a person of the directory; else the configured address alone (an official's
        name and phone are not handed to whoever writes in)."""
        if not known_sender:
            person = None
        elif plan is not None:
            person = self.dir.plan_contacts.get(plan)
        else:
            named = set(self.dir.plan_contacts.values())
            person = named.pop() if len(named) == 1 else None
        return person or ContactPerson("", self.cfg.contact or self.cfg.mail_from)

    def _reply_to(self, r: ReadMessage) -> str | None:
        for addr in r.recipients:
            if addr.startswith(self.our_local + "+") and addr.endswith("@" + self.our_domain):
                return addr
        return None
