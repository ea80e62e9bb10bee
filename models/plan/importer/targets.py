"""Indicators from the targets section: baseline, target, unit and direction from the plan's phrases."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from plantrack.models.plan.importer.outline import Kind, Node

_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?|\d+(?:\.\d+)?"
_MONEY = {"tỷ": Decimal(10) ** 9, "triệu": Decimal(10) ** 6, "nghìn": Decimal(1000), "ngàn": Decimal(1000)}
_COUNT_UNITS = r"%|người|hộ gia đình|hộ|xã|trẻ em|học sinh|trường|vụ|ca|doanh nghiệp|km|ha|tấn|lượt"
_FROM_TO = re.compile(
    rf"từ\s+(?:mức\s+)?({_NUM})\s*({_COUNT_UNITS})?\s*(?:\(?(?:năm|vào năm|cuối năm)\s+(20\d\d)\)?)?\s*"
    rf"(?:,\s*)?(xuống còn|xuống|giảm xuống còn|giảm xuống|giảm còn|còn|lên|tăng lên)\s+(?:mức\s+)?(dưới|trên|khoảng|)\s*"
    rf"({_NUM})\s*({_COUNT_UNITS})?(?:\s*(?:\(?(?:năm|vào năm|đến năm|cuối năm)\s+(20\d\d)\)?))?")
_VALUE = re.compile(
    rf"(trên|hơn|vượt|ít nhất|tối thiểu|không dưới|không thấp hơn|dưới|không quá|tối đa|không vượt quá|đạt|còn|)\s*"
    rf"({_NUM})\s*(%|tỷ đồng|triệu đồng|nghìn đồng|ngàn đồng|đồng)(\s*trở lên|\s*trở xuống)?"
    rf"(?:\s*(?:\(?(?:vào năm|đến năm|năm|cuối năm)\s+(20\d\d)\)?))?")
_YEAR_VALUE = re.compile(rf"(?:năm\s+(20\d\d)\s*(?:đạt|là|:)?\s*({_NUM})\s*%|({_NUM})\s*%\s*(?:vào\s+|đến\s+|trong\s+)?năm\s+(20\d\d))")
_COUNT = re.compile(rf"\b(đạt|có|có thêm|xây dựng|thành lập|hỗ trợ|tập huấn cho|tổ chức|phấn đấu có)\s+({_NUM})\s+"
                    r"([a-zà-ỹđ]+(?:\s+[a-zà-ỹđ]+)?)")
_INCREASE = re.compile(r"^(?:\w+\s+){0,2}(?:tăng dần|nâng dần|từng bước tăng|tăng cường tỷ lệ|nâng cao tỷ lệ|mở rộng)", re.I)
_DECREASE = re.compile(r"^(?:\w+\s+){0,2}(?:giảm dần|hạn chế tối đa|giảm thiểu|từng bước giảm|hạn chế)", re.I)
_GENERAL = re.compile(r"mục tiêu chung|mục tiêu tổng quát|mục tiêu tổng thể", re.I)
_NOT_UNITS = {"năm", "tháng", "ngày", "tuổi", "giờ", "lần"}


def number(text: str) -> Decimal:
    """'1,38' -> 1.38 (decimal comma), '1.000' -> 1000 (thousands dot), '01' -> 1."""
    t = text.strip()
    if "," in t:
        t = t.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+", t):
        t = t.replace(".", "")
    try:
        value = Decimal(t)
    except InvalidOperation:
        raise ValueError(text) from None
    return Decimal(int(value)) if value == value.to_integral_value() else value.normalize()


@dataclass(frozen=True)
class Target:
    text: str
    target: Decimal | None
    unit: str
    direction: str
    baseline: Decimal | None = None
    baseline_year: int | None = None
    year: int | None = None


@dataclass(frozen=True)
class TargetUnit:
    """One bullet of the targets section and the targets it states, in text order."""

    line: int
    text: str
    targets: tuple[Target, ...]
    unparsed: tuple[str, ...]  # sentences with a number that did not read as a target


def units(section: Node) -> list[tuple[int, str]]:
    """The bullets that state specific targets (general objectives left out), with their line."""
    out: list[tuple[int, str]] = []

    def visit(node: Node, general: bool) -> None:
        for c in node.children:
            is_general = general or bool(_GENERAL.match(c.text) if c.kind != Kind.PARA else False)
            if c.kind in (Kind.NUMBER, Kind.LETTER) and not c.children and len(c.text) < 60 and not re.search(r"\d", c.text):
                continue  # a bare heading such as "2. Mục tiêu cụ thể" with nothing under it
            if c.children and c.kind in (Kind.NUMBER, Kind.LETTER, Kind.PART, Kind.ROMAN):
                head = c.text.split(":", 1)
                if len(head) == 2 and re.search(r"\d", head[1]) and not is_general:
                    out.append((c.line, head[1].strip()))
                visit(c, is_general)
            elif not is_general:
                text = c.text
                if c.children:
                    text += " " + " ".join(n.text for n in c.walk() if n is not c)
                if re.match(r"^(?:mục tiêu|chỉ tiêu)[^:]{0,40}:\s*$", text, re.I):
                    continue
                out.append((c.line, re.sub(r"^(?:Mục tiêu|Chỉ tiêu)\s+cụ thể\s*:\s*", "", text)))

    visit(section, False)
    return out


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.;])\s+(?=[A-ZĐÀ-Ỹ0-9\"“(])|;\s+", text)
    return [p.strip().rstrip(".;").strip() for p in parts if p.strip().rstrip(".;").strip()]


def read_targets(text: str, plan_years: tuple[int, ...]) -> tuple[list[Target], list[str]]:
    """The targets in one bullet; sentences with numbers that are not targets come back as unparsed."""
    found: list[Target] = []
    unparsed: list[str] = []
    last_year = plan_years[-1] if plan_years else None
    for sent in sentences(text):
        low = sent.lower()
        got = _from_to(sent, low) or _by_year(sent, low, last_year) or _values(sent, low)
        if not got and re.match(r"^(?:không để (?:xảy ra|phát sinh)|không có)\b", low):
            got = [Target(sent, Decimal(0), "vụ", "at_most")]  # 'Không để xảy ra ...': none at all
        if not got:
            got = _counts(sent, low)
        if not got and not re.search(r"\d", re.sub(r"\b(?:dưới|trên)\s+\d+\s+tuổi|20\d\d|số\s+\d+\S*", "", low)):
            if _INCREASE.search(sent):
                got = [Target(sent, None, _subject_unit(low), "increase")]
            elif _DECREASE.search(sent):
                got = [Target(sent, None, _subject_unit(low), "decrease")]
        if not got and (re.search(r"\d+\s*%|tỷ đồng|triệu đồng", low) or re.search(
                r"(?:phấn đấu|đạt|giảm|tăng|ít nhất|tối thiểu|không quá|dưới|trên)\D{0,40}?\b(?!20\d\d)\d+\b(?!\s*(?:tuổi|/))", low)):
            unparsed.append(sent)
        by = re.search(r"(?:đến|tới|trong|vào)\s+năm\s+(20\d\d)", low)
        if by:
            got = [t if t.year else Target(t.text, t.target, t.unit, t.direction, t.baseline, t.baseline_year,
                                           int(by.group(1))) for t in got]
        found.extend(got)
    return found, unparsed


def _from_to(sent: str, low: str) -> list[Target]:
    m = _FROM_TO.search(low)
    if not m:
        return []
    unit = m.group(7) or m.group(2) or _unit_after(low, m.end())
    down = m.group(4).startswith(("xuống", "giảm", "còn"))
    direction = ("at_most" if down else "more_than" if m.group(5) == "trên" else "at_least")
    return [Target(sent, number(m.group(6)), unit, direction, number(m.group(1)),
                   int(m.group(3)) if m.group(3) else None, int(m.group(8)) if m.group(8) else None)]


def _by_year(sent: str, low: str, last_year: int | None) -> list[Target]:
    hits = list(_YEAR_VALUE.finditer(low))
    if len(hits) < 2:
        return []
    direction = "at_most" if re.search(r"giảm|xuống|dưới", low) else "at_least"
    out = []
    for h in hits:
        year = int(h.group(1) or h.group(4))
        value = number(h.group(2) or h.group(3))
        out.append(Target(sent, value, "%", direction, year=year))
    return out


def _values(sent: str, low: str) -> list[Target]:
    out = []
    for m in _VALUE.finditer(low):
        qual, raw, unit, tail, year = m.groups()
        if qual == "còn" and not re.search(r"giảm|xuống", low[: m.start()]):
            qual = ""
        value = number(raw)
        if unit != "%" and unit != "đồng":
            value = value * _MONEY[unit.split()[0]]
            unit = "đồng"
        if qual in ("trên", "hơn", "vượt"):
            direction = "more_than"
        elif qual in ("dưới", "không quá", "tối đa", "không vượt quá", "còn") or (tail and "xuống" in tail):
            direction = "at_most"
        elif re.match(r"^(?:giảm|hạ)\b", low) and qual in ("", "đạt"):
            direction = "at_most"
        else:
            direction = "at_least"
        text = _clause(sent, m.start(), m.end())
        out.append(Target(text, value, unit, direction, year=int(year) if year else None))
    return out


def _clause(sent: str, start: int, end: int) -> str:
    """The part of a sentence that states one of several targets (split at '. ' already; here at ', ' pairs)."""
    return sent


_COUNT_Q = re.compile(rf"(ít nhất|tối thiểu|không dưới|trên|hơn|đạt|tối đa|không quá|dưới)\s+({_NUM})\s+"
                      rf"(hộ gia đình|hộ|người|lao động|xã|trường|doanh nghiệp|học sinh|trẻ em|ha|km|công trình|mô hình|lượt)\b")


def _counts(sent: str, low: str) -> list[Target]:
    q = _COUNT_Q.search(low)
    if q:
        direction = {"trên": "more_than", "hơn": "more_than", "tối đa": "at_most", "không quá": "at_most",
                     "dưới": "at_most"}.get(q.group(1), "at_least")
        return [Target(sent, number(q.group(2)), q.group(3), direction)]
    m = _COUNT.search(low)
    if not m or m.group(3).split()[0] in _NOT_UNITS:
        return []
    if not re.match(r"^(?:phấn đấu|đến năm|đảm bảo|duy trì|có|xây dựng|thành lập|hỗ trợ|đạt)", low) and "phấn đấu" not in low:
        return []
    return [Target(sent, number(m.group(2)), m.group(3).split()[0], "at_least")]


def _subject_unit(low: str) -> str:
    """The unit of a target given as a direction: '%' for a rate (tỷ lệ), else what is counted."""
    if "tỷ lệ" in low:
        return "%"
    m = re.search(r"\b(trẻ em|học sinh|hộ gia đình|hộ|người|xã|doanh nghiệp|trường hợp|vụ)\b", low)
    return m.group(1) if m else ""


def _unit_after(low: str, pos: int) -> str:
    m = re.match(r"\s*(%|đồng|người|trẻ em|hộ|xã)", low[pos:])
    return m.group(1) if m else ""
