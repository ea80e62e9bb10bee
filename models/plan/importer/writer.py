"""The draft as YAML in the schema of config/plans/, with the review list as comments beside what it is about."""
from __future__ import annotations

import json
import os
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

from plantrack.models.plan.importer.caps import caps
from plantrack.models.plan.importer.model import DraftDeliverable, DraftPlan, Note, ProposedAgency, Severity

TAG = {Severity.REVIEW: "[xem lại]", Severity.INFERRED: "[suy luận]"}
_SECTION_TITLES = {"activities": "Hoạt động (activities)", "duties": "Nhiệm vụ theo cơ quan (duties)",
                   "reports": "Báo cáo (reports)"}


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value != value.to_integral_value() else str(int(value))


def block(key: str, text: str, indent: str, width: int = 100) -> list[str]:
    """key: >- (folded, wrapped) or |- (literal, for bullet lists) so long texts stay readable."""
    if "\n" in text:
        return [f"{indent}{key}: |-"] + [f"{indent}  {ln}" if ln else "" for ln in text.split("\n")]
    if len(text) + len(indent) + len(key) < width:
        return [f"{indent}{key}: {q(text)}"]
    lines = textwrap.wrap(text, width=width - len(indent) - 2, break_long_words=False, break_on_hyphens=False)
    if any(ln != ln.strip() for ln in lines):
        return [f"{indent}{key}: {q(text)}"]
    return [f"{indent}{key}: >-"] + [f"{indent}  {ln}" for ln in lines]


def comments(notes: list[Note], indent: str, lang: str) -> list[str]:
    out = []
    for n in notes:
        where = f"dòng {n.line}: " if n.line else ""
        wrapped = textwrap.wrap(f"{TAG[n.severity]} {where}{n.text(lang)}", width=110 - len(indent),
                                break_long_words=False, break_on_hyphens=False)
        out += [f"{indent}# {wrapped[0]}"] + [f"{indent}#   {w}" for w in wrapped[1:]]
    return out


def assumption_text(notes: list[Note]) -> str | None:
    """The inferred notes of an entry as its assumption field: Vietnamese, then English in parentheses."""
    inferred = [n for n in notes if n.severity == Severity.INFERRED]
    if not inferred:
        return None
    vi = "; ".join(dict.fromkeys(n.vi.rstrip(".") for n in inferred))
    en = "; ".join(dict.fromkeys(n.en.rstrip(".") for n in inferred))
    return f"{vi[:1].upper()}{vi[1:]}. ({en[:1].upper()}{en[1:]}.)"


def _day(d: date) -> str:
    return d.isoformat()


def render_plan(draft: DraftPlan, *, source_name: str, source_ref: str | None, directory_ref: str,
                proposed_file: str | None, lang: str = "vi") -> str:
    """The plan file text; entries carry their notes as comments and their inferred notes as 'assumption'."""
    c = caps()
    h = draft.header
    review, inferred = draft.count(Severity.REVIEW), draft.count(Severity.INFERRED)
    out = [
        f"# Bản nháp kế hoạch {h.number}, nhập từ {source_name} bằng 'plantrack plan import'.",
        f"# (Draft of plan {h.number}, imported from {source_name} by 'plantrack plan import'.)",
        f"# {review} mục {TAG[Severity.REVIEW]} cần cán bộ điều phối quyết định; {inferred} mục {TAG[Severity.INFERRED]} "
        "được điền theo quy tắc (xem 'assumption').",
        f"# ({review} {TAG[Severity.REVIEW]} items need a coordinator's decision; {inferred} {TAG[Severity.INFERRED]} items were "
        "filled in by a rule, see 'assumption'.)",
    ]
    if proposed_file:
        out += [f"# Cơ quan chưa có trong danh bạ được đề xuất trong {proposed_file}; xem lại rồi chạy",
                f"#   plantrack plan accept-agencies <tệp kế hoạch này>   (thêm chúng vào {directory_ref})",
                "# trước khi 'plantrack plan load'."]
    out.append("plan:")
    out.append(f"  number: {q(h.number)}")
    out += block("title", h.title, "  ")
    out.append(f"  issuer: {q(h.issuer)}")
    out.append(f"  issued_on: {_day(h.issued_on)}")
    signer = h.signer
    if signer and h.signer_role:
        signer = f"{signer}, {h.signer_role} {h.issuer}" if h.issuer.startswith("UBND") else f"{signer}, {h.signer_role}"
    out += comments(draft.notes_for("plan.number") + draft.notes_for("plan.title") + draft.notes_for("plan.issuer")
                    + draft.notes_for("plan.issued_on") + draft.notes_for("plan.signer"), "  ", lang)
    if signer:
        out.append(f"  signer: {q(signer)}")
    if c.signed_as and h.signed_as:
        out.append(f"  signed_as: {q(h.signed_as)}")
    out += comments(draft.notes_for("plan.period"), "  ", lang)
    out.append(f"  period_start: {_day(h.period_start)}")
    out.append(f"  period_end: {_day(h.period_end)}")
    if source_ref:
        out.append(f"  source_text: {q(source_ref)}")
    else:
        out.append(f"  # source_text: đặt văn bản gốc ({source_name}) cạnh tệp này và ghi tên vào đây để lưu mã băm")
    out.append(f"directory: {q(directory_ref)}")
    out.append("")
    out.append("assumptions:")
    for a in draft.assumptions:
        out += [f"  - >-"] + [f"    {ln}" for ln in textwrap.wrap(a, 96, break_long_words=False, break_on_hyphens=False)]
    out.append("")
    out += comments(draft.notes_for("indicators"), "", lang)
    if draft.indicators:
        out.append("indicators:")
    for ind in draft.indicators:
        notes = draft.notes_for(ind.code)
        out += comments([n for n in notes if n.severity == Severity.REVIEW or not c.indicator_assumption], "  ", lang)
        out.append(f"  - code: {ind.code}")
        out += block("text", ind.text, "    ")
        if ind.baseline is not None:
            out.append(f"    baseline: {num(ind.baseline)}")
        if ind.baseline_year is not None:
            out.append(f"    baseline_year: {ind.baseline_year}")
        if ind.target is not None:
            out.append(f"    target: {num(ind.target)}")
        out.append(f"    unit: {q(ind.unit)}")
        out.append(f"    direction: {ind.direction}")
        out.append(f"    owner: {q(ind.owner)}")
        if ind.due:
            out.append(f"    due: {_day(ind.due)}")
        if c.indicator_assumption:
            a = assumption_text(notes)
            if a:
                out += block("assumption", a, "    ")
    for where in sorted({n.where for n in draft.notes if n.where.startswith("II.") and
                         not any(i.code == n.where for i in draft.indicators)}):
        out += comments(draft.notes_for(where), "  ", lang)
    out.append("")
    out.append("deliverables:")
    section = None
    shown: set[str] = set()
    for dv in draft.deliverables:
        if dv.section != section:
            section = dv.section
            out.append(f"  # {'-' * 20} {_SECTION_TITLES[section]}")
        base = dv.code.split("/")[0]
        notes = draft.notes_for(dv.code)
        if base != dv.code and base not in shown:
            notes = draft.notes_for(base) + notes
            shown.add(base)
        out += _deliverable(dv, notes, lang)
    for where in sorted({n.where for n in draft.notes} - {d.code for d in draft.deliverables}
                        - {d.code.split("/")[0] for d in draft.deliverables} - {i.code for i in draft.indicators}):
        if not where.startswith(("plan.", "II.", "indicators")):
            out += comments(draft.notes_for(where), "  ", lang)
    return "\n".join(out) + "\n"


def _deliverable(dv: DraftDeliverable, notes: list[Note], lang: str) -> list[str]:
    out = [""] + comments([n for n in notes if n.severity == Severity.REVIEW], "  ", lang)
    if dv.lines:
        out.append(f"  # nguồn: dòng {dv.lines[0]}" + (f"-{dv.lines[1]}" if dv.lines[1] != dv.lines[0] else ""))
    out.append(f"  - code: {dv.code}")
    out += block("title", dv.title, "    ")
    out.append(f"    category: {dv.category}")
    out.append(f"    lead: {q(dv.lead)}")
    if dv.supporting:
        out.append(f"    supporting: [{', '.join(q(s) for s in dv.supporting)}]")
    if dv.report_to:
        out.append(f"    report_to: {q(dv.report_to)}")
    if dv.description:
        out += block("description", dv.description, "    ")
    if dv.quantities:
        out.append("    quantities:")
        for qt in dv.quantities:
            out += [f"      - what: {q(qt.what)}", f"        amount: {num(qt.amount)}", f"        unit: {q(qt.unit)}"]
    if dv.funding:
        out += block("funding", dv.funding, "    ")
    if dv.start:
        out.append(f"    start: {_day(dv.start)}")
    if dv.due:
        out.append(f"    due: {_day(dv.due)}")
    if dv.due and dv.due_wording != "by":
        out.append(f"    due_wording: {dv.due_wording}")
    if dv.schedule != "deadline":
        out.append(f"    schedule: {dv.schedule}")
    if dv.milestones:
        out.append("    milestones:")
        for m in dv.milestones:
            out.append(f"      - key: {m.key}")
            out.append(f"        title: {q(m.title)}")
            start = (f'{{lunar: "{m.start[0]}-{m.start[1]}-{m.start[2]}"}}' if isinstance(m.start, tuple)
                     else _day(m.start))
            out.append(f"        start: {start}")
            if m.end:
                out.append(f"        end: {_day(m.end)}")
    a = assumption_text(notes)
    if a:
        out += block("assumption", a, "    ")
    return out


def render_proposed(proposed: tuple[ProposedAgency, ...], *, plan_file: str, directory_ref: str | None,
                    groups: dict[str, list[str]] | None = None) -> str:
    """The proposed directory entries (or, without a directory, the whole new directory)."""
    if directory_ref:
        out = [f"# Cơ quan chưa có trong danh bạ {directory_ref}, do 'plantrack plan import' đề xuất cho {plan_file}.",
               "# Tên lấy nguyên văn từ văn bản; mã và loại (kind) là đề xuất. Sửa nếu cần, xóa mục nào là cơ quan đã có",
               "# (rồi sửa mã đó trong tệp kế hoạch), rồi chạy: plantrack plan accept-agencies " + plan_file,
               f"# (Names the directory lacks, proposed for {plan_file}; review, then run the command above.)"]
    else:
        out = [f"# Danh bạ mới do 'plantrack plan import' lập cho {plan_file}: mọi cơ quan văn bản nêu tên.",
               "# Tên lấy nguyên văn; mã, loại (kind) là đề xuất; thêm người đầu mối (people) trước khi gửi thư.",
               f"# (A new directory made for {plan_file}: every agency the text names; add people before sending mail.)"]
    out.append("agencies:")
    for p in proposed:
        seen = ", ".join(str(n) for n in p.seen[:6])
        out.append(f"  - code: {p.code}" + (f"   # dòng {seen}" if seen else ""))
        out.append(f"    name: {q(p.name)}")
        out.append(f"    kind: {p.kind}")
        if p.parent and directory_ref:
            out.append(f"    parent: {p.parent}")
    if groups:
        out.append("groups:")
        for name, members in groups.items():
            out.append(f"  {name}: [{', '.join(members)}]")
    return "\n".join(out) + "\n"


def write_atomically(files: list[tuple[Path, str]]) -> None:
    """Write every file or none: all go to temporary names first, then each is renamed into place."""
    temps: list[tuple[Path, Path]] = []
    try:
        for path, text in files:
            tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
            tmp.write_text(text, encoding="utf-8")
            temps.append((tmp, path))
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            if tmp.exists():
                tmp.unlink()


def check_loadable(text: str) -> None:
    """Raise if the text is not a valid plan file by the schema (a bug of the importer, not of the input)."""
    from plantrack.models.plan.file import _Loader
    from plantrack.models.plan.schema import PlanFile

    PlanFile.model_validate(yaml.load(text, Loader=_Loader))
