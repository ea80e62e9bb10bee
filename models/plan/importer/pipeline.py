"""The import use case: a plan's text -> a draft plan (header, indicators, deliverables) and its review notes."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from rapidfuzz import fuzz

from plantrack.models.plan.importer import activities as acts
from plantrack.models.plan.importer import duties as dut
from plantrack.models.plan.importer import reports as rep
from plantrack.models.plan.importer.agencies import AgencyClass, Directory, Resolution, classify, fold
from plantrack.models.plan.importer.caps import caps
from plantrack.models.plan.importer.dates import occasion_in_title, occasion_milestones, parse_when
from plantrack.models.plan.importer.extract import read_text
from plantrack.models.plan.importer.header import check_is_plan, not_a_plan, parse_header
from plantrack.models.plan.importer.model import (
    DraftDeliverable, DraftIndicator, DraftPlan, Header, Note, NoteKind, Severity,
)
from plantrack.models.plan.importer.outline import Kind, Node, parse, roman, roman_value, sections
from plantrack.models.plan.importer.targets import read_targets, units
from plantrack.models.plan.importer.text import split_document
from plantrack.models.plan.importer.topics import owner_by_duty, owner_by_field


def section_kind(title: str) -> str:
    """What a top-level section holds, from its heading words."""
    t = title.upper()
    if "TỔ CHỨC THỰC HIỆN" in t or "PHÂN CÔNG" in t or "TRÁCH NHIỆM" in t:
        return "duties"
    if "BÁO CÁO" in t:
        return "reports"
    if "MỤC TIÊU" in t or "CHỈ TIÊU" in t:
        return "targets"
    if "KINH PHÍ" in t and "NHIỆM VỤ" not in t:
        return "funding"
    if "MỤC ĐÍCH" in t or "YÊU CẦU" in t or "CĂN CỨ" in t or "SỰ CẦN THIẾT" in t:
        return "purpose"
    if any(w in t for w in ("NỘI DUNG", "NHIỆM VỤ", "GIẢI PHÁP", "HOẠT ĐỘNG", "CÔNG VIỆC", "CHƯƠNG TRÌNH")):
        return "activities"
    if "THỜI GIAN" in t or "TIẾN ĐỘ" in t:
        return "time"
    return "other"


def flat_sections(root: Node) -> list[tuple[str, Node]]:
    """(roman label, node) of each section; parts that hold I., II., ... give way to those."""
    out: list[tuple[str, Node]] = []
    for s in sections(root):
        inner = [c for c in s.children if c.kind == Kind.ROMAN]
        if s.kind == Kind.PART and inner:
            out += [(c.label, c) for c in inner]
        else:
            out.append((s.label, s))
    return out


@dataclass
class _Run:
    """The working state of one import: directory, header, notes collected on the way."""

    directory: Directory
    header: Header
    notes: list[Note] = field(default_factory=list)
    body_text: str = ""

    def note(self, severity: Severity, kind: NoteKind, where: str, line: int | None, vi: str, en: str) -> Note:
        n = Note(severity, kind, where, line, vi, en)
        self.notes.append(n)
        return n

    def resolve(self, phrase: str, where: str, line: int | None, **kw) -> Resolution:
        r = self.directory.resolve(phrase, where, line, **kw)
        self.notes.extend(r.notes)
        return r


def import_draft(source: Path, directory: Directory) -> DraftPlan:
    """Read the plan at source and return the draft with every note; raises PlanImportError for what is not a plan."""
    doc = split_document(read_text(source))
    check_is_plan(source, doc)
    notes: list[Note] = []
    header = parse_header(source, doc, notes)
    run = _Run(directory, header, notes, "\n".join(ln.text for ln in doc.body))
    root = parse(doc.body)
    secs = [(label, node, section_kind(node.text)) for label, node in flat_sections(root)]
    act_secs = [(lab, n) for lab, n, k in secs if k == "activities"]
    if not act_secs and not doc.appendix:
        raise not_a_plan(source, "không có mục nội dung, nhiệm vụ hay hoạt động (NỘI DUNG, NHIỆM VỤ VÀ GIẢI PHÁP, CÁC HOẠT ĐỘNG)",
                         "no section of activities (NỘI DUNG, NHIỆM VỤ VÀ GIẢI PHÁP, CÁC HOẠT ĐỘNG)")

    # Duties first: they name the plan's lead, the owners of targets and, in some plans, the activities' leads.
    raw_duties: list[dut.RawDuty] = []
    report_nodes: list[Node] = []
    for lab, node, kind in secs:
        if kind == "duties":
            d, r = dut.duties(node, lab)
            raw_duties += d
            report_nodes += r
        elif kind == "reports":
            report_nodes.append(node)
    report_sentences = _sentences(report_nodes)
    routing = rep.routing(report_sentences)
    recipient = upward = None
    if routing and routing.recipient:
        recipient = _single(run, routing.recipient, "reports", routing.line)
        if routing.upward:
            upward = _single(run, routing.upward, "reports", routing.line)
    duty_agencies = _duty_agencies(run, raw_duties)
    plan_lead = recipient or _lead_from_duties(run, raw_duties, duty_agencies)

    raw_acts = _raw_activities(act_secs, doc)
    if not raw_acts:
        raise not_a_plan(source, "mục nội dung/nhiệm vụ không có hoạt động nào được đánh số (1., 2., ... hoặc bảng phụ lục)",
                         "the activities section lists no numbered activity (1., 2., ... or an appendix table)")
    assigned = _assignments(raw_duties, raw_acts, act_secs)
    deliverables: list[DraftDeliverable] = []
    for act in raw_acts:
        deliverables += _activity(run, act, assigned.get(act.code, {}), duty_agencies, plan_lead)
    own = tuple(c for codes in duty_agencies.values() if len(codes) == 1 for c in codes)
    coop = _cooperation(run, raw_duties, duty_agencies)
    for duty in raw_duties:
        deliverables += _duty(run, duty, duty_agencies, own, coop, recipient, upward)
    rules = rep.rules(report_sentences, header)
    if rules:
        base = _report_base(report_nodes, secs)
        leads = tuple(dict.fromkeys(d.lead for d in deliverables if d.section == "activities"))
        deliverables += _reports(run, rules, routing, recipient, upward, base, leads)
    elif report_nodes:
        run.note(Severity.REVIEW, NoteKind.REPORT, "reports", report_nodes[0].line,
                 "mục báo cáo không nêu kỳ hạn đọc được (6 tháng, năm, quý, trước ngày ...): thêm báo cáo bằng tay",
                 "the reporting section gives no readable deadline (6 tháng, năm, quý, trước ngày ...): add reports by hand")

    indicators: list[DraftIndicator] = []
    duty_texts = {codes[0]: " ".join(d.bullets) for d in raw_duties
                  for codes in [duty_agencies.get(d.code, ())] if len(codes) == 1 and not _is_group_heading(d.agency)}
    for lab, node, kind in secs:
        if kind == "targets":
            indicators += _indicators(run, lab, node, duty_texts, plan_lead)
    clash = sorted({i.code for i in indicators} & {d.code.split("/")[0] for d in deliverables})
    if clash:
        run.note(Severity.REVIEW, NoteKind.SCHEMA, "indicators", None,
                 f"mã chỉ tiêu trùng mã hoạt động ({', '.join(clash[:5])}): tệp kế hoạch chỉ nhận mã chỉ tiêu II.n; đổi mã",
                 f"indicator codes equal activity codes ({', '.join(clash[:5])}): plan files take only II.n indicator codes; rename")
    proposed = tuple(directory.proposed.values())
    return DraftPlan(header, tuple(indicators), tuple(_unique(run, deliverables)), tuple(_assumptions(header)),
                     proposed, tuple(run.notes))


# ------------------------------------------------------------------ helpers
def _sentences(nodes: list[Node]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for node in nodes:
        for n in node.walk():
            if n.text:
                text = re.sub(r"^(?:Chế độ (?:thông tin,?\s*)?báo cáo|Thông tin,? báo cáo)\s*[:.]\s*", "", n.text, flags=re.I)
                for part in re.split(r"(?<=\.)\s+(?=[A-ZĐÀ-Ỹ])", text):
                    out.append((part, n.line))
    return out


def _single(run: _Run, phrase: str, where: str, line: int) -> str | None:
    r = run.resolve(phrase, where, line)
    return r.members[0] if r.members else None


def _duty_agencies(run: _Run, raw: list[dut.RawDuty]) -> dict[str, tuple[str, ...]]:
    """Duty code -> the agencies it is for (one, or the members of a group heading)."""
    singles = set()
    for d in raw:
        code, score, how = run.directory.match(d.agency)
        if code:
            singles.add(code)
    out: dict[str, tuple[str, ...]] = {}
    for d in raw:
        r = run.resolve(d.agency, d.code, d.line, own_duties=tuple(singles))
        out[d.code] = r.members if not r.is_group else tuple(m for m in r.members if m not in singles)
    return out


def _lead_from_duties(run: _Run, raw: list[dut.RawDuty], agencies: dict[str, tuple[str, ...]]) -> str | None:
    for d in raw:
        text = " ".join(d.bullets)
        if re.search(r"chủ trì[^.;]*?(?:triển khai|tổ chức|theo dõi)[^.;]*kế hoạch|cơ quan thường trực|đầu mối", text, re.I):
            codes = agencies.get(d.code, ())
            if len(codes) == 1:
                return codes[0]
    return None


def _raw_activities(act_secs: list[tuple[str, Node]], doc) -> list[acts.RawActivity]:
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


def _assignments(raw: list[dut.RawDuty], activities: list[acts.RawActivity],
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


def _when(run: _Run, code: str, act: acts.RawActivity, line: int) -> tuple[date | None, date | None, str]:
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


def _activity(run: _Run, act: acts.RawActivity, assigned: dict, duty_agencies, plan_lead: str | None) -> list[DraftDeliverable]:
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


def _cooperation(run: _Run, raw: list[dut.RawDuty], agencies) -> dict[str, list[str]]:
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


def _duty(run: _Run, duty: dut.RawDuty, agencies, own, coop, recipient, upward) -> list[DraftDeliverable]:
    d = run.directory
    members = agencies.get(duty.code, ())
    if not members:
        return []
    h = run.header
    text = _description(duty.bullets)
    head = _summary(duty.bullets[0]) if duty.bullets else "nhiệm vụ theo kế hoạch"
    out = []
    for m in members:
        code = f"{duty.code}/{m}" if len(members) > 1 or _is_group_heading(duty.agency) else duty.code
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


def _is_group_heading(phrase: str) -> bool:
    f = fold(phrase)
    return f.startswith("cac ") or " cac " in f or f.startswith(("ubnd cap", "uy ban nhan dan cap"))


def _report_base(report_nodes: list[Node], secs) -> str:
    for lab, node, kind in secs:
        if kind == "reports" and node in report_nodes:
            return lab
    for lab, node, kind in secs:
        if kind == "duties":
            for n in report_nodes:
                if n in list(node.walk()):
                    return f"{lab}.{n.label}" if n.kind == Kind.NUMBER else lab
    return "VI"


def _reports(run: _Run, rules, routing, recipient, upward, base, leads) -> list[DraftDeliverable]:
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
            for m in ([recipient] if recipient and upward else []) + list(reporters):
                sub = f"{code}/{m}"
                to = upward if m == recipient else recipient
                if occ.inferred:
                    run.note(Severity.INFERRED, NoteKind.DATE, sub, rule.line,
                             f"'{wording}': hạn {occ.due:%d/%m/%Y}" + (" (năm của kế hoạch; tính cả ngày đó)" if len(h.years) == 1 else ""),
                             f"'{wording}': due {occ.due:%d/%m/%Y}" + (" (the plan's year; that day included)" if len(h.years) == 1 else ""))
                if m == recipient:
                    run.note(Severity.INFERRED, NoteKind.REPORT, sub, rule.line,
                             "kế hoạch không nêu hạn riêng cho báo cáo tổng hợp: dùng cùng hạn với báo cáo của các cơ quan",
                             "the plan gives no separate deadline for the consolidated report: the same date as the agencies' reports")
                desc = (f"Tổng hợp báo cáo {subject} của các cơ quan, báo cáo {d.short(upward)}." if m == recipient and upward
                        else f"Báo cáo {subject} gửi {d.short(recipient)}." if recipient else f"Báo cáo {subject}.")
                out.append(DraftDeliverable(
                    code=sub, title=f"{label} – {d.short(m)}", category="report", lead=m, report_to=to,
                    description=re.sub(r"\s+", " ", desc + f" Hạn: {wording.split(':', 1)[-1].strip()}"),
                    due=occ.due, lines=(rule.line, rule.line), section="reports"))
    return out


def _indicators(run: _Run, lab: str, node: Node, duty_texts: dict[str, str], plan_lead: str | None) -> list[DraftIndicator]:
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


def _unique(run: _Run, deliverables: list[DraftDeliverable]) -> list[DraftDeliverable]:
    seen: dict[str, int] = {}
    out = []
    for dv in deliverables:
        if dv.code in seen:
            seen[dv.code] += 1
            new = f"{dv.code.split('/')[0]}.{seen[dv.code]}" + ("/" + dv.code.split("/")[1] if "/" in dv.code else "")
            run.note(Severity.REVIEW, NoteKind.HEADER, new, dv.lines[0] if dv.lines else None,
                     f"mã {dv.code} trùng: đổi thành {new}", f"code {dv.code} is used twice: renamed {new}")
            dv = DraftDeliverable(**{**dv.__dict__, "code": new})
        else:
            seen[dv.code] = 1
        out.append(dv)
    return out


def _assumptions(h: Header) -> list[str]:
    return [
        f"Bản nháp do 'plantrack plan import' tạo từ văn bản kế hoạch; mọi mục ghi [xem lại] cần cán bộ điều phối quyết định, "
        f"mục ghi [suy luận] được điền theo quy tắc nêu trong trường assumption. (Draft made by 'plantrack plan import' from the "
        f"plan's text; every [xem lại] item needs a coordinator's decision, every [suy luận] item was filled in by the rule its "
        f"assumption states.)",
        f"Kỳ kế hoạch {h.period_start:%d/%m/%Y} - {h.period_end:%d/%m/%Y}: từ ngày ban hành đến hết năm cuối của kế hoạch. "
        f"(Plan period from the issue date to the end of the plan's last year.)",
        "Thời hạn 'trước ngày ...' được hiểu là hạn chót vào chính ngày đó. ('Trước ngày ...' deadlines are read as due on that day.)",
        "Cụm từ nhóm ('UBND các huyện, thị xã, thành phố', 'các sở, ban, ngành') được mở rộng theo danh bạ; nhiệm vụ, báo cáo giao "
        "chung được tách cho từng cơ quan (mã .../<MÃ>). (Group phrases are expanded through the directory; collective duties and "
        "reports are split per agency, coded .../<CODE>.)",
    ]
