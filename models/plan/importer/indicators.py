"""Indicators from the targets section: codes the schema takes, owners, due years."""
from __future__ import annotations

from datetime import date

from plantrack.models.plan.importer.caps import caps
from plantrack.models.plan.importer.model import DraftIndicator, NoteKind, Severity
from plantrack.models.plan.importer.outline import Node
from plantrack.models.plan.importer.state import ImportRun
from plantrack.models.plan.importer.targets import read_targets, units
from plantrack.models.plan.importer.topics import owner_by_duty, owner_by_field


def target_indicators(run: ImportRun, lab: str, node: Node, duty_texts: dict[str, str], plan_lead: str | None) -> list[DraftIndicator]:
    c = caps()
    d = run.directory
    out: list[DraftIndicator] = []
    prefix = lab if c.indicator_code_ok(f"{lab}.1") else "II"
    if prefix != lab:
        run.note(Severity.INFERRED, NoteKind.SCHEMA, "indicators", node.line,
                 f"chỉ tiêu ở mục {lab} được mã hóa II.n vì tệp kế hoạch chỉ nhận mã II.n",
                 f"targets of section {lab} are coded II.n because plan files accept only II.n codes")
    seq = 0
    for k, (line, text) in enumerate(units(node), start=1):
        targets, unparsed = read_targets(text, run.header.years)
        for sent in unparsed:
            run.note(Severity.REVIEW, NoteKind.TARGET, f"{prefix}.{k}", line,
                     f"không đọc được chỉ tiêu trong '{sent[:90]}': thêm bằng tay nếu cần theo dõi",
                     f"cannot read a target in '{sent[:90]}': add it by hand if it is to be tracked")
        usable = [t for t in targets if t.target is not None or c.direction_only]
        for t in targets:
            if t not in usable:
                run.note(Severity.REVIEW, NoteKind.SCHEMA, f"{prefix}.{k}", line,
                         f"chỉ tiêu chỉ nêu xu hướng ('{t.text[:70]}'): tệp kế hoạch chưa nhận chỉ tiêu không có số",
                         f"a direction-only target ('{t.text[:70]}'): plan files do not take targets without a number yet")
        for j, t in enumerate(usable):
            seq += 1
            if c.indicator_letters:
                code = f"{prefix}.{k}" + (chr(ord("a") + j) if len(usable) > 1 else "")
            else:
                code = f"{prefix}.{seq}"
            owner, word = owner_by_field(t.text, d, list(duty_texts))
            phrase = None
            if owner is None:
                owner, phrase = owner_by_duty(t.text, duty_texts, run.body_text)
            if owner is None and plan_lead is None:
                run.note(Severity.REVIEW, NoteKind.OWNER, code, line,
                         "kế hoạch không nêu cơ quan chịu trách nhiệm chỉ tiêu và không có cơ quan chủ trì chung: điền mã",
                         "the plan names no owner for the target and no overall lead: fill in a code")
            owner = owner or plan_lead or "CHUA-RO"
            if word:
                run.note(Severity.INFERRED, NoteKind.OWNER, code, line,
                         f"kế hoạch không nêu cơ quan chịu trách nhiệm chỉ tiêu: {d.short(owner)}, vì chỉ tiêu thuộc lĩnh vực "
                         f"'{word}' của cơ quan này (mục tổ chức thực hiện)",
                         f"the plan names no owner for the target: {d.short(owner)}, as it is about '{word}', its field")
            elif phrase:
                run.note(Severity.INFERRED, NoteKind.OWNER, code, line,
                         f"kế hoạch không nêu cơ quan chịu trách nhiệm chỉ tiêu: {d.short(owner)}, vì chỉ nhiệm vụ của cơ quan "
                         f"này nói đến '{phrase}'",
                         f"the plan names no owner for the target: {d.short(owner)}, the only agency whose duties mention '{phrase}'")
            elif plan_lead:
                run.note(Severity.INFERRED, NoteKind.OWNER, code, line,
                         f"kế hoạch không nêu cơ quan chịu trách nhiệm chỉ tiêu: {d.short(owner)}, cơ quan chủ trì chung của kế hoạch",
                         f"the plan names no owner for the target: {d.short(owner)}, the plan's overall lead")
            due = None
            if t.year and t.year != run.header.years[-1]:
                due = date(t.year, 12, 31)
                run.note(Severity.INFERRED, NoteKind.DATE, code, line, f"'năm {t.year}' được hiểu là hạn 31/12/{t.year}",
                         f"'năm {t.year}' read as due 31/12/{t.year}")
            unit = t.unit
            out.append(DraftIndicator(code=code, text=t.text, target=t.target, unit=unit, direction=t.direction, owner=owner,
                                      baseline=t.baseline, baseline_year=t.baseline_year, due=due, line=line))
    return out
