"""Text out of the forms plans circulate in: .txt, .docx (python-docx), PDF with a text layer (pdfminer.six)."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from plantrack.models.plan.importer.model import PlanImportError

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 .doc and other OLE compound files


def read_text(path: Path) -> str:
    """The document's text; table rows become 'cell | cell' lines. Raises PlanImportError on what it cannot read."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlanImportError(f"{path}: không đọc được tệp ({exc.strerror})",
                              f"{path}: cannot read the file ({exc.strerror})") from None
    if not raw.strip():
        raise PlanImportError(f"{path}: tệp rỗng; cần văn bản kế hoạch (.txt, .docx hoặc PDF có lớp chữ)",
                              f"{path}: the file is empty; expected a plan's text (.txt, .docx or a PDF with text)")
    if raw.startswith(b"%PDF"):
        return _pdf_text(path, raw)
    if raw.startswith(b"PK\x03\x04") or path.suffix.lower() == ".docx":
        return _docx_text(path, raw)
    if raw.startswith(_OLE):
        raise PlanImportError(f"{path}: tệp Word 97-2003 (.doc) chưa được hỗ trợ; hãy lưu lại thành .docx",
                              f"{path}: Word 97-2003 .doc files are not supported; save it as .docx")
    return _plain_text(path, raw)


def _plain_text(path: Path, raw: bytes) -> str:
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            return raw.decode(codec)
    if b"\x00" in raw[:4096]:
        raise PlanImportError(f"{path}: tệp nhị phân, không phải văn bản; cần kế hoạch dạng .txt (UTF-8), .docx hoặc PDF có lớp chữ",
                              f"{path}: a binary file, not text; expected a plan as .txt (UTF-8), .docx or a PDF with text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanImportError(f"{path}: không phải văn bản UTF-8 (byte {exc.start}); cần kế hoạch dạng .txt (UTF-8), .docx hoặc PDF có lớp chữ",
                              f"{path}: not UTF-8 text (byte {exc.start}); expected a plan as .txt (UTF-8), .docx or a PDF with text") from None


def _docx_text(path: Path, raw: bytes) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise PlanImportError(f"{path}: tệp .docx không mở được (hỏng hoặc không phải tệp Word: {exc.__class__.__name__})",
                              f"{path}: cannot open the .docx (damaged or not a Word file: {exc.__class__.__name__})") from None
    except Exception as exc:  # python-docx raises PackageNotFoundError and lxml errors for broken parts
        raise PlanImportError(f"{path}: tệp .docx không mở được ({exc.__class__.__name__}: {str(exc)[:80]})",
                              f"{path}: cannot open the .docx ({exc.__class__.__name__}: {str(exc)[:80]})") from None
    out: list[str] = []
    numbers = _AutoNumbers(document)
    for block in document.element.body.iterchildren():  # paragraphs and tables in document order
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(block, document)
            out.append(numbers.label(para) + para.text)
        elif tag == "tbl":
            out.extend(_table_lines(Table(block, document)))
            out.append("")
    return "\n".join(out)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_ROMAN = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


class _AutoNumbers:
    """Word's automatic numbering ('1.', 'a)', 'I.', bullets), which paragraph.text leaves out, as text."""

    def __init__(self, document):
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}  # (numId, ilvl) -> (format, text, start)
        self.abstract: dict[str, str] = {}
        self.counters: dict[str, list[int]] = {}
        self.styles = document.styles
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstracts = {a.get(f"{_W}abstractNumId"): a for a in numbering.findall(f"{_W}abstractNum")}
        for num in numbering.findall(f"{_W}num"):
            num_id = num.get(f"{_W}numId")
            ref = num.find(f"{_W}abstractNumId")
            abstract = abstracts.get(ref.get(f"{_W}val")) if ref is not None else None
            if abstract is None:
                continue
            self.abstract[num_id] = ref.get(f"{_W}val")
            for lvl in abstract.findall(f"{_W}lvl"):
                fmt = lvl.find(f"{_W}numFmt")
                text = lvl.find(f"{_W}lvlText")
                start = lvl.find(f"{_W}start")
                self.levels[(num_id, int(lvl.get(f"{_W}ilvl")))] = (
                    fmt.get(f"{_W}val") if fmt is not None else "decimal",
                    text.get(f"{_W}val") if text is not None else "%1.",
                    int(start.get(f"{_W}val")) if start is not None else 1)

    def _num_pr(self, para):
        ppr = para._p.pPr
        if ppr is not None and ppr.numPr is not None and ppr.numPr.numId is not None:
            ilvl = ppr.numPr.ilvl.val if ppr.numPr.ilvl is not None else 0
            return str(ppr.numPr.numId.val), int(ilvl)
        style = para.style
        while style is not None:  # numbering may come from the paragraph's style ('List Number')
            sppr = style.element.pPr
            if sppr is not None and sppr.numPr is not None and sppr.numPr.numId is not None:
                ilvl = sppr.numPr.ilvl.val if sppr.numPr.ilvl is not None else 0
                return str(sppr.numPr.numId.val), int(ilvl)
            style = style.base_style
        return None

    def label(self, para) -> str:
        found = self._num_pr(para)
        if not found or found not in self.levels:
            return ""
        num_id, ilvl = found
        fmt, text, start = self.levels[found]
        counters = self.counters.setdefault(self.abstract[num_id], [0] * 9)
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else start
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        if fmt == "bullet":
            return "- "
        out = text
        for level in range(ilvl + 1):
            value = counters[level] or self.levels.get((num_id, level), (fmt, text, 1))[2]
            lfmt = self.levels.get((num_id, level), (fmt, text, 1))[0]
            shown = {"lowerLetter": chr(ord("a") + value - 1), "upperLetter": chr(ord("A") + value - 1),
                     "upperRoman": _roman(value), "lowerRoman": _roman(value).lower()}.get(lfmt, str(value))
            out = out.replace(f"%{level + 1}", shown)
        return out.strip() + " "


def _table_lines(table) -> list[str]:
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
            if cells and cells[-1] == text and text:  # merged cells repeat their text in python-docx
                continue
            cells.append(text)
        lines.append(" | ".join(cells))
    return lines


def _pdf_text(path: Path, raw: bytes) -> str:
    from pdfminer.high_level import extract_text
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        text = extract_text(io.BytesIO(raw))
    except PDFSyntaxError as exc:
        raise PlanImportError(f"{path}: tệp PDF hỏng ({exc})", f"{path}: damaged PDF ({exc})") from None
    except Exception as exc:  # pdfminer raises many kinds for encrypted or broken files
        raise PlanImportError(f"{path}: không đọc được PDF ({exc.__class__.__name__})",
                              f"{path}: cannot read the PDF ({exc.__class__.__name__})") from None
    if sum(ch.isalpha() for ch in text) < 40:
        raise PlanImportError(f"{path}: PDF không có lớp chữ (bản scan?); hãy nhận dạng chữ (OCR) trước hoặc dùng bản .docx/.txt",
                              f"{path}: the PDF has no text layer (a scan?); run OCR first or use the .docx/.txt") from None
    pages = []
    for page in text.split("\x0c"):  # a page break is not a paragraph break; page numbers are not text
        lines = page.strip("\n").split("\n")
        while lines and re.fullmatch(r"\s*(?:-\s*)?\d{1,3}(?:\s*-)?\s*", lines[0]):
            lines.pop(0)
        while lines and re.fullmatch(r"\s*(?:-\s*)?\d{1,3}(?:\s*-)?\s*|\s*", lines[-1]):
            lines.pop()
        if lines:
            pages.append("\n".join(lines))
    return "\n".join(pages)
