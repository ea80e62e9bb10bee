"""Read a plan file and its agency directory, validate everything, resolve codes and dates.

Nothing here touches the database: a file that fails here writes nothing. Text is taken in Unicode
NFC, so a copy saved in NFD (some Mac and Windows tools do) is the same plan, with the same hash.
"""
from __future__ import annotations

import gc
import hashlib
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date
from pathlib import Path

import yaml
from lunardate import LunarDate
from pydantic import ValidationError

from plantrack.models.plan import yaml_fast
from plantrack.models.plan.schema import LINE_RE, TEXT_RE, DirectoryFile, LunarDay, PlanFile

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser is ten times faster


class _Loader(_Base):
    """Safe YAML without implicit timestamps: dates stay text so bad ones get a located message."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class PlanLimits:
    """What one plan load accepts (PLANTRACK_PLAN_MAX_BYTES, PLANTRACK_PLAN_MAX_ITEMS)."""

    max_bytes: int = 10_000_000  # per file: the plan and its directory
    max_items: int = 5_000  # deliverables + indicators of one plan

    def __post_init__(self):
        for name, value in (("PLANTRACK_PLAN_MAX_BYTES", self.max_bytes), ("PLANTRACK_PLAN_MAX_ITEMS", self.max_items)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")

    @classmethod
    def from_settings(cls, settings) -> "PlanLimits":
        return cls(max_bytes=settings.plan_max_bytes, max_items=settings.plan_max_items)


class PlanFileError(Exception):
    """Invalid plan or directory file; each line of str(self) names the file and the place."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems

    def __reduce__(self):  # from the process that reads ahead (models.plan.load), with its list of problems
        return PlanFileError, (self.problems,)


# Bump when read_plan or store_plan would store anything differently from the same files: an unchanged
# reload is recognised by file hashes and this version alone (models.plan.load), before any parsing.
LOADER_VERSION = "1"


@contextmanager
def collector_paused():
    """Python's cyclic garbage collector paused inside, as it was before after (a decorator too).

    A plan's load builds hundreds of thousands of lists, dicts and models that form no cycle; the
    collector would walk them, and the cached national directory, again and again: a tenth of a load.
    The collector is process-wide: another thread's cycles wait for the end of the load.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def load_key(file_sha256: str, directory_sha256: str, source_sha256: str | None) -> str:
    """The key of one load's inputs: same key, same rows."""
    text = "\0".join((LOADER_VERSION, file_sha256, directory_sha256, source_sha256 or ""))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ResolvedPlan:
    """A validated plan with every agency reference checked and every date made solar."""

    path: Path
    file_sha256: str
    source_sha256: str | None
    plan: PlanFile
    directory: DirectoryFile
    groups: dict[str, list[str]]
    directory_sha256: str = ""
    # code -> solar (start, end) per milestone key, from lunar or solar dates
    milestone_dates: dict[str, dict[str, tuple[date, date | None]]] = field(default_factory=dict)

    def expand(self, refs: list[str]) -> list[str]:
        """Agency codes for a list of codes and @group names, in order, without repeats."""
        out: list[str] = []
        for ref in refs:
            for code in self.groups[ref[1:]] if ref.startswith("@") else [ref]:
                if code not in out:
                    out.append(code)
        return out

    @property
    def load_key(self) -> str:
        return load_key(self.file_sha256, self.directory_sha256, self.source_sha256)


def _line_map(text: str) -> dict[tuple, int]:
    """Map each YAML path (keys and list indexes) to its 1-based line number."""
    lines: dict[tuple, int] = {}

    def walk(node, path: tuple) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines[path + (key.value,)] = key.start_mark.line + 1
                walk(value, path + (key.value,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))

    root = yaml.compose(text, Loader=_Loader)
    if root is not None:
        walk(root, ())
    return lines


class _Places:
    """Turns a path inside a YAML file into 'file:line: path' for error messages."""

    def __init__(self, path: Path, text: str):
        self.path, self.text, self._lines = path, text, None

    def __call__(self, loc: tuple, data=None) -> str:
        if self._lines is None:
            self._lines = _line_map(self.text)
        for n in range(len(loc), -1, -1):
            if loc[:n] in self._lines:
                line = self._lines[loc[:n]]
                break
        else:
            line = 1
        where = ""
        for part in loc:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
        code = _code_at(data, loc)
        return f"{self.path}:{line}: {where}{f' ({code})' if code else ''}"


def _code_at(data, loc: tuple) -> str | None:
    """The 'code' of the list item a path points into, to name the entry in messages."""
    found, node = None, data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("code"), str):
            found = node["code"]
    return found


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _read_yaml(path: Path, max_bytes: int):
    """(NFC text, parsed data) of a YAML file, refusing files larger than max_bytes before reading them."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise PlanFileError([f"{path}: {size:,} bytes, more than the {max_bytes:,} allowed "
                                 "(PLANTRACK_PLAN_MAX_BYTES); nothing was read"])
        raw = path.read_bytes()
    except OSError as exc:
        raise PlanFileError([f"{path}: cannot read file: {exc.strerror}"]) from None
    try:
        text = _nfc(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PlanFileError([f"{path}: not UTF-8 text (byte {exc.start})"]) from None
    try:
        data = yaml_fast.load(text, _Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise PlanFileError([f"{path}{line}: YAML syntax error: {exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise PlanFileError([f"{path}: YAML error: {exc}"]) from None
    return text, data


def _control_char_message(err: dict) -> str | None:
    """A readable message for a one-line or text field holding a control character, else None."""
    if err["type"] != "string_pattern_mismatch" or err.get("ctx", {}).get("pattern") not in (LINE_RE, TEXT_RE):
        return None
    value = err["input"]
    allowed = "\t\n" if err["ctx"]["pattern"] == TEXT_RE else ""
    bad = next((c for c in value if (unicodedata.category(c) == "Cc" and c not in allowed) or c in "\u2028\u2029"), "?")
    name = unicodedata.name(bad, {"\r": "CARRIAGE RETURN", "\n": "LINE FEED", "\t": "TABULATION"}.get(bad, "control"))
    kind = "a one-line field (it can reach a mail header)" if allowed == "" else "text"
    return f"control character U+{ord(bad):04X} ({name}) at position {value.index(bad) + 1} is not allowed in {kind}"


def _validate(model, path: Path, text: str, data):
    if not isinstance(data, dict):
        raise PlanFileError([f"{path}:1: the file must be a YAML mapping, not {type(data).__name__}"])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        place = _Places(path, text)
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "required field is missing"
            elif (control := _control_char_message(err)) is not None:
                msg = control
            elif err["type"] == "extra_forbidden":
                msg = "unknown field"
            problems.append(f"{place(tuple(err['loc']), data)}: {msg}")
        raise PlanFileError(problems) from None


def _solar(value) -> date:
    return _lunar_to_solar(value.lunar) if isinstance(value, LunarDay) else value


@lru_cache(maxsize=4096)
def _lunar_to_solar(lunar: str) -> date:
    """The solar date of a lunar 'YYYY-M-D' (cached: the library walks the months, and plans repeat Tết and Trung thu)."""
    y, m, d = (int(x) for x in lunar.split("-"))
    try:
        return LunarDate(y, m, d).to_solar_date()
    except ValueError:
        raise ValueError(f"lunar date {lunar} does not exist") from None


@dataclass(frozen=True)
class _CheckedDirectory:
    directory: DirectoryFile
    problems: tuple[str, ...]  # the directory's own problems
    refs: frozenset[str]  # what a plan may name as an agency: its codes and @group names
    emails: frozenset[str]  # its people's addresses, lower case


@lru_cache(maxsize=4)
def _directory(path: Path, _sha256: str, max_bytes: int) -> _CheckedDirectory:
    """The validated directory, its own problems and the names plans check against, cached by content:
    loading 34 provincial plans parses one national directory once, not 34 times."""
    text, data = _read_yaml(path, max_bytes)
    directory = _validate(DirectoryFile, path, text, data)
    problems: list[str] = []
    place = _Places(path, text)
    codes: dict[str, int] = {}
    emails: dict[str, str] = {}
    for i, ag in enumerate(directory.agencies):
        if ag.code in codes:
            problems.append(f"{place(('agencies', i, 'code'), data)}: duplicate agency code (first at agencies[{codes[ag.code]}])")
        codes.setdefault(ag.code, i)
        for j, person in enumerate(ag.people):
            key = person.email.lower()
            if key in emails and emails[key] != person.name:
                problems.append(f"{place(('agencies', i, 'people', j, 'email'), data)}: {person.email} is already used by {emails[key]}")
            emails.setdefault(key, person.name)
    for i, ag in enumerate(directory.agencies):
        for fld in ("successor", "parent"):
            ref = getattr(ag, fld)
            if ref is not None and ref not in codes:
                problems.append(f"{place(('agencies', i, fld), data)}: unknown agency code '{ref}'")
            elif ref == ag.code:
                problems.append(f"{place(('agencies', i, fld), data)}: an agency cannot be its own {fld}")
    succ = {a.code: a.successor for a in directory.agencies if a.successor}
    for start in succ:
        seen, cur = {start}, succ.get(start)
        while cur in succ:
            if cur in seen:
                problems.append(f"{path}: successor chain of {start} loops back to {cur}")
                break
            seen.add(cur)
            cur = succ[cur]
    for name, members in directory.groups.items():
        for k, code in enumerate(members):
            if code not in codes:
                problems.append(f"{place(('groups', name, k), data)}: unknown agency code '{code}'")
    return _CheckedDirectory(directory, tuple(problems), frozenset(codes) | {f"@{g}" for g in directory.groups},
                             frozenset(emails))


def _count_items(path: Path, data, limits: PlanLimits) -> None:
    """Refuse a plan with more deliverables and indicators than limits allow, before validating them."""
    if not isinstance(data, dict):
        return
    n = sum(len(data[k]) for k in ("deliverables", "indicators") if isinstance(data.get(k), list))
    if n > limits.max_items:
        raise PlanFileError([f"{path}: {n:,} deliverables and indicators, more than the {limits.max_items:,} "
                             "allowed (PLANTRACK_PLAN_MAX_ITEMS); nothing was loaded"])


def _text_sha256(raw: bytes) -> str:
    """sha256 of a file's NFC text when it is UTF-8 (an NFD copy is the same text), else of its bytes."""
    try:
        return hashlib.sha256(_nfc(raw.decode("utf-8")).encode("utf-8")).hexdigest()
    except UnicodeDecodeError:
        return hashlib.sha256(raw).hexdigest()


def _source_sha256(src: Path) -> str:
    """sha256 of the plan's source text, of its NFC form when it is UTF-8."""
    return _text_sha256(src.read_bytes())


def plan_file_sha256(path: Path) -> str | None:
    """The file_sha256 read_plan stores for the plan file at path (of its NFC text); None when unreadable."""
    try:
        raw = path.read_bytes()
        return hashlib.sha256(_nfc(raw.decode("utf-8")).encode("utf-8")).hexdigest()
    except (OSError, UnicodeDecodeError):
        return None


def text_file_sha256(path: Path) -> str | None:
    """The hash read_plan stores for a directory or source text file (of its NFC text); None when unreadable."""
    try:
        return _text_sha256(path.read_bytes())
    except OSError:
        return None


@collector_paused()
def read_plan_yaml(path: str | Path, limits: PlanLimits = PlanLimits()) -> tuple[str, object]:
    """The plan file's NFC text and its YAML data, within limits (raises PlanFileError): read_plan's first step,
    the only one that needs nothing but the file."""
    path = Path(path)
    text, data = _read_yaml(path, limits.max_bytes)
    _count_items(path, data, limits)
    return text, data


@collector_paused()
def read_plan(path: str | Path, limits: PlanLimits = PlanLimits(),
              parsed: tuple[str, object] | None = None) -> ResolvedPlan:
    """Parse and check a plan file and the directory it names; raise PlanFileError listing every problem.

    parsed: what read_plan_yaml gave for this file, when it was read already.
    """
    path = Path(path)
    text, data = parsed if parsed is not None else read_plan_yaml(path, limits)
    plan = _validate(PlanFile, path, text, data)
    dir_path = (path.parent / plan.directory).resolve()
    try:
        dir_sha = _text_sha256(dir_path.read_bytes())  # as the plan file: an NFD copy is the same directory
    except OSError as exc:
        raise PlanFileError([f"{dir_path}: cannot read the directory named by {path}: {exc.strerror}"]) from None
    checked = _directory(dir_path, dir_sha, limits.max_bytes)
    directory, known = checked.directory, checked.refs
    problems: list[str] = list(checked.problems)
    pplace = _Places(path, text)

    def check_refs(refs: list[str], loc: tuple, listed: bool = True) -> None:
        for k, ref in enumerate(refs):
            if ref in known:
                continue
            if ref.startswith("@"):
                groups = ", ".join(sorted(directory.groups)) or "none"
                problems.append(f"{pplace(loc + (k,) if listed else loc, data)}: unknown agency group '{ref}' (groups: {groups})")
            else:
                problems.append(f"{pplace(loc + (k,) if listed else loc, data)}: unknown agency code '{ref}'")

    emails = checked.emails
    people_refs = [(("plan", "signed_by"), plan.plan.signed_by)]
    people_refs += [(("plan", "digest_to", k), m) for k, m in enumerate(plan.plan.digest_to)]
    for loc, email in people_refs:
        if email is not None and email.lower() not in emails:
            problems.append(f"{pplace(loc, data)}: {email} is not a person in the directory {plan.directory}")
    if plan.plan.coordinator is not None:
        check_refs([plan.plan.coordinator], ("plan", "coordinator"), listed=False)
    if plan.plan.period_end < plan.plan.period_start:
        problems.append(f"{pplace(('plan', 'period_end'), data)}: period_end {plan.plan.period_end} "
                        f"is before period_start {plan.plan.period_start}")
    seen_codes: dict[str, int] = {}
    milestone_dates: dict[str, dict[str, tuple[date, date | None]]] = {}
    for i, d in enumerate(plan.deliverables):
        loc = ("deliverables", i)
        if d.code in seen_codes:
            problems.append(f"{pplace(loc + ('code',), data)}: duplicate deliverable code (first at deliverables[{seen_codes[d.code]}])")
        seen_codes.setdefault(d.code, i)
        if d.start and d.due and d.due < d.start:
            problems.append(f"{pplace(loc + ('due',), data)}: due {d.due} is before start {d.start}")
        if d.schedule == "span" and not (d.start and d.due):
            problems.append(f"{pplace(loc + ('schedule',), data)}: a 'span' deliverable needs both start and due")
        if d.lead not in known:
            check_refs([d.lead], loc + ("lead",), listed=False)
        if not known.issuperset(d.supporting):
            check_refs(d.supporting, loc + ("supporting",))
        if d.report_to and d.report_to not in known:
            check_refs([d.report_to], loc + ("report_to",), listed=False)
        dates = {}
        for j, m in enumerate(d.milestones):
            try:
                start = _solar(m.start)
                end = _solar(m.end) if m.end is not None else None
            except ValueError as exc:
                problems.append(f"{pplace(loc + ('milestones', j), data)}: {exc}")
                continue
            if end is not None and end < start:
                problems.append(f"{pplace(loc + ('milestones', j, 'end'), data)}: end {end} is before start {start}")
            dates[m.key] = (start, end)
        milestone_dates[d.code] = dates
    seen_ind: dict[str, int] = {}
    for i, ind in enumerate(plan.indicators):
        if ind.code in seen_ind:
            problems.append(f"{pplace(('indicators', i, 'code'), data)}: duplicate indicator code (first at indicators[{seen_ind[ind.code]}])")
        seen_ind.setdefault(ind.code, i)
        check_refs([ind.owner], ("indicators", i, "owner"), listed=False)

    source_sha = None
    if plan.plan.source_text:
        src = path.parent / plan.plan.source_text
        try:
            source_sha = _source_sha256(src)
        except OSError as exc:
            problems.append(f"{pplace(('plan', 'source_text'), data)}: cannot read source text {src}: {exc.strerror}")
    if problems:
        raise PlanFileError(problems)
    return ResolvedPlan(
        path=path,
        file_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),  # of the NFC text
        source_sha256=source_sha,
        plan=plan,
        directory=directory,
        groups=directory.groups,
        milestone_dates=milestone_dates,
        directory_sha256=dir_sha,
    )
