"""Activities from the content section (or its appendix table): code, title, bullets, roles, funding, time, quantities."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from plantrack.models.plan.importer.model import Line, Quantity
from plantrack.models.plan.importer.outline import Kind, Node
from plantrack.models.plan.importer.targets import number

_FIELD_RE = re.compile(
    r"^(Nội dung(?: thực hiện| hoạt động| công việc| nhiệm vụ)?|Tổ chức thực hiện|Phân công thực hiện|Phân công"
    r"|Cơ quan chủ trì(?: thực hiện)?|Đơn vị chủ trì(?: thực hiện)?|Cơ quan thực hiện|Đơn vị thực hiện|Chủ trì(?: thực hiện)?"
    r"|Cơ quan phối hợp(?: thực hiện)?|Đơn vị phối hợp(?: thực hiện)?|Phối hợp(?: thực hiện)?"
    r"|Kinh phí(?: thực hiện)?|Nguồn kinh phí|Thời gian(?: thực hiện| hoàn thành)?|Tiến độ(?: thực hiện| hoàn thành)?"
    r"|Thời hạn(?: hoàn thành)?|Sản phẩm|Kết quả(?: đầu ra)?)\s*(?::|\.|$)\s*(.*)$", re.I)
_INLINE_LEAD = re.compile(
    r"(?:^|[.;:]\s+|\bGiao\s+)((?:Sở|UBND|Ủy ban|Uỷ ban|Công an|Tỉnh đoàn|Hội|Ban|Đài|Báo|Văn phòng|Bộ Chỉ huy|Liên đoàn|Mặt trận)"
    r"[^,.;:]{2,80}?)\s+(?:là cơ quan\s+)?chủ trì\b(?:\s*,?\s*phối hợp(?:\s+với)?\s+(.+?)(?=\s+(?:tổ chức(?! chính trị)|thực hiện|triển khai|xây dựng"
    r"|hướng dẫn|kiểm tra|tham mưu|rà soát|đánh giá|theo dõi|tuyên truyền)\b|[.;]|$))?")
_CATEGORY_WORDS = (
    ("action_month", r"tháng hành động"), ("forum", r"diễn đàn"),
    ("child_friendly_commune", r"phù hợp với trẻ em"), ("child_labour", r"lao động trẻ em"),
    ("injury_prevention", r"tai nạn|đuối nước|thương tích"), ("violence_prevention", r"bạo lực|xâm hại|bạo hành"),
    ("fund_raising", r"xã hội hóa|xã hội hoá|quỹ|huy động nguồn lực|vận động"),
    ("inspection", r"kiểm tra|giám sát|thanh tra"),
    ("training", r"tập huấn|đào tạo|bồi dưỡng|nâng cao năng lực|diễn tập"),
    ("care_recreation", r"vui chơi|giải trí|thăm hỏi|tặng quà|chăm sóc"),
    ("communication", r"truyền thông|tuyên truyền|thông tin|phổ biến"),
    ("model", r"mô hình|thí điểm|dịch vụ|điểm"),
)
_QTY_RE = re.compile(
    r"(?:(?<=\s)|^)(?:(?P<verb>(?i:tổ chức|cho|và|hướng dẫn|xây dựng|biên soạn|phát hành|in|cấp phát|mở|hỗ trợ|thành lập|đào tạo"
    r"|tập huấn|gồm|với|khoảng|trên|sản xuất|lắp đặt|khám|tiêm|trồng|cấp|phát|xây mới|sửa chữa|kiểm tra))\s+)"
    r"(?P<n>\d{1,3}(?:\.\d{3})+|\d{1,5})(?:/(?P<of>\d{1,3}))?\s+"
    r"(?P<what>[^\d.;:()]{2,120}?)(?=\s+(?:cho|và|về|tại|nhằm|để|trên|với|trong)\s|[.;:,()]|$)")
_PEOPLE = ("cộng tác viên", "tình nguyện viên", "dẫn trình viên", "cán bộ", "học viên", "người", "đại biểu", "giáo viên",
           "báo cáo viên", "tuyên truyền viên", "hòa giải viên", "y tế thôn", "nhân viên", "hộ gia đình", "hộ")
_UNITS = {"lớp tập huấn": "lớp", "lớp": "lớp", "lễ": "lễ", "diễn đàn": "diễn đàn", "hội nghị": "hội nghị",
          "hội thảo": "hội thảo", "cuộc": "cuộc", "đợt": "đợt", "mô hình": "mô hình", "buổi": "buổi",
          "trẻ em": "trẻ em", "huyện": "huyện", "xã": "xã", "trường": "trường", "bộ": "bộ", "cuốn": "cuốn",
          "tờ": "tờ", "số": "số", "chương trình": "chương trình", "chuyên mục": "chuyên mục", "tin": "tin", "bài": "bài",
          "phóng sự": "phóng sự", "bản tin": "bản tin", "pa nô": "pa nô", "biển": "biển", "công trình": "công trình",
          "cây": "cây", "hộ": "hộ", "lượt": "lượt", "video": "video", "cuộc": "cuộc", "thùng": "thùng", "điểm": "điểm",
          "cơ sở": "cơ sở"}
_NOT_QTY = re.compile(r"^(?:năm|tháng|ngày|giờ|tuổi|%|lần|QĐ|NĐ|KH|TT)\b", re.I)


@dataclass
class RawActivity:
    """One activity as the text gives it, before agency names are resolved."""

    code: str
    title: str
    line: int
    last_line: int
    bullets: list[str] = field(default_factory=list)
    lead: tuple[str, int] | None = None        # phrase, line
    supporting: tuple[str, int] | None = None
    funding: str | None = None
    time: tuple[str, int] | None = None
    lead_inline: bool = False

    @property
    def text(self) -> str:
        return self.title + "\n" + "\n".join(self.bullets)


def activity_nodes(section: Node) -> list[tuple[str, Node]]:
    """(code suffix, node) of each activity: the deepest numbered units, else letters, else dash bullets."""
    numbered = [c for c in section.children if c.kind == Kind.NUMBER]
    if numbered:
        out: list[tuple[str, Node]] = []

        def leaves(node: Node) -> None:
            kids = [c for c in node.children if c.kind == Kind.NUMBER]
            if kids:
                for k in kids:
                    leaves(k)
            else:
                out.append((node.label, node))

        for n in numbered:
            leaves(n)
        return out
    for kind in (Kind.LETTER, Kind.DASH):
        kids = [c for c in section.children if c.kind == kind]
        if kids:
            return [(str(i + 1), c) for i, c in enumerate(kids)]
    return []


def _split_title(text: str) -> tuple[str, str]:
    """'Title: inline content' -> (title, content); a title never holds a full stop."""
    if ": " in text:
        head, rest = text.split(": ", 1)
        if len(head) <= 200 and ". " not in head and not _FIELD_RE.match(head + ":"):
            return head.strip().rstrip("."), rest.strip()
    return text.strip().rstrip(":").rstrip(".").strip(), ""


def from_node(code: str, node: Node) -> RawActivity:
    """The fields of one numbered activity and its a)/b)/- children."""
    title, inline = _split_title(node.text)
    act = RawActivity(code, title, node.line, node.span[1])
    if inline:
        _take(act, inline, node.line, [])
    for child in node.children:
        _take(act, child.text, child.line, child.children)
    if act.lead is None:
        for k, b in enumerate([act.title] + act.bullets):
            m = _INLINE_LEAD.search(b)
            if m:
                act.lead = (m.group(1), node.line)
                act.lead_inline = True
                if m.group(2) and act.supporting is None:
                    act.supporting = (m.group(2), node.line)
                break
    return act


def _take(act: RawActivity, text: str, line: int, children: list[Node]) -> None:
    m = _FIELD_RE.match(text)
    if not m:
        act.bullets.append(_flatten(text, children))
        return
    label, value = m.group(1).lower(), m.group(2).strip()
    if label.startswith("nội dung") or label.startswith(("sản phẩm", "kết quả")):
        if value:
            act.bullets.append(value)
        for c in children:
            _take(act, c.text, c.line, c.children)
    elif label.startswith(("tổ chức thực hiện", "phân công")):
        if value:
            _roles_inline(act, value, line)
        for c in children:
            _take(act, c.text, c.line, c.children)
    elif "chủ trì" in label or label in ("cơ quan thực hiện", "đơn vị thực hiện"):
        act.lead = (value.rstrip("."), line)
    elif "phối hợp" in label:
        act.supporting = (value.rstrip("."), line)
    elif "kinh phí" in label:
        act.funding = " ".join([value] + [c.full_text() for c in children]).strip()
    else:  # thời gian, tiến độ, thời hạn: 'hoàn thành' and 'thời hạn' make it a deadline
        act.time = (("hoàn thành " if re.search(r"hoàn thành|thời hạn", label) else "") + value, line)


def _roles_inline(act: RawActivity, value: str, line: int) -> None:
    m = _INLINE_LEAD.search(value)
    if m:
        act.lead = (m.group(1), line)
        if m.group(2):
            act.supporting = (m.group(2), line)
    else:
        act.bullets.append(value)


def _flatten(text: str, children: list[Node]) -> str:
    """A bullet with its sub-bullets ('+' lines) kept on lines of their own."""
    if not children:
        return text
    return text + "".join(f"\n  + {n.text}" for c in children for n in c.walk())


def category(title: str, text: str) -> tuple[str, bool]:
    """The plan-file category by keywords of the title, then the content; (category, guessed)."""
    for source in (title.lower(), text.lower()):
        for cat, pattern in _CATEGORY_WORDS:
            if re.search(pattern, source):
                return cat, False
    return "model", True


def quantities(text: str) -> list[Quantity]:
    """Counted outputs such as '09 lớp tập huấn cho 540 cộng tác viên' or 'Hướng dẫn 9/9 huyện'."""
    out: list[Quantity] = []
    for m in _QTY_RE.finditer(text):
        what = m.group("what").strip(" ,")
        if _NOT_QTY.match(what) or re.match(r"^\d", what):
            continue
        amount = number(m.group("n"))
        if amount == 0 or (amount >= 1900 and amount <= 2100):
            continue
        low = what.lower()
        unit = next((u for w, u in _UNITS.items() if low.startswith(w)), None)
        if unit is None and any(low.startswith(p) for p in _PEOPLE):
            unit = "người"
        if unit is None:
            continue
        out.append(Quantity(what[:1].upper() + what[1:], Decimal(amount), unit))
    return out


# ------------------------------------------------------------------ appendix tables
_HEAD_CELLS = {"stt": "stt", "tt": "stt", "số tt": "stt", "nội dung": "title", "nhiệm vụ": "title", "tên nhiệm vụ": "title",
               "nội dung nhiệm vụ": "title", "nội dung công việc": "title", "hoạt động": "title", "nội dung hoạt động": "title",
               "cơ quan chủ trì": "lead", "đơn vị chủ trì": "lead", "chủ trì": "lead", "cơ quan thực hiện": "lead",
               "cơ quan phối hợp": "supporting", "đơn vị phối hợp": "supporting", "phối hợp": "supporting",
               "thời gian": "time", "thời gian thực hiện": "time", "thời gian hoàn thành": "time", "tiến độ": "time",
               "thời hạn": "time", "thời hạn hoàn thành": "time", "kinh phí": "funding", "nguồn kinh phí": "funding",
               "sản phẩm": "product", "kết quả": "product", "sản phẩm đầu ra": "product", "ghi chú": "note"}


def appendix_rows(lines: tuple[Line, ...] | list[Line]) -> list[tuple[str, dict[str, str], int]]:
    """Rows of a task table ('STT | Nội dung | Cơ quan chủ trì | ...'): (number path, cells by role, line)."""
    columns: list[str] | None = None
    deadline = False
    group = ""
    rows: list[tuple[str, dict[str, str], int]] = []
    for ln in lines:
        if " | " not in ln.text:
            continue
        cells = [c.strip() for c in ln.text.split(" | ")]
        names = [_HEAD_CELLS.get(re.sub(r"\s*\(.*\)$", "", c.lower()).strip(" .")) for c in cells]
        if columns is None:
            if "title" in names and "lead" in names:
                columns = [n or f"col{i}" for i, n in enumerate(names)]
                deadline = any(n == "time" and re.search(r"hoàn thành|thời hạn", c.lower()) for n, c in zip(names, cells))
            continue
        if names.count(None) < len(names) - 1 and "title" in names:
            continue  # a repeated header row on a new page
        row = {columns[i]: c for i, c in enumerate(cells) if i < len(columns)}
        if deadline:
            row["time_deadline"] = "1"
        stt = row.get("stt", "").strip(". ")
        if not row.get("title"):
            continue
        if re.fullmatch(r"[IVX]+|[A-Z]", stt) and not row.get("lead"):
            group = str({"A": 1, "B": 2, "C": 3, "D": 4}.get(stt) or _roman(stt))
            continue
        if not re.fullmatch(r"\d{1,3}(?:\.\d{1,2})*", stt):
            continue
        rows.append(((group + "." + stt) if group else stt, row, ln.no))
    return rows


def _roman(label: str) -> int:
    values = {"I": 1, "V": 5, "X": 10}
    total = 0
    for i, ch in enumerate(label):
        v = values[ch]
        total += -v if i + 1 < len(label) and values[label[i + 1]] > v else v
    return total


def from_row(code: str, row: dict[str, str], line: int) -> RawActivity:
    title, inline = _split_title(row["title"])
    act = RawActivity(code, title, line, line)
    if inline:
        act.bullets.append(inline)
    if row.get("product"):
        act.bullets.append("Sản phẩm: " + row["product"])
    if row.get("lead"):
        act.lead = (row["lead"], line)
    if row.get("supporting"):
        act.supporting = (row["supporting"], line)
    if row.get("time"):
        act.time = (("hoàn thành " if row.get("time_deadline") else "") + row["time"], line)
    if row.get("funding"):
        act.funding = row["funding"]
    return act
