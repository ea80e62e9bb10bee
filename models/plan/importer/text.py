"""Raw text to logical lines: portal boilerplate cut, flattened tables split, hard line breaks joined."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from plantrack.models.plan.importer.model import Line

# A marker that starts a structural unit; a wrapped line never starts with one.
MARKER_RE = re.compile(
    r"^(?:(?:PHẦN|Phần)\s+(?:THỨ|thứ)?\s*\S+|[IVX]{1,5}\s*[.)]\s|[IVX]{1,5}\s+[-–]\s"
    r"|\d{1,2}[.)]\s|\d{1,2}(?:\.\d{1,2})+\.?\s|[a-zđ][.)]\s|[-+*•–—]\s|Điều\s+\d)"
)
_START_RE = re.compile(r"^(?:ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN|UBND\b|CỘNG HÒA XÃ HỘI CHỦ NGHĨA|CỘNG HOÀ XÃ HỘI CHỦ NGHĨA"
                       r"|HỘI ĐỒNG NHÂN DÂN|SỞ\s|BAN CHỈ ĐẠO|Số\s*:\s*\d)")
# Portal furniture after the document (and sometimes before it): nothing of the plan follows these.
_PORTAL_END_RE = re.compile(
    r"^(?:HIỆU LỰC VĂN BẢN|Tải văn bản|Tải về|Văn bản gốc|Văn bản liên quan|Văn bản tiếng Anh|Thuộc tính văn bản"
    r"|Lược đồ|Bản in|In văn bản|Tình trạng hiệu lực|Chia sẻ|Từ khóa|Từ khoá|Bình luận|Copyright|©|Lượt xem"
    r"|Theo dõi hiệu lực|Ý kiến bạn đọc|Gửi ý kiến|Văn bản cùng lĩnh vực|Tin liên quan)", re.IGNORECASE)
_CLOSING_RE = re.compile(r"^(?:Trên đây là|Nơi nhận|(?:TM|KT|Q|TL|TUQ)\.\s|CHỦ TỊCH\b|PHÓ CHỦ TỊCH\b)")
_APPENDIX_RE = re.compile(r"^(?:PHỤ LỤC|Phụ lục(?:\s+(?:số\s*)?[IVX0-9]+)?\s*$|DANH MỤC (?:NHIỆM VỤ|CÁC NHIỆM VỤ|HOẠT ĐỘNG))")
_HEADING_RE = re.compile(r"^(?:(?:PHẦN|Phần)\s+(?:THỨ|thứ)?\s*\S+|[IVX]{1,5}\s*[.)]\s+\S|[IVX]{1,5}\s+[-–]\s+\S)")
_FOOTNOTE_MARK_RE = re.compile(r"(?<=\S)\s?\[\d{1,3}\]")
_FOOTNOTE_BODY_RE = re.compile(r"^\[\d{1,3}\]\s*\S")
_TERMINAL = ".:;!?)\"”…/"
_CONNECTIVES = {"và", "của", "với", "các", "cho", "tại", "theo", "về", "từ", "đến", "trong", "ngoài", "những",
                "được", "để", "là", "có", "trên", "dưới", "hoặc", "như", "bao", "gồm", "đối", "thuộc"}


@dataclass(frozen=True)
class Document:
    """The plan's parts: head (before the first section), body, closing (signature), appendix."""

    head: tuple[Line, ...]
    body: tuple[Line, ...]
    closing: tuple[Line, ...]
    appendix: tuple[Line, ...]
    cut_before: int  # source lines dropped as portal boilerplate before and after
    cut_after: int


def clean(raw: str) -> str:
    """Unicode NFC, one kind of space and dash, no invisible characters."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    for ch in ("\u200b", "\ufeff", "\xad", "\u200e", "\u200f"):
        text = text.replace(ch, "")
    for ch in ("\xa0", "\u2009", "\u202f", "\u2002", "\u2003"):
        text = text.replace(ch, " ")
    return text


def is_upper_heading(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def split_document(raw: str) -> Document:
    """Cut boilerplate, split flattened header tables, join hard breaks, and find the plan's parts."""
    physical = [_tidy(s) for s in clean(raw).split("\n")]
    numbered = [(i + 1, s) for i, s in enumerate(physical)]
    start = next((k for k, (_, s) in enumerate(numbered) if _START_RE.match(s.lstrip("| ").strip())), 0)
    end = len(numbered)
    for k in range(start + 1, len(numbered)):
        if _PORTAL_END_RE.match(numbered[k][1].strip()):
            end = k
            break
    kept = numbered[start:end]
    cut_before, cut_after = start, len(numbered) - end
    kept = [(n, s) for n, s in kept if not _FOOTNOTE_BODY_RE.match(s.strip())]
    lines = _join(_split_header_cells(kept))
    body_start = next((k for k, ln in enumerate(lines) if _HEADING_RE.match(ln.text)
                       and (is_upper_heading(ln.text) or ln.text.lower().startswith("phần"))), None)
    if body_start is None:
        return Document(tuple(lines), (), (), (), cut_before, cut_after)
    head = lines[:body_start]
    rest = lines[body_start:]
    close_at = next((k for k, ln in enumerate(rest) if _CLOSING_RE.match(ln.text)), len(rest))
    body, tail = rest[:close_at], rest[close_at:]
    app_at = next((k for k, ln in enumerate(tail) if _APPENDIX_RE.match(ln.text)), len(tail))
    return Document(tuple(head), tuple(body), tuple(tail[:app_at]), tuple(tail[app_at:]), cut_before, cut_after)


def _tidy(s: str) -> str:
    s = s.replace("\t", " | ").rstrip()
    s = _FOOTNOTE_MARK_RE.sub("", s)
    s = re.sub(r"^\s*[•●▪◦■□\uf0b7\uf0a7]\s*", "- ", s)
    s = re.sub(r"^\s*[–—]\s+", "- ", s)
    s = re.sub(r"[ ]{2,}", " ", s)
    if "|" in s:
        cells = [c.strip() for c in s.split("|")]
        while cells and not cells[-1]:
            cells.pop()
        while cells and not cells[0]:
            cells.pop(0)
        s = " | ".join(cells)
    return s.strip()


def _split_header_cells(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Header tables flattened into 'left | right' rows become the left column's lines, then the right column's."""
    out: list[tuple[int, str]] = []
    table: list[tuple[int, list[str]]] = []
    in_header = True

    def flush() -> None:
        width = max((len(cells) for _, cells in table), default=0)
        for col in range(width):
            out.extend((n, cells[col]) for n, cells in table if col < len(cells) and cells[col])
        table.clear()

    for n, s in lines:
        if in_header and re.match(r"^(?:KẾ HOẠCH|QUYẾT ĐỊNH|CÔNG VĂN|THÔNG BÁO|BÁO CÁO|CHỈ THỊ)\b", s):
            in_header = False
        if in_header and " | " in s:
            table.append((n, s.split(" | ")))
            continue
        if table and (s or not in_header):
            flush()
        out.append((n, s))
    flush()
    return out


def _wrap_threshold(lines: list[tuple[int, str]]) -> float:
    """The length from which a line looks hard-wrapped (infinite when the text has no hard wraps)."""
    lengths = sorted(len(s) for _, s in lines if s and " | " not in s)
    if len(lengths) < 10:
        return float("inf")
    p90 = lengths[int(len(lengths) * 0.9)]
    near = sum(1 for x in lengths if x >= 0.75 * p90)
    if p90 > 110 or near < 0.3 * len(lengths):
        return float("inf")
    return 0.7 * p90


def _join(lines: list[tuple[int, str]]) -> list[Line]:
    threshold = _wrap_threshold(lines)
    out: list[Line] = []
    cur_no, cur = None, ""
    for n, s in lines:
        if not s:
            if cur:
                out.append(Line(cur_no, cur))
            cur_no, cur = None, ""
            continue
        if cur and _continues(cur, s, threshold):
            cur = (cur[:-1] if cur.endswith("-") and not cur.endswith(" -") else cur + " ") + s
            continue
        if cur:
            out.append(Line(cur_no, cur))
        cur_no, cur = n, s
    if cur:
        out.append(Line(cur_no, cur))
    return out


def _continues(cur: str, nxt: str, threshold: float) -> bool:
    if " | " in cur or " | " in nxt or MARKER_RE.match(nxt) or _CLOSING_RE.match(nxt) or _APPENDIX_RE.match(nxt):
        return False
    if is_upper_heading(cur) or is_upper_heading(nxt):
        return False
    if cur[-1] in _TERMINAL:
        return False
    first = nxt[0]
    if first.islower():
        return True
    last_word = cur.rsplit(" ", 1)[-1].lower()
    return len(cur) >= threshold or (threshold != float("inf") and (last_word in _CONNECTIVES or cur[-1] in ",-"))
