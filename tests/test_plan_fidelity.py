"""The plan file says what the plan's text says (issue 15): read both, compare programmatically.

The text is config/plans/60-KH-UBND-2024-lao-cai.txt (identical to ../shared/plans/); agency names in it are
mapped to codes through the directory's names, short names and aliases, and the plan's group phrases through
the directory's groups. Where the file must choose (no lead named), the choice has to cite a line that names
the agency; the few choices resting outside the text are listed here, each with its reason.
"""
from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import func, select

from plantrack.config import PLANS_DIR, SEED_PLAN
from plantrack.models.plan.file import ResolvedPlan, read_plan

TEXT = PLANS_DIR / "60-KH-UBND-2024-lao-cai.txt"
PLAN_V1 = Path(__file__).resolve().parent / "data" / "plan-v1"  # the file as on main before issue 15

# The plan's collective phrases -> directory groups (the file's "assumptions" say the same in words).
# The districts' phrase names them as surely as a name does; the class words ("các sở", "ngành", ...)
# name whole classes, and "địa phương" is the file's reading of III.12: these two kinds count only where
# the text assigns work to them, never to justify one agency the file chose.
DISTRICT_PHRASES = {
    "UBND các huyện, thị xã, thành phố": "districts",
    "Ủy ban nhân dân các huyện, thị xã, thành phố": "districts",
}
CLASS_PHRASES = {
    "các sở": "departments",
    "ngành": "sectors",
    "tổ chức chính trị xã hội": "political_social",
    "tổ chức chính trị xã hội tỉnh": "political_social",
    # III.12 (line 175) "các cơ quan, đơn vị, địa phương": the localities are the district People's Committees
    "địa phương": "districts",
}
# Phrases that name no agency: recorded as nobody (the file's assumption on generic phrases).
GENERIC_PHRASES = ("Các cơ quan, đơn vị có liên quan", "các cơ quan, đơn vị", "ban")
# The kind every member of a class group has, and every agency of that kind is in the group.
GROUP_KIND = {"districts": "district", "departments": "department", "sectors": "sector",
              "political_social": "political_social"}
# Choices of the file that no line of the text supports by naming the agency: (code, agency) -> why.
OUTSIDE_THE_TEXT = {
    ("III.8/CAT", "CAT"): "lines 145, 147 are police powers by criminal procedure law; the text names no body",
}


def norm(s: str) -> str:
    """Compare texts as the plan writes them: NFC, case-folded, one space, no trailing stop."""
    s = unicodedata.normalize("NFC", s).replace("–", "-").casefold()
    return re.sub(r"\s+", " ", s).strip().rstrip(".;: ")


@cache
def text_lines() -> tuple[str, ...]:
    """The plan text, index 0 = line 1."""
    return tuple(TEXT.read_text(encoding="utf-8").splitlines())


def line_no(prefix: str, after: int = 0) -> int:
    """The 1-based number of the first line after line `after` starting with prefix."""
    for i, ln in enumerate(text_lines()[after:], start=after + 1):
        if ln.startswith(prefix):
            return i
    raise AssertionError(f"no line starting {prefix!r} after line {after} of {TEXT.name}")


def section(start: str, end: str) -> list[tuple[int, str]]:
    """(line number, text) of the non-blank lines strictly between two headings."""
    a = line_no(start)
    b = line_no(end, a)
    return [(i, text_lines()[i - 1].strip()) for i in range(a + 1, b) if text_lines()[i - 1].strip()]


@cache
def plan() -> ResolvedPlan:
    return read_plan(SEED_PLAN)


def phrase_table(rp: ResolvedPlan, classes: bool = True) -> dict[str, frozenset[str]]:
    """Every way the text may name agencies -> their codes: directory names, short names, aliases,
    the districts' phrase, and (classes) class words and generic phrases."""
    table: dict[str, frozenset[str]] = {}
    for a in rp.directory.agencies:
        for name in {a.name, a.short_name, *a.aliases} - {None}:
            key = norm(name)
            assert table.get(key, frozenset({a.code})) == {a.code}, f"{name!r} names two agencies"
            table[key] = frozenset({a.code})
    for phrase, group in (DISTRICT_PHRASES | (CLASS_PHRASES if classes else {})).items():
        table[norm(phrase)] = frozenset(rp.groups[group])
    for phrase in GENERIC_PHRASES if classes else ():
        table[norm(phrase)] = frozenset()
    return table


def resolve(text: str, rp: ResolvedPlan) -> set[str]:
    """Agency codes named by a list like "Tỉnh đoàn và Sở Giáo dục và Đào tạo"; every word must be used."""
    table = phrase_table(rp)
    s, pos, codes = norm(text), 0, set()
    while pos < len(s):
        sep = re.match(r"(?:\s*,\s*|\s+và\s+|\s+)+", s[pos:])
        if sep:
            pos += sep.end()
            continue
        found = [p for p in table if s.startswith(p, pos)
                 and (pos + len(p) == len(s) or not s[pos + len(p)].isalnum())]
        assert found, f"no agency, group or generic phrase of the directory matches {s[pos:]!r} (in {text!r})"
        best = max(found, key=len)
        codes |= table[best]
        pos += len(best)
    return codes


def cited_ranges(text: str | None) -> list[tuple[int, int]]:
    """Line ranges an assumption cites: "dòng 133, 135", "lines 183-185", "line 191"."""
    out = []
    for m in re.finditer(r"(?:dòng|lines?)\s+(\d+(?:\s*-\s*\d+)?(?:(?:\s*,\s*|\s+và\s+|\s+and\s+)\d+(?:\s*-\s*\d+)?)*)",
                         text or ""):
        out += [(int(a), int(b or a)) for a, b in re.findall(r"(\d+)(?:\s*-\s*(\d+))?", m.group(1))]
    return out


def cited_lines(text: str | None) -> set[int]:
    """Every line an assumption cites, ranges included; each cited line or range end must be text."""
    out: set[int] = set()
    for a, b in cited_ranges(text):
        assert a <= b <= len(text_lines()) and text_lines()[a - 1].strip() and text_lines()[b - 1].strip(), \
            f"line {a}-{b} cited in {text[:60]!r}... is blank or past the end of {TEXT.name}"
        out |= {n for n in range(a, b + 1) if text_lines()[n - 1].strip()}
    return out


def context_of(n: int) -> str:
    """A cited line with the numbered heading it belongs to (a "- " bullet of "3. Sở Giáo dục ...")."""
    lines = text_lines()
    ctx = lines[n - 1]
    if ctx.lstrip().startswith("-"):
        for i in range(n - 2, -1, -1):
            if re.match(r"^\d+\. ", lines[i]):
                return lines[i] + "\n" + ctx
    return ctx


def names_agency(text: str, code: str, rp: ResolvedPlan) -> bool:
    """Whether text names the agency (name, short name, alias) or the districts' phrase that includes it."""
    t = norm(text)
    return any(code in codes and re.search(rf"(?<!\w){re.escape(p)}(?!\w)", t)
               for p, codes in phrase_table(rp, classes=False).items())


def deliverables(prefix: str) -> dict[str, object]:
    """The file's deliverables whose code is prefix or prefix/<AGENCY>."""
    return {d.code: d for d in plan().plan.deliverables if d.code == prefix or d.code.startswith(prefix + "/")}


def supporting(d) -> set[str]:
    return set(plan().expand(d.supporting)) - {d.lead}


# ---------------------------------------------------------------- section III: who leads, who supports


@dataclass
class Activity:
    number: int
    line: int
    title: str
    lead: str | None = None
    lead_line: int | None = None
    support: str | None = None
    support_line: int | None = None


def activities() -> list[Activity]:
    """Section III's numbered activities with the lead and supporters the text names, if it does."""
    out: list[Activity] = []
    for n, ln in section("III. NỘI DUNG HOẠT ĐỘNG", "IV. KINH PHÍ THỰC HIỆN"):
        m = re.match(r"^(\d+)\. (.*)$", ln)
        if m:
            head = m.group(2)
            out.append(Activity(int(m.group(1)), n, head.split(":")[0].strip()))
            inline = re.search(r":\s*(.+?) chủ trì, phối hợp với (.+?) (?:tổ chức|triển khai|thực hiện)\b", head)
            if inline:  # "12. Công tác kiểm tra, giám sát: Sở ... chủ trì, phối hợp với ... tổ chức ..."
                out[-1].lead, out[-1].support = inline.group(1), inline.group(2)
                out[-1].lead_line = out[-1].support_line = n
            continue
        m = re.match(r"^- Cơ quan (chủ trì|phối hợp): (.*)$", ln)
        if m and out:
            if m.group(1) == "chủ trì":
                out[-1].lead, out[-1].lead_line = m.group(2), n
            else:
                out[-1].support, out[-1].support_line = m.group(2), n
    return out


def test_section_iii_has_twelve_activities_with_their_titles():
    acts = activities()
    assert [a.number for a in acts] == list(range(1, 13))
    assert {a.number for a in acts if a.lead} == {1, 2, 4, 5, 6, 12}  # the parser found every named lead
    for a in acts:
        found = deliverables(f"III.{a.number}")
        assert found, f"activity {a.number} (line {a.line}) has no deliverable"
        for code, d in found.items():
            title = d.title.split(" – ")[0] if "/" in code else d.title
            if code == "III.8/CAT":  # the police part of activity 8 says what it is (see its assumption)
                continue
            assert norm(title) == norm(a.title), f"{code}: title {d.title!r} is not line {a.line}'s {a.title!r}"


@pytest.mark.parametrize("number", [1, 2, 4, 5, 6, 12])
def test_named_lead_and_supporters_are_exactly_the_texts(number):
    """"Cơ quan chủ trì" / "Cơ quan phối hợp" (or "X chủ trì, phối hợp với Y"): the file says the same."""
    rp = plan()
    act = next(a for a in activities() if a.number == number)
    leads, support = resolve(act.lead, rp), resolve(act.support or "", rp)
    found = deliverables(f"III.{number}")
    if len(leads) == 1:  # one accountable agency: one deliverable
        assert list(found) == [f"III.{number}"], f"line {act.lead_line}: one lead, one deliverable"
        d = found[f"III.{number}"]
        assert {d.lead} == leads, f"III.{number}: lead {d.lead}, line {act.lead_line} says {sorted(leads)}"
        assert supporting(d) == support, (f"III.{number}: supporting {sorted(supporting(d))}, "
                                          f"line {act.support_line} says {sorted(support)}")
    else:  # a group leads: one deliverable per member, each led by it, as V.8 and VI do
        assert set(found) == {f"III.{number}/{code}" for code in leads}, f"line {act.lead_line}: one per lead"
        for code, d in found.items():
            assert d.lead == code.split("/")[1] and supporting(d) == support, (
                f"{code}: led by {d.lead} with {sorted(supporting(d))}; lines {act.lead_line}, "
                f"{act.support_line} say each of {sorted(leads)} leads with {sorted(support)}")


def test_iii6_is_led_by_each_of_the_nine_districts():
    found = deliverables("III.6")
    assert sorted(d.lead for d in found.values()) == sorted(plan().groups["districts"])
    assert all(supporting(d) == {"SLDTBXH"} for d in found.values())
    for code in plan().groups["districts"]:  # the district duties keep only the plan's three bullets
        v8 = next(d for d in plan().plan.deliverables if d.code == f"V.8/{code}")
        assert v8.description.count("\n- ") == 2 and "III.6" not in v8.description


def test_unnamed_leads_and_supporters_rest_on_a_cited_line_that_names_them():
    """Where the text names nobody, every agency the file chose is named on a line its assumption cites."""
    rp = plan()
    named = {a.number for a in activities() if a.lead}
    unnamed = [d for d in rp.plan.deliverables if d.code.startswith("III.")
               and int(d.code.split("/")[0].split(".")[1]) not in named]
    assert {d.code for d in unnamed} == {"III.3", "III.7", "III.8", "III.8/CAT", "III.9", "III.10", "III.11"}
    problems = []
    for d in unnamed:
        lines = cited_lines(d.assumption)
        assert lines, f"{d.code}: the assumption cites no line of the text"
        context = "\n".join(context_of(n) for n in sorted(lines))
        for code in [d.lead, *rp.expand(d.supporting)]:
            if (d.code, code) in OUTSIDE_THE_TEXT:
                continue
            if not names_agency(context, code, rp):
                problems.append(f"{d.code}: {code} is on none of the cited lines {sorted(lines)}")
    assert not problems, "\n".join(problems)


def test_dropped_inventions_stay_dropped():
    """Supporters the text does not give (issue 15, point 4), and III.8's police work led by the police."""
    by_code = {d.code: d for d in plan().plan.deliverables}
    assert "TINHDOAN" not in supporting(by_code["III.7"])
    assert "STC" not in supporting(by_code["III.11"])
    assert by_code["III.8/CAT"].lead == "CAT" and "tố giác tội phạm" in by_code["III.8/CAT"].description
    assert "tố giác tội phạm" not in by_code["III.8"].description.split("(")[0]
    for code in ("V.1", "V.5"):  # the press bodies are guided by V.1/V.5, not partners in them
        assert not supporting(by_code[code]) & {"BAOLAOCAI", "DAIPTTH"}, code


# ---------------------------------------------------------------- section II: every number is a target


NUMBER = re.compile(r"(\d+(?:,\d+)?)\s*%|(\d+)\s*tỷ đồng")


def clauses() -> list[tuple[int, int, str]]:
    """(bullet number, line, clause) of section II, a clause being a sentence or a ';' part."""
    out = []
    bullets = [(n, ln) for n, ln in section("II. MỤC TIÊU, CHỈ TIÊU", "III. NỘI DUNG HOẠT ĐỘNG") if ln.startswith("- ")]
    for k, (n, ln) in enumerate(bullets, start=1):
        for part in re.split(r"(?<=[.;])\s+", ln[2:].strip()):
            if part.strip():
                out.append((k, n, part.strip()))
    return out


def numbers(clause: str) -> list[tuple[Decimal, str]]:
    out = []
    for pct, bn in NUMBER.findall(clause):
        out.append((Decimal(pct.replace(",", ".")), "%") if pct else (Decimal(bn) * 10**9, "đồng"))
    return out


def expected_direction(clause: str) -> str:
    c = norm(clause)
    if c.startswith("tăng dần"):
        return "increase"
    if c.startswith("hạn chế"):
        return "decrease"
    if "xuống còn" in c:
        return "at_most"
    if re.search(r"\btrên \d", c):
        return "more_than"
    return "at_least"  # "Phấn đấu 100%", "Đảm bảo 100%", "Duy trì 100%", "01 tỷ đồng trở lên"


def test_every_number_of_section_ii_is_an_indicator_target():
    inds = plan().plan.indicators
    by_text = {norm(i.text): i for i in inds}
    assert len(by_text) == len(inds)
    matched, per_bullet = set(), {}
    for bullet, line, clause in clauses():
        ind = by_text.get(norm(clause))
        nums = numbers(clause)
        if ind is None:  # not tracked: allowed only for a clause with no number and no direction, said so
            assert not nums, f"line {line}: {clause!r} has a number but no indicator of its own"
            assert expected_direction(clause) == "at_least" and any(
                norm(clause) in norm(i.assumption or "") for i in inds), \
                f"line {line}: {clause!r} is neither an indicator nor explained in one's assumption"
            continue
        matched.add(ind.code)
        per_bullet.setdefault(bullet, []).append(ind.code)
        assert ind.direction == expected_direction(clause), f"{ind.code} (line {line}): direction {ind.direction}"
        if not nums:
            assert ind.target is None and ind.direction in ("increase", "decrease"), ind.code
            continue
        *base, (target, unit) = nums
        assert (ind.target, ind.unit) == (target, unit), f"{ind.code} (line {line}): target {ind.target} {ind.unit}"
        assert [ind.baseline] == [b for b, _ in base] or (not base and ind.baseline is None), ind.code
    assert matched == {i.code for i in inds}, f"indicators not in section II: {sorted({i.code for i in inds} - matched)}"
    for bullet, codes in per_bullet.items():  # the plan's numbering stays visible: II.<bullet>[a-z]
        want = [f"II.{bullet}"] if len(codes) == 1 else [f"II.{bullet}{chr(97 + k)}" for k in range(len(codes))]
        assert codes == want, f"bullet {bullet} of section II: codes {codes}, expected {want}"


def test_every_indicator_has_an_owner_a_cited_line_names():
    rp = plan()
    for ind in rp.plan.indicators:
        lines = cited_lines(ind.assumption)
        assert lines, f"{ind.code}: the assumption cites no line for its owner"
        context = "\n".join(context_of(n) for n in sorted(lines))
        assert names_agency(context, ind.owner, rp), f"{ind.code}: {ind.owner} is on none of {sorted(lines)}"


# ---------------------------------------------------------------- sections V and VI: duties and reports


def test_section_v_duties_are_led_by_the_agencies_the_headings_name():
    rp = plan()
    by_code = {d.code: d for d in rp.plan.deliverables}
    heads = [(n, ln) for n, ln in section("V. TỔ CHỨC THỰC HIỆN", "VI. CHẾ ĐỘ THÔNG TIN, BÁO CÁO")
             if re.match(r"^\d+\. ", ln)]
    assert len(heads) == 8
    for n, ln in heads:
        k, rest = ln.split(". ", 1)
        agencies = resolve(rest.split(":")[0], rp)
        if len(agencies) == 1:
            d = by_code[f"V.{k}"]
            assert {d.lead} == agencies, f"V.{k}: lead {d.lead}, line {n} names {sorted(agencies)}"
            assert not norm(d.title).startswith("nhiệm vụ của"), f"V.{k}: the title should say the duty"
        else:  # a class: one deliverable per member that has no duty of its own in V.1-V.6
            own = {by_code[f"V.{i}"].lead for i in range(1, 7)}
            assert set(deliverables(f"V.{k}")) == {f"V.{k}/{c}" for c in agencies - own}, f"line {n}"
            assert all(not norm(d.title).startswith("nhiệm vụ của") for d in deliverables(f"V.{k}").values())


def test_every_agency_class_of_section_vi_has_its_reports():
    rp = plan()
    lines = section("VI. CHẾ ĐỘ THÔNG TIN, BÁO CÁO", "Trên đây là")
    n, duty = next((n, ln) for n, ln in lines if " gửi " in ln)
    m = re.match(r"^(.+?) tổng hợp báo cáo .*? gửi (.+?) tổng hợp, báo cáo (.+?) và ", duty)
    assert m, f"line {n}: {duty!r}"
    recipient = resolve(m.group(2), rp)
    assert recipient == {"SLDTBXH"}
    upper = resolve(m.group(3), rp)  # UBND tỉnh (the Ministry is outside the directory)
    codes = resolve(m.group(1), rp)  # "Các sở, ngành, tổ chức chính trị xã hội và UBND các huyện, ..."
    named_groups = {g for g in GROUP_KIND if set(rp.groups[g]) <= codes}
    assert named_groups == {"departments", "sectors", "political_social", "districts"}, named_groups
    kinds = {a.code: a.kind for a in rp.directory.agencies}
    for g in named_groups:  # a class group holds every agency of its kind, and only those
        assert {c for c, k in kinds.items() if k == GROUP_KIND[g]} == set(rp.groups[g]), g
    deadlines = {}
    for ln_no, ln in lines:
        dm = re.match(r"^- Báo cáo (6 tháng|năm): Trước ngày (\d+)/(\d+)", ln)
        if dm:
            deadlines["VI.1" if dm.group(1) == "6 tháng" else "VI.2"] = (
                date(rp.plan.plan.issued_on.year, int(dm.group(3)), int(dm.group(2))), ln_no)
    assert set(deadlines) == {"VI.1", "VI.2"}
    by_code = {d.code: d for d in rp.plan.deliverables}
    for prefix, (due, ln_no) in deadlines.items():
        want = {f"{prefix}/{c}" for c in codes}
        assert set(deliverables(prefix)) == want, f"{prefix}: {sorted(set(deliverables(prefix)) ^ want)}"
        for code in codes - recipient:
            d = by_code[f"{prefix}/{code}"]
            assert (d.lead, d.report_to, d.due) == (code, "SLDTBXH", due), f"{d.code} (lines {n}, {ln_no})"
        (own,) = recipient
        mine = by_code[f"{prefix}/{own}"]  # the consolidated report: to UBND tỉnh, after its inputs arrive
        assert {mine.report_to} == upper and mine.due > due, f"{mine.code}: due {mine.due}, inputs {due}"
    leads_of_duties = {d.lead for d in rp.plan.deliverables if d.code.startswith("V.")}
    assert leads_of_duties <= codes, f"agencies with duties but no reports: {sorted(leads_of_duties - codes)}"


def test_header_signer_and_dates_are_the_texts():
    rp = plan()
    h = rp.plan.plan
    lines = text_lines()
    assert any(norm(ln) == norm(f"Số: {h.number}") for ln in lines)
    m = re.search(r"ngày (\d+) tháng (\d+) năm (\d+)", lines[line_no("Lào Cai, ngày") - 1])
    assert h.issued_on == date(int(m.group(3)), int(m.group(2)), int(m.group(1))) == h.period_start
    block = [norm(ln) for ln in lines[line_no("TM. ỦY BAN NHÂN DÂN") - 1:line_no("Giàng Thị Dung") ]
             if ln.strip()]
    assert [norm(p) for p in h.signed_as.split("/")] == block[:-1] and block[-1] in norm(h.signer)
    people = {p.email: (a.code, p.role, p.name) for a in rp.directory.agencies for p in a.people}
    assert people[h.signed_by] == ("UBND-TINH", "deputy", "Giàng Thị Dung")  # KT. CHỦ TỊCH: a deputy
    assert h.digest_to == [h.signed_by]
    iii12 = next(d for d in rp.plan.deliverables if d.code == "III.12")
    assert iii12.due < date(2024, 11, 15), "inspection results must exist before the annual reports"


# ---------------------------------------------------------------- reloading over the previous file


def _plans_dir(tmp_path: Path, source: Path) -> Path:
    dest = tmp_path / source.name
    dest.mkdir()
    for f in source.iterdir():
        if f.suffix == ".yaml":
            shutil.copy(f, dest / f.name)
    shutil.copy(TEXT, dest / TEXT.name)
    return dest / SEED_PLAN.name


def test_reload_over_the_previous_file_keeps_all_status_history(db_url, tmp_path):
    from plantrack.models.board import board
    from plantrack.models.db import session_factory
    from plantrack.models.entities import AgencyContact, Deliverable, Indicator, Person, StatusReport
    from plantrack.models.reports import ReportIn, record_report
    from tests.conftest import init_and_load

    init_and_load(db_url, _plans_dir(tmp_path, PLAN_V1))
    Session = session_factory(db_url)
    at = datetime(2024, 5, 2, 3, 0, tzinfo=timezone.utc)
    reports = [ReportIn(code="III.6", progress=30, note="đã hướng dẫn 9 huyện"), ReportIn(code="III.8", progress=20),
               ReportIn(code="V.7/BAOLAOCAI", state="done"), ReportIn(code="V.8/UBND-BACHA", progress=50),
               ReportIn(code="VI.1/SYT", state="done"), ReportIn(code="II.2", value=100),
               ReportIn(code="II.6", value=75)]
    with Session() as s, s.begin():
        for r in reports:
            record_report(s, "60/KH-UBND", r, at=at, channel="cli")

    summary = init_and_load(db_url, SEED_PLAN)
    assert (summary.deliverables.created, summary.deliverables.archived) == (23, 3)  # III.6, V.7/BAOLAOCAI, /DAIPTTH
    assert (summary.indicators.created, summary.indicators.archived) == (11, 4)  # II.2, II.3, II.4, II.6 split
    with Session() as s:
        assert s.scalar(select(func.count()).select_from(StatusReport)) == len(reports)
        old = {d.code: d for d in s.scalars(select(Deliverable).where(Deliverable.archived.is_(True)))}
        assert set(old) == {"III.6", "V.7/BAOLAOCAI", "V.7/DAIPTTH"}
        assert (old["III.6"].progress, old["V.7/BAOLAOCAI"].state) == (30, "done")
        for code in ("III.6", "V.7/BAOLAOCAI"):  # the archived rows keep their reports, notes and all
            assert s.scalar(select(func.count()).where(StatusReport.deliverable_id == old[code].id)) == 1
        assert s.scalar(select(StatusReport.note).where(StatusReport.deliverable_id == old["III.6"].id)) \
            == "đã hướng dẫn 9 huyện"
        gone = {i.code: i for i in s.scalars(select(Indicator).where(Indicator.archived.is_(True)))}
        assert set(gone) == {"II.2", "II.3", "II.4", "II.6"} and (gone["II.2"].last_value, gone["II.6"].last_value) == (100, 75)
        dung = s.execute(select(AgencyContact.role).join(Person).where(Person.name == "Giàng Thị Dung")).scalars().all()
        assert dung == ["deputy"]
        rows = {r.code: r for r in board(s, date(2024, 7, 1))}
    assert not {"III.6", "V.7/BAOLAOCAI", "II.2", "II.6"} & set(rows)
    iii6 = [r for c, r in rows.items() if c.startswith("III.6/")]
    assert len(iii6) == 9 and {r.lead for r in iii6} == set(plan().groups["districts"])
    # the nine new III.6/<district> start fresh: the old III.6's report was about the whole province
    assert all(r.state == "not_started" and r.progress is None and r.last_report_at is None for r in iii6)
    assert rows["III.8"].progress == 20 and rows["III.8/CAT"].state == "not_started"  # III.8 keeps its history
    assert rows["V.8/UBND-BACHA"].progress == 50 and rows["VI.1/SYT"].state == "done"
    assert rows["II.6b"].last_value is None and rows["II.4b"].target is None
    assert not init_and_load(db_url, SEED_PLAN).changed  # and loading it again changes nothing


def test_migration_0009_keeps_reports_on_indicators(db_url):
    """Upgrading a database that has indicator reports: target becomes optional, nothing is lost (SQLite
    rebuilds the indicator table, which status reports point at)."""
    from alembic import command
    from sqlalchemy import MetaData, insert

    from plantrack.models.db import session_factory
    from plantrack.models.migrate import alembic_config, upgrade

    command.upgrade(alembic_config(db_url), "0005")
    engine = session_factory(db_url).kw["bind"]
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    now = datetime(2024, 5, 2, tzinfo=timezone.utc)
    with engine.begin() as c:
        aid = c.execute(insert(t["agency"]).values(code="SYT", name="Sở Y tế", kind="department", aliases=[])).inserted_primary_key[0]
        pid = c.execute(insert(t["plan"]).values(number="60/KH-UBND", title="t", issuer="i", issued_on=date(2024, 1, 30),
                                                 period_start=date(2024, 1, 30), period_end=date(2024, 12, 31),
                                                 file_sha256="0" * 64, loaded_at=now)).inserted_primary_key[0]
        iid = c.execute(insert(t["indicator"]).values(plan_id=pid, code="II.5", text="100%", target=100, unit="%",
                                                      direction="at_least", owner_agency_id=aid, due_date=date(2024, 12, 31),
                                                      position=0, archived=False, last_value=99, updated_at=now)).inserted_primary_key[0]
        c.execute(insert(t["status_report"]).values(indicator_id=iid, reported_at=now, channel="cli", value=99))
    session_factory.cache_clear()
    upgrade(db_url)
    engine = session_factory(db_url).kw["bind"]
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as c:
        assert c.execute(select(t["status_report"].c.indicator_id, t["status_report"].c.value)).all() == [(iid, 99)]
        assert c.execute(select(t["indicator"].c.target, t["indicator"].c.assumption)).all() == [(100, None)]
        assert c.execute(select(t["plan"].c.digest_to, t["plan"].c.signed_by)).all() == [([], None)]
        c.execute(insert(t["indicator"]).values(plan_id=pid, code="II.4b", text="Tăng dần", target=None, unit="%",
                                                direction="increase", owner_agency_id=aid, due_date=date(2024, 12, 31),
                                                position=1, archived=False, updated_at=now))
    if db_url.startswith("sqlite"):
        with engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA foreign_key_check").all() == []


BAD_NEW_FIELDS = {
    "target-on-a-direction": ("    direction: increase\n", "    target: 5\n    direction: increase\n",
                              "indicators[8] (II.4b): direction 'increase' takes no target"),
    "no-target": ("    target: 94\n", "", "indicators[7] (II.4a): direction 'at_least' needs a target"),
    "bad-indicator-code": ("  - code: II.6a ", "  - code: II.6aa", "indicators[11].code"),
    "signer-not-in-directory": ("  signed_by: pct.giangthidung@", "  signed_by: pct.nobody@",
                                "plan.signed_by: pct.nobody@laocai.example.org is not a person in the directory"),
}


@pytest.mark.parametrize("case", sorted(BAD_NEW_FIELDS))
def test_bad_new_fields_are_named_with_file_and_line(tmp_path, case):
    from plantrack.models.plan.file import PlanFileError
    from tests.plan_helpers import copy_seed, edit

    old, new, message = BAD_NEW_FIELDS[case]
    plan_file = copy_seed(tmp_path)
    line = plan_file.read_text(encoding="utf-8").split(old)[0].count("\n") + 1
    edit(plan_file, old, new)
    with pytest.raises(PlanFileError) as exc:
        read_plan(plan_file)
    err = str(exc.value)
    assert message in err and str(plan_file) in err, err
    if case in ("bad-indicator-code", "signer-not-in-directory"):
        assert f"{plan_file}:{line}:" in err, err
