"""Plans in the forms they circulate in import with at most one review flag, and the drafts load.

One small document per structural variant of issue 14 (tests/data/import/, other provinces and topics), plus a
.docx made here with python-docx and a PDF printed here by Debian's chromium.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from plantrack.models.plan.file import read_plan
from plantrack.models.plan.importer import ImportOptions, Severity, import_plan

DATA = Path(__file__).parent / "data" / "import"


@dataclass(frozen=True)
class Variant:
    text: str
    directory: str
    number: str
    issued_on: date
    signer: str
    # code -> (lead, supporting codes after expanding groups, start, due)
    deliverables: dict = field(default_factory=dict)
    # code -> (target, unit, direction[, due])
    indicators: dict = field(default_factory=dict)
    count: int | None = None  # deliverables in all


YEN_BAI_D = {"UBND-YENBAI", "UBND-NGHIALO", "UBND-LUCYEN", "UBND-MUCANGCHAI"}
VARIANTS = {
    "portal boilerplate": Variant(
        "portal-yen-bai-thien-tai.txt", "agencies-yen-bai.yaml", "48/KH-UBND", date(2024, 3, 5), "Vũ Thị Hiền Hạnh",
        {"III.1": ("SNNPTNT", {"STNMT"} | YEN_BAI_D, date(2024, 4, 1), date(2024, 6, 30)),
         "III.2": ("BCHQS", {"SNNPTNT", "SGTVT"}, date(2024, 5, 1), date(2024, 5, 31)),
         "III.3": ("SGTVT", YEN_BAI_D, date(2024, 6, 1), date(2024, 10, 31)),
         "V.1": ("SNNPTNT", set(), date(2024, 3, 5), date(2024, 12, 31)),
         "V.3/UBND-LUCYEN": ("UBND-LUCYEN", set(), date(2024, 3, 5), date(2024, 12, 31)),
         "VI.1/UBND-MUCANGCHAI": ("UBND-MUCANGCHAI", set(), None, date(2024, 6, 20)),
         "VI.2/SNNPTNT": ("SNNPTNT", set(), None, date(2024, 12, 10))},
        {"II.1": (Decimal(100), "%", "at_least"), "II.2": (Decimal(6), "người", "at_most"),
         "II.3": (Decimal(85), "%", "at_least")}, count=19),
    "flattened header table": Variant(
        "flattened-header-ha-giang-tiem-chung.txt", "agencies-ha-giang.yaml", "112/KH-UBND", date(2024, 4, 18),
        "Hoàng Gia Long",
        {"III.1": ("SYT", {"UBND-TPHAGIANG", "UBND-DONGVAN", "UBND-MEOVAC"}, date(2024, 4, 18), date(2024, 12, 31)),
         "III.2": ("STTTT", {"SYT", "CDC"}, date(2024, 7, 1), date(2024, 9, 30)),
         "IV.1": ("SYT", {"SGDDT"}, date(2024, 4, 18), date(2024, 12, 31)),
         "IV.4.1.2/UBND-MEOVAC": ("UBND-MEOVAC", set(), None, date(2024, 6, 20)),
         "IV.4.1.4/SYT": ("SYT", set(), None, date(2024, 12, 20))},
        {"II.1": (Decimal(95), "%", "more_than"), "II.2": (Decimal(90), "%", "at_least")}, count=19),
    "hard line breaks, 1.1./a)/-/+ nesting": Variant(
        "hard-wraps-quang-tri-nuoc-sach.txt", "agencies-quang-tri.yaml", "77/KH-UBND", date(2024, 2, 22), "Hoàng Nam",
        {"III.1.1": ("SNNPTNT", {"SXD", "UBND-DONGHA", "UBND-VINHLINH", "UBND-HUONGHOA"}, None, date(2024, 11, 30)),
         "III.1.2": ("SYT", {"TTNS"}, date(2024, 4, 1), date(2024, 12, 31)),
         "III.2.1": ("HLHPN", {"SYT"}, date(2024, 3, 1), date(2024, 9, 30)),
         "V.1/HLHPN": ("HLHPN", set(), None, date(2024, 12, 15))},
        {"II.1": (Decimal(65), "%", "at_least"), "II.2": (Decimal(100), "%", "at_least")}, count=14),
    "Phần thứ nhất instead of Roman numerals": Variant(
        "phan-thu-nghe-an-chuyen-doi-so.txt", "agencies-nghe-an.yaml", "205/KH-UBND", date(2024, 3, 29), "Nguyễn Đức Trung",
        {"III.1": ("STTTT", {"VPUBND"}, None, date(2024, 9, 30)),
         "III.2": ("VPUBND", {"SNV", "UBND-VINH", "UBND-CUALO", "UBND-QUYCHAU"}, date(2024, 7, 1), date(2024, 9, 30)),
         "III.3": ("SNV", {"STTTT"}, date(2024, 3, 29), date(2024, 12, 31)),
         "IV.4.1/SNV": ("SNV", set(), None, date(2024, 6, 10)),
         "IV.4.2/UBND-CUALO": ("UBND-CUALO", set(), None, date(2024, 12, 10))},
        {"II.1": (Decimal(100), "%", "at_least"), "II.2": (Decimal(50), "%", "more_than")}, count=20),
    "footnote markers": Variant(
        "footnotes-soc-trang-an-toan-thuc-pham.txt", "agencies-soc-trang.yaml", "63/KH-UBND", date(2024, 3, 8),
        "Vương Quốc Nam",
        {"III.1": ("SYT", {"SCT", "SNNPTNT"}, date(2024, 4, 15), date(2024, 5, 15)),
         "III.2": ("SCT", {"CAT", "UBND-TPSOCTRANG", "UBND-VINHCHAU", "UBND-KETSACH"}, date(2024, 12, 1), date(2024, 12, 31)),
         "IV.2": ("CAT", set(), date(2024, 3, 8), date(2024, 12, 31)),
         "V.2/CAT": ("CAT", set(), None, date(2024, 11, 15))},
        {"II.1": (Decimal(0), "vụ", "at_most"), "II.2": (Decimal(95), "%", "at_least")}, count=18),
    "2021-2025 with yearly targets": Variant(
        "multi-year-lai-chau-giam-ngheo-2021-2025.txt", "agencies-lai-chau.yaml", "1520/KH-UBND", date(2021, 6, 14),
        "Hà Trọng Hải",
        {"III.1": ("SNNPTNT", {"BDT", "UBND-TPLAICHAU", "UBND-MUONGTE", "UBND-SINHO"}, date(2021, 6, 14), date(2025, 12, 31)),
         "III.2": ("NHCSXH", {"SLDTBXH"}, date(2022, 1, 1), date(2022, 12, 31)),
         "III.3": ("SLDTBXH", {"UBND-TPLAICHAU", "UBND-MUONGTE", "UBND-SINHO"}, None, date(2023, 12, 31)),
         "V.1.2021/UBND-SINHO": ("UBND-SINHO", set(), None, date(2021, 12, 15)),
         "V.1.2025/SLDTBXH": ("SLDTBXH", set(), None, date(2025, 12, 15)),
         "V.2/UBND-MUONGTE": ("UBND-MUONGTE", set(), None, date(2025, 9, 30))},
        {"II.1": (Decimal("14"), "%", "at_most"), "II.2a": (Decimal(52), "%", "at_least", date(2022, 12, 31)),
         "II.2b": (Decimal(54), "%", "at_least", date(2023, 12, 31)), "II.2c": (Decimal(56), "%", "at_least", None),
         "II.3": (Decimal(2000), "hộ", "at_least")}, count=31),
    "appendix table of tasks": Variant(
        "appendix-table-dak-lak-ma-tuy.txt", "agencies-dak-lak.yaml", "31/KH-UBND", date(2024, 1, 19), "Nguyễn Tuấn Hà",
        {"III.1.1": ("SGDDT", {"CAT", "TINHDOAN"}, date(2024, 4, 1), date(2024, 6, 30)),
         "III.1.2": ("CAT", {"SLDTBXH", "UBND-BMT", "UBND-BUONHO", "UBND-EAHLEO"}, date(2024, 6, 1), date(2024, 6, 30)),
         "III.2.1": ("SYT", {"CAT"}, date(2024, 1, 19), date(2024, 12, 31)),
         "III.2.2/UBND-EAHLEO": ("UBND-EAHLEO", {"CAT"}, None, date(2024, 9, 30)),
         "V.1/TINHDOAN": ("TINHDOAN", set(), None, date(2024, 6, 10))},
        {"II.1": (Decimal(100), "%", "at_least"), "II.2": (Decimal(40), "%", "at_least")}, count=24),
    "leads named only in the closing assignment section": Variant(
        "closing-assignment-ca-mau-rac-thai-nhua.txt", "agencies-ca-mau.yaml", "92/KH-UBND", date(2024, 5, 2), "Lâm Văn Bi",
        {"III.1": ("STNMT", {"SCT"}, date(2024, 5, 2), date(2024, 12, 31)),
         "III.2": ("SCT", set(), date(2024, 5, 2), date(2024, 12, 31)),
         "III.3": ("STNMT", {"TINHDOAN", "UBND-TPCAMAU", "UBND-NGOCHIEN", "UBND-NAMCAN"}, date(2024, 5, 2), date(2024, 12, 31)),
         "III.4": ("TINHDOAN", {"UBND-TPCAMAU", "UBND-NGOCHIEN", "UBND-NAMCAN"}, date(2024, 5, 2), date(2024, 12, 31)),
         "V.1/STNMT": ("STNMT", set(), None, date(2024, 11, 30))},
        {"II.1": (Decimal(100), "%", "at_least"), "II.2": (Decimal(80), "%", "at_least")}, count=16),
}
FLAG_BUDGET = 1  # review flags allowed where the text is unambiguous (issue 14, "Done when")


def _import(source: Path, directory: Path, out: Path):
    return import_plan(source, out, ImportOptions(directory=directory))


def _check(result, v: Variant) -> None:
    from plantrack.models.plan.importer.caps import caps

    draft = result.draft
    h = draft.header
    assert (h.number, h.issued_on, h.signer) == (v.number, v.issued_on, v.signer)
    got = {d.code: d for d in draft.deliverables}
    groups = _groups(v.directory)
    for code, (lead, supporting, start, due) in v.deliverables.items():
        assert code in got, f"{code} missing; have {sorted(got)}"
        d = got[code]
        expanded = {m for ref in d.supporting for m in (groups[ref[1:]] if ref.startswith("@") else [ref])}
        assert (d.lead, expanded, d.start, d.due) == (lead, supporting, start, due), code
    if v.count is not None:
        assert len(draft.deliverables) == v.count
    letters = caps().indicator_letters
    inds = {i.code: i for i in draft.indicators}
    expected = v.indicators if letters else {_sequential(v.indicators, c): e for c, e in v.indicators.items()}
    assert set(inds) == set(expected)
    for code, want in expected.items():
        i = inds[code]
        assert (i.target, i.unit, i.direction) == want[:3], code
        if len(want) > 3:
            assert i.due == want[3], code


def _sequential(indicators: dict, code: str) -> str:
    """Where the schema takes only II.n codes, targets are numbered in sequence."""
    return f"II.{list(indicators).index(code) + 1}"


def _groups(directory: str) -> dict:
    import yaml

    return yaml.safe_load((DATA / directory).read_text(encoding="utf-8")).get("groups", {})


def _review(result) -> list[str]:
    return [f"{n.where}: {n.vi}" for n in result.draft.notes if n.severity == Severity.REVIEW]


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_imports_with_at_most_one_review_flag(name, tmp_path):
    v = VARIANTS[name]
    result = _import(DATA / v.text, DATA / v.directory, tmp_path / "draft.yaml")
    _check(result, v)
    assert len(_review(result)) <= FLAG_BUDGET, _review(result)
    assert result.proposed_yaml is None


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_draft_loads_with_plantrack_plan_load(name, cli, tmp_path):
    """Source and directory copied beside the draft, as a coordinator would keep them: the draft loads as written."""
    v = VARIANTS[name]
    work = tmp_path / "plans"
    work.mkdir()
    for f in (v.text, v.directory):
        shutil.copy(DATA / f, work / f)
    out = work / "draft.yaml"
    code, stdout, stderr = cli(None, "plan", "import", str(work / v.text), "-o", str(out), "--directory", str(work / v.directory))
    assert code == 0, stderr
    assert "Cần xem lại" in stdout and str(out) in stdout.replace("\n", "")
    assert f'source_text: "{v.text}"' in out.read_text(encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'p.db'}"
    assert cli(url, "init")[0] == 0
    code, stdout, stderr = cli(url, "plan", "load", str(out))
    assert code == 0, stderr
    assert f"plan {v.number} loaded" in stdout
    code, stdout, _ = cli(url, "status", "--json", "--today", v.issued_on.isoformat())
    codes = {i["code"] for i in json.loads(stdout)}
    assert set(v.deliverables) <= codes


# ------------------------------------------------------------------ .docx made with python-docx
def _docx(path: Path, *, numbered: bool = False) -> Path:
    """A Bắc Kạn plan as Word writes it: header and signature in tables, an appendix task table, auto numbering."""
    import docx

    d = docx.Document()
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "ỦY BAN NHÂN DÂN\nTỈNH BẮC KẠN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    t.cell(1, 0).text, t.cell(1, 1).text = "Số: 58/KH-UBND", "Bắc Kạn, ngày 10 tháng 4 năm 2024"
    d.add_paragraph("KẾ HOẠCH").runs[0].bold = True
    d.add_paragraph("Đào tạo nghề cho lao động nông thôn tỉnh Bắc Kạn năm 2024")
    d.add_heading("I. MỤC ĐÍCH, YÊU CẦU", level=1)
    d.add_paragraph("Nâng cao chất lượng đào tạo nghề gắn với nhu cầu của thị trường lao động.")
    d.add_heading("II. MỤC TIÊU", level=1)
    d.add_paragraph("Đào tạo nghề cho ít nhất 1.200 lao động nông thôn.", style="List Bullet")
    d.add_paragraph("Tỷ lệ lao động có việc làm sau đào tạo đạt trên 80%.", style="List Bullet")
    d.add_heading("III. NỘI DUNG", level=1)
    if numbered:  # Word's own numbering: paragraph.text has no '1.', the importer must add it
        d.add_paragraph("Đào tạo nghề nông nghiệp", style="List Number")
    else:
        d.add_paragraph("1. Đào tạo nghề nông nghiệp")
    d.add_paragraph("a) Nội dung: Mở 20 lớp đào tạo nghề trồng trọt, chăn nuôi cho 600 học viên.")
    d.add_paragraph("b) Cơ quan chủ trì: Sở Nông nghiệp và PTNT.")
    d.add_paragraph("c) Cơ quan phối hợp: Hội Nông dân tỉnh; UBND các huyện, thành phố.")
    d.add_paragraph("d) Thời gian thực hiện: Từ tháng 5 đến tháng 10/2024.")
    if numbered:
        d.add_paragraph("Đào tạo nghề phi nông nghiệp (chi tiết tại Phụ lục kèm theo)", style="List Number")
    else:
        d.add_paragraph("2. Đào tạo nghề phi nông nghiệp (chi tiết tại Phụ lục kèm theo)")
    d.add_heading("IV. TỔ CHỨC THỰC HIỆN", level=1)
    d.add_paragraph("1. Sở Lao động - Thương binh và Xã hội: Là cơ quan thường trực, chủ trì theo dõi, đôn đốc "
                    "thực hiện Kế hoạch.")
    d.add_paragraph("2. UBND các huyện, thành phố: Tuyển sinh, vận động lao động nông thôn tham gia học nghề.")
    d.add_heading("V. CHẾ ĐỘ BÁO CÁO", level=1)
    d.add_paragraph("UBND các huyện, thành phố báo cáo kết quả gửi Sở Lao động - Thương binh và Xã hội tổng hợp, "
                    "báo cáo UBND tỉnh trước ngày 20/11/2024.")
    sig = d.add_table(rows=1, cols=2)
    sig.cell(0, 0).text = "Nơi nhận:\n- Như trên;\n- Lưu: VT."
    sig.cell(0, 1).text = "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n(Đã ký)\nĐỗ Thị Minh Hoa"
    d.add_paragraph("PHỤ LỤC")
    d.add_paragraph("DANH MỤC NHIỆM VỤ ĐÀO TẠO NGHỀ PHI NÔNG NGHIỆP")
    rows = [("STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"),
            ("1", "Đào tạo nghề may công nghiệp", "Sở Lao động - Thương binh và Xã hội", "UBND thành phố Bắc Kạn",
             "Quý III/2024"),
            ("2", "Đào tạo nghề sửa chữa máy nông nghiệp", "Sở LĐ-TB&XH", "Hội Nông dân tỉnh", "Trước ngày 30/11/2024")]
    table = d.add_table(rows=len(rows), cols=5)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.save(path)
    return path


@pytest.mark.parametrize("numbered", [False, True], ids=["typed numbers", "Word auto numbering"])
def test_docx_made_with_python_docx(numbered, tmp_path):
    src = _docx(tmp_path / "ke-hoach-bac-kan.docx", numbered=numbered)
    result = _import(src, DATA / "agencies-bac-kan.yaml", tmp_path / "bk.yaml")
    v = Variant("", "agencies-bac-kan.yaml", "58/KH-UBND", date(2024, 4, 10), "Đỗ Thị Minh Hoa",
                {"III.1": ("SNNPTNT", {"HND", "UBND-TPBACKAN", "UBND-BABE"}, date(2024, 5, 1), date(2024, 10, 31)),
                 "III.2.1": ("SLDTBXH", {"UBND-TPBACKAN"}, None, date(2024, 9, 30)),
                 "III.2.2": ("SLDTBXH", {"HND"}, None, date(2024, 11, 30)),
                 "V.1/UBND-BABE": ("UBND-BABE", set(), None, date(2024, 11, 20))},
                {"II.1": (Decimal(1200), "lao động", "at_least"), "II.2": (Decimal(80), "%", "more_than")})
    _check(result, v)
    assert [d.code for d in result.draft.deliverables if d.section == "activities"] == ["III.1", "III.2.1", "III.2.2"]
    assert result.draft.deliverables[0].quantities[0].amount == 20
    assert len(_review(result)) <= FLAG_BUDGET, _review(result)


# ------------------------------------------------------------------ PDF printed by chromium
def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("Debian's chromium is needed to print test PDFs (apt install chromium)")
    return exe


def _pdf(html: str, path: Path) -> Path:
    page = path.with_suffix(".html")
    page.write_text(html, encoding="utf-8")
    subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={path}", page.as_uri()], check=True, capture_output=True, timeout=120)
    return path


def test_pdf_with_a_text_layer_imports_like_its_text(tmp_path):
    import html

    source = DATA / "hard-wraps-quang-tri-nuoc-sach.txt"
    body = html.escape(source.read_text(encoding="utf-8"))
    pdf = _pdf(f'<html><meta charset="utf-8"><body><pre style="font: 11pt serif">{body}</pre></body></html>',
               tmp_path / "qt.pdf")
    from_pdf = _import(pdf, DATA / "agencies-quang-tri.yaml", tmp_path / "a.yaml")
    from_txt = _import(source, DATA / "agencies-quang-tri.yaml", tmp_path / "b.yaml")

    def shape(r):
        return [(d.code, d.title, d.lead, d.supporting, d.start, d.due) for d in r.draft.deliverables], \
            [(i.code, i.target, i.unit) for i in r.draft.indicators]

    assert shape(from_pdf) == shape(from_txt)


# ------------------------------------------------------------------ bad input: one line, exit 1, nothing written
def _bad(cli, tmp_path, path: Path) -> str:
    out = tmp_path / "out.yaml"
    code, stdout, stderr = cli(None, "plan", "import", str(path), "-o", str(out))
    assert code == 1
    assert not out.exists() and not list(tmp_path.glob("out.*"))
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    assert len(" ".join(lines)) < 400 and stderr.startswith("error:"), stderr
    return " ".join(ln.strip() for ln in lines)


def test_a_decision_is_not_a_plan(cli, tmp_path):
    msg = _bad(cli, tmp_path, DATA / "decision-not-a-plan.txt")
    assert "Quyết định số 412/QĐ-UBND" in msg and "cần một Kế hoạch" in msg


def test_a_letter_is_not_a_plan(cli, tmp_path):
    msg = _bad(cli, tmp_path, DATA / "letter-not-a-plan.txt")
    assert "công văn" in msg and "1893/UBND-VX" in msg and "cần một Kế hoạch" in msg


def test_a_random_file_is_not_a_plan(cli, tmp_path):
    import random

    junk = tmp_path / "junk.bin"
    rng = random.Random(14)
    junk.write_bytes(bytes(rng.randrange(256) for _ in range(3000)))
    assert "tệp nhị phân, không phải văn bản" in _bad(cli, tmp_path, junk)
    prose = tmp_path / "note.txt"
    prose.write_text("Danh sách mua sắm: gạo, muối, nước mắm.\nGhi chú: gọi điện cho anh Tuấn.\n", encoding="utf-8")
    assert "không tìm thấy tiêu đề KẾ HOẠCH" in _bad(cli, tmp_path, prose)


def test_an_unreadable_docx_says_so(cli, tmp_path):
    broken = tmp_path / "ke-hoach.docx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    assert ".docx không mở được" in _bad(cli, tmp_path, broken)
    old_word = tmp_path / "ke-hoach.doc"
    old_word.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500)
    assert "lưu lại thành .docx" in _bad(cli, tmp_path, old_word)
    code, _, err = cli(None, "plan", "import", str(broken), "--lang", "en")
    assert code == 1 and "cannot open the .docx" in err


def test_a_scanned_pdf_without_text_says_so(cli, tmp_path):
    import base64
    import struct
    import zlib

    def png(w: int, h: int) -> bytes:
        raw = b"".join(b"\x00" + bytes([(x * 7 + y * 3) % 256 for x in range(w)] * 3) for y in range(h))
        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")

    image = base64.b64encode(png(120, 160)).decode()
    scan = _pdf(f'<html><body style="margin:0"><img src="data:image/png;base64,{image}" width="600"></body></html>',
                tmp_path / "scan.pdf")
    assert "PDF không có lớp chữ" in _bad(cli, tmp_path, scan)


def test_an_existing_output_is_not_overwritten_without_force(cli, tmp_path):
    out = tmp_path / "keep.yaml"
    out.write_text("giữ nguyên\n", encoding="utf-8")
    code, _, err = cli(None, "plan", "import", str(DATA / VARIANTS["portal boilerplate"].text), "-o", str(out),
                       "--directory", str(DATA / "agencies-yen-bai.yaml"))
    assert code == 1 and "--force" in err and out.read_text(encoding="utf-8") == "giữ nguyên\n"


# ------------------------------------------------------------------ names the directory lacks
def test_unknown_agency_is_proposed_then_accepted_then_the_draft_loads(cli, tmp_path):
    work = tmp_path / "plans"
    work.mkdir()
    shutil.copy(DATA / "agencies-quang-tri.yaml", work / "agencies.yaml")
    text = (DATA / "hard-wraps-quang-tri-nuoc-sach.txt").read_text(encoding="utf-8")
    text = text.replace("c) Cơ quan phối hợp: Sở Y tế.", "c) Cơ quan phối hợp: Sở Y tế; Sở Văn hóa, Thể thao và Du lịch.")
    (work / "plan.txt").write_text(text, encoding="utf-8")
    out = work / "draft.yaml"
    code, stdout, stderr = cli(None, "plan", "import", str(work / "plan.txt"), "-o", str(out), "--directory",
                               str(work / "agencies.yaml"))
    assert code == 0, stderr
    proposed = work / "draft.new-agencies.yaml"
    assert proposed.exists() and "Sở Văn hóa, Thể thao và Du lịch" in proposed.read_text(encoding="utf-8")
    assert "SVHTTDL" in stdout and "accept-agencies" in stdout.replace("\n", "")
    draft = out.read_text(encoding="utf-8")
    assert "[xem lại]" in draft and "đề xuất thêm mã SVHTTDL" in draft
    url = f"sqlite:///{tmp_path / 'p.db'}"
    assert cli(url, "init")[0] == 0
    code, _, stderr = cli(url, "plan", "load", str(out))
    assert code == 1 and "SVHTTDL" in stderr  # not accepted yet: nothing loads
    code, stdout, stderr = cli(None, "plan", "accept-agencies", str(out))
    assert code == 0, stderr
    assert not proposed.exists()
    directory = (work / "agencies.yaml").read_text(encoding="utf-8")
    assert "code: SVHTTDL" in directory and directory.index("code: SVHTTDL") < directory.index("groups:")
    assert "# Danh bạ thử nghiệm" in directory  # the reviewer's comments survive
    code, stdout, stderr = cli(url, "plan", "load", str(out))
    assert code == 0, stderr
    code, stdout, _ = cli(url, "status", "--json", "--agency", "SVHTTDL", "--today", "2024-03-01")
    assert [i["code"] for i in json.loads(stdout)] == ["III.2.1"]
    code, _, err = cli(None, "plan", "accept-agencies", str(out))
    assert code == 1 and "new-agencies" in err  # nothing left to accept


def test_without_a_directory_every_name_is_proposed_in_a_new_directory_that_loads(cli, tmp_path):
    out = tmp_path / "cm.yaml"
    code, stdout, stderr = cli(None, "plan", "import", str(DATA / VARIANTS["leads named only in the closing assignment section"].text),
                               "-o", str(out))
    assert code == 0, stderr
    made = tmp_path / "cm.agencies.yaml"
    codes = {a.code: a for a in read_plan(out).directory.agencies}
    assert made.exists() and {"STNMT", "SCT", "TINHDOAN", "UBND-TINH"} <= set(codes)
    assert codes["STNMT"].name == "Sở Tài nguyên và Môi trường" and codes["STNMT"].kind == "department"
    url = f"sqlite:///{tmp_path / 'p.db'}"
    assert cli(url, "init")[0] == 0
    assert cli(url, "plan", "load", str(out))[0] == 0
