"""The working state of one import: the directory, the header and the notes collected on the way."""
from __future__ import annotations

from dataclasses import dataclass, field

from plantrack.models.plan.importer.agencies import Directory, Resolution
from plantrack.models.plan.importer.model import Header, Note, NoteKind, Severity


@dataclass
class ImportRun:
    """The working state of one import: directory, header, notes collected on the way."""

    directory: Directory
    header: Header
    notes: list[Note] = field(default_factory=list)
    body_text: str = ""

    def note(self, severity: Severity, kind: NoteKind, where: str, line: int | None, vi: str, en: str) -> Note:
        n = Note(severity, kind, where, line, vi, en)
        self.notes.append(n)
        return n

    def resolve(self, phrase: str, where: str, line: int | None, **kw) -> Resolution:
        r = self.directory.resolve(phrase, where, line, **kw)
        self.notes.extend(r.notes)
        return r
