"""The escalation ladder from its config file (config/escalation.yaml): rungs, roles, checks with file:line."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from plantrack.config import ESCALATION_FILE
from plantrack.config.i18n import translations
from plantrack.models.yamlconf import ConfigFileError, Located, read_located


class LadderConfigError(ConfigFileError):
    """An escalation file that cannot be used; each line names the file and the line."""


class Role(StrEnum):
    FOCAL_POINT = "focal_point"
    HEAD = "head"
    COORDINATOR = "coordinator"
    PLAN_COORDINATOR = "plan_coordinator"
    DEPUTY_CHAIR = "deputy_chair"


DIRECTORY_ROLES = ("focal_point", "deputy", "head")  # roles of the agency directory (models/plan/schema.py)


def role_name(role: str, lang: str) -> str:
    """What people call a role of the ladder or the directory: 'đầu mối', 'thủ trưởng cơ quan' / 'focal point';
    an unknown role as it is written."""
    pgettext = translations(lang).pgettext
    names = {"focal_point": pgettext("role", "focal point"), "deputy": pgettext("role", "deputy head"),
             "head": pgettext("role", "head of agency"), "coordinator": pgettext("role", "coordinator"),
             "plan_coordinator": pgettext("role", "plan coordinator"),
             "deputy_chair": pgettext("role", "Deputy Chair")}
    return names.get(str(role), str(role))


@dataclass(frozen=True)
class Rung:
    """One step: fires `at` working days from the effective deadline (negative: before it)."""

    level: int
    at: int
    to: tuple[Role, ...]
    cc: tuple[Role, ...] = ()
    email: bool = True
    line: int = 0

    @property
    def key(self) -> str:
        return f"L{self.level}{self.at:+d}"


@dataclass(frozen=True)
class PersonRef:
    """A named person of the plan: the first of roles with a person at the agency with this code."""

    agency: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Ladder:
    rungs: tuple[Rung, ...]
    skipped_rounds: int = 2
    blocked: Rung = Rung(3, 0, (Role.HEAD, Role.PLAN_COORDINATOR), (Role.FOCAL_POINT,))
    send_on_days_off: bool = False
    plan_coordinator: PersonRef = PersonRef("SLDTBXH", ("focal_point",))
    deputy_chair: PersonRef = PersonRef("UBND-TINH", ("deputy", "head"))
    coordinator_roles: tuple[str, ...] = ("focal_point",)
    source: str = ""

    @property
    def before_due(self) -> tuple[Rung, ...]:
        return tuple(r for r in self.rungs if r.at <= 0)

    @property
    def overdue(self) -> tuple[Rung, ...]:
        return tuple(r for r in self.rungs if r.at > 0)


_TOP = {"ladder", "non_response", "blocked", "send_on_days_off", "people"}
_RUNG = {"level", "at", "to", "cc", "email"}


def _int(doc: Located, loc: tuple, value, problems: list[str], minimum: int | None = None) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{doc.where(*loc)}: {loc[-1]} must be a whole number, not {value!r}")
        return None
    if minimum is not None and value < minimum:
        problems.append(f"{doc.where(*loc)}: {loc[-1]} must be at least {minimum}, not {value}")
        return None
    return value


def _roles(doc: Located, loc: tuple, value, problems: list[str], required: bool) -> tuple[Role, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, list) or (required and not value):
        problems.append(f"{doc.where(*loc)}: {loc[-1]} must be a list of roles "
                        f"({', '.join(r.value for r in Role)})")
        return ()
    out = []
    for i, v in enumerate(value):
        try:
            out.append(Role(v))
        except ValueError:
            problems.append(f"{doc.where(*loc, i)}: unknown role {v!r} (one of {', '.join(r.value for r in Role)})")
    return tuple(out)


def _rung(doc: Located, loc: tuple, raw, problems: list[str], at_required: bool = True) -> Rung | None:
    if not isinstance(raw, dict):
        problems.append(f"{doc.where(*loc)}: a rung is a mapping with level, at, to (and cc, email)")
        return None
    allowed = _RUNG if at_required else _RUNG - {"at"}
    for key in sorted(set(raw) - allowed, key=str):
        problems.append(f"{doc.where(*loc, key)}: unknown key {key!r} (known: {', '.join(sorted(allowed))})")
    n = len(problems)
    level = _int(doc, loc + ("level",), raw.get("level"), problems, 1)
    at = _int(doc, loc + ("at",), raw.get("at"), problems) if at_required else 0
    to = _roles(doc, loc + ("to",), raw.get("to"), problems, True)
    cc = _roles(doc, loc + ("cc",), raw.get("cc"), problems, False)
    email = raw.get("email", True)
    if not isinstance(email, bool):
        problems.append(f"{doc.where(*loc, 'email')}: email must be true or false, not {email!r}")
    if len(problems) > n:
        return None
    return Rung(level, at, to, cc, email, doc.line(*loc))


def _person(doc: Located, loc: tuple, raw, problems: list[str], default: PersonRef) -> PersonRef:
    if raw is None:
        return default
    if not isinstance(raw, dict) or set(raw) - {"agency", "roles"} or not isinstance(raw.get("agency"), str):
        problems.append(f"{doc.where(*loc)}: {loc[-1]} is {{agency: CODE, roles: [{', '.join(DIRECTORY_ROLES)}]}}")
        return default
    roles = raw.get("roles", ["focal_point"])
    if not isinstance(roles, list) or not roles or any(r not in DIRECTORY_ROLES for r in roles):
        problems.append(f"{doc.where(*loc, 'roles')}: roles must be a list of {', '.join(DIRECTORY_ROLES)}")
        return default
    return PersonRef(raw["agency"], tuple(roles))


def parse_ladder(doc: Located) -> Ladder:
    """A Ladder from a parsed file; raises LadderConfigError listing every problem with its line."""
    data, problems = doc.data, []
    if not isinstance(data, dict):
        raise LadderConfigError([f"{doc.path}:1: the file must be a mapping with a 'ladder' list"])
    for key in sorted(set(data) - _TOP, key=str):
        problems.append(f"{doc.where(key)}: unknown key {key!r} (known: {', '.join(sorted(_TOP))})")
    raw_rungs = data.get("ladder")
    rungs: list[Rung] = []
    if not isinstance(raw_rungs, list) or not raw_rungs:
        problems.append(f"{doc.where('ladder')}: 'ladder' must be a non-empty list of rungs")
    else:
        for i, raw in enumerate(raw_rungs):
            rung = _rung(doc, ("ladder", i), raw, problems)
            if rung is None:
                continue
            if rungs:
                prev = rungs[-1]
                if rung.at <= prev.at:
                    problems.append(
                        f"{doc.where('ladder', i, 'at')}: impossible ladder: level {rung.level} at {rung.at:+d} "
                        f"working days fires {'with' if rung.at == prev.at else 'before'} the previous rung "
                        f"(level {prev.level} at {prev.at:+d}, line {prev.line}); rungs must fire later and later")
                elif rung.level < prev.level:
                    problems.append(
                        f"{doc.where('ladder', i, 'level')}: impossible ladder: level {rung.level} at {rung.at:+d} "
                        f"comes after level {prev.level} (line {prev.line}): a later rung cannot be a lower level")
            rungs.append(rung)
    skipped = 2
    nr = data.get("non_response", {})
    if not isinstance(nr, dict) or set(nr) - {"skipped_rounds"}:
        problems.append(f"{doc.where('non_response')}: non_response is {{skipped_rounds: N}}")
    else:
        got = _int(doc, ("non_response", "skipped_rounds"), nr.get("skipped_rounds", 2), problems, 1)
        skipped = got if got is not None else skipped
    blocked = Ladder.blocked
    if "blocked" in data:
        got = _rung(doc, ("blocked",), data["blocked"], problems, at_required=False)
        blocked = got if got is not None else blocked
    days_off = data.get("send_on_days_off", False)
    if not isinstance(days_off, bool):
        problems.append(f"{doc.where('send_on_days_off')}: send_on_days_off must be true or false, not {days_off!r}")
    people = data.get("people", {}) or {}
    if not isinstance(people, dict):
        problems.append(f"{doc.where('people')}: people must be a mapping")
        people = {}
    for key in sorted(set(people) - {"plan_coordinator", "deputy_chair", "coordinator_roles"}, key=str):
        problems.append(f"{doc.where('people', key)}: unknown key {key!r}")
    plan_coord = _person(doc, ("people", "plan_coordinator"), people.get("plan_coordinator"), problems,
                         Ladder.plan_coordinator)
    chair = _person(doc, ("people", "deputy_chair"), people.get("deputy_chair"), problems, Ladder.deputy_chair)
    coord_roles = people.get("coordinator_roles", ["focal_point"])
    if not isinstance(coord_roles, list) or not coord_roles or any(r not in DIRECTORY_ROLES for r in coord_roles):
        problems.append(f"{doc.where('people', 'coordinator_roles')}: coordinator_roles must be a list of "
                        f"{', '.join(DIRECTORY_ROLES)}")
        coord_roles = ["focal_point"]
    if problems:
        raise LadderConfigError(problems)
    return Ladder(tuple(rungs), skipped, blocked, days_off is True, plan_coord, chair, tuple(coord_roles),
                  str(doc.path))


def read_ladder(path: Path | None = None) -> Ladder:
    """The ladder of path (default: the shipped config/escalation.yaml)."""
    return parse_ladder(read_located(Path(path) if path is not None else ESCALATION_FILE))


@lru_cache(maxsize=4)
def cached_ladder(path: str | None = None) -> Ladder:
    return read_ladder(Path(path) if path else None)
