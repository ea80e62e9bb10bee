"""Date hints in a plan's words: explicit dates, months, quarters, 'năm 2024', named occasions (lunar ones too)."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from plantrack.models.plan.importer.model import Header, Milestone

_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class When:
    """Dates read from a phrase; inferred when a rule filled in what the words leave open (a year, a day)."""

    start: date | None
    due: date | None
    schedule: str
    inferred: bool
    basis_vi: str
    basis_en: str


@dataclass(frozen=True)
class Occasion:
    key: str
    pattern: str
    title: str
    month: int
    day: int
    lunar: bool = False
    end: tuple[int, int] | None = None


OCCASIONS = (
    Occasion("thang_hanh_dong_vi_tre_em", r"tháng hành động vì trẻ em", "Tháng hành động vì trẻ em", 6, 1, end=(6, 30)),
    Occasion("tet_nguyen_dan", r"tết nguyên đán", "Tết Nguyên đán", 1, 1, lunar=True),
    Occasion("quoc_te_thieu_nhi", r"quốc tế thiếu nhi|\(1/6\)|ngày 1/6|01/6", "Ngày Quốc tế Thiếu nhi 1/6", 6, 1),
    Occasion("tet_trung_thu", r"trung thu", "Tết Trung thu", 8, 15, lunar=True),
    Occasion("ngay_gia_dinh_viet_nam", r"ngày gia đình việt nam", "Ngày Gia đình Việt Nam 28/6", 6, 28),
    Occasion("quoc_te_phu_nu", r"quốc tế phụ nữ", "Ngày Quốc tế Phụ nữ 8/3", 3, 8),
    Occasion("thang_an_toan_thuc_pham", r"tháng hành động vì an toàn thực phẩm", "Tháng hành động vì an toàn thực phẩm", 4, 15, end=(5, 15)),
    Occasion("binh_dang_gioi", r"tháng hành động vì bình đẳng giới", "Tháng hành động vì bình đẳng giới", 11, 15, end=(12, 15)),
    Occasion("ngay_nuoc_the_gioi", r"ngày nước thế giới", "Ngày Nước thế giới 22/3", 3, 22),
    Occasion("ngay_moi_truong_the_gioi", r"ngày môi trường thế giới", "Ngày Môi trường thế giới 5/6", 6, 5),
)


def _last(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def plan_year(header: Header) -> int | None:
    return header.years[0] if len(header.years) == 1 else None


def parse_when(text: str, header: Header) -> When | None:
    """The dates a 'Thời gian' phrase gives, or None when it gives none."""
    t = text.strip().lower()
    year = plan_year(header)
    deadline = bool(re.search(r"trước|hoàn thành|chậm nhất|hạn", t))
    m = re.search(r"(\d{1,2})/(\d{1,2})/(20\d\d)", t)
    if m:
        d = _safe(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if d:
            start = None
            m2 = re.search(r"từ (?:ngày )?(\d{1,2})/(\d{1,2})/(20\d\d)", t)
            if m2 and m2.start() < m.start():
                start = _safe(int(m2.group(3)), int(m2.group(2)), int(m2.group(1)))
                m3 = list(re.finditer(r"(\d{1,2})/(\d{1,2})/(20\d\d)", t))[-1]
                d = _safe(int(m3.group(3)), int(m3.group(2)), int(m3.group(1))) or d
            return When(start, d, "span" if start else "deadline", False, f"'{text.strip()}'", f"'{text.strip()}'")
    m = re.search(r"(?:quý|quí)\s+([ivx]+|\d)(?:\s*(?:,|-|–|và|đến)\s*(?:quý\s+)?([ivx]+|\d))?(?:\s*(?:/|năm)\s*(20\d\d))?", t)
    if m and m.group(1) in _QUARTERS:
        q1 = _QUARTERS[m.group(1)]
        q2 = _QUARTERS.get(m.group(2) or "", q1)
        y = int(m.group(3)) if m.group(3) else year
        if y:
            start, due = date(y, 3 * q1 - 2, 1), _last(y, 3 * q2)
            inferred = m.group(3) is None
            return When(None if deadline else start, due, "deadline", inferred,
                        f"'{text.strip()}': {'hết' if deadline else 'trong'} quý {m.group(1).upper()}"
                        + (f" năm {y} (năm của kế hoạch)" if inferred else ""),
                        f"'{text.strip()}': {'by the end of' if deadline else 'during'} quarter {m.group(1).upper()}"
                        + (f" of {y} (the plan's year)" if inferred else ""))
    m = re.search(r"từ\s+tháng\s+(\d{1,2})(?:/(20\d\d))?\s*(?:đến|-|–)\s*(?:hết\s+)?tháng\s+(\d{1,2})(?:\s*(?:/|năm)\s*(20\d\d))?", t)
    if m:
        y2 = int(m.group(4) or m.group(2) or 0) or year
        y1 = int(m.group(2) or 0) or y2
        if y1 and y2 and 1 <= int(m.group(1)) <= 12 and 1 <= int(m.group(3)) <= 12:
            inferred = not (m.group(2) or m.group(4))
            return When(date(y1, int(m.group(1)), 1), _last(y2, int(m.group(3))), "span", inferred,
                        f"'{text.strip()}'" + (f" (năm {y2} của kế hoạch)" if inferred else ""),
                        f"'{text.strip()}'" + (f" ({y2}, the plan's year)" if inferred else ""))
    m = re.search(r"tháng\s+(\d{1,2})\s*(?:/|năm)\s*(20\d\d)|tháng\s+(\d{1,2})\b", t)
    if m:
        mon = int(m.group(1) or m.group(3))
        y = int(m.group(2)) if m.group(2) else year
        if y and 1 <= mon <= 12:
            inferred = m.group(2) is None
            return When(None if deadline else date(y, mon, 1), _last(y, mon), "deadline" if deadline else "span", inferred,
                        f"'{text.strip()}': tháng {mon}/{y}" + (" (năm của kế hoạch)" if inferred else ""),
                        f"'{text.strip()}': {mon}/{y}" + (" (the plan's year)" if inferred else ""))
    m = re.search(r"(\d{1,2})/(\d{1,2})(?!/|\d)", t)
    if m and year and re.search(r"ngày|trước", t):
        d = _safe(year, int(m.group(2)), int(m.group(1)))
        if d:
            return When(None, d, "deadline", True, f"'{text.strip()}': ngày {d:%d/%m/%Y} (năm của kế hoạch)",
                        f"'{text.strip()}': {d:%d/%m/%Y} (the plan's year)")
    m = re.search(r"6 tháng (đầu|cuối) năm(?:\s+(20\d\d))?", t)
    if m:
        y = int(m.group(2)) if m.group(2) else year
        if y:
            first = m.group(1) == "đầu"
            return When(None if first else date(y, 7, 1), date(y, 6, 30) if first else date(y, 12, 31), "deadline",
                        m.group(2) is None, f"'{text.strip()}'", f"'{text.strip()}'")
    m = re.search(r"(?:trong\s+)?năm\s+(20\d\d)", t)
    if m and not re.search(r"20\d\d\s*[-–]\s*20\d\d", t):
        y = int(m.group(1))
        start = max(header.period_start, date(y, 1, 1))
        return When(start, date(y, 12, 31), "deadline", True,
                    f"'{text.strip()}': cả năm {y}, hạn 31/12/{y}", f"'{text.strip()}': the whole of {y}, due 31/12/{y}")
    if re.search(r"thường xuyên|cả năm|hằng năm|hàng năm|liên tục|giai đoạn|20\d\d\s*[-–]\s*20\d\d", t):
        return When(header.period_start, header.period_end, "deadline", True,
                    f"'{text.strip()}': cả kỳ kế hoạch", f"'{text.strip()}': the whole plan period")
    return None


def occasion_in_title(title: str, header: Header) -> When | None:
    """An activity named after a dated occasion ('Tổ chức Tháng hành động vì trẻ em') takes its dates."""
    year = plan_year(header) or header.period_start.year
    low = title.lower()
    for occ in OCCASIONS:
        if occ.end and re.search(occ.pattern, low):
            start, end = date(year, occ.month, occ.day), date(year, *occ.end)
            return When(start, end, "span", True,
                        f"'{occ.title}' là {start:%d/%m} - {end:%d/%m} hằng năm", f"'{occ.title}' runs {start:%d/%m} - {end:%d/%m} every year")
    return None


def occasion_milestones(text: str, header: Header) -> list[Milestone]:
    """Milestones for occasions the activity is tied to ('nhân các ngày lễ, tết: Tết Nguyên đán, 1/6, Trung thu')."""
    low = text.lower()
    if not re.search(r"nhân (?:dịp|các ngày|ngày|tết)|vào dịp|dịp lễ|ngày lễ", low):
        return []
    year = plan_year(header) or header.period_start.year
    out: list[Milestone] = []
    tail = low[re.search(r"nhân (?:dịp|các ngày|ngày|tết)|vào dịp|dịp lễ|ngày lễ", low).start():]
    for occ in OCCASIONS:
        if occ.end is None and re.search(occ.pattern, tail):
            start = (year, occ.month, occ.day) if occ.lunar else date(year, occ.month, occ.day)
            out.append(Milestone(occ.key, occ.title + (f" {year}" if occ.lunar else ""), start))
    return out
