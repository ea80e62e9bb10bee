"""Vietnamese working days (pure arithmetic over a loaded calendar, no database).

A day is a working day unless it is a Saturday or Sunday or a public holiday, with the
government's decisions for each year on top: days off that it adds (Tết bridges, the day after
2/9) and the Saturdays it makes working days in exchange (ngày làm bù). Public holidays, the
lunar ones included (Tết Nguyên đán, Giỗ Tổ Hùng Vương), come from the maintained `holidays`
library; the decisions come from config/workdays/vn-<year>.yaml, each entry citing its source.
Where the file and the library both speak of a day they must agree (tests/test_workdays.py); where
only one speaks it is believed; where they disagree the file wins, because it is what the
province's coordinator can correct without a new release of a library.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from plantrack.config import CONFIG_DIR
from plantrack.models.yamlconf import ConfigFileError, read_located

SHIPPED_DIR = CONFIG_DIR / "workdays"
FILE_RE = re.compile(r"^vn-(\d{4})\.yaml$")
WEEKEND = (5, 6)  # Saturday, Sunday
_ENTRY_KEYS = {"date", "from", "to", "kind", "name", "source", "note"}


class WorkdaysConfigError(ConfigFileError):
    """A bad entry in a working-days file; each line names the file and the line."""


class DayKind(StrEnum):
    OFF = "off"  # a day off the decision adds
    WORK = "work"  # a weekend day the decision makes a working day (ngày làm bù)


@dataclass(frozen=True)
class Decision:
    """One day a government decision makes off or working, and where that is written."""

    day: date
    kind: DayKind
    name: str
    source: str
    file: str
    line: int


def _parse_day(value, where: str, what: str, problems: list[str]) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d{4})-(\d{2})-(\d{2})\s*", value)
        if m:
            try:
                return date(*(int(x) for x in m.groups()))
            except ValueError as exc:
                problems.append(f"{where}: {what} {value!r} is not a real date ({exc})")
                return None
    problems.append(f"{where}: {what} {value!r} is not a date (use YYYY-MM-DD)")
    return None


def _library_days(year: int) -> tuple[dict[date, str], frozenset[date]]:
    """Public holidays of year (date -> Vietnamese name) and the weekend days the library makes working."""
    from holidays.countries.vietnam import Vietnam  # ~40 ms to import: only when a year is first needed

    lib = Vietnam(years=year, language="vi")
    names = {d: n for d, n in lib.items() if d.year == year}
    work = frozenset(d for d in getattr(lib, "weekend_workdays", ()) if d.year == year)
    return names, work


def _cache_file(year: int) -> Path | None:
    """Where the library's answer for year is kept between processes (user cache dir, per library version)."""
    try:
        version = importlib.metadata.version("holidays")
    except importlib.metadata.PackageNotFoundError:
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "plantrack" / f"holidays-vn-{version}-{year}.json"


@lru_cache(maxsize=64)
def library_days(year: int) -> tuple[dict[date, str], frozenset[date]]:
    """_library_days, computed once per library version and year and then read from the user's cache folder:
    importing the library costs every command ~0.25 s. An unreadable cache is recomputed and rewritten."""
    path = _cache_file(year)
    if path is not None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return ({date.fromisoformat(d): n for d, n in data["holidays"].items()},
                    frozenset(date.fromisoformat(d) for d in data["weekend_workdays"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
    names, work = _library_days(year)
    if path is not None:
        data = {"holidays": {d.isoformat(): n for d, n in sorted(names.items())},
                "weekend_workdays": sorted(d.isoformat() for d in work)}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)  # readers see the old file or the whole new one
        except OSError:
            pass  # a read-only home: compute again next time
    return names, work


def read_decisions(path: Path) -> list[Decision]:
    """The decisions of one vn-<year>.yaml file; raises WorkdaysConfigError listing every bad entry."""
    path = Path(path)
    m = FILE_RE.match(path.name)
    doc = read_located(path)
    problems: list[str] = []
    if not m:
        raise WorkdaysConfigError([f"{path}:1: a working-days file is named vn-<year>.yaml, not {path.name!r}"])
    year = int(m.group(1))
    data = doc.data
    if not isinstance(data, dict):
        raise WorkdaysConfigError([f"{path}:1: the file must be a mapping with 'year' and 'days'"])
    unknown = set(data) - {"year", "days"}
    for key in sorted(unknown, key=str):
        problems.append(f"{doc.where(key)}: unknown key {key!r} (expected 'year' and 'days')")
    if data.get("year") != year:
        problems.append(f"{doc.where('year')}: year {data.get('year')!r} does not match the file name ({year})")
    days = data.get("days")
    if not isinstance(days, list):
        problems.append(f"{doc.where('days')}: 'days' must be a list of entries")
        raise WorkdaysConfigError(problems)
    holidays_, lib_work = library_days(year)
    out: list[Decision] = []
    seen: dict[date, tuple[DayKind, int]] = {}
    for i, entry in enumerate(days):
        where = doc.where("days", i)
        line = doc.line("days", i)
        if not isinstance(entry, dict):
            problems.append(f"{where}: an entry must be a mapping (date or from/to, kind, name, source)")
            continue
        for key in sorted(set(entry) - _ENTRY_KEYS, key=str):
            problems.append(f"{doc.where('days', i, key)}: unknown key {key!r} in an entry "
                            f"(known: {', '.join(sorted(_ENTRY_KEYS))})")
        kind_raw = entry.get("kind")
        try:
            kind = DayKind(kind_raw)
        except ValueError:
            problems.append(f"{doc.where('days', i, 'kind')}: unknown kind {kind_raw!r} (use 'off' or 'work')")
            kind = None
        for field in ("name", "source"):
            if not isinstance(entry.get(field), str) or not entry[field].strip():
                problems.append(f"{doc.where('days', i, field) if field in entry else where}: "
                                f"'{field}' is required (a non-empty text{'; cite the decision' if field == 'source' else ''})")
        if "date" in entry and ("from" in entry or "to" in entry):
            problems.append(f"{where}: give either 'date' or 'from'/'to', not both")
            continue
        if "date" in entry:
            first = last = _parse_day(entry["date"], doc.where("days", i, "date"), "date", problems)
            single = True
        elif "from" in entry and "to" in entry:
            first = _parse_day(entry["from"], doc.where("days", i, "from"), "from", problems)
            last = _parse_day(entry["to"], doc.where("days", i, "to"), "to", problems)
            single = False
            if first and last and last < first:
                problems.append(f"{doc.where('days', i, 'to')}: 'to' {last.isoformat()} is before 'from' "
                                f"{first.isoformat()}")
                continue
        else:
            problems.append(f"{where}: an entry needs 'date' or both 'from' and 'to'")
            continue
        if first is None or last is None or kind is None:
            continue
        if first.year != year or last.year != year:
            problems.append(f"{where}: {first.isoformat()}..{last.isoformat()} is outside {year}, the year of this file")
            continue
        if kind is DayKind.WORK and not single:
            problems.append(f"{where}: a make-up working day is one 'date', not a range")
            continue
        day = first
        while day <= last:
            weekend = day.weekday() in WEEKEND
            if kind is DayKind.WORK:
                if not weekend:
                    problems.append(f"{where}: {day.isoformat()} ({_WEEKDAY_EN[day.weekday()]}) is already a "
                                    "working day: a make-up working day (làm bù) falls on a Saturday or Sunday")
                elif day in holidays_:
                    problems.append(f"{where}: {day.isoformat()} is a public holiday ({holidays_[day]}): "
                                    "it cannot be a make-up working day")
            elif single and weekend and day not in lib_work:
                problems.append(f"{where}: {day.isoformat()} ({_WEEKDAY_EN[day.weekday()]}) is already a day off")
            if day in seen:
                other_kind, other_line = seen[day]
                problems.append(f"{where}: {day.isoformat()} is already listed at line {other_line}"
                                + (" with the opposite kind" if other_kind != kind else ""))
            else:
                seen[day] = (kind, line)
                out.append(Decision(day, kind, entry.get("name", ""), entry.get("source", ""), str(path), line))
            day += timedelta(days=1)
    if problems:
        raise WorkdaysConfigError(problems)
    return out


_WEEKDAY_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class WorkCalendar:
    """Working days: weekends and `holidays` public holidays, corrected by the decisions given."""

    def __init__(self, decisions: list[Decision] | tuple[Decision, ...] = (), digest: str = ""):
        self.decisions = tuple(decisions)
        self._off = {d.day: d for d in self.decisions if d.kind is DayKind.OFF}
        self._work = {d.day: d for d in self.decisions if d.kind is DayKind.WORK}
        self.digest = digest  # what the calendar was built from (feeds depend on it)
        self._years: dict[int, tuple[int, bytes, list[int]]] = {}  # year -> (ordinal of 1 Jan, flags, cumulative)

    def _year(self, year: int) -> tuple[int, bytes, list[int]]:
        got = self._years.get(year)
        if got is None:
            holidays_, lib_work = library_days(year)
            start = date(year, 1, 1)
            flags = bytearray()
            cum = [0]
            day = start
            while day.year == year:
                if day in self._work:
                    ok = True
                elif day in self._off:
                    ok = False
                elif day in holidays_:
                    ok = False
                elif day in lib_work:
                    ok = True
                else:
                    ok = day.weekday() not in WEEKEND
                flags.append(ok)
                cum.append(cum[-1] + ok)
                day += timedelta(days=1)
            got = self._years[year] = (start.toordinal(), bytes(flags), cum)
        return got

    def is_working_day(self, day: date) -> bool:
        """True when offices work on day."""
        first, flags, _ = self._year(day.year)
        return bool(flags[day.toordinal() - first])

    def why_off(self, day: date, lang: str = "vi") -> str | None:
        """Why day is not a working day (holiday or decision name, or the weekday), None when it is one."""
        if self.is_working_day(day):
            return None
        if day in self._off:
            return self._off[day].name
        names, _ = library_days(day.year)
        if day in names:
            return names[day]
        return weekday_name(day, lang)

    def _count_upto(self, day: date) -> int:
        """Working days from 1 Jan of day's year up to and including day (per-year prefix sums)."""
        first, _, cum = self._year(day.year)
        return cum[day.toordinal() - first + 1]

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end; negative (the same count) when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        if start.year == end.year:
            return self._count_upto(end) - self._count_upto(start)
        total = self._count_upto(date(start.year, 12, 31)) - self._count_upto(start)
        for y in range(start.year + 1, end.year):
            total += self._count_upto(date(y, 12, 31))
        return total + self._count_upto(end)

    def next_working_day(self, day: date) -> date:
        """day itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def previous_working_day(self, day: date) -> date:
        """day itself when it is a working day, else the last working day before it."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after day (n > 0) or before it (n < 0); day itself when n == 0."""
        step = timedelta(days=1 if n > 0 else -1)
        left = abs(n)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
        return day


def weekday_name(day: date, lang: str = "vi") -> str:
    """'thứ Bảy' / 'Saturday' (Babel's names, config/i18n.py)."""
    from plantrack.config.i18n import weekday

    return weekday(day, lang)


def load_calendar(directory: Path | None = None) -> WorkCalendar:
    """The calendar of every vn-<year>.yaml in directory (default: the shipped config/workdays)."""
    directory = Path(directory) if directory is not None else SHIPPED_DIR
    if not directory.is_dir():
        raise WorkdaysConfigError([f"{directory}: no such folder of working-days files (vn-<year>.yaml)"])
    decisions: list[Decision] = []
    problems: list[str] = []
    h = hashlib.sha256()
    for path in sorted(directory.glob("*.yaml")):
        try:
            decisions += read_decisions(path)
        except ConfigFileError as exc:
            problems += exc.problems
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    if problems:
        raise WorkdaysConfigError(problems)
    return WorkCalendar(decisions, digest=h.hexdigest()[:16])


@lru_cache(maxsize=4)
def cached_calendar(directory: str | None = None) -> WorkCalendar:
    """load_calendar, once per folder per process."""
    return load_calendar(Path(directory) if directory else None)


def default_calendar() -> WorkCalendar:
    """The shipped calendar (config/workdays), loaded once."""
    return cached_calendar(None)


def is_working_day(day: date, cal: WorkCalendar | None = None) -> bool:
    """True when offices work on day (default: the shipped calendar)."""
    return (cal or default_calendar()).is_working_day(day)


def add_working_days(day: date, n: int, cal: WorkCalendar | None = None) -> date:
    """The n-th working day after (n > 0) or before (n < 0) day; day itself when n == 0."""
    return (cal or default_calendar()).add_working_days(day, n)


def effective_deadline(last_day: date, cal: WorkCalendar | None = None) -> date:
    """Article 148 of the 2015 Civil Code: a period whose last day is a day off ends on the next working day.
    (The plan's wording, "trước ngày" or "đến ngày", is models/deadlines.py's business.)"""
    return (cal or default_calendar()).next_working_day(last_day)


def working_days_between(start: date, end: date, cal: WorkCalendar | None = None) -> int:
    """Working days d with start < d <= end (negative when end is before start)."""
    return (cal or default_calendar()).working_days_between(start, end)
