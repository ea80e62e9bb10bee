"""Runtime settings from the environment (prefix PLANTRACK_)."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_security: str = "none"  # none | starttls | tls
    smtp_rate_per_minute: int = 600
    maildir: Path | None = None
    imap_host: str | None = None
    imap_port: int = 993
    imap_user: str | None = None
    imap_password: str | None = None
    imap_security: str = "tls"
    imap_folder: str = "INBOX"
    lang: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    due_soon_days: int = 7
    # calendars (issue 3)
    feed_base_url: str | None = None  # public URL of served feeds, e.g. https://lich.example.vn/feeds
    feed_event_url: str | None = None  # an event's URL, with {plan} and {code}
    calendar_alarms: str = "7,1"  # reminders, in days before the event; "" for none
    feed_refresh_hours: int = 6  # REFRESH-INTERVAL and X-PUBLISHED-TTL
    feeds_host: str = "127.0.0.1"
    feeds_port: int = 8088
    # check-ins (issue 4)
    checkin_period: str = "week"  # week | month: one check-in round per ISO week or calendar month
    checkin_token_days: int = 45  # reply tokens expire this many days after the round opens
    checkin_reply_local: str | None = None  # local part of the reply address (default: mail_from's)
    smtp_concurrency: int = 2  # SMTP connections used at once
    smtp_timeout: float = 30.0  # seconds per SMTP command
    smtp_max_attempts: int = 5  # tries per message (4xx, dropped connection) before it is marked failed
    smtp_retry_seconds: float = 30.0  # first back-off; doubles after each failed try
    smtp_batch_size: int = 500  # messages per send task (one task run per batch)
    # accepted messages committed 'sent' together (or every 50 ms); a crash may resend up to this many
    # minus one, plus the messages in flight
    smtp_sent_group: int = 50
    send_lock_seconds: float = 300.0  # lease of the send lock (one sending run at a time); refreshed every third

    # schedules (deployments/serve.py), cron in PLANTRACK_TIMEZONE
    calendars_cron: str = "0 * * * *"  # every hour: an unchanged plan writes nothing
    checkins_cron: str = "0 8 * * 1"  # Monday 08:00: one round per ISO week

    @model_validator(mode="after")
    def _derive_paths(self) -> "Settings":
        if self.database_url is None:
            self.database_url = f"sqlite:///{self.data_dir / 'plantrack.db'}"
        if self.feeds_dir is None:
            self.feeds_dir = self.data_dir / "feeds"
        if self.outbox_dir is None:
            self.outbox_dir = self.data_dir / "outbox"
        if self.lang not in ("vi", "en"):
            raise ValueError(f"PLANTRACK_LANG must be 'vi' or 'en', not {self.lang!r}")
        if self.smtp_security not in ("none", "starttls", "tls"):
            raise ValueError(
                f"PLANTRACK_SMTP_SECURITY must be none, starttls or tls, not {self.smtp_security!r}"
            )
        self.calendar_alarm_days  # validates PLANTRACK_CALENDAR_ALARMS
        if self.feed_refresh_hours < 1:
            raise ValueError("PLANTRACK_FEED_REFRESH_HOURS must be at least 1")
        if self.checkin_period not in ("week", "month"):
            raise ValueError(f"PLANTRACK_CHECKIN_PERIOD must be week or month, not {self.checkin_period!r}")
        return self

    def today(self) -> date:
        """The current date in the plan's time zone (what scheduled runs mean by 'today')."""
        return datetime.now(ZoneInfo(self.timezone)).date()

    @property
    def calendar_alarm_days(self) -> tuple[int, ...]:
        """PLANTRACK_CALENDAR_ALARMS as distinct day counts, largest first."""
        try:
            days = {int(x) for x in self.calendar_alarms.replace(";", ",").split(",") if x.strip()}
        except ValueError:
            raise ValueError(f"PLANTRACK_CALENDAR_ALARMS must be day counts like '7,1', not {self.calendar_alarms!r}")
        if any(d < 0 for d in days):
            raise ValueError("PLANTRACK_CALENDAR_ALARMS must not be negative")
        return tuple(sorted(days, reverse=True))


def load_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit overrides (None means 'not given')."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def __getattr__(name: str):
    # The module instance `settings` is built on first use, so a bad PLANTRACK_* value is
    # reported by whoever reads it (the CLI prints it cleanly) instead of failing at import.
    if name == "settings":
        globals()["settings"] = value = Settings()
        return value
    raise AttributeError(name)
