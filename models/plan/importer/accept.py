"""Accepting the agencies an import proposed: append them to the plan's directory file, all or nothing."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from plantrack.models.plan.importer.model import PlanImportError
from plantrack.models.plan.importer.writer import q, write_atomically
from plantrack.models.plan.schema import AgencyEntry, DirectoryFile


@dataclass(frozen=True)
class AcceptResult:
    directory: Path
    added: tuple[str, ...]
    proposed: Path


def _load(path: Path, what_vi: str, what_en: str):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanImportError(f"{path}: không đọc được {what_vi} ({exc.strerror})", f"{path}: cannot read the {what_en} ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise PlanImportError(f"{path}: {what_vi} không phải YAML hợp lệ ({str(exc).splitlines()[0]})",
                              f"{path}: the {what_en} is not valid YAML ({str(exc).splitlines()[0]})") from None


def _refs(plan: dict) -> set[str]:
    out: set[str] = set()
    for d in plan.get("deliverables") or []:
        out.add(str(d.get("lead")))
        out.update(str(s) for s in d.get("supporting") or [])
        if d.get("report_to"):
            out.add(str(d["report_to"]))
    for i in plan.get("indicators") or []:
        out.add(str(i.get("owner")))
    return out


def _render(entry: AgencyEntry, indent: str) -> list[str]:
    lines = [f"{indent}- code: {entry.code}", f"{indent}  name: {q(entry.name)}"]
    for fld in ("name_en", "short_name"):
        if getattr(entry, fld):
            lines.append(f"{indent}  {fld}: {q(getattr(entry, fld))}")
    lines.append(f"{indent}  kind: {entry.kind}")
    if entry.aliases:
        lines.append(f"{indent}  aliases: [{', '.join(q(a) for a in entry.aliases)}]")
    for fld in ("parent", "successor"):
        if getattr(entry, fld):
            lines.append(f"{indent}  {fld}: {getattr(entry, fld)}")
    if entry.people:
        lines.append(f"{indent}  people:")
        for p in entry.people:
            lines += [f"{indent}    - name: {q(p.name)}", f"{indent}      email: {p.email}", f"{indent}      role: {p.role}"]
    return lines


def merged_text(directory_text: str, entries: list[AgencyEntry], note: str) -> str:
    """The directory text with entries appended at the end of its 'agencies:' list (comments kept)."""
    lines = directory_text.split("\n")
    start = next((i for i, ln in enumerate(lines) if re.match(r"^agencies:\s*$", ln)), None)
    if start is None:
        raise ValueError("no top-level 'agencies:' list")
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"^[A-Za-z_][\w-]*:", lines[i])), len(lines))
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")) \
            and not lines[end - 1].startswith(" " * 4):
        end -= 1
    indent = next((m.group(1) for ln in lines[start + 1:end] for m in [re.match(r"^(\s*)- ", ln)] if m), "  ")
    block = [f"{indent}# {note}"]
    for e in entries:
        block += _render(e, indent)
    return "\n".join(lines[:end] + block + lines[end:])


def accept_agencies(plan_path: Path, proposed_path: Path | None = None) -> AcceptResult:
    """Add the proposed entries to the directory the plan names, once every code the plan uses exists; else write nothing."""
    from plantrack.models.plan.importer import proposed_path_for

    plan_path = Path(plan_path)
    proposed_path = Path(proposed_path) if proposed_path else proposed_path_for(plan_path, True)
    if not proposed_path.exists():
        raise PlanImportError(f"{proposed_path}: không có tệp đề xuất cơ quan mới (tệp .new-agencies.yaml do 'plantrack plan import' tạo)",
                              f"{proposed_path}: no proposed-agencies file (the .new-agencies.yaml 'plantrack plan import' writes)")
    plan = _load(plan_path, "tệp kế hoạch", "plan file")
    if not isinstance(plan, dict) or not plan.get("directory"):
        raise PlanImportError(f"{plan_path}: không phải tệp kế hoạch (thiếu 'directory:')", f"{plan_path}: not a plan file (no 'directory:')")
    directory_path = (plan_path.parent / plan["directory"]).resolve()
    proposed = _load(proposed_path, "tệp đề xuất", "proposed-agencies file")
    try:
        entries = [AgencyEntry.model_validate(e) for e in (proposed or {}).get("agencies") or []]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise PlanImportError(f"{proposed_path}: mục {where}: {first['msg']}", f"{proposed_path}: entry {where}: {first['msg']}") from None
    try:
        directory_text = directory_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanImportError(f"{directory_path}: không đọc được danh bạ ({exc.strerror})",
                              f"{directory_path}: cannot read the directory ({exc.strerror})") from None
    current = DirectoryFile.model_validate(yaml.safe_load(directory_text))
    have = {a.code for a in current.agencies}
    clash = [e.code for e in entries if e.code in have]
    if clash:
        raise PlanImportError(f"{proposed_path}: mã đã có trong danh bạ {directory_path.name}: {', '.join(clash)}; đổi mã hoặc xóa mục đó",
                              f"{proposed_path}: codes already in {directory_path.name}: {', '.join(clash)}; rename or remove them")
    text = merged_text(directory_text, entries, f"thêm từ {proposed_path.name} (plantrack plan accept-agencies)")
    merged = DirectoryFile.model_validate(yaml.safe_load(text))
    known = {a.code for a in merged.agencies} | {f"@{g}" for g in merged.groups}
    missing = sorted(r for r in _refs(plan) - known if r != "None")
    if missing:
        raise PlanImportError(f"{plan_path}: sau khi thêm vẫn còn mã chưa có trong danh bạ: {', '.join(missing)}; sửa kế hoạch hoặc tệp đề xuất",
                              f"{plan_path}: codes still unknown after accepting: {', '.join(missing)}; fix the plan or the proposals")
    write_atomically([(directory_path, text)])
    proposed_path.unlink()
    return AcceptResult(directory_path, tuple(e.code for e in entries), proposed_path)
