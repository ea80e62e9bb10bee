"""Who owns a target the plan states without an owner: the agency whose field of work the target names."""
from __future__ import annotations

import re

from plantrack.models.plan.importer.agencies import Directory, fold

_HEADS = r"^(?:so|ban|cong an|chi cuc|cuc|thanh tra|van phong|bo chi huy|kho bac|bao hiem)\s+"
# Words of department names that also appear in any plan's prose: they name no field.
_TOO_COMMON = {"xa hoi", "truyen thong", "thong tin", "phat trien", "ke hoach", "dau tu", "dan toc"}


def fields(directory: Directory, candidates: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Agency code -> (folded, written) words of its field: 'Sở Giáo dục và Đào tạo' -> giáo dục, đào tạo."""
    out: dict[str, list[str]] = {}
    for code in candidates:
        e = directory.entry(code)
        if e is None:
            continue
        tokens = [(fold(t), t.lower()) for t in re.findall(r"\w+", e.name)]
        name = " ".join(f for f, _ in tokens)
        head = re.match(_HEADS, name)
        if head:
            tokens = tokens[len(head.group(0).split()):]
        if directory.province:
            tail = ["tinh"] + directory.province.split()
            for cut in (len(tail), len(tail) - 1):
                if cut and [f for f, _ in tokens[-cut:]] == tail[-cut:]:
                    tokens = tokens[:-cut]
                    break
        parts: list[list[tuple[str, str]]] = [[]]
        for f, t in tokens:
            if f == "va":
                parts.append([])
            else:
                parts[-1].append((f, t))
        words: list[tuple[str, str]] = []
        for p in parts:
            # 'lao dong thuong binh' -> 'lao dong', 'thuong binh': fields are two-syllable words
            chunks = [p[i:i + 2] for i in range(0, len(p), 2)] if len(p) > 2 else [p]
            for ch in chunks:
                f, t = " ".join(x for x, _ in ch), " ".join(y for _, y in ch)
                if f and f not in _TOO_COMMON and len(f) > 3:
                    words.append((f, t))
        if words:
            out[code] = words
    return out


def owner_by_field(text: str, directory: Directory, candidates: list[str]) -> tuple[str | None, str | None]:
    """(code, field word) when exactly one candidate's field is named in the text."""
    folded = " " + fold(text) + " "
    hits = [(code, t) for code, ws in fields(directory, candidates).items() for f, t in ws if f" {f} " in folded]
    codes = {c for c, _ in hits}
    if len(codes) == 1:
        return hits[0]
    return None, None
