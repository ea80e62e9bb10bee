"""The plan's header (number, issuer, place and date, title, signer) and the check that the text is a plan at all."""
from __future__ import annotations

import re
from datetime import date

from plantrack.models.plan.importer.model import Header, Line, Note, NoteKind, PlanImportError, Severity
from plantrack.models.plan.importer.text import Document, is_upper_heading

_NUMBER_RE = re.compile(r"Số\s*[:.]?\s*(\d*\s*/\s*[A-ZĐ][A-ZĐa-z0-9.&\-]*(?:/[A-ZĐ0-9.&\-]+)?)")
_DATE_RE = re.compile(r"(?:^|\|\s*)([^,|]{2,40}?),\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")
_OTHER_TYPES = {
    "QUYẾT ĐỊNH": ("Quyết định", "a decision"), "CHỈ THỊ": ("Chỉ thị", "a directive"),
    "THÔNG BÁO": ("Thông báo", "a notice"), "BÁO CÁO": ("Báo cáo", "a report"),
    "NGHỊ QUYẾT": ("Nghị quyết", "a resolution"), "TỜ TRÌNH": ("Tờ trình", "a submission"),
    "CÔNG VĂN": ("Công văn", "a letter"), "HƯỚNG DẪN": ("Hướng dẫn", "a guidance note"),
    "GIẤY MỜI": ("Giấy mời", "an invitation"), "CHƯƠNG TRÌNH": ("Chương trình", "a programme"),
}
_TYPE_CODES = {"QĐ": "QUYẾT ĐỊNH", "CT": "CHỈ THỊ", "TB": "THÔNG BÁO", "BC": "BÁO CÁO", "NQ": "NGHỊ QUYẾT",
               "TTr": "TỜ TRÌNH", "HD": "HƯỚNG DẪN", "GM": "GIẤY MỜI", "CTr": "CHƯƠNG TRÌNH"}
_ROLE_RE = re.compile(r"(PHÓ CHỦ TỊCH|CHỦ TỊCH|PHÓ GIÁM ĐỐC|GIÁM ĐỐC|PHÓ TRƯỞNG BAN|TRƯỞNG BAN|BÍ THƯ|PHÓ BÍ THƯ)")
_NAME_RE = re.compile(r"((?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]+\s+){1,5}[A-ZĐÀ-Ỹ][a-zà-ỹđ]+)\s*$")
_EXPECTED_VI = "cần một Kế hoạch (Số: .../KH-..., tiêu đề KẾ HOẠCH, các mục I, II, ... có nội dung hoạt động)"
_EXPECTED_EN = "expected a plan (Số: .../KH-..., the title KẾ HOẠCH, sections I, II, ... with activities)"
_LOWER_WORDS = {"Và", "Của", "Cho", "Với", "Trên", "Tại"}


def not_a_plan(path, what_vi: str, what_en: str) -> PlanImportError:
    return PlanImportError(f"{path}: không phải kế hoạch: {what_vi}; {_EXPECTED_VI}",
                           f"{path}: not a plan: {what_en}; {_EXPECTED_EN}")


def _type_line(lines: list[Line]) -> tuple[int, str] | None:
    for k, ln in enumerate(lines):
        t = ln.text.strip().rstrip(":")
        first = t.split(" | ")[0]
        if re.match(r"^KẾ HOẠCH\b", first):
            return k, "KẾ HOẠCH"
        for word in _OTHER_TYPES:
            if re.match(rf"^{word}\b", first) and is_upper_heading(first):
                return k, word
    return None


def check_is_plan(path, doc: Document) -> None:
    """Raise a one-line PlanImportError when the document is a decision, a letter, or not an administrative text."""
    head = list(doc.head) or list(doc.body[:5])
    joined = "\n".join(ln.text for ln in head)
    number = _NUMBER_RE.search(joined)
    found = _type_line(head) or _type_line(list(doc.body[:3]))
    code = None
    if number:
        m = re.search(r"/([A-ZĐa-z]+)-", number.group(1))
        code = m.group(1) if m else None
    if found and found[1] != "KẾ HOẠCH":
        vi, en = _OTHER_TYPES[found[1]]
        raise not_a_plan(path, f"văn bản là {vi}" + (f" số {number.group(1).strip()}" if number else ""),
                         f"the document is {en}" + (f" no. {number.group(1).strip()}" if number else ""))
    if not found and code in _TYPE_CODES:
        vi, en = _OTHER_TYPES[_TYPE_CODES[code]]
        raise not_a_plan(path, f"văn bản là {vi} số {number.group(1).strip()}", f"the document is {en} no. {number.group(1).strip()}")
    if not found and (re.search(r"^V/v\b", joined, re.M) or (number and code is None)):
        raise not_a_plan(path, "văn bản là công văn" + (f" số {number.group(1).strip()}" if number else ""),
                         "the document is a letter (công văn)" + (f" no. {number.group(1).strip()}" if number else ""))
    if not found:
        raise not_a_plan(path, "không tìm thấy tiêu đề KẾ HOẠCH hay số hiệu văn bản",
                         "no KẾ HOẠCH title or document number found")
    if not doc.body:
        raise not_a_plan(path, "có tiêu đề KẾ HOẠCH nhưng không có mục I, II, ... (hoặc Phần thứ nhất, ...)",
                         "it has the KẾ HOẠCH title but no sections I, II, ... (or Phần thứ nhất, ...)")


def _proper(text: str, names: list[str]) -> str:
    """Sentence case for an upper-case title, keeping the proper names the document writes elsewhere."""
    if not is_upper_heading(text):
        return text
    out = text[:1].upper() + text[1:].lower()
    for name in sorted(set(names), key=len, reverse=True):
        if name and len(name) > 2:
            out = re.sub(re.escape(name), name, out, flags=re.IGNORECASE)
    return out


def _issuer(lines: list[str], province_names: list[str]) -> str:
    words = " ".join(lines)
    words = re.sub(r"\s+", " ", words).strip()
    m = re.match(r"^(?:ỦY|UỶ) BAN NHÂN DÂN\s+(TỈNH|THÀNH PHỐ|HUYỆN|THỊ XÃ)\s+(.+)$", words)
    if m:
        level = m.group(1).lower()
        return f"UBND {level} {_proper(m.group(2), province_names) if province_names else m.group(2).title()}"
    return _proper(words, province_names) if words else ""


def parse_header(path, doc: Document, notes: list[Note]) -> Header:
    """The header fields; what is missing becomes a review note, not a guess."""
    head = list(doc.head)
    texts = [ln.text for ln in head]
    joined = "\n".join(texts)
    m = _NUMBER_RE.search(joined)
    number = re.sub(r"\s+", "", m.group(1)) if m else ""
    if not number or number.startswith("/"):
        notes.append(Note(Severity.REVIEW, NoteKind.HEADER, "plan.number", None,
                          "không tìm thấy số hiệu kế hoạch (Số: .../KH-...): điền vào", "no plan number (Số: .../KH-...) found: fill it in"))
        number = "CHUA-CO-SO" + (number or "/KH")
    place, issued = None, None
    for ln in head:
        d = _DATE_RE.search(ln.text)
        if d:
            place = d.group(1).strip(" |")
            try:
                issued = date(int(d.group(4)), int(d.group(3)), int(d.group(2)))
            except ValueError:
                issued = None
            break
    type_at = _type_line(head)
    k = type_at[0] if type_at else 0
    title_lines: list[str] = []
    first = head[k].text if head else ""
    rest_of_first = re.sub(r"^KẾ HOẠCH\s*:?\s*", "", first.split(" | ")[0]).strip()
    if rest_of_first:
        title_lines.append(rest_of_first)
    for ln in head[k + 1:]:
        t = ln.text.strip()
        if re.match(r"^(?:[-_=*]{3,}|\(|Căn cứ|Thực hiện|Triển khai thực hiện Quyết định|Nhằm|Để)", t) and title_lines:
            break
        if re.match(r"^[-_=*]{3,}$", t):
            continue
        if title_lines and not (is_upper_heading(t) or t[:1].islower()):
            break
        title_lines.append(t)
    province_names = [place] if place else []
    issuer_lines: list[str] = []
    for t in texts:
        if re.match(r"^(?:CỘNG HÒA|CỘNG HOÀ|Độc lập|Số\s*[:.]|KẾ HOẠCH)", t) or _DATE_RE.search(t):
            break
        if re.match(r"^[-_=*]{3,}$", t):
            continue
        issuer_lines.append(t)
    issuer = _issuer(issuer_lines, province_names)
    title_raw = " ".join(title_lines).strip()
    title = _proper(title_raw, province_names + ["Việt Nam", "Luật Trẻ em"]) if title_raw else ""
    if title and not title.lower().startswith("kế hoạch"):
        title = "Kế hoạch " + title[:1].lower() + title[1:]
    if not title:
        notes.append(Note(Severity.REVIEW, NoteKind.HEADER, "plan.title", None,
                          "không tìm thấy trích yếu (tiêu đề) của kế hoạch", "no title (trích yếu) found"))
        title = "Kế hoạch " + number
    if not issuer:
        notes.append(Note(Severity.REVIEW, NoteKind.HEADER, "plan.issuer", None,
                          "không tìm thấy cơ quan ban hành", "no issuing body found"))
        issuer = "?"
    years = _years(title_raw or title)
    if issued is None:
        notes.append(Note(Severity.REVIEW, NoteKind.HEADER, "plan.issued_on", None,
                          "không tìm thấy ngày ban hành (..., ngày .. tháng .. năm ....): điền vào",
                          "no issue date (..., ngày .. tháng .. năm ....) found: fill it in"))
        issued = date(years[0] if years else date.today().year, 1, 1)
    if not years:
        years = (issued.year,)
    start = issued if issued.year >= years[0] else date(years[0], 1, 1)
    end = date(years[-1], 12, 31)
    span = f"{years[0]}" if len(years) == 1 else f"{years[0]} - {years[-1]}"
    notes.append(Note(Severity.INFERRED, NoteKind.DATE, "plan.period", None,
                      f"kỳ kế hoạch {start:%d/%m/%Y} - {end:%d/%m/%Y}: từ ngày ban hành (hoặc đầu kỳ) đến hết năm {years[-1]} theo tiêu đề ({span})",
                      f"plan period {start:%d/%m/%Y} - {end:%d/%m/%Y}: from the issue date (or the period's start) to the end of {years[-1]} per the title ({span})"))
    signer, role, signed_as = _signer(doc.closing)
    if signer is None:
        notes.append(Note(Severity.REVIEW, NoteKind.HEADER, "plan.signer", None,
                          "không tìm thấy người ký", "no signer found"))
    return Header(number=number, doc_type="KẾ HOẠCH", issuer=issuer, place=place, issued_on=issued, title=title,
                  signer=signer, signer_role=role, period_start=start, period_end=end, years=years,
                  signed_as=signed_as)


def _years(title: str) -> tuple[int, ...]:
    m = re.search(r"(20\d\d)\s*[-–]\s*(20\d\d)", title)
    if m and int(m.group(1)) < int(m.group(2)) <= int(m.group(1)) + 10:
        return tuple(range(int(m.group(1)), int(m.group(2)) + 1))
    found = [int(y) for y in re.findall(r"năm\s+(20\d\d)", title, re.IGNORECASE)]
    if found:
        return (found[-1],)
    found = [int(y) for y in re.findall(r"\b(20\d\d)\b", title)]
    return (found[-1],) if found else ()


def _signer(closing: tuple[Line, ...]) -> tuple[str | None, str | None, str | None]:
    text = " / ".join(ln.text for ln in closing)
    roles = list(_ROLE_RE.finditer(text))
    if not roles:
        return None, None, None
    last = roles[-1]
    after = text[last.end():]
    after = re.sub(r"\((?:đã ký|Đã ký|ký)[^)]*\)|\[?đã ký\]?", " ", after)
    after = re.sub(r"[\s/|]+", " ", after).strip()
    m = re.match(r"^((?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]*\s+){1,5}[A-ZĐÀ-Ỹ][a-zà-ỹđ]+)", after)
    name = m.group(1).strip() if m else None
    block = re.findall(r"((?:TM|KT|Q|TL|TUQ)\.\s*[A-ZĐÀ-Ỹ ]+?)(?=\s*(?:/|\||KT\.|TM\.|Q\.|TL\.|$|PHÓ|CHỦ|GIÁM))", text)
    parts = [b.strip() for b in block] + [last.group(1)]
    signed_as = " / ".join(dict.fromkeys(p for p in parts if p))
    role = last.group(1).capitalize().replace("chủ tịch", "Chủ tịch").replace("giám đốc", "Giám đốc") \
        .replace("trưởng ban", "Trưởng ban")
    return name, role, signed_as
