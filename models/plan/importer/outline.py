"""The document's own numbering as a tree: Phần/I./1./1.1./a)/-/+ nodes with their paragraphs."""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from plantrack.models.plan.importer.model import Line
from plantrack.models.plan.importer.text import is_upper_heading

_ORDINALS = {"nhất": 1, "một": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7,
             "tám": 8, "chín": 9, "mười": 10}
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI", 7: "VII", 8: "VIII", 9: "IX", 10: "X",
          11: "XI", 12: "XII"}
_PART_RE = re.compile(r"^(?:PHẦN|Phần)\s+(?:(?:THỨ|thứ)\s+)?(\w+)\s*[.:\-–]?\s*(.*)$")
_ROMAN_RE = re.compile(r"^([IVX]{1,5})\s*(?:[.)]|\s[-–])\s*(.*)$")
_NUMBER_RE = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)(?:[.)]\s*|\s+)(.*)$")
_NUMBER_STRICT = re.compile(r"^(?:\d{1,2}[.)]\s|\d{1,2}(?:\.\d{1,2})+\.?\s)")
_LETTER_RE = re.compile(r"^([a-zđ])[.)]\s+(.*)$")
_BULLET_RE = re.compile(r"^([-+*])\s+(.*)$")


class Kind(enum.StrEnum):
    ROOT = "root"
    PART = "part"
    ROMAN = "roman"
    NUMBER = "number"
    LETTER = "letter"
    DASH = "dash"
    PLUS = "plus"
    PARA = "para"


@dataclass
class Node:
    """A numbered unit (or a paragraph) of the document; built once by parse(), then only read."""

    kind: Kind
    label: str
    text: str
    line: int
    children: list["Node"] = field(default_factory=list)
    last_line: int = 0

    @property
    def rank(self) -> int:
        if self.kind == Kind.NUMBER:
            return 10 + self.label.count(".")
        return {Kind.ROOT: -1, Kind.PART: 0, Kind.ROMAN: 1, Kind.LETTER: 20, Kind.DASH: 30, Kind.PLUS: 31,
                Kind.PARA: 40}[self.kind]

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def full_text(self) -> str:
        """This node's text and all its descendants', one unit a line."""
        return "\n".join(n.text for n in self.walk() if n.text)

    @property
    def span(self) -> tuple[int, int]:
        return self.line, max([self.line, self.last_line] + [c.span[1] for c in self.children])


def roman(n: int) -> str:
    return _ROMAN.get(n, str(n))


def roman_value(label: str) -> int | None:
    inverse = {v: k for k, v in _ROMAN.items()}
    return inverse.get(label.upper())


def _part_label(word: str) -> str | None:
    w = word.lower()
    if w in _ORDINALS:
        return roman(_ORDINALS[w])
    if w.isdigit():
        return roman(int(w))
    if re.fullmatch(r"[ivx]+", w):
        return w.upper()
    return None


def classify_line(text: str) -> tuple[Kind, str, str]:
    """The marker kind, label and remaining text of one logical line."""
    m = _PART_RE.match(text)
    if m and _part_label(m.group(1)):
        return Kind.PART, _part_label(m.group(1)), m.group(2).strip()
    m = _ROMAN_RE.match(text)
    if m and (is_upper_heading(m.group(2)) or len(m.group(2)) < 80):
        return Kind.ROMAN, m.group(1), m.group(2).strip()
    if _NUMBER_STRICT.match(text):
        m = _NUMBER_RE.match(text)
        return Kind.NUMBER, m.group(1), m.group(2).strip()
    m = _LETTER_RE.match(text)
    if m:
        return Kind.LETTER, m.group(1), m.group(2).strip()
    m = _BULLET_RE.match(text)
    if m:
        return (Kind.PLUS if m.group(1) == "+" else Kind.DASH), m.group(1), m.group(2).strip()
    return Kind.PARA, "", text


def parse(lines: tuple[Line, ...] | list[Line]) -> Node:
    """The tree of the body's lines; paragraphs hang under the unit they follow."""
    root = Node(Kind.ROOT, "", "", 0)
    stack = [root]
    has_parts = any(classify_line(ln.text)[0] == Kind.PART for ln in lines)
    pending_title: Node | None = None
    for ln in lines:
        kind, label, text = classify_line(ln.text)
        if kind == Kind.ROMAN and not has_parts and not is_upper_heading(text) and stack[-1].kind != Kind.ROOT:
            kind, label, text = Kind.PARA, "", ln.text  # "I. ..." in running text, not a section
        if pending_title is not None and kind == Kind.PARA and is_upper_heading(text):
            pending_title.text = text  # "Phần thứ hai" on one line, its title on the next
            pending_title = None
            continue
        pending_title = None
        node = Node(kind, label, text, ln.no, last_line=ln.no)
        if kind == Kind.PARA:
            stack[-1].children.append(node)
            continue
        while stack[-1].rank >= node.rank:
            stack.pop()
        stack[-1].children.append(node)
        stack.append(node)
        if kind == Kind.PART and not text:
            pending_title = node
    return root


def sections(root: Node) -> list[Node]:
    """The top-level sections (Phần or I., II., ...)."""
    return [c for c in root.children if c.kind in (Kind.PART, Kind.ROMAN)]
