"""Activities (and the duties and reports of the closing sections) as draft deliverables, agencies resolved."""
from __future__ import annotations

import re
from datetime import date

from rapidfuzz import fuzz

from plantrack.models.plan.importer import activities as acts
from plantrack.models.plan.importer import duties as dut
from plantrack.models.plan.importer.agencies import fold
from plantrack.models.plan.importer.dates import occasion_in_title, occasion_milestones, parse_when
from plantrack.models.plan.importer.model import DraftDeliverable, NoteKind, Severity
from plantrack.models.plan.importer.outline import Kind, Node
from plantrack.models.plan.importer.state import ImportRun


def raw_activities(act_secs: list[tuple[str, Node]], doc) -> list[acts.RawActivity]:
    out: list[acts.RawActivity] = []
    rows = acts.appendix_rows(doc.appendix) if doc.appendix else []
    for lab, node in act_secs:
        nodes = acts.activity_nodes(node)
        item = next((n for _, n in nodes if re.search(r"phụ lục", n.text, re.I)), None)
        if rows and item is not None:  # '2. ... (chi tiết tại Phụ lục)': the table holds item 2's tasks
            for suffix, n in nodes:
                if n is item:
                    out += [acts.from_row(f"{lab}.{suffix}.{num}", row, line) for num, row, line in rows]
                else:
                    out.append(acts.from_node(f"{lab}.{suffix}", n))
            rows = []
            continue
        if rows and (re.search(r"phụ lục", node.full_text(), re.I) or not nodes):
            out += [acts.from_row(f"{lab}.{num}", row, line) for num, row, line in rows]
            rows = []
            continue
        out += [acts.from_node(f"{lab}.{suffix}", n) for suffix, n in nodes]
    if rows:  # an appendix no section points to: its tasks follow the last activities section
        lab = act_secs[-1][0] if act_secs else "III"
        offset = len(out)
        out += [acts.from_row(f"{lab}.{offset + i + 1}", row, line) for i, (_, row, line) in enumerate(rows)]
    return out


def assigned_by_duties(raw: list[dut.RawDuty], activities: list[acts.RawActivity],
                 act_secs: list[tuple[str, Node]]) -> dict[str, dict[str, list[tuple[str, str, int]]]]:
    """Activity code -> {'lead': [(agency phrase, duty code, line)], 'support': [...]} from the closing section."""
    codes = {a.code for a in activities}
    default = act_secs[0][0] if len(act_secs) == 1 else None
    out: dict[str, dict[str, list[tuple[str, str, int]]]] = {}
    for d in raw:
        for a in dut.assignments(d):
            sec = a.section or default
            for ref in a.refs:
                code = f"{sec}.{ref}" if sec else None
                if code in codes:
                    out.setdefault(code, {}).setdefault(a.role, []).append((d.agency, d.code, a.line))
        for text in d.bullets:  # 'chủ trì tổ chức Diễn đàn trẻ em ...': an activity named by its title
            m = re.search(r"chủ trì,?\s*(?:phối hợp[^;.]*?\s)?(?:tổ chức|thực hiện|triển khai)\s+(.{12,}?)(?:[;.]|$)", text, re.I)
            if not m:
                continue
            best = max(activities, key=lambda a: fuzz.partial_ratio(fold(a.title), fold(m.group(1))))
            if fuzz.partial_ratio(fold(best.title), fold(m.group(1))) >= 92 and len(best.title) >= 12:
                out.setdefault(best.code, {}).setdefault("lead", []).append((d.agency, d.code, d.line))
    return out


def _when(run: ImportRun, code: str, act: acts.RawActivity, line: int) -> tuple[date | None, date | None, str]:
    h = run.header
    if act.time:
        w = parse_when(act.time[0], h)
        if w:
            if w.inferred:
                run.note(Severity.INFERRED, NoteKind.DATE, code, act.time[1], f"thời gian: {w.basis_vi}", f"dates: {w.basis_en}")
            return w.start, w.due, w.schedule
        run.note(Severity.REVIEW, NoteKind.DATE, code, act.time[1],
                 f"không đọc được thời gian '{act.time[0]}': dùng cả kỳ kế hoạch", f"cannot read the time '{act.time[0]}': the whole plan period is used")
        return h.period_start, h.period_end, "deadline"
    w = occasion_in_title(act.title, h)
    if w:
        run.note(Severity.INFERRED, NoteKind.DATE, code, line, f"thời gian: {w.basis_vi}", f"dates: {w.basis_en}")
        return w.start, w.due, w.schedule
    run.note(Severity.INFERRED, NoteKind.DATE, code, line,
             f"kế hoạch không nêu thời gian: bắt đầu {h.period_start:%d/%m/%Y}, hạn {h.period_end:%d/%m/%Y} (cả kỳ kế hoạch)",
             f"the plan gives no dates: start {h.period_start:%d/%m/%Y}, due {h.period_end:%d/%m/%Y} (the whole plan period)")
    return h.period_start, h.period_end, "deadline"


def _description(bullets: list[str]) -> str | None:
    bullets = [b.strip() for b in bullets if b.strip()]
    if not bullets:
        return None
    if len(bullets) == 1 and "\n" not in bullets[0]:
        return bullets[0]
    return "\n".join(f"- {b}" for b in bullets)


def activity_deliverables(run: ImportRun, act: acts.RawActivity, assigned: dict, duty_agencies, plan_lead: str | None) -> list[DraftDeliverable]:
    d = run.directory
    code = act.code
    lead_members: tuple[str, ...] = ()
    support_refs: list[str] = []
    support_members: list[str] = []
    if act.lead:
        r = run.resolve(act.lead[0], code, act.lead[1])
        lead_members = r.members
        if r.is_group and len(r.members) > 1:
            run.note(Severity.INFERRED, NoteKind.AGENCY_GROUP, code, act.lead[1],
                     f"chủ trì là nhóm '{act.lead[0]}': tách thành {len(r.members)} sản phẩm {code}/<MÃ>, mỗi cơ quan chủ trì phần của mình",
                     f"the lead is the group '{act.lead[0]}': split into {len(r.members)} deliverables {code}/<CODE>, one per agency")
    elif assigned.get("lead"):
        for phrase, duty_code, line in assigned["lead"]:
            members = duty_agencies.get(duty_code) or run.resolve(phrase, code, line).members
            lead_members += tuple(m for m in members if m not in lead_members)
    if act.supporting:
        r = run.resolve(act.supporting[0], code, act.supporting[1], exclude=lead_members)
        support_refs += list(r.refs)
        support_members += list(r.members)
    for phrase, duty_code, line in assigned.get("support", []):
        for m in duty_agencies.get(duty_code) or run.resolve(phrase, code, line).members:
            if m not in support_members and m not in lead_members:
                support_members.append(m)
                support_refs.append(m)
    districts = d.districts()
    if districts and set(districts) <= set(support_refs):  # all the district units: write the group
        support_refs = [r for r in support_refs if r not in districts] + d.group_ref(districts)
    if not lead_members:
        lead = plan_lead
        mentions = [m for m in d.find_mentions(act.text) if m != lead]
        if not support_refs and mentions:
            districts = d.districts()
            rest = [m for m in mentions if m not in districts]
            support_members = mentions
            support_refs = rest + (d.group_ref(districts) if districts and set(districts) <= set(mentions) else
                                   [m for m in mentions if m in districts])
        named = ", ".join(d.short(m) for m in support_members)
        if lead:
            run.note(Severity.REVIEW, NoteKind.LEAD_MISSING, code, act.line,
                     f"kế hoạch không nêu cơ quan chủ trì: đề xuất {d.short(lead)} (cơ quan chủ trì chung của kế hoạch)"
                     + (f"; phối hợp theo các cơ quan được nhắc trong nội dung: {named}" if named else "; không nêu cơ quan phối hợp"),
                     f"the plan names no lead: {d.short(lead)} proposed (the plan's overall lead)"
                     + (f"; supporting from the agencies the text mentions: {named}" if named else "; no supporting agency named"))
            lead_members = (lead,)
        else:
            run.note(Severity.REVIEW, NoteKind.LEAD_MISSING, code, act.line,
                     "kế hoạch không nêu cơ quan chủ trì và không tìm được cơ quan chủ trì chung: điền mã cơ quan",
                     "the plan names no lead and no overall lead was found: fill in an agency code")
            lead_members = ("CHUA-RO",)
    cat, guessed = acts.category(act.title, act.text)
    if guessed:
        run.note(Severity.INFERRED, NoteKind.CATEGORY, code, act.line,
                 f"không nhận ra nhóm hoạt động; tạm xếp '{cat}'", f"no category recognised; '{cat}' used for now")
    start, due, schedule = _when(run, code, act, act.line)
    milestones = tuple(occasion_milestones(act.text, run.header))
    quantities = tuple(acts.quantities(act.text))
    out = []
    for lead in lead_members:
        sub = f"{code}/{lead}" if len(lead_members) > 1 else code
        supp = tuple(s for s in support_refs if s != lead)
        out.append(DraftDeliverable(
            code=sub, title=act.title if sub == code else f"{act.title} – {d.short(lead)}", category=cat, lead=lead,
            supporting=supp, description=_description(act.bullets),
            quantities=quantities if len(lead_members) == 1 else (), funding=act.funding, start=start, due=due,
            schedule=schedule, milestones=milestones, lines=(act.line, act.last_line), section="activities"))
    return out


def cooperation(run: ImportRun, raw: list[dut.RawDuty], agencies) -> dict[str, list[str]]:
    """Duty code -> extra supporters: 'chủ trì, phối hợp với X' (X supports) and 'Phối hợp với Y ...' (supports Y's duty)."""
    by_agency = {codes[0]: dc for dc, codes in agencies.items() if len(codes) == 1}
    out: dict[str, list[str]] = {}
    for d in raw:
        mine = agencies.get(d.code, ())
        for text in d.bullets:
            for how, phrase in dut.coop_targets(text):
                r = run.directory.resolve(phrase, d.code, d.line, exclude=mine)
                if how == "with" or len(mine) != 1:
                    run.notes.extend(r.notes)
                    out.setdefault(d.code, []).extend(r.refs)
                else:
                    for m in r.members:
                        if m in by_agency:
                            out.setdefault(by_agency[m], []).append(mine[0])
                        elif not r.notes:
                            out.setdefault(d.code, []).append(m)
    return out


def _summary(text: str, limit: int = 90) -> str:
    t = re.sub(r"^(?:Căn cứ|Trên cơ sở|Theo)\b[^,]*,\s*", "", text.strip())
    t = re.sub(r"^Chủ trì,?\s*phối hợp với .+? ((?:triển khai|tổ chức(?! chính trị)|tham mưu|xây dựng)\b)", r"Chủ trì \1", t)
    t = re.split(r"(?<=[.;])\s", t)[0].rstrip(".;")
    if len(t) > limit:
        cut = t[:limit]
        t = cut[: max(cut.rfind(","), cut.rfind(" "))].rstrip(" ,") + "…"
    return t[:1].lower() + t[1:] if t[:2] != t[:2].upper() else t


def duty_deliverables(run: ImportRun, duty: dut.RawDuty, agencies, own, coop, recipient, upward) -> list[DraftDeliverable]:
    d = run.directory
    members = agencies.get(duty.code, ())
    if not members:
        return []
    h = run.header
    text = _description(duty.bullets)
    head = _summary(duty.bullets[0]) if duty.bullets else "nhiệm vụ theo kế hoạch"
    out = []
    for m in members:
        code = f"{duty.code}/{m}" if len(members) > 1 or is_group_heading(duty.agency) else duty.code
        supp = [s for s in dict.fromkeys(coop.get(duty.code, [])) if s != m]
        report_to = upward if m == recipient else recipient
        if report_to == m:
            report_to = None
        run.note(Severity.INFERRED, NoteKind.DATE, code, duty.line,
                 f"nhiệm vụ thường xuyên, kế hoạch không nêu thời hạn: bắt đầu {h.period_start:%d/%m/%Y}, hạn {h.period_end:%d/%m/%Y}",
                 f"a standing duty with no deadline in the plan: start {h.period_start:%d/%m/%Y}, due {h.period_end:%d/%m/%Y}")
        out.append(DraftDeliverable(
            code=code, title=f"{d.short(m)}: {head}", category="duty", lead=m, supporting=tuple(supp), report_to=report_to,
            description=text, start=h.period_start, due=h.period_end, lines=(duty.line, duty.last_line), section="duties"))
    return out


def is_group_heading(phrase: str) -> bool:
    f = fold(phrase)
    return f.startswith("cac ") or " cac " in f or f.startswith(("ubnd cap", "uy ban nhan dan cap"))


def report_base(report_nodes: list[Node], secs) -> str:
    for lab, node, kind in secs:
        if kind == "reports" and node in report_nodes:
            return lab
    for lab, node, kind in secs:
        if kind == "duties":
            for n in report_nodes:
                if n in list(node.walk()):
                    return f"{lab}.{n.label}" if n.kind == Kind.NUMBER else lab
    return "VI"


def report_deliverables(run: ImportRun, rules, routing, recipient, upward, base, leads) -> list[DraftDeliverable]:
    d = run.directory
    h = run.header
    out: list[DraftDeliverable] = []
    reporters: tuple[str, ...] = ()
    if routing and routing.reporters:
        r = run.resolve(routing.reporters, f"{base}.1", routing.line, exclude=(recipient,) if recipient else (),
                        leads=leads)
        reporters = r.members
    subject = routing.subject if routing and routing.subject else ""
    for k, rule in enumerate(rules, start=1):
        for occ in rule.occurrences:
            code = f"{base}.{k}{occ.suffix}"
            label = f"{rule.title} {subject} {occ.label}".strip()
            if rule.kind == "annual" and not subject:
                label = f"Báo cáo {occ.label}"
            label = re.sub(r"\s+", " ", label)
            wording = rule.wording.rstrip(".")
            # "Trước ngày 15/6" keeps its wording; the effective deadline is the deadline rule's business
            due_wording = "before" if re.search(r"\btrước\b", wording, re.I) else "by"
            for m in ([recipient] if recipient and upward else []) + list(reporters):
                sub = f"{code}/{m}"
                to = upward if m == recipient else recipient
                if occ.inferred:
                    run.note(Severity.INFERRED, NoteKind.DATE, sub, rule.line,
                             f"'{wording}': hạn {occ.due:%d/%m/%Y}" + (" (năm của kế hoạch)" if len(h.years) == 1 else ""),
                             f"'{wording}': due {occ.due:%d/%m/%Y}" + (" (the plan's year)" if len(h.years) == 1 else ""))
                if m == recipient:
                    run.note(Severity.INFERRED, NoteKind.REPORT, sub, rule.line,
                             "kế hoạch không nêu hạn riêng cho báo cáo tổng hợp: dùng cùng hạn với báo cáo của các cơ quan",
                             "the plan gives no separate deadline for the consolidated report: the same date as the agencies' reports")
                desc = (f"Tổng hợp báo cáo {subject} của các cơ quan, báo cáo {d.short(upward)}." if m == recipient and upward
                        else f"Báo cáo {subject} gửi {d.short(recipient)}." if recipient else f"Báo cáo {subject}.")
                out.append(DraftDeliverable(
                    code=sub, title=f"{label} – {d.short(m)}", category="report", lead=m, report_to=to,
                    description=re.sub(r"\s+", " ", desc + f" Hạn: {wording.split(':', 1)[-1].strip()}"),
                    due=occ.due, due_wording=due_wording, lines=(rule.line, rule.line), section="reports"))
    return out
