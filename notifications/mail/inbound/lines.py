"""Read report lines (`<code>: <state or %> [- note]`, indicator values) from a reply's new text (pure).

A line is either understood completely (a Report) or listed as not understood with a reason; nothing
in between is ever applied. Codes are matched leniently (case, spaces, `III 4`, `vi1/syt`), state
words in Vietnamese and English with or without diacritics.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum


class Kind(StrEnum):
    DELIVERABLE = "deliverable"
    INDICATOR = "indicator"


class Said(StrEnum):
    """What a line says about a deliverable (blocked keeps the state and records the note)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    BLOCKED = "blocked"


class Problem(StrEnum):
    UNKNOWN_CODE = "unknown_code"
    NO_VALUE = "no_value"
    NOT_UNDERSTOOD = "not_understood"
    BAD_PERCENT = "bad_percent"
    AMBIGUOUS_NUMBER = "ambiguous_number"
    WRONG_UNIT = "wrong_unit"
    VALUE_FOR_DELIVERABLE = "value_for_deliverable"
    STATE_FOR_INDICATOR = "state_for_indicator"


@dataclass(frozen=True)
class Target:
    """A code that can be reported on: a deliverable or an indicator (unit '%', 'đồng', ...)."""

    code: str
    kind: Kind
    unit: str = ""


@dataclass(frozen=True)
class Report:
    """One understood line."""

    code: str
    kind: Kind
    line: str
    said: Said | None = None
    progress: int | None = None
    value: Decimal | None = None
    completed_on: date | None = None
    note: str | None = None


@dataclass(frozen=True)
class Unclear:
    """One line that names (or seems to name) a code but was not fully understood."""

    line: str
    problem: Problem
    code: str | None = None


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord("đ"): "d", ord("Đ"): "D"}
    for cp in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base:
            table[cp] = base
    for cp in range(0x300, 0x370):  # combining marks of decomposed input
        table[cp] = None
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lowercase without diacritics (đ -> d), spaces collapsed: how words are compared."""
    return " ".join(text.translate(_FOLD).lower().split())


def code_key(code: str) -> str:
    """The lenient form of a code: upper case, letters and digits only, one '/' kept (VI.1/SYT -> VI1/SYT)."""
    head, slash, tail = code.upper().partition("/")
    key = re.sub(r"[^A-Z0-9]", "", head)
    return key + ("/" + re.sub(r"[^A-Z0-9]", "", tail) if slash else "")


class CodeBook:
    """The codes of one plan, looked up leniently; a bare `VI.1` resolves to the sender agency's `VI.1/X`."""

    def __init__(self, targets: Iterable[Target]):
        self.by_key: dict[str, Target] = {}
        for t in targets:
            self.by_key[code_key(t.code)] = t

    def resolve(self, key: str, agency_code: str | None = None) -> Target | None:
        t = self.by_key.get(key)
        if t is None and agency_code and "/" not in key:
            t = self.by_key.get(key + "/" + code_key(agency_code).replace("/", ""))
        return t

    def example(self, codes: Iterable[str]) -> str | None:
        return next(iter(codes), None)


_STATE_WORDS: dict[Said, tuple[str, ...]] = {
    Said.DONE: ("hoan thanh", "da hoan thanh", "xong", "da xong", "ht", "hoan tat", "da hoan tat", "done",
                "finished", "completed", "complete"),
    Said.IN_PROGRESS: ("dang thuc hien", "dang lam", "dang trien khai", "dang tien hanh", "da bat dau",
                       "in progress", "in-progress", "started", "ongoing", "on going"),
    Said.NOT_STARTED: ("chua bat dau", "chua lam", "chua thuc hien", "chua trien khai", "not started",
                       "not yet started"),
    Said.BLOCKED: ("vuong mac", "dang vuong mac", "co vuong mac", "kho khan", "gap kho khan", "dang gap kho khan",
                   "blocked", "stuck"),
    Said.PAUSED: ("tam dung", "tam ngung", "paused", "on hold"),
    Said.CANCELLED: ("huy", "da huy", "huy bo", "cancelled", "canceled"),
}
_WORD_STATE = {w: s for s, words in _STATE_WORDS.items() for w in words}
_STATES_RE = "|".join(sorted((re.escape(w) for w in _WORD_STATE), key=len, reverse=True))
_PCT = r"(?P<pct>\d{1,3}(?:[.,]\d+)?)\s*%"
_DATE = r"(?:(?:vao\s+)?ngay|on|vao|luc)?\s*(?P<date>\d{1,2}/\d{1,2}(?:/\d{2,4})?)"
_DELIVERABLE_VALUE = [
    re.compile(rf"^(?P<state>{_STATES_RE})(?:\s*[,;]?\s*\(?{_PCT}\)?)?(?:\s*[,;]?\s*{_DATE})?$"),
    re.compile(rf"^{_PCT}(?:\s*[,;]?\s*(?P<state>{_STATES_RE}))?$"),
]
# A code at the start of a line: roman numeral, number, optional /AGENCY; then ':' '=' or a dash.
_CODE = re.compile(
    r"^(?P<code>(?P<roman>[IVXivx]{1,4})\s*[.\s]?\s*(?P<num>\d{1,2})(?P<letter>[A-Za-z])?(?:\s*\.\s*(?P<sub>\d{1,2}))?"
    r"(?:\s*/\s*(?P<agency>[A-Za-z0-9](?:[A-Za-z0-9_-]|\s(?=[A-Za-z0-9]))*?))?)"
    r"\s*(?:(?P<sep>[:=])|\s[-–—]\s|\s+(?=\S)|$)\s*(?P<rest>.*)$")
_BULLET = re.compile(r"^\s*(?:[-*•+·▪◦]\s+|\d{1,2}[.)]\s+)?")
# Where a note may start after the value (the longest value that parses wins).
_NOTE_SEP = re.compile(r"\s+[-–—]\s*|\s*[;(]\s*|,\s+|,(?=[^\d\s])|\s*:\s+|\.\s+")
_MULT = {"nghin": 10**3, "ngan": 10**3, "k": 10**3, "thousand": 10**3, "trieu": 10**6, "tr": 10**6,
         "million": 10**6, "m": 10**6, "ty": 10**9, "ti": 10**9, "billion": 10**9, "bn": 10**9}
_MONEY = {"dong", "d", "vnd", "vnđ", "đ"}
_NUMBER = re.compile(
    r"^(?P<num>\d[\d.,\s]*?)\s*(?P<mult>nghin|ngan|k|thousand|trieu|tr|million|m|ty|ti|billion|bn)?\.?"
    r"\s*(?P<unit>%|dong|d|vnd|vnđ|đ)?\.?$")


class Ambiguous(ValueError):
    pass


def parse_number(text: str, money: bool, percent: bool) -> Decimal:
    """A number written with '.' or ',' as decimal or thousands separator; raises Ambiguous or ValueError."""
    s = text.replace(" ", "").replace("\u00a0", "")
    if not re.fullmatch(r"\d[\d.,]*", s) or s[-1] in ".,":
        raise ValueError(text)
    dots, commas = s.count("."), s.count(",")
    if dots and commas:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        thou = "," if dec == "." else "."
        if s.count(dec) > 1:
            raise ValueError(text)
        whole, frac = s.split(dec)
        _check_groups(whole.split(thou), text)
        return Decimal(whole.replace(thou, "") + "." + frac)
    sep = "." if dots else "," if commas else None
    if sep is None:
        return Decimal(s)
    parts = s.split(sep)
    if len(parts) > 2:
        _check_groups(parts, text)
        return Decimal("".join(parts))
    if len(parts[1]) != 3 or percent:
        return Decimal(parts[0] + "." + parts[1])
    if money:  # 850.000 đồng: a thousands separator (no one writes fractions of a đồng)
        return Decimal(parts[0] + parts[1])
    raise Ambiguous(text)


def _check_groups(groups: list[str], text: str) -> None:
    if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
        raise ValueError(text)


def _deliverable_value(value: str, year: int) -> tuple[Said | None, int | None, date | None] | Problem:
    f = fold(value)
    for rx in _DELIVERABLE_VALUE:
        m = rx.match(f)
        if not m:
            continue
        said = _WORD_STATE[m.group("state")] if m.group("state") else None
        pct = None
        if m.group("pct") is not None:
            p = Decimal(m.group("pct").replace(",", "."))
            if not 0 <= p <= 100:
                return Problem.BAD_PERCENT
            pct = int(p.to_integral_value())
        when = None
        if "date" in m.groupdict() and m.group("date"):
            when = _day(m.group("date"), year)
            if when is None:
                return Problem.NOT_UNDERSTOOD
        if said is None:
            said = Said.DONE if pct == 100 else Said.IN_PROGRESS
        if said == Said.DONE and pct not in (None, 100):
            return Problem.NOT_UNDERSTOOD  # "done 60%" contradicts itself
        if said in (Said.NOT_STARTED,) and pct not in (None, 0):
            return Problem.NOT_UNDERSTOOD
        if when is not None and said != Said.DONE:
            return Problem.NOT_UNDERSTOOD
        return said, pct, when
    return Problem.NOT_UNDERSTOOD


def _day(text: str, year: int) -> date | None:
    parts = [int(p) for p in text.split("/")]
    d, m = parts[0], parts[1]
    y = parts[2] if len(parts) == 3 else year
    if y < 100:
        y += 2000
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _indicator_value(value: str, unit: str) -> Decimal | Problem:
    f = fold(value)
    m = _NUMBER.match(f)
    if not m:
        return Problem.NOT_UNDERSTOOD if not re.search(rf"^(?:{_STATES_RE})\b", f) else Problem.STATE_FOR_INDICATOR
    mult, u = m.group("mult"), m.group("unit")
    percent_unit = unit.strip() == "%"
    money_unit = fold(unit) in _MONEY or fold(unit) == "dong"
    if u == "%" and not percent_unit:
        return Problem.WRONG_UNIT
    if (u in _MONEY or mult) and not money_unit:
        return Problem.WRONG_UNIT
    try:
        n = parse_number(m.group("num"), money=money_unit and not mult, percent=percent_unit)
    except Ambiguous:
        return Problem.AMBIGUOUS_NUMBER
    except (ValueError, InvalidOperation):
        return Problem.NOT_UNDERSTOOD
    if mult:
        n *= _MULT[mult]
    if n >= Decimal(10) ** 16:
        return Problem.NOT_UNDERSTOOD
    return n


def _value_candidates(rest: str) -> list[tuple[str, str | None]]:
    """(value, note) splits of rest: the whole first, then at each note separator from the right."""
    out = [(rest, None)]
    for m in reversed(list(_NOTE_SEP.finditer(rest))):
        value, note = rest[:m.start()].strip(), rest[m.end():].strip().rstrip(")").strip()
        if value:
            out.append((value, note or None))
    return out


def parse_line(line: str, book: CodeBook, agency_code: str | None = None, year: int = 2024) -> Report | Unclear | None:
    """A report line understood completely, an Unclear line that names a code, or None (not a report line)."""
    raw = line.strip()
    text = _BULLET.sub("", raw, count=1).strip().strip("*_").strip()
    if not text or len(text) > 500:
        return None
    m = _CODE.match(text)
    if not m:
        return None
    key = code_key(m.group("roman") + m.group("num") + (m.group("letter") or "")
                   + (("." + m.group("sub")) if m.group("sub") else "")
                   + (("/" + m.group("agency")) if m.group("agency") else ""))
    target = book.resolve(key, agency_code)
    rest = m.group("rest").strip().rstrip(".").strip()
    if target is None:
        # "Iv 2" or "x 3 chairs" are not codes worth answering about unless a separator says so
        if m.group("sep") or rest == "":
            return Unclear(raw, Problem.UNKNOWN_CODE, None)
        return None
    if not rest:
        return Unclear(raw, Problem.NO_VALUE, target.code)
    last = Problem.NOT_UNDERSTOOD
    for value, note in _value_candidates(rest):
        if target.kind == Kind.DELIVERABLE:
            got = _deliverable_value(value, year)
            if isinstance(got, Problem):
                if got != Problem.NOT_UNDERSTOOD:
                    last = got
                elif re.fullmatch(r"\d[\d.,\s]*", value.strip()):
                    last = Problem.VALUE_FOR_DELIVERABLE
                continue
            said, pct, when = got
            return Report(target.code, target.kind, raw, said=said, progress=pct, completed_on=when, note=note)
        got = _indicator_value(value, target.unit)
        if isinstance(got, Problem):
            if got != Problem.NOT_UNDERSTOOD:
                last = got
            continue
        return Report(target.code, target.kind, raw, value=got, note=note)
    return Unclear(raw, last, target.code)


@dataclass(frozen=True)
class LinesRead:
    reports: tuple[Report, ...]
    unclear: tuple[Unclear, ...]


def read_lines(text: str, book: CodeBook, agency_code: str | None = None, year: int = 2024) -> LinesRead:
    """Every report line of text; a code reported twice keeps the last line (the others become unclear)."""
    reports: dict[str, Report] = {}
    unclear: list[Unclear] = []
    for line in text.splitlines():
        got = parse_line(line, book, agency_code, year)
        if isinstance(got, Report):
            if got.code in reports and reports[got.code] != got:
                unclear.append(Unclear(reports[got.code].line, Problem.NOT_UNDERSTOOD, got.code))
            reports[got.code] = got
        elif isinstance(got, Unclear):
            unclear.append(got)
    return LinesRead(tuple(reports.values()), tuple(unclear))


def codes_by_key(codes: Mapping[str, Target]) -> CodeBook:
    return CodeBook(codes.values())
