"""Reporting rules ('Báo cáo 6 tháng: Trước ngày 15/6', 'định kỳ hằng quý') as report deliverables per reporting agency."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from plantrack.models.plan.importer.dates import _last, _safe
from plantrack.models.plan.importer.model import Header

_WHO = re.compile(
    r"^(?P<who>.+?)\s+(?:có trách nhiệm\s+|định kỳ\s+|chủ động\s+|thực hiện\s+)?(?:tổng hợp,?\s+)?(?:gửi\s+)?báo cáo\s*"
    r"(?P<subject>.*?)\s+(?:gửi|về)\s+(?:về\s+)?(?P<to>.+?)(?:\s+(?:để\s+)?tổng hợp,?\s*(?:báo cáo\s+)?(?P<up>.+?))?"
    r"(?=\s+theo\s+định\s+kỳ|\s+định\s+kỳ|\s+trước\s+ngày|[.;:(]|$)", re.I)
_KIND = re.compile(
    r"(?P<kind>6 tháng(?: đầu năm)?|sáu tháng|hằng quý|hàng quý|định kỳ quý|báo cáo quý|quý|hằng năm|hàng năm|báo cáo năm|năm"
    r"|hằng tháng|hàng tháng|sơ kết[^:;.]*|tổng kết[^:;.]*)\s*(?:\)|:|,|\(|-)?\s*(?:gửi[^;.:]*?)?\s*"
    r"(?:(?:trước|chậm nhất|trước ngày|vào ngày|hạn)\s*(?:ngày\s*)?(?P<d>\d{1,2})(?:\s*/\s*(?P<m>\d{1,2})(?:\s*/\s*(?P<y>20\d\d))?"
    r"|\s*(?:của\s+)?tháng\s+cuối\s+quý|\s*(?:của\s+)?tháng\s+đầu\s+quý\s+sau)?)?", re.I)


@dataclass(frozen=True)
class Occurrence:
    suffix: str          # "" or ".2024" or ".1"
    due: date
    inferred: bool
    label: str           # "6 tháng năm 2024"


@dataclass(frozen=True)
class ReportRule:
    kind: str
    title: str
    occurrences: tuple[Occurrence, ...]
    line: int
    wording: str


@dataclass(frozen=True)
class Routing:
    reporters: str | None
    recipient: str | None
    upward: str | None
    subject: str
    line: int


def routing(sentences: list[tuple[str, int]]) -> Routing | None:
    """Who reports to whom: 'Các sở, ngành ... tổng hợp báo cáo ... gửi Sở X tổng hợp, báo cáo UBND tỉnh'."""
    for text, line in sentences:
        m = _WHO.search(text)
        if m and ("gửi" in text or " về " in text):
            who = re.sub(r"^(?:Định kỳ,?\s*|Yêu cầu\s+|Đề nghị\s+)", "", m.group("who").strip(), flags=re.I)
            up = m.group("up")
            subject = re.sub(r"^kết quả(?:\s+thực hiện)?\s*", "", m.group("subject").strip(), flags=re.I)
            subject = re.sub(r"^(?:tình hình,?\s*)?", "", subject)
            return Routing(who, m.group("to").strip(), up.strip() if up else None, subject, line)
    for text, line in sentences:
        m = re.search(r"(?:báo cáo|gửi báo cáo)\s+(?:về\s+)?(UBND tỉnh|Ủy ban nhân dân tỉnh|Sở [^,.;]+)", text)
        if m:
            return Routing(None, m.group(1), None, "", line)
    return None


def rules(sentences: list[tuple[str, int]], header: Header) -> list[ReportRule]:
    """The report kinds and their due dates, one occurrence per period of the plan."""
    out: list[ReportRule] = []
    seen: set[str] = set()
    for text, line in sentences:
        low = text.lower()
        if "báo cáo" not in low and not re.search(r"^(?:6 tháng|năm|quý)", low):
            continue
        for m in _KIND.finditer(text):
            kind = _kind_of(m.group("kind"))
            if kind is None or kind in seen:
                continue
            if kind == "annual" and not re.search(r"báo cáo năm|hằng năm|hàng năm|^\s*năm|, năm|và năm|\bnăm\s*:", low[max(0, m.start() - 12):m.end() + 2]) \
                    and not low[max(0, m.start() - 12):m.start()].strip().endswith(("báo cáo", "và", ",", "(")):
                continue
            occ = _occurrences(kind, m, header, text)
            if not occ:
                continue
            seen.add(kind)
            out.append(ReportRule(kind, _TITLES[kind] if not kind.startswith("once") else "Báo cáo " + m.group("kind").strip().lower(),
                                  tuple(occ), line, text.strip()))
    if not out:  # 'báo cáo kết quả ... trước ngày 15/12/2024': one report, no period named
        for text, line in sentences:
            m = re.search(r"báo cáo[^.;]*?(?:trước|chậm nhất)\s+(?:ngày\s+)?(\d{1,2})/(\d{1,2})(?:/(20\d\d))?", text, re.I)
            if m:
                year = int(m.group(3)) if m.group(3) else (header.years[-1] if len(header.years) == 1 else None)
                d = _safe(year, int(m.group(2)), int(m.group(1))) if year else None
                if d:
                    out.append(ReportRule("once:kết quả", "Báo cáo kết quả", (Occurrence("", d, m.group(3) is None, ""),),
                                          line, text.strip()))
                    break
    return out


_TITLES = {"half": "Báo cáo 6 tháng", "annual": "Báo cáo năm", "quarter": "Báo cáo quý", "month": "Báo cáo tháng"}


def _kind_of(word: str) -> str | None:
    w = word.lower()
    if "6 tháng" in w or "sáu tháng" in w:
        return "half"
    if "quý" in w:
        return "quarter"
    if "tháng" in w:
        return "month"
    if w.startswith(("sơ kết", "tổng kết")):
        return "once:" + w
    if "năm" in w:
        return "annual"
    return None


def _occurrences(kind: str, m: re.Match, header: Header, text: str) -> list[Occurrence]:
    day = int(m.group("d")) if m.group("d") else None
    month = int(m.group("m")) if m.group("m") else None
    year = int(m.group("y")) if m.group("y") else None
    low = text.lower()
    years = header.years
    out: list[Occurrence] = []
    if kind.startswith("once"):
        if day and month and year:
            d = _safe(year, month, day)
            return [Occurrence("", d, False, "")] if d else []
        return []
    for y in ([year] if year else years):
        if kind == "half":
            d = _safe(y, month or 6, day or (15 if month else 30))
            out.append(Occurrence(f".{y}" if len(years) > 1 and not year else "", d, not (day and month and year), f"năm {y}"))
        elif kind == "annual":
            d = _safe(y, month or 12, day or (15 if month else 31))
            out.append(Occurrence(f".{y}" if len(years) > 1 and not year else "", d, not (day and month and year), f"năm {y}"))
        elif kind == "quarter":
            for q in range(1, 5):
                last_month = 3 * q
                if day and "tháng đầu quý sau" in low:
                    d = _safe(y + (q == 4), 1 if q == 4 else last_month + 1, day)
                elif day:
                    d = _safe(y, last_month, day)
                else:
                    d = _last(y, last_month)
                out.append(Occurrence((f".{y}" if len(years) > 1 else "") + f".{q}", d, True, f"quý {q} năm {y}"))
        elif kind == "month":
            for mon in range(1, 13):
                d = _safe(y, mon, day) if day else _last(y, mon)
                out.append(Occurrence((f".{y}" if len(years) > 1 else "") + f".{mon}", d, True, f"tháng {mon}/{y}"))
    return [o for o in out if o.due and header.period_start <= o.due <= header.period_end]
