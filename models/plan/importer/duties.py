"""Duties per agency from 'TỔ CHỨC THỰC HIỆN', and the activities they assign ('chủ trì nhiệm vụ tại điểm 1, 2 Mục II')."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from plantrack.models.plan.importer.outline import Kind, Node

_AGENCY_HEAD = re.compile(
    r"^(?:(?:Trách nhiệm|Nhiệm vụ) của\s+|Đề nghị\s+)?((?:Sở|UBND|Ủy ban|Uỷ ban|Công an|Tỉnh đoàn|Tỉnh Đoàn|Hội|Ban|Đài|Báo"
    r"|Văn phòng|Bộ Chỉ huy|Liên đoàn|Mặt trận|Các|Cục|Chi cục|Thanh tra|Kho bạc|Bảo hiểm|Ngân hàng|Trung tâm|Đoàn|Viện|Tòa)\b.*)$")
_REPORT_HEAD = re.compile(r"^(?:Chế độ (?:thông tin,?\s*)?báo cáo|Thông tin,? báo cáo|Báo cáo)\b", re.I)
_REFS = r"\d{1,2}(?:\.\d{1,2})*(?:\s*(?:,|;|và|đến|-|–)\s*\d{1,2}(?:\.\d{1,2})*)*"
_ASSIGN = re.compile(
    rf"(?P<role>chủ trì|phối hợp)(?:\s*(?:,\s*)?phối hợp với\s+[^;]*?(?=\s+(?:thực hiện|triển khai|tổ chức)))?\s*(?:thực hiện|triển khai"
    rf"(?: thực hiện)?|tổ chức thực hiện|tổ chức)?\s*(?:các\s+)?(?:nhiệm vụ|nội dung|hoạt động)(?:,?\s*giải pháp)?\s*"
    rf"(?:tại|ở|số|nêu tại)?\s*(?:các\s+)?(?:điểm|mục|khoản|tiểu mục|nhiệm vụ)?\s*(?P<refs>{_REFS})"
    rf"(?:\s*,?\s*(?:thuộc\s+|của\s+)?(?:Mục|mục|Phần|phần)\s+(?P<sec>[IVX]+))?", re.I)


@dataclass
class RawDuty:
    """One agency's (or group's) duties as written: the heading phrase and its bullets."""

    code: str
    agency: str
    line: int
    last_line: int
    bullets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Assignment:
    """An activity given to an agency in the closing section: role 'lead' or 'support'."""

    duty_code: str
    agency: str
    role: str
    refs: tuple[str, ...]
    section: str | None
    line: int


def split_heading(text: str) -> tuple[str, str] | None:
    """'Sở Tài chính: Căn cứ ...' -> ('Sở Tài chính', 'Căn cứ ...'); None when the heading names no agency."""
    head, _, rest = text.partition(":")
    head = head.strip().rstrip(".")
    m = _AGENCY_HEAD.match(head)
    if not m or len(head) > 160:
        return None
    return m.group(1).strip(), rest.strip()


def duties(section: Node, prefix: str) -> tuple[list[RawDuty], list[Node]]:
    """The duties of the section, and the sub-units that are reporting rules rather than duties."""
    out: list[RawDuty] = []
    reports: list[Node] = []

    def visit(node: Node, code: str) -> None:
        letters = [c for c in node.children if c.kind == Kind.LETTER]
        for c in node.children:
            if c.kind == Kind.NUMBER:
                sub = f"{prefix}.{c.label}"
            elif c.kind == Kind.LETTER:
                sub = f"{code}.{letters.index(c) + 1}"
            else:
                continue
            if _REPORT_HEAD.match(c.text):
                reports.append(c)
                continue
            split = split_heading(c.text)
            if split:
                duty = RawDuty(sub, split[0], c.line, c.span[1])
                if split[1]:
                    duty.bullets.append(split[1])
                for g in c.children:
                    duty.bullets.append(" ".join(n.text for n in g.walk()))
                out.append(duty)
            else:
                visit(c, sub)

    visit(section, prefix)
    return out, reports


def assignments(duty: RawDuty) -> list[Assignment]:
    """Activities a duty names by number ('chủ trì thực hiện nhiệm vụ tại điểm 1, 2 Mục II')."""
    found: list[Assignment] = []
    for text in duty.bullets:
        for m in _ASSIGN.finditer(text):
            refs = _expand_refs(m.group("refs"))
            role = "lead" if m.group("role").lower() == "chủ trì" else "support"
            found.append(Assignment(duty.code, duty.agency, role, tuple(refs), m.group("sec"), duty.line))
    return found


def _expand_refs(text: str) -> list[str]:
    out: list[str] = []
    parts = re.split(r"\s*(?:,|;|và)\s*", text)
    for p in parts:
        m = re.fullmatch(r"(\d{1,2})\s*(?:đến|-|–)\s*(\d{1,2})", p.strip())
        if m and int(m.group(1)) < int(m.group(2)) <= int(m.group(1)) + 30:
            out += [str(i) for i in range(int(m.group(1)), int(m.group(2)) + 1)]
        elif p.strip():
            out.append(p.strip())
    return out


def coop_targets(text: str) -> list[tuple[str, str]]:
    """('with', phrase) for 'chủ trì, phối hợp với X' and ('to', phrase) for a bare 'Phối hợp với X <verb>'."""
    out: list[tuple[str, str]] = []
    for m in re.finditer(r"(chủ trì,?\s*)?phối hợp (?:chặt chẽ )?với\s+(.+?)(?=\s+(?:để\s+)?(?:triển khai|thực hiện|tổ chức(?! chính trị)|cung cấp"
                         r"|tham mưu|hướng dẫn|xây dựng|kiểm tra|tuyên truyền|rà soát|đánh giá|theo dõi|giải quyết|vận động)\b|[.;:]|$)",
                         text, re.I):
        out.append(("with" if m.group(1) else "to", m.group(2).strip()))
    return out
