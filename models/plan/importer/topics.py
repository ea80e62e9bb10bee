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


# Words of how work is done (train, inform, raise capacity), not of what it is about: they point at no one.
_HOW = {"boi", "duong", "nang", "cao", "luc", "ky", "kien", "thuc", "nhan", "tuyen", "truyen", "tap", "huan", "tang",
        "cuong", "thuc", "hien", "to", "chuc", "trien", "khai", "tre", "em", "bao", "ve", "cham", "soc", "phong", "chong",
        "co", "cac", "va", "cho", "duoc", "ve", "trong", "ngoai", "hoat", "dong", "xay", "dung", "ke", "hoach", "ho", "tro"}


def owner_by_duty(text: str, duty_texts: dict[str, str], whole: str) -> tuple[str | None, str | None]:
    """(code, phrase) when a rare word pair of the text (about what, not how; found at most twice in the whole plan:
    here and in one agency's duties) occurs in exactly one agency's duties."""
    folded_whole = " " + fold(whole) + " "
    def pairs(t: str) -> dict[str, str]:
        written = re.findall(r"\w+", t.lower())
        out = {}
        for a, b in zip(written, written[1:]):
            fa, fb = fold(a), fold(b)
            if (fa in _HOW and fb in _HOW) or fa.isdigit() or fb.isdigit():
                continue
            out[f"{fa} {fb}"] = f"{a} {b}"
        return out

    mine = pairs(text)
    per_agency = {code: set(pairs(t)) for code, t in duty_texts.items()}
    owners: dict[str, str] = {}
    for p, shown in mine.items():
        having = [c for c, ps in per_agency.items() if p in ps]
        if len(having) == 1 and folded_whole.count(f" {p} ") <= 2:
            owners.setdefault(having[0], shown)
    if len(owners) == 1:
        return next(iter(owners.items()))
    return None, None
