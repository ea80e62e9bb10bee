"""The importer's parts on the phrases plans are written in: names, numbers, dates, line breaks, group phrases."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from plantrack.models.plan.importer.agencies import Directory, split_names
from plantrack.models.plan.importer.dates import occasion_in_title, occasion_milestones, parse_when
from plantrack.models.plan.importer.model import Header, Severity
from plantrack.models.plan.importer.outline import Kind, parse
from plantrack.models.plan.importer.targets import number, read_targets
from plantrack.models.plan.importer.text import split_document

LAO_CAI = Path(__file__).parent / "data" / "import" / "agencies-parts.yaml"  # fixed, part of Lào Cai's
HEADER = Header("1/KH-UBND", "KẾ HOẠCH", "UBND tỉnh X", "X", date(2024, 1, 30), "Kế hoạch", None, None,
                date(2024, 1, 30), date(2024, 12, 31), (2024,))


@pytest.fixture(scope="module")
def lao_cai() -> Directory:
    return Directory.load(LAO_CAI)


@pytest.mark.parametrize("written", [
    "Sở Lao động - Thương binh và Xã hội", "Sở LĐ-TB&XH", "Sở LĐTBXH", "Sở Lao động, Thương binh và Xã hội",
    "Sở Lao động - TB&XH", "Sở Lao động Thương binh Xã hội", "Sở Lao động – Thương binh và Xã hội tỉnh Lào Cai",
])
def test_the_ways_a_department_is_written_match_one_code(lao_cai, written):
    assert lao_cai.match(written)[0] == "SLDTBXH"


def test_tone_marks_abbreviations_and_the_province_name(lao_cai):
    assert lao_cai.match("Sở Văn hoá và Thể thao")[0] == "SVHTT"  # old-style tone placement
    assert lao_cai.match("Sở GD&ĐT")[0] == "SGDDT" and lao_cai.match("Sở TT&TT")[0] == "STTTT"
    assert lao_cai.match("Công an tỉnh Lào Cai")[0] == "CAT" and lao_cai.match("UBND tỉnh")[0] == "UBND-TINH"
    assert lao_cai.match("UBND TP. Lào Cai")[0] == "UBND-TPLAOCAI"
    assert lao_cai.match("Sở Văn hóa, Thể thao và Du lịch")[0] is None  # a different (merged) department


def test_a_near_name_matches_with_a_review_flag(lao_cai):
    code, score, how = lao_cai.match("Sở Lao động Thương binh")
    assert (code, how) == ("SLDTBXH", "fuzzy") and 86 <= score < 95
    r = lao_cai.resolve("Sở Lao động Thương binh", "III.1", 63)
    assert r.members == ("SLDTBXH",) and [(n.severity, n.kind) for n in r.notes] == [(Severity.REVIEW, "agency_fuzzy")]


def test_lists_split_only_before_an_agency_name():
    assert split_names("Tỉnh đoàn và Sở Giáo dục và Đào tạo.") == ["Tỉnh đoàn", "Sở Giáo dục và Đào tạo"]
    assert split_names("Sở Văn hóa, Thể thao và Du lịch, Sở Y tế") == ["Sở Văn hóa, Thể thao và Du lịch", "Sở Y tế"]
    assert split_names("Các cơ quan, đơn vị có liên quan và UBND các huyện, thị xã, thành phố") == [
        "Các cơ quan, đơn vị có liên quan", "UBND các huyện, thị xã, thành phố"]


def test_group_phrases(lao_cai):
    r = lao_cai.resolve("UBND các huyện, thị xã, thành phố", "X", 1)
    assert r.refs == ("@districts",) and len(r.members) == 3 and not r.notes
    r = lao_cai.resolve("Các sở, ban, ngành, tổ chức chính trị xã hội tỉnh", "X", 1, exclude=("SLDTBXH",))
    assert set(r.members) == {"STTTT", "SGDDT", "SYT", "SVHTT", "STC", "CAT", "TINHDOAN", "HLHPN"}
    assert [n.severity for n in r.notes] == [Severity.REVIEW]  # 'các sở, ban, ngành' is for a coordinator to check
    r = lao_cai.resolve("Các cơ quan, đơn vị có liên quan", "X", 1)
    assert r.members == () and [n.severity for n in r.notes] == [Severity.INFERRED]


def test_an_unknown_name_is_kept_verbatim_and_proposed(tmp_path):
    d = Directory.load(LAO_CAI)
    r = d.resolve("Sở Nông nghiệp và Phát triển nông thôn; Hội Nông dân tỉnh", "III.9", 151)
    assert r.members == ("SNNPTNT", "HNDT") and all(n.severity == Severity.REVIEW for n in r.notes)
    proposed = {p.code: p for p in d.proposed.values()}
    assert proposed["SNNPTNT"].name == "Sở Nông nghiệp và Phát triển nông thôn"
    assert proposed["SNNPTNT"].kind == "department" and proposed["SNNPTNT"].parent == "UBND-TINH"
    assert d.resolve("Sở Nông nghiệp và Phát triển nông thôn", "V.9", 200).members == ("SNNPTNT",)  # proposed once


@pytest.mark.parametrize("written, value", [("1,38", "1.38"), ("1.000", "1000"), ("01", "1"), ("58,5", "58.5")])
def test_vietnamese_numbers(written, value):
    assert number(written) == Decimal(value)


def test_target_phrases():
    [t] = read_targets("Giảm tỷ lệ trẻ em có hoàn cảnh đặc biệt từ 1,38% năm 2023 xuống còn 1,36% năm 2024.", (2024,))[0]
    assert (t.baseline, t.baseline_year, t.target, t.unit, t.direction) == (Decimal("1.38"), 2023, Decimal("1.36"), "%", "at_most")
    [t] = read_targets("Vận động Quỹ đạt 01 tỷ đồng trở lên.", (2024,))[0]
    assert (t.target, t.unit, t.direction) == (Decimal(10) ** 9, "đồng", "at_least")
    [t] = read_targets("Phấn đấu có trên 80% xã đạt tiêu chuẩn.", (2024,))[0]
    assert t.direction == "more_than"
    found, _ = read_targets("Tỷ lệ che phủ rừng đạt 57% năm 2021, 58,5% năm 2023 và 60% vào năm 2025.", (2021, 2025))
    assert [(t.target, t.year) for t in found] == [(57, 2021), (Decimal("58.5"), 2023), (60, 2025)]
    [t] = read_targets("Tăng dần tỷ lệ trẻ em được học bơi.", (2024,))[0]
    assert (t.target, t.direction, t.unit) == (None, "increase", "%")
    found, unparsed = read_targets("Phấn đấu giảm 3 điểm phần trăm so với kỳ trước.", (2024,))
    assert found == [] and unparsed  # a number that is not read is flagged, not dropped


@pytest.mark.parametrize("phrase, start, due, inferred", [
    ("Quý II/2024", date(2024, 4, 1), date(2024, 6, 30), False),
    ("Quý III", date(2024, 7, 1), date(2024, 9, 30), True),
    ("hoàn thành Tháng 9/2024", None, date(2024, 9, 30), False),
    ("Từ tháng 6 đến tháng 10/2024", date(2024, 6, 1), date(2024, 10, 31), False),
    ("Trước ngày 15/6", None, date(2024, 6, 15), True),
    ("Trước ngày 30/11/2024", None, date(2024, 11, 30), False),
    ("Năm 2024", date(2024, 1, 30), date(2024, 12, 31), True),
    ("Thường xuyên", date(2024, 1, 30), date(2024, 12, 31), True),
])
def test_time_phrases(phrase, start, due, inferred):
    w = parse_when(phrase, HEADER)
    assert (w.start, w.due, w.inferred) == (start, due, inferred)


def test_named_occasions_and_lunar_dates():
    w = occasion_in_title("Tổ chức Tháng hành động vì trẻ em", HEADER)
    assert (w.start, w.due, w.schedule, w.inferred) == (date(2024, 6, 1), date(2024, 6, 30), "span", True)
    ms = {m.key: m.start for m in occasion_milestones(
        "Thăm hỏi tặng quà nhân các ngày lễ, tết: Tết Nguyên đán, Ngày Quốc tế Thiếu nhi (1/6), Tết Trung thu", HEADER)}
    assert ms == {"tet_nguyen_dan": (2024, 1, 1), "quoc_te_thieu_nhi": date(2024, 6, 1), "tet_trung_thu": (2024, 8, 15)}
    assert occasion_milestones("băng rôn tuyên truyền Tháng hành động vì trẻ em", HEADER) == []  # a topic, not a date


def test_portal_copy_is_cut_and_hard_breaks_joined():
    raw = ("Trang chủ | Tin tức\nNgày đăng: 01/01/2024\nỦY BAN NHÂN DÂN | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
           "TỈNH X | Độc lập - Tự do - Hạnh phúc\nSố: 5/KH-UBND\tX, ngày 02 tháng 01 năm 2024\n\nKẾ HOẠCH\nThử nghiệm\n\n"
           "I. NỘI DUNG\n1. Tuyên truyền về an toàn giao thông cho học sinh các trường trung học phổ thông trên\n"
           "địa bàn tỉnh[1] và các trường cao đẳng, trung cấp.\n\nNơi nhận:\n- Lưu: VT.\n\nHIỆU LỰC VĂN BẢN\nTải văn bản\n")
    doc = split_document(raw)
    assert [ln.text for ln in doc.head][:4] == ["ỦY BAN NHÂN DÂN", "TỈNH X", "Số: 5/KH-UBND", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]
    body = [ln.text for ln in doc.body]
    assert body[1] == ("1. Tuyên truyền về an toàn giao thông cho học sinh các trường trung học phổ thông trên địa bàn "
                       "tỉnh và các trường cao đẳng, trung cấp.")
    assert doc.cut_before == 2 and doc.cut_after == 3 and doc.closing[0].text == "Nơi nhận:"


def test_numbering_nests():
    doc = split_document("KẾ HOẠCH\n\nPhần thứ hai\nNHIỆM VỤ\n1. A\n1.1. B\na) C\n- D\n+ E\n2. F\n")
    root = parse(doc.body)
    part = root.children[0]
    assert (part.kind, part.label, part.text) == (Kind.PART, "II", "NHIỆM VỤ")
    one = part.children[0]
    assert [c.label for c in part.children] == ["1", "2"] and one.children[0].label == "1.1"
    assert [n.kind for n in one.walk()] == [Kind.NUMBER, Kind.NUMBER, Kind.LETTER, Kind.DASH, Kind.PLUS]


def test_targets_outside_section_ii_are_flagged_when_their_codes_meet_activities(tmp_path):
    from plantrack.models.plan.importer.caps import caps
    from plantrack.models.plan.importer.pipeline import import_draft

    if caps().indicator_code_ok("I.1"):
        pytest.skip("the schema takes indicator codes of any section")
    src = tmp_path / "kh.txt"
    src.write_text("ỦY BAN NHÂN DÂN\nTỈNH X\nSố: 9/KH-UBND\nX, ngày 02 tháng 01 năm 2024\n\nKẾ HOẠCH\nThử\n\n"
                   "I. MỤC TIÊU\n- Đạt 90% hộ dân được tuyên truyền.\n\nII. NHIỆM VỤ\n1. Tuyên truyền\n- Cơ quan chủ trì: Sở Y tế.\n\n"
                   "Nơi nhận:\n- Lưu.\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nNguyễn Văn A\n", encoding="utf-8")
    draft = import_draft(src, Directory.load(LAO_CAI))
    assert [i.code for i in draft.indicators] == ["II.1"]
    assert any(n.where == "indicators" and n.severity == Severity.REVIEW and "II.1" in n.vi for n in draft.notes)
