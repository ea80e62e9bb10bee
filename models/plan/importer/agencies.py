"""Agency names as the text writes them -> directory codes: aliases, abbreviations, fuzzy matching, group phrases."""
from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from plantrack.models.plan.importer.model import Note, NoteKind, PlanImportError, ProposedAgency, Severity
from plantrack.models.plan.schema import AgencyEntry, DirectoryFile


class AgencyClass(enum.StrEnum):
    SO = "sở"
    BAN = "ban"
    NGANH = "ngành"
    CTXH = "tổ chức chính trị - xã hội"
    PRESS = "báo chí"
    DISTRICT = "cấp huyện"
    COMMUNE = "cấp xã"
    PROVINCE = "cấp tỉnh"
    OTHER = "khác"


_STOP = {"va", "tinh"}
_CTXH_RE = re.compile(r"^(?:uy ban )?(?:mat tran to quoc|mttq|lien doan lao dong|hoi lien hiep phu nu|hoi lhpn|hoi phu nu"
                      r"|hoi nong dan|hoi cuu chien binh|tinh doan|doan thanh nien|doan tncs|ban thuong vu tinh doan)")
_NGANH_RE = re.compile(r"^(?:cong an|bo chi huy|bo doi bien phong|bch|thanh tra|van phong|kho bac|bao hiem xa hoi|cuc |chi cuc"
                       r"|ngan hang|toa an|vien kiem sat|hai quan|ca tinh)")
_PRESS_RE = re.compile(r"^(?:bao |dai |tap chi|cong thong tin)")
# Words that start an agency name: a list "A, B và C" is split only where one of these follows.
_HEAD_RE = re.compile(r"^(?:Sở|UBND|Ủy ban|Uỷ ban|Công an|Tỉnh đoàn|Tỉnh Đoàn|Hội|Ban|Đài|Báo|Bộ|Văn phòng|Các|các|Trung tâm"
                      r"|Ngân hàng|Bảo hiểm|Liên đoàn|Mặt trận|Cục|Chi cục|Thanh tra|Kho bạc|Viện|Tòa|Đoàn|Trường"
                      r"|Bệnh viện|Quỹ|Đảng ủy|Cổng|CA\b|BCH)")
_DISTRICT_PHRASE = re.compile(r"^(?:(?:ubnd|uy ban nhan dan) )?(?:cac|cap) huyen(?: thi xa| thanh pho| thi)*"
                              r"|^(?:ubnd|uy ban nhan dan) (?:cac )?huyen thi xa thanh pho|^cac dia phuong$|^dia phuong$")
_COMMUNE_PHRASE = re.compile(r"^(?:(?:ubnd|uy ban nhan dan) )?(?:cac|cap) xa(?: phuong| thi tran)*")
_GENERIC_PHRASE = re.compile(r"^(?:cac |moi )?(?:co quan|don vi|to chuc|ca nhan|doanh nghiep|nganh|cap|ben)"
                             r"(?: (?:co quan|don vi|to chuc|dia phuong|ca nhan|doanh nghiep|lien quan|co lien quan|chuc nang"
                             r"|truc thuoc|cac cap))*$")
_CLASS_WORDS = (("so", AgencyClass.SO), ("ban", AgencyClass.BAN), ("nganh", AgencyClass.NGANH),
                ("to chuc chinh tri xa hoi", AgencyClass.CTXH), ("doan the", AgencyClass.CTXH),
                ("to chuc chinh tri", AgencyClass.CTXH), ("hoi doan the", AgencyClass.CTXH))
_CLASS_PHRASE = re.compile(r"^(?:cac|moi) (?:so|ban|nganh|to chuc chinh tri|doan the|hoi doan the|co quan chuyen mon)\b"
                           r"|^(?:so|ban|nganh)(?: (?:so|ban|nganh|to chuc chinh tri xa hoi|doan the|tinh))+$")


def fold(text: str) -> str:
    """Lower case without diacritics or punctuation: 'Sở LĐ-TB&XH' -> 'so ld tb xh'."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9]+", " ", text)).strip()


def key(text: str) -> str:
    return " ".join(w for w in fold(text).split() if w not in _STOP)


def acronym(text: str) -> str:
    """Initials of the words, abbreviations kept whole: 'Sở Lao động - Thương binh và Xã hội' and 'Sở LĐ-TB&XH' -> 'SLDTBXH'."""
    out = []
    for token in re.split(r"[\s,.;:()\"“”]+", text):
        parts = [p for p in re.split(r"[-–&/]+", token) if p]
        for p in parts:
            letters = [c for c in p if c.isalpha()]
            if not letters:
                continue
            if fold(p) == "va":
                continue
            if len(letters) >= 2 and all(c.isupper() for c in letters):
                out.append("".join(letters))
            else:
                out.append(letters[0].upper())
    return fold("".join(out)).replace(" ", "").upper()


def _has_abbreviation(text: str) -> bool:
    return any(len(t) >= 2 and t.isupper() for t in re.findall(r"[^\W\d_]+", text))


def classify(entry: AgencyEntry) -> AgencyClass:
    """What kind of body an entry is, for group phrases such as 'các sở, ban, ngành, tổ chức chính trị xã hội'."""
    name = fold(entry.name)
    if entry.kind == "political_social":
        return AgencyClass.CTXH
    if entry.kind == "sector":
        return AgencyClass.NGANH
    if entry.kind == "district":
        return AgencyClass.DISTRICT
    if entry.kind == "commune":
        return AgencyClass.COMMUNE
    if entry.kind == "province":
        return AgencyClass.PROVINCE
    if name.startswith("so "):
        return AgencyClass.SO
    if _CTXH_RE.match(name) or any(_CTXH_RE.match(fold(a)) for a in entry.aliases):
        return AgencyClass.CTXH
    if _PRESS_RE.match(name):
        return AgencyClass.PRESS
    if name.startswith("ban "):
        return AgencyClass.BAN
    if _NGANH_RE.match(name) or entry.kind == "department":
        return AgencyClass.NGANH
    return AgencyClass.OTHER


@dataclass(frozen=True)
class Resolution:
    """What a phrase in a role slot names: references to write (codes or @group) and the codes they stand for."""

    refs: tuple[str, ...]
    members: tuple[str, ...]
    notes: tuple[Note, ...] = ()
    is_group: bool = False


@dataclass
class Directory:
    """The agency directory of the import, plus the names it lacked (proposed entries) collected on the way."""

    entries: list[AgencyEntry]
    groups: dict[str, list[str]]
    path: Path | None = None
    proposed: dict[str, ProposedAgency] = field(default_factory=dict)  # folded name -> proposal
    _exact: dict[str, str] = field(default_factory=dict)
    _acro: dict[str, set[str]] = field(default_factory=dict)
    _choices: dict[str, str] = field(default_factory=dict)
    province: str | None = None

    @classmethod
    def load(cls, path: Path | None) -> "Directory":
        """The directory file (or an empty one); a bad file raises PlanImportError naming it."""
        if path is None:
            return cls.build([], {})
        import yaml
        from pydantic import ValidationError

        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            directory = DirectoryFile.model_validate(data)
        except OSError as exc:
            raise PlanImportError(f"{path}: không đọc được danh bạ ({exc.strerror})",
                                  f"{path}: cannot read the directory ({exc.strerror})") from None
        except (yaml.YAMLError, ValidationError, UnicodeDecodeError) as exc:
            first = str(exc).splitlines()[0][:120]
            raise PlanImportError(f"{path}: danh bạ không hợp lệ ({first}); kiểm tra bằng 'plantrack plan load'",
                                  f"{path}: invalid directory ({first}); check it with 'plantrack plan load'") from None
        return cls.build(list(directory.agencies), dict(directory.groups), path)

    @classmethod
    def build(cls, entries: list[AgencyEntry], groups: dict[str, list[str]], path: Path | None = None) -> "Directory":
        d = cls(entries, groups, path)
        for e in entries:
            for name in (e.name, e.short_name, *e.aliases):
                if not name:
                    continue
                for k in (key(name), d._strip_place(key(name), e)):
                    d._exact.setdefault(k, e.code)
                    d._choices.setdefault(k, e.code)
                d._acro.setdefault(acronym(name), set()).add(e.code)
        provinces = [e for e in entries if e.kind == "province"]
        if provinces:
            m = re.search(r"tinh (.+)$", fold(provinces[0].name))
            d.province = m.group(1) if m else None
        return d

    def _strip_place(self, k: str, entry: AgencyEntry | None = None) -> str:
        if self.province and k.endswith(" " + self.province) and not re.search(r"(?:thanh pho|tp|thi xa|huyen) " + re.escape(self.province) + "$", k):
            return k[: -len(self.province) - 1].strip()
        return k

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.entries]

    def entry(self, code: str) -> AgencyEntry | None:
        return next((e for e in self.entries if e.code == code), None)

    def short(self, code: str) -> str:
        e = self.entry(code)
        if e is None:
            p = next((p for p in self.proposed.values() if p.code == code), None)
            return p.name if p else code
        return e.short_name or e.name

    def of_class(self, *classes: AgencyClass) -> list[str]:
        return [e.code for e in self.entries if classify(e) in classes]

    def districts(self) -> list[str]:
        return self.of_class(AgencyClass.DISTRICT)

    def group_ref(self, members: list[str]) -> list[str]:
        """'@name' when a directory group has exactly these members, else the codes."""
        for name, group in self.groups.items():
            if group and set(group) == set(members):
                return [f"@{name}"]
        return list(members)

    # -------------------------------------------------------------- single names
    def match(self, name: str) -> tuple[str | None, int, str]:
        """(code, score 0-100, how) for one agency name; code None when nothing is close enough."""
        k = key(name)
        for cand in (k, self._strip_place(k)):
            if cand in self._exact:
                return self._exact[cand], 100, "exact"
        if _has_abbreviation(name):
            codes = self._acro.get(acronym(name), set())
            if len(codes) == 1:
                return next(iter(codes)), 100, "abbreviation"
        if self._choices:
            best = process.extractOne(self._strip_place(k), list(self._choices), scorer=fuzz.ratio)
            if best and best[1] >= 86:
                return self._choices[best[0]], int(best[1]), "fuzzy"
        return None, 0, ""

    def find_mentions(self, text: str) -> list[str]:
        """Directory agencies named anywhere in running text (no proposals), in order of appearance."""
        folded = " " + fold(text) + " "
        found: list[tuple[int, str]] = []
        for e in self.entries:
            if e.kind == "province":
                continue
            for name in (e.name, e.short_name, *e.aliases):
                if not name:
                    continue
                for k in {fold(name), self._strip_place(fold(name))}:
                    if len(k) < 6:
                        continue
                    pos = folded.find(" " + k + " ")
                    if pos >= 0:
                        found.append((pos, e.code))
        if _DISTRICT_PHRASE.search(fold(text)) or re.search(r"(?:ubnd|uy ban nhan dan) cac huyen", folded):
            pos = min(p for p in (folded.find("ubnd cac huyen"), folded.find("uy ban nhan dan cac huyen")) if p >= 0) \
                if re.search(r"(?:ubnd|uy ban nhan dan) cac huyen", folded) else 10**6
            found.extend((pos, c) for c in self.districts())
        out: list[str] = []
        for _, code in sorted(found):
            if code not in out:
                out.append(code)
        return out

    # -------------------------------------------------------------- role slots
    def resolve(self, phrase: str, where: str, line: int | None, *, exclude: tuple[str, ...] = (),
                own_duties: tuple[str, ...] = (), leads: tuple[str, ...] = ()) -> Resolution:
        """The agencies a role slot names ('Cơ quan phối hợp: A, B và UBND các huyện'); unknown names are proposed.
        leads: the activities' lead agencies, for 'các cơ quan được giao chủ trì (nhiệm vụ)'."""
        refs: list[str] = []
        members: list[str] = []
        notes: list[Note] = []
        is_group = False
        for name in split_names(phrase):
            f = fold(name)
            if not f:
                continue
            if leads and re.match(r"^cac (?:co quan|don vi|so nganh)(?: don vi)? (?:duoc giao|chu tri)", f):
                codes = [c for c in leads if c not in exclude]
                is_group = True
                refs += codes
                members += codes
                notes.append(Note(Severity.INFERRED, NoteKind.AGENCY_GROUP, where, line,
                                  f"'{name}' là các cơ quan chủ trì hoạt động của kế hoạch: {', '.join(codes)}",
                                  f"'{name}' are the agencies leading the plan's activities: {', '.join(codes)}"))
                continue
            if _DISTRICT_PHRASE.match(f):
                codes = self.districts()
                is_group = True
                if f.endswith("dia phuong"):
                    notes.append(Note(Severity.INFERRED, NoteKind.AGENCY_GROUP, where, line,
                                      f"'{name}' được hiểu là UBND cấp huyện", f"'{name}' read as the district People's Committees"))
                if not codes:
                    notes.append(Note(Severity.REVIEW, NoteKind.AGENCY_GROUP, where, line,
                                      f"'{name}': danh bạ chưa có đơn vị cấp huyện (kind: district); thêm vào rồi nhập lại",
                                      f"'{name}': the directory has no district units (kind: district); add them and import again"))
                    continue
                refs += self.group_ref(codes)
                members += codes
                continue
            if _COMMUNE_PHRASE.match(f):
                notes.append(Note(Severity.INFERRED, NoteKind.AGENCY_GENERIC, where, line,
                                  f"'{name}' (cấp xã) không có trong danh bạ, bỏ qua", f"'{name}' (communes) is not in the directory; left out"))
                continue
            if _CLASS_PHRASE.match(f) and not self.match(name)[0]:
                classes = {c for w, c in _CLASS_WORDS if re.search(rf"\b{w}\b", f)}
                if classes:
                    codes = [c for c in self.of_class(*classes) if c not in exclude and c not in own_duties]
                    is_group = True
                    label = ", ".join(sorted(str(c) for c in classes))
                    notes.append(Note(Severity.REVIEW, NoteKind.AGENCY_GROUP, where, line,
                                      f"'{name}' được mở rộng thành {len(codes)} cơ quan ({label}) trong danh bạ: {', '.join(codes) or 'không có'}",
                                      f"'{name}' expanded to {len(codes)} directory agencies ({label}): {', '.join(codes) or 'none'}"))
                    refs += codes
                    members += codes
                    continue
            if _GENERIC_PHRASE.match(f):
                if re.search(r"\bdia phuong$", f) and self.districts():
                    codes = self.districts()
                    is_group = True
                    refs += self.group_ref(codes)
                    members += codes
                    notes.append(Note(Severity.INFERRED, NoteKind.AGENCY_GROUP, where, line,
                                      f"'{name}': chỉ 'địa phương' được hiểu là UBND cấp huyện; phần còn lại không chỉ rõ cơ quan",
                                      f"'{name}': only 'địa phương' is read as the district People's Committees; the rest names no agency"))
                    continue
                notes.append(Note(Severity.INFERRED, NoteKind.AGENCY_GENERIC, where, line,
                                  f"'{name}' không chỉ rõ cơ quan nào, không ghi thành cơ quan cụ thể",
                                  f"'{name}' names no specific agency; not recorded"))
                continue
            code, score, how = self.match(name)
            if code is None:
                code = self._propose(name, line)
                notes.append(Note(Severity.REVIEW, NoteKind.AGENCY_UNKNOWN, where, line,
                                  f"'{name}' không có trong danh bạ: đề xuất thêm mã {code}",
                                  f"'{name}' is not in the directory: proposed as new entry {code}"))
            elif how == "fuzzy" and score < 95:
                notes.append(Note(Severity.REVIEW, NoteKind.AGENCY_FUZZY, where, line,
                                  f"'{name}' gần giống '{self.short(code)}' ({code}, {score}%): kiểm tra",
                                  f"'{name}' is close to '{self.short(code)}' ({code}, {score}%): check it"))
            refs.append(code)
            members.append(code)
        out_refs, seen = [], set()
        for r in refs:
            if r not in seen:
                out_refs.append(r)
                seen.add(r)
        out_members = list(dict.fromkeys(m for m in members if m not in exclude))
        if exclude:
            out_refs = [r for r in out_refs if r not in exclude]
        return Resolution(tuple(out_refs), tuple(out_members), tuple(notes), is_group)

    def _propose(self, name: str, line: int | None) -> str:
        f = key(name)
        if f in self.proposed:
            p = self.proposed[f]
            self.proposed[f] = ProposedAgency(p.code, p.name, p.kind, p.parent, p.seen + ((line,) if line else ()))
            return p.code
        kind = guess_kind(name)
        folded = fold(name)
        place = re.sub(r"^(?:ubnd|uy ban nhan dan) (?:huyen|thi xa|thanh pho|quan|tp|xa|phuong|thi tran) ", "", folded)
        if kind == "province":
            base = "UBND-TINH"
        elif kind in ("district", "commune") and place != folded:
            base = "UBND-" + place.replace(" ", "").upper()[:14]
        else:
            base = re.sub(r"[^A-Z0-9]", "", acronym(name))[:16]
            if len(base) < 3:  # 'Tỉnh đoàn' -> TINHDOAN rather than TD
                base = folded.replace(" ", "").upper()[:14]
        base = base or "NEW"
        used = set(self.codes) | {p.code for p in self.proposed.values()}
        code, n = base, 2
        while code in used:
            code, n = f"{base}-{n}", n + 1
        parent = next((e.code for e in self.entries if e.kind == "province"), None)
        self.proposed[f] = ProposedAgency(code, name.strip().rstrip(".;,"), kind, parent,
                                          (line,) if line else ())
        return code


def guess_kind(name: str) -> str:
    """The directory kind a new name most likely has (the newer kinds only where the schema has them)."""
    from plantrack.models.plan.importer.caps import caps

    kinds = caps().agency_kinds
    f = fold(name)
    if _CTXH_RE.match(f) and "political_social" in kinds:
        return "political_social"
    if _NGANH_RE.match(f) and not f.startswith(("van phong", "ban ")) and "sector" in kinds:
        return "sector"
    if re.match(r"(?:ubnd|uy ban nhan dan) (?:huyen|thi xa|thanh pho|quan|tp)\b", f):
        return "district"
    if re.match(r"(?:ubnd|uy ban nhan dan) (?:xa|phuong|thi tran)\b", f):
        return "commune"
    if re.match(r"(?:ubnd|uy ban nhan dan) tinh\b", f):
        return "province"
    if f.startswith(("so ", "ban ", "cong an", "thanh tra", "van phong", "bo chi huy", "kho bac", "chi cuc", "cuc ")):
        return "department"
    return "organisation"


def split_names(phrase: str) -> list[str]:
    """'Tỉnh đoàn và Sở Giáo dục và Đào tạo' -> two names; separators count only before an agency head word."""
    text = re.sub(r"\s*\([^)]*\)", "", phrase).strip().rstrip(".;:")
    text = re.sub(r"^(?:với|cùng|và)\s+", "", text)
    parts: list[str] = []
    buf = ""
    tokens = re.split(r"(,\s*|;\s*|\s+và\s+|\s+cùng\s+|\s+với\s+)", text)
    for i, tok in enumerate(tokens):
        if i % 2 == 1:  # a separator: keep it unless an agency name starts after it
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if _HEAD_RE.match(nxt) and buf.strip():
                parts.append(buf.strip())
                buf = ""
            else:
                buf += tok
        else:
            buf += tok
    if buf.strip():
        parts.append(buf.strip())
    return [p.strip(" ,;.") for p in parts if p.strip(" ,;.")]
