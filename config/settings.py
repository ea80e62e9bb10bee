"""Runtime settings from the environment (prefix PLANTRACK_)."""
# No `from __future__ import annotations`: the fields' annotations are the types values are converted to.
import os
import types
import typing
from dataclasses import dataclass, field, fields
from datetime import date, time
from enum import Enum
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plantrack.models.enums import RoundPeriod


class SettingsError(ValueError):
    """A PLANTRACK_* value that cannot be used; the message names the variable and what is allowed."""


ENV_PREFIX = "PLANTRACK_"


def limits(default, **bounds):
    """A field's default and the bounds a value must keep: ge, le (inclusive), gt (exclusive)."""
    return field(default=default, metadata=bounds)


@dataclass(init=False)
class Settings:
    """Every PLANTRACK_* setting; paths left unset are derived from data_dir.

    Settings(**values): values given win over the environment, the environment over the defaults; each is
    converted to its field's type and checked (defaults too); unknown names are ignored. Raises SettingsError
    naming every bad variable. A plain dataclass read by hand, not pydantic(-settings): every setting is one
    scalar, and loading pydantic and building its model cost every command ~0.3 s of start-up here (the CLI's
    cold start must stay under 0.8 s).
    """

    data_dir: Path = Path(".plantrack")
    database_url: str | None = None
    feeds_dir: Path | None = None
    outbox_dir: Path | None = None
    secret_key: str | None = field(default=None, repr=False)  # never printed
    mail_from: str | None = None
    smtp_host: str | None = None
    smtp_port: int = limits(25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)  # never printed
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_rate_per_minute: int = limits(600, ge=0)
    maildir: Path | None = None
    imap_host: str | None = None
    imap_port: int = limits(993, ge=1, le=65535)
    imap_user: str | None = None
    imap_password: str | None = field(default=None, repr=False)  # never printed
    imap_security: Literal["none", "starttls", "tls"] = "tls"
    imap_folder: str = "INBOX"
    lang: str = "vi"  # a language with a catalog in config/locale
    timezone: str = "Asia/Ho_Chi_Minh"
    due_soon_days: int = limits(5, ge=0, le=366)  # "Sắp đến hạn": due within this many WORKING days (issue 10)
    # working days and deadlines (issue 10): models/deadlines.py, models/workdays.py, config/escalation.yaml
    deadline_rule: Literal["civil_code_148", "written_date_148", "as_written"] = "civil_code_148"
    workdays_dir: Path | None = None  # folder of vn-<year>.yaml decisions (default: the shipped config/workdays)
    escalation_file: Path | None = None  # the escalation ladder (default: the shipped config/escalation.yaml)
    # calendars (issue 3)
    feed_base_url: str | None = None  # public URL of served feeds, e.g. https://lich.example.vn/feeds
    feed_event_url: str | None = None  # an event's URL, with {plan} and {code}
    calendar_alarms: str = "1"  # reminders, in working days before an event that asks for action; "" for none
    calendar_alarm_time: time = time(8, 0)  # ... at this time of day (a working hour)
    feed_refresh_hours: int = limits(6, ge=1, le=24 * 7)  # REFRESH-INTERVAL and X-PUBLISHED-TTL
    feeds_host: str = "127.0.0.1"
    feeds_port: int = limits(8088, ge=1, le=65535)
    # check-ins (issue 4)
    checkin_period: RoundPeriod = RoundPeriod.WEEK  # one check-in round per ISO week or calendar month
    checkin_token_days: int = limits(45, ge=1, le=3650)  # reply tokens expire this many days after the round opens
    checkin_reply_local: str | None = None  # local part of the reply address (default: mail_from's)
    checkin_reply_days: int = limits(2, ge=0, le=30)  # answers asked for this many working days after the round's day
    checkin_reply_time: time = time(16, 0)  # ... at this time of day (plan time zone)
    smtp_concurrency: int = limits(2, ge=1, le=32)  # SMTP connections used at once
    smtp_timeout: float = limits(30.0, gt=0)  # seconds per SMTP command
    smtp_max_attempts: int = limits(5, ge=1)  # tries per message (4xx, dropped connection) before it is marked failed
    smtp_retry_seconds: float = limits(30.0, ge=0)  # first back-off; doubles after each failed try
    smtp_batch_size: int = limits(500, ge=1)  # messages per send task (one task run per batch)
    # accepted messages committed 'sent' together (or every 50 ms); a crash may resend up to this many
    # minus one, plus the messages in flight
    smtp_sent_group: int = limits(50, ge=1)
    send_lock_seconds: float = limits(300.0, gt=0)  # lease of the send lock (one sending run at a time); refreshed every third
    # limits and relay trust (issue 8)
    plan_max_bytes: int = limits(10_000_000, ge=1)  # largest plan or directory file accepted
    plan_max_items: int = limits(5_000, ge=1)  # most deliverables + indicators in one plan
    checkin_max_items: int = limits(40, ge=1)  # deliverables listed in full in one check-in; the rest are summarised
    smtp_verify_cert: bool = True  # false: accept a relay certificate that does not verify (insecure)
    smtp_ca_file: Path | None = None  # PEM file of the CA(s) that signed the relay's certificate
    # reply intake (issue 9): replies are read from IMAP when imap_host is set, else from maildir
    imap_cafile: Path | None = None  # CA bundle trusted for the IMAP server (a private CA); default: the system's
    imap_processed_folder: str = "Processed"  # where handled replies are moved
    imap_rejected_folder: str = "Rejected"  # where rejected replies are moved
    inbound_batch_size: int = limits(500, ge=1)  # messages read per intake task (one task run per batch)
    inbound_max_bytes: int = limits(50_000_000, ge=1)  # `mail deliver` refuses larger messages (exit 65)
    attachment_max_bytes: int = limits(10_000_000, ge=0)  # larger attachments are listed, their content not kept
    trusted_authserv_id: str | None = None  # Authentication-Results of this server decide (dmarc/spf=fail rejects)
    away_default_days: int = limits(7, ge=0, le=366)  # an out-of-office notice without a date counts this many days
    # the address receipts name when the plan's coordinating office names no contact person (default: PLANTRACK_MAIL_FROM)
    reply_contact: str | None = None
    replies_cron: str = "*/10 * * * *"  # ingest-replies: every 10 minutes, in PLANTRACK_TIMEZONE

    # schedules (deployments/serve.py), cron in PLANTRACK_TIMEZONE
    calendars_cron: str = "0 * * * *"  # every hour: an unchanged plan writes nothing
    checkins_cron: str = "0 8 * * 1"  # Monday 08:00: one round per ISO week
    # every day at 07:00 (make-up Saturdays are working days); runs on days off send nothing
    escalate_cron: str = "0 7 * * *"
    digest_cron: str = "0 16 * * 5"  # Friday 16:00: the Deputy Chair's weekly digest

    # the weekly digest (issue 12): To is the plan's digest_to people; Cc by directory role, e.g.
    # "SLDTBXH:head,UBND-TINH:focal_point" (agency code and role, comma-separated)
    digest_cc: str = ""
    digest_upcoming_days: int = limits(14, ge=1, le=92)  # deadlines listed ahead, in calendar days
    # rows per status board artifact (plan-status-board, overdue), most urgent first: every flow run stores both
    board_max_rows: int = limits(1000, ge=1, le=100_000)

    def __init__(self, **values) -> None:
        given = {**_environment(), **values}
        problems = []
        for f in fields(self):
            raw = given.get(f.name, f.default)
            try:
                setattr(self, f.name, _convert(raw, f.type, f.metadata))
            except ValueError as exc:
                setattr(self, f.name, f.default)
                problems.append(_describe(f.name, raw, str(exc)))
        if not problems:
            problems = self._check()
        if problems:
            raise SettingsError("; ".join(problems))

    def _check(self) -> list[str]:
        """The checks across or beyond types; derives the paths left unset. Problems as messages."""
        from plantrack.config.i18n import languages

        problems = []
        if self.lang not in languages():
            problems.append(_describe("lang", self.lang, "not a language plantrack speaks (one of: "
                                      f"{', '.join(languages())})"))
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(_describe("timezone", self.timezone, f"unknown time zone {self.timezone!r} (an IANA "
                                      "name such as Asia/Ho_Chi_Minh)"))
        if self.database_url is None:
            self.database_url = f"sqlite:///{self.data_dir / 'plantrack.db'}"
        if self.feeds_dir is None:
            self.feeds_dir = self.data_dir / "feeds"
        if self.outbox_dir is None:
            self.outbox_dir = self.data_dir / "outbox"
        for check in ("calendar_alarm_days", "digest_cc_roles"):  # PLANTRACK_CALENDAR_ALARMS, PLANTRACK_DIGEST_CC
            try:
                getattr(self, check)
            except ValueError as exc:
                problems.append(str(exc))
        return problems

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def database_url_masked(self) -> str:
        """The database URL as it may be printed: the password replaced by ***."""
        return mask_url(self.database_url)

    def today(self) -> date:
        """The current date in the plan's time zone (what scheduled runs mean by 'today')."""
        from plantrack.config import clock

        return clock.now().astimezone(ZoneInfo(self.timezone)).date()

    @property
    def calendar_alarm_days(self) -> tuple[int, ...]:
        """PLANTRACK_CALENDAR_ALARMS as distinct day counts, largest first."""
        try:
            days = {int(x) for x in self.calendar_alarms.replace(";", ",").split(",") if x.strip()}
        except ValueError:
            raise ValueError(f"PLANTRACK_CALENDAR_ALARMS must be working-day counts like '5,1', not {self.calendar_alarms!r}")
        if any(d < 0 for d in days):
            raise ValueError(f"PLANTRACK_CALENDAR_ALARMS must not be negative, not {self.calendar_alarms!r}")
        return tuple(sorted(days, reverse=True))


    @property
    def digest_cc_roles(self) -> tuple[tuple[str, str], ...]:
        """PLANTRACK_DIGEST_CC as (agency code, role) pairs, in the order given."""
        from plantrack.models.enums import ContactRole

        out = []
        for part in (p.strip() for p in self.digest_cc.split(",")):
            if not part:
                continue
            agency, sep, role = (x.strip() for x in part.partition(":"))
            if not sep or not agency or role not in {r.value for r in ContactRole}:
                raise ValueError(f"PLANTRACK_DIGEST_CC: {part!r} is not AGENCY:ROLE (roles: "
                                 f"{', '.join(r.value for r in ContactRole)}), e.g. 'SLDTBXH:head'")
            out.append((agency, role))
        return tuple(out)


def _environment() -> dict[str, str]:
    """The PLANTRACK_* variables that name a setting, keyed by field; names match in any case."""
    names, n = {f.name for f in fields(Settings)}, len(ENV_PREFIX)
    found = {}
    for name, value in os.environ.items():
        if name[:n].upper() == ENV_PREFIX and name[n:].lower() in names:
            found[name[n:].lower()] = value
    return found


def mask_url(url: str) -> str:
    """url with any password replaced by *** (for messages, logs and artifacts)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: show nothing that might be secret
        return url.split("@")[-1] if "@" in url else url


def load_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit overrides (None means 'not given'); raises SettingsError."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


_TRUE, _FALSE = {"1", "true", "t", "yes", "y", "on"}, {"0", "false", "f", "no", "n", "off"}


def _convert(value, kind, bounds):
    """value as kind (a field's annotation), within bounds; raises ValueError saying what is allowed."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):  # X | None
        if value is None:
            return None
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
    if typing.get_origin(kind) is Literal:
        allowed = typing.get_args(kind)
        if value not in allowed:
            raise ValueError(f"must be one of: {', '.join(allowed)}")
        return value
    if kind is bool:
        text = str(value).strip().lower()
        if text not in _TRUE | _FALSE:
            raise ValueError("must be true or false")
        return text in _TRUE
    if kind in (int, float):
        try:
            number = kind(value)
        except (TypeError, ValueError):
            raise ValueError("must be a number" if kind is float else "must be a whole number") from None
        if "ge" in bounds and number < bounds["ge"]:
            raise ValueError(f"must be greater than or equal to {bounds['ge']}")
        if "le" in bounds and number > bounds["le"]:
            raise ValueError(f"must be less than or equal to {bounds['le']}")
        if "gt" in bounds and number <= bounds["gt"]:
            raise ValueError(f"must be greater than {bounds['gt']}")
        return number
    if kind is time:
        try:
            return value if isinstance(value, time) else time.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError("must be a time of day, HH:MM") from None
    if isinstance(kind, type) and issubclass(kind, Enum):
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"must be one of: {', '.join(m.value for m in kind)}") from None
    if kind is Path:
        return Path(value)
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value


def _describe(field_name: str, given, msg: str) -> str:
    name = ENV_PREFIX + field_name.upper()
    shown = f"={given!r}" if isinstance(given, (str, int, float)) and "PASSWORD" not in name and "KEY" not in name \
        else ""
    return f"{name}{shown}: {msg}"
