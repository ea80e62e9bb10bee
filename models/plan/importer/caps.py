"""What the plan-file schema in force accepts, so the writer emits only fields and values that load."""
from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from functools import cache

from plantrack.models.plan import schema


def _literal_values(model, name: str) -> tuple[str, ...]:
    ann = model.model_fields[name].annotation
    args = typing.get_args(ann)
    return tuple(a for a in args if isinstance(a, str)) or tuple(
        v for arg in args for v in typing.get_args(arg) if isinstance(v, str))


def _pattern(model, name: str) -> str | None:
    for meta in model.model_fields[name].metadata:
        pat = getattr(meta, "pattern", None)
        if pat:
            return pat
    return None


@dataclass(frozen=True)
class Caps:
    indicator_letters: bool       # II.6a / II.6b
    indicator_assumption: bool
    direction_only: bool          # increase / decrease without a number
    directions: tuple[str, ...]
    agency_kinds: tuple[str, ...]
    categories: tuple[str, ...]
    signed_as: bool

    def indicator_code_ok(self, code: str) -> bool:
        pat = _pattern(schema.IndicatorEntry, "code")
        return pat is None or re.fullmatch(pat, code) is not None


@cache
def caps() -> Caps:
    directions = _literal_values(schema.IndicatorEntry, "direction")
    pat = _pattern(schema.IndicatorEntry, "code") or ""
    return Caps(
        indicator_letters=re.fullmatch(pat, "II.6a") is not None if pat else True,
        indicator_assumption="assumption" in schema.IndicatorEntry.model_fields,
        direction_only="increase" in directions and "decrease" in directions,
        directions=directions,
        agency_kinds=tuple(schema.AGENCY_KINDS),
        categories=tuple(schema.CATEGORIES),
        signed_as="signed_as" in schema.PlanHeader.model_fields,
    )
