"""Deadlines as the plan words them and as they are counted (pure, given a working-day calendar).

A deliverable keeps the plan's wording of its deadline: "trước ngày 15/6" is BEFORE 15/06, "đến
ngày 15/6" or "hạn 15/6" is BY 15/06. The effective deadline (the last day on which delivering is
on time) follows one rule, PLANTRACK_DEADLINE_RULE:

- civil_code_148 (default): Article 148 of the 2015 Civil Code applied to the wording. The period
  ends at the end of its last day: the written day for BY, the day before it for BEFORE; when that
  last day is a weekend day or a holiday, the period ends at the end of the next working day.
  "Trước ngày 15/06/2024" (a Saturday) -> last day Friday 14/06/2024, a working day -> 14/06/2024.
  "Đến ngày 31/08/2024" (a Saturday, then the 2/9 holiday) -> Wednesday 04/09/2024.
  A span's last day (schedule: span, e.g. the Action Month 01/06-30/06/2024) is its deadline too:
  30/06/2024 is a Sunday, so its work is due by the end of Monday 01/07 (calendars still show the
  span as the plan sets it).
- written_date_148: the written day is the last day whatever the wording (how the plan file's
  assumptions read "trước ngày 15/6" before issue 10), then Article 148's roll-forward:
  "trước ngày 15/06/2024" -> Monday 17/06/2024.
- as_written: the written day, whatever the wording and the weekday (plantrack before issue 10).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from plantrack.models.enums import DueWording  # noqa: F401  (re-exported: the wording and its rule belong together)
from plantrack.models.workdays import WorkCalendar, cached_calendar, weekday_name


class DeadlineRule(StrEnum):
    CIVIL_CODE_148 = "civil_code_148"
    WRITTEN_DATE_148 = "written_date_148"
    AS_WRITTEN = "as_written"


@dataclass(frozen=True)
class DeadlinePolicy:
    """How written deadlines become effective ones: the rule and the working-days folder (None: shipped)."""

    rule: DeadlineRule = DeadlineRule.CIVIL_CODE_148
    workdays_dir: str | None = None

    @property
    def calendar(self) -> WorkCalendar:
        return cached_calendar(self.workdays_dir)

    def effective(self, written: date | None, wording: str = DueWording.BY, schedule: str = "deadline") -> date | None:
        """The effective deadline of a written one (None stays None). A span's last day (the Action Month
        ends Sunday 30/06) is its deadline too; calendars still show the span as the plan sets it."""
        if written is None:
            return None
        return effective_deadline(written, wording, self.rule, self.calendar)

    def digest(self) -> str:
        """Changes whenever an effective deadline could (rule or working-days files)."""
        return hashlib.sha256(f"{self.rule}|{self.calendar.digest}".encode()).hexdigest()[:16]

    @classmethod
    def from_settings(cls, settings) -> "DeadlinePolicy":
        """The policy of a Settings object (PLANTRACK_DEADLINE_RULE, PLANTRACK_WORKDAYS_DIR)."""
        wd = getattr(settings, "workdays_dir", None)
        return cls(DeadlineRule(getattr(settings, "deadline_rule", DeadlineRule.CIVIL_CODE_148)),
                   str(Path(wd).resolve()) if wd else None)


def effective_deadline(written: date, wording: str, rule: DeadlineRule, cal: WorkCalendar) -> date:
    """The last day on which the deliverable is on time, by rule (see the module docstring)."""
    if rule == DeadlineRule.AS_WRITTEN:
        return written
    last = written
    if rule == DeadlineRule.CIVIL_CODE_148 and wording == DueWording.BEFORE:
        last = written - timedelta(days=1)
    return cal.next_working_day(last)


_DATE = "%d/%m/%Y"


def _word(lang: str, word: str) -> str:
    """A word of deadline texts from the catalog (context 'deadline'): 'before' -> 'trước'."""
    from plantrack.config.i18n import translations

    return translations(lang).pgettext("deadline", word)


def day_with_weekday(day: date, lang: str = "vi") -> str:
    """'15/06/2024 (thứ Bảy)' / '15/06/2024 (Saturday)'."""
    return f"{day.strftime(_DATE)} ({weekday_name(day, lang)})"


@lru_cache(maxsize=4096)
def written_text(written: date, wording: str, lang: str = "vi") -> str:
    """The deadline as the plan words it, with its weekday: 'trước 15/06/2024 (thứ Bảy)'."""
    word = _word(lang, "before") if wording == DueWording.BEFORE else ""
    return (word + " " if word else "") + day_with_weekday(written, lang)


@lru_cache(maxsize=4096)  # feeds render it once per deliverable; plans share a few hundred deadlines
def deadline_text(written: date | None, wording: str, effective: date | None, lang: str = "vi") -> str:
    """Written deadline, and the effective one when it is another day (the check-ins' words):
    'trước 15/06/2024 (thứ Bảy), tính đến hết 14/06/2024 (thứ Sáu)'."""
    if written is None:
        return "-"
    out = written_text(written, wording, lang)
    if effective is not None and effective != written:
        from plantrack.config.i18n import gettext_for

        out += ", " + gettext_for(lang)("counted to the end of %(day)s") % {"day": day_with_weekday(effective, lang)}
    return out
