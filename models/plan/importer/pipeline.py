"""The import use case: a plan's text -> a draft plan (header, indicators, deliverables) and its review notes."""
from __future__ import annotations

import re
from pathlib import Path

from plantrack.models.plan.importer import duties as dut
from plantrack.models.plan.importer import reports as rep
from plantrack.models.plan.importer.agencies import Directory
from plantrack.models.plan.importer.deliverables import (
    activity_deliverables, assigned_by_duties, cooperation, duty_deliverables, is_group_heading, raw_activities,
    report_base, report_deliverables,
)
from plantrack.models.plan.importer.extract import read_text
from plantrack.models.plan.importer.header import check_is_plan, not_a_plan, parse_header
from plantrack.models.plan.importer.indicators import target_indicators
from plantrack.models.plan.importer.model import DraftDeliverable, DraftIndicator, DraftPlan, Header, Note, NoteKind, Severity
from plantrack.models.plan.importer.outline import Kind, Node, parse, sections
from plantrack.models.plan.importer.state import ImportRun
from plantrack.models.plan.importer.text import split_document


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


def import_draft(source: Path, directory: Directory) -> DraftPlan:
    """Read the plan at source and return the draft with every note; raises PlanImportError for what is not a plan."""
    doc = split_document(read_text(source))
    check_is_plan(source, doc)
    notes: list[Note] = []
    header = parse_header(source, doc, notes)
    run = ImportRun(directory, header, notes, "\n".join(ln.text for ln in doc.body))
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

    raw_acts = raw_activities(act_secs, doc)
    if not raw_acts:
        raise not_a_plan(source, "mục nội dung/nhiệm vụ không có hoạt động nào được đánh số (1., 2., ... hoặc bảng phụ lục)",
                         "the activities section lists no numbered activity (1., 2., ... or an appendix table)")
    assigned = assigned_by_duties(raw_duties, raw_acts, act_secs)
    deliverables: list[DraftDeliverable] = []
    for act in raw_acts:
        deliverables += activity_deliverables(run, act, assigned.get(act.code, {}), duty_agencies, plan_lead)
    own = tuple(c for codes in duty_agencies.values() if len(codes) == 1 for c in codes)
    coop = cooperation(run, raw_duties, duty_agencies)
    for duty in raw_duties:
        deliverables += duty_deliverables(run, duty, duty_agencies, own, coop, recipient, upward)
    rules = rep.rules(report_sentences, header)
    if rules:
        base = report_base(report_nodes, secs)
        leads = tuple(dict.fromkeys(d.lead for d in deliverables if d.section == "activities"))
        deliverables += report_deliverables(run, rules, routing, recipient, upward, base, leads)
    elif report_nodes:
        run.note(Severity.REVIEW, NoteKind.REPORT, "reports", report_nodes[0].line,
                 "mục báo cáo không nêu kỳ hạn đọc được (6 tháng, năm, quý, trước ngày ...): thêm báo cáo bằng tay",
                 "the reporting section gives no readable deadline (6 tháng, năm, quý, trước ngày ...): add reports by hand")

    indicators: list[DraftIndicator] = []
    duty_texts = {codes[0]: " ".join(d.bullets) for d in raw_duties
                  for codes in [duty_agencies.get(d.code, ())] if len(codes) == 1 and not is_group_heading(d.agency)}
    for lab, node, kind in secs:
        if kind == "targets":
            indicators += target_indicators(run, lab, node, duty_texts, plan_lead)
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


def _single(run: ImportRun, phrase: str, where: str, line: int) -> str | None:
    r = run.resolve(phrase, where, line)
    return r.members[0] if r.members else None


def _duty_agencies(run: ImportRun, raw: list[dut.RawDuty]) -> dict[str, tuple[str, ...]]:
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


def _lead_from_duties(run: ImportRun, raw: list[dut.RawDuty], agencies: dict[str, tuple[str, ...]]) -> str | None:
    for d in raw:
        text = " ".join(d.bullets)
        if re.search(r"chủ trì[^.;]*?(?:triển khai|tổ chức|theo dõi)[^.;]*kế hoạch|cơ quan thường trực|đầu mối", text, re.I):
            codes = agencies.get(d.code, ())
            if len(codes) == 1:
                return codes[0]
    return None


def _unique(run: ImportRun, deliverables: list[DraftDeliverable]) -> list[DraftDeliverable]:
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
        "Thời hạn 'trước ngày ...' được ghi đúng lời văn (due_wording: before); hạn tính theo quy tắc PLANTRACK_DEADLINE_RULE "
        "(mặc định Điều 148 Bộ luật Dân sự 2015: hết ngày liền trước, lùi sang ngày làm việc kế tiếp nếu là ngày nghỉ). "
        "('Trước ngày ...' deadlines keep their wording, due_wording: before; the effective deadline follows "
        "PLANTRACK_DEADLINE_RULE, by default Article 148 of the 2015 Civil Code: the end of the day before, moved to the "
        "next working day when that is a day off.)",
        "Cụm từ nhóm ('UBND các huyện, thị xã, thành phố', 'các sở, ban, ngành') được mở rộng theo danh bạ; nhiệm vụ, báo cáo giao "
        "chung được tách cho từng cơ quan (mã .../<MÃ>). (Group phrases are expanded through the directory; collective duties and "
        "reports are split per agency, coded .../<CODE>.)",
    ]
