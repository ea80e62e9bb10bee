"""Text out of the forms plans circulate in: .txt, .docx (python-docx), PDF with a text layer (pdfminer.six)."""
from __future__ import annotations

import io
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
    for block in document.element.body.iterchildren():  # paragraphs and tables in document order
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            out.append(Paragraph(block, document).text)
        elif tag == "tbl":
            out.extend(_table_lines(Table(block, document)))
            out.append("")
    return "\n".join(out)


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
    return text.replace("\x0c", "\n")
