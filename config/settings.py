"""Runtime settings from the environment (prefix PLANTRACK_)."""
from __future__ import annotations

import os
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from typing import Literal
from zoneinfo import ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from plantrack.models.enums import RoundPeriod


class SettingsError(ValueError):
    """A PLANTRACK_* value that cannot be used; the message names the variable and what is allowed."""


class Settings(BaseSettings):
    """Every PLANTRACK_* setting; paths left unset are derived from data_dir."""

    model_config = SettingsConfigDict(env_prefix="PLANTRACK_", extra="ignore")

    data_dir: Path = Path(".plantrack")
    database_url: str | None = None
    feeds_dir: Path | None = None
    outbox_dir: Path | None = None
    secret_key: str | None = None
    mail_from: str | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_rate_per_minute: int = Field(600, ge=0)
    maildir: Path | None = None
    imap_host: str | None = None
    imap_port: int = Field(993, ge=1, le=65535)
    imap_user: str | None = None
    imap_password: str | None = None
    imap_security: Literal["none", "starttls", "tls"] = "tls"
    imap_folder: str = "INBOX"
    lang: str = "vi"  # a language with a catalog in config/locale
    timezone: str = "Asia/Ho_Chi_Minh"
    due_soon_days: int = Field(5, ge=0, le=366)  # "Sắp đến hạn": due within this many WORKING days (issue 10)
    # working days and deadlines (issue 10): models/deadlines.py, models/workdays.py, config/escalation.yaml
    deadline_rule: Literal["civil_code_148", "written_date_148", "as_written"] = "civil_code_148"
    workdays_dir: Path | None = None  # folder of vn-<year>.yaml decisions (default: the shipped config/workdays)
    escalation_file: Path | None = None  # the escalation ladder (default: the shipped config/escalation.yaml)
    # calendars (issue 3)
    feed_base_url: str | None = None  # public URL of served feeds, e.g. https://lich.example.vn/feeds
    feed_event_url: str | None = None  # an event's URL, with {plan} and {code}
    calendar_alarms: str = "1"  # reminders, in working days before an event that asks for action; "" for none
    calendar_alarm_time: time = time(8, 0)  # ... at this time of day (a working hour)
    feed_refresh_hours: int = Field(6, ge=1, le=24 * 7)  # REFRESH-INTERVAL and X-PUBLISHED-TTL
    feeds_host: str = "127.0.0.1"
    feeds_port: int = Field(8088, ge=1, le=65535)
    # check-ins (issue 4)
    checkin_period: RoundPeriod = RoundPeriod.WEEK  # one check-in round per ISO week or calendar month
    checkin_token_days: int = Field(45, ge=1, le=3650)  # reply tokens expire this many days after the round opens
    checkin_reply_local: str | None = None  # local part of the reply address (default: mail_from's)
    checkin_reply_days: int = Field(2, ge=0, le=30)  # answers asked for this many working days after the round's day
    checkin_reply_time: time = time(16, 0)  # ... at this time of day (plan time zone)
    smtp_concurrency: int = Field(2, ge=1, le=32)  # SMTP connections used at once
    smtp_timeout: float = Field(30.0, gt=0)  # seconds per SMTP command
    smtp_max_attempts: int = Field(5, ge=1)  # tries per message (4xx, dropped connection) before it is marked failed
    smtp_retry_seconds: float = Field(30.0, ge=0)  # first back-off; doubles after each failed try
    smtp_batch_size: int = Field(500, ge=1)  # messages per send task (one task run per batch)
    # accepted messages committed 'sent' together (or every 50 ms); a crash may resend up to this many
    # minus one, plus the messages in flight
    smtp_sent_group: int = Field(50, ge=1)
    send_lock_seconds: float = Field(300.0, gt=0)  # lease of the send lock (one sending run at a time); refreshed every third
    # limits and relay trust (issue 8)
    plan_max_bytes: int = Field(10_000_000, ge=1)  # largest plan or directory file accepted
    plan_max_items: int = Field(5_000, ge=1)  # most deliverables + indicators in one plan
    checkin_max_items: int = Field(40, ge=1)  # deliverables listed in full in one check-in; the rest are summarised
    smtp_verify_cert: bool = True  # false: accept a relay certificate that does not verify (insecure)
    smtp_ca_file: Path | None = None  # PEM file of the CA(s) that signed the relay's certificate
    # reply intake (issue 9): replies are read from IMAP when imap_host is set, else from maildir
    imap_cafile: Path | None = None  # CA bundle trusted for the IMAP server (a private CA); default: the system's
    imap_processed_folder: str = "Processed"  # where handled replies are moved
    imap_rejected_folder: str = "Rejected"  # where rejected replies are moved
    inbound_batch_size: int = Field(500, ge=1)  # messages read per intake task (one task run per batch)
    inbound_max_bytes: int = Field(50_000_000, ge=1)  # `mail deliver` refuses larger messages (exit 65)
    attachment_max_bytes: int = Field(10_000_000, ge=0)  # larger attachments are listed, their content not kept
    trusted_authserv_id: str | None = None  # Authentication-Results of this server decide (dmarc/spf=fail rejects)
    away_default_days: int = Field(7, ge=0, le=366)  # an out-of-office notice without a date counts this many days
    reply_contact: str | None = None  # whom a rejected sender should contact (default: PLANTRACK_MAIL_FROM)
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
    digest_upcoming_days: int = Field(14, ge=1, le=92)  # deadlines listed ahead, in calendar days
    # rows per status board artifact (plan-status-board, overdue), most urgent first: every flow run stores both
    board_max_rows: int = Field(1000, ge=1, le=100_000)

    @field_validator("lang")
    @classmethod
    def _known_lang(cls, value: str) -> str:
        from plantrack.config.i18n import languages

        if value not in languages():
            raise ValueError(f"not a language plantrack speaks (one of: {', '.join(languages())})")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Ho_Chi_Minh)") from None
        return value

    @model_validator(mode="after")
    def _derive_paths(self) -> "Settings":
        if self.database_url is None:
            self.database_url = f"sqlite:///{self.data_dir / 'plantrack.db'}"
        if self.feeds_dir is None:
            self.feeds_dir = self.data_dir / "feeds"
        if self.outbox_dir is None:
            self.outbox_dir = self.data_dir / "outbox"
        self.calendar_alarm_days  # validates PLANTRACK_CALENDAR_ALARMS
        self.digest_cc_roles  # validates PLANTRACK_DIGEST_CC
        return self

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


def mask_url(url: str) -> str:
    """url with any password replaced by *** (for messages, logs and artifacts)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: show nothing that might be secret
        return url.split("@")[-1] if "@" in url else url


def load_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit overrides (None means 'not given'); raises SettingsError.

    Without overrides, the same PLANTRACK_* variables give a copy of the Settings read before: reading them
    costs ~4 ms here, and every flow run reads them a few times."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        if given:
            return Settings(**given)
        env = tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith("PLANTRACK_")))
        return _from_environment(env).model_copy()
    except ValidationError as exc:
        raise SettingsError("; ".join(_describe(e) for e in exc.errors())) from None


@lru_cache(maxsize=8)
def _from_environment(plantrack_variables: tuple[tuple[str, str], ...]) -> Settings:
    """Settings() while the environment's PLANTRACK_* variables are plantrack_variables (the cache key)."""
    return Settings()


def _describe(error) -> str:
    msg = error["msg"].removeprefix("Value error, ")
    if not error["loc"]:  # a check across fields: its message names the variables itself
        return msg
    name = "PLANTRACK_" + "_".join(str(p) for p in error["loc"]).upper()
    if error["type"] in ("int_parsing", "float_parsing"):
        msg = "must be a number"
    given = error.get("input")
    shown = f"={given!r}" if isinstance(given, (str, int, float)) and "PASSWORD" not in name and "KEY" not in name else ""
    return f"{name}{shown}: {msg}"
