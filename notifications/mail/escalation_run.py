"""What one escalate-overdue run is given (EscalationOptions) and what it reports (EscalationResult, Fired)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from plantrack.models.deadlines import DeadlinePolicy
from plantrack.models.escalation.ladder import Ladder, cached_ladder
from plantrack.models.status import DUE_SOON_WORKING_DAYS
from plantrack.notifications.mail.checkin_round import MailIdentity, mail_identity
from plantrack.notifications.mail.checkins import CheckinOptions, SendOptions
from plantrack.notifications.mail.dispatch import Failure
from plantrack.notifications.mail.smtp import RelayError
from plantrack.notifications.mail.transports import Destination


@dataclass(frozen=True)
class EscalationOptions:
    """Everything a run needs besides today, built once from Settings at the flow boundary."""

    database_url: str = field(repr=False)  # may hold a password: never shown
    identity: MailIdentity  # its signing secret is never shown either
    sending: SendOptions
    ladder: Ladder
    deadlines: DeadlinePolicy = DeadlinePolicy()
    due_soon_days: int = DUE_SOON_WORKING_DAYS
    timezone: str = "Asia/Ho_Chi_Minh"  # plan time zone: dates of last reports

    @property
    def lang(self) -> str:
        return self.identity.lang

    @property
    def outbox(self) -> CheckinOptions:
        """The sending side as the check-ins' steps take it (same outbox, transport, lock and identity)."""
        return CheckinOptions(self.database_url, self.identity, self.sending)

    @classmethod
    def from_settings(cls, settings) -> "EscalationOptions":
        """Options of settings; raises MailConfigError (unsafe mail) or ConfigFileError (bad ladder or working days)."""
        deadlines = DeadlinePolicy.from_settings(settings)
        deadlines.calendar  # noqa: B018  (a bad working-days file fails here, before anything runs)
        path = settings.escalation_file
        return cls(settings.database_url, mail_identity(settings), SendOptions.from_settings(settings),
                   cached_ladder(str(path.resolve()) if path else None), deadlines, settings.due_soon_days,
                   settings.timezone)


@dataclass(frozen=True)
class Fired:
    """One rung that fired today, as the artifact and `plantrack escalations` list it."""

    plan: str
    code: str | None  # None for an agency that did not answer
    title: str
    agency: str  # code of the agency it is about
    reason: str
    level: int
    at: int
    deadline: date | None
    deadline_text: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class NoRecipient:
    """A role of a rung that nobody holds for an item (or for a silent agency): no mail went to it."""

    what: str  # the item's code, or the agency's
    level: int
    role: str  # a Role of the ladder

    def __str__(self) -> str:
        return f"{self.what} L{self.level} {self.role}"  # as logs name it: 'VI.1/SYT L3 coordinator'


@dataclass(frozen=True)
class EscalationResult:
    """What a run of escalate-overdue did: what fired and was queued, then what the outbox sent."""

    today: date
    working_day: bool
    day_off: str | None = None  # why today is off (and nothing was recorded or sent), when it is
    fired: tuple[Fired, ...] = ()
    queued: int = 0  # new outbox messages
    already_queued: int = 0
    resolved: int = 0  # escalations whose reason went away (they may fire again)
    unreachable: tuple[NoRecipient, ...] = ()  # roles with nobody to mail
    demo: bool = False
    not_built: tuple[str, ...] = ()  # 'address: reason' of messages refused by the builder (unsafe header)
    sent: int = 0
    retried: int = 0
    failed: int = 0
    failures: tuple[Failure, ...] = ()
    still_queued: int = 0
    relay_unreachable: RelayError | None = None
    relay_config_error: RelayError | None = None  # the relay refused our TLS/AUTH setup: nothing more was sent
    locked_by: str | None = None  # another live run held the send lock: nothing was done
    lock_message: str = ""
    lock_until: datetime | None = None  # the end of locked_by's lease (UTC)
    transport: Destination | None = None

    def by_level_agency(self) -> dict[tuple[int, str], list[Fired]]:
        """Fired rungs grouped by (level, agency), highest level first."""
        out: dict[tuple[int, str], list[Fired]] = {}
        for f in sorted(self.fired, key=lambda f: (-f.level, f.agency, f.code or "")):
            out.setdefault((f.level, f.agency), []).append(f)
        return out
