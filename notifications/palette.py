"""The colours of each status, shared by everything that shows the board (digest bars, workbook cells).

strong: a bar segment or a swatch beside the status word (decorative: the word or the count carries the
meaning); tint: a cell's background under #1a1a1a text (contrast >= 4.5:1); text: a status word written in
colour on white (>= 4.5:1).
"""
from __future__ import annotations

from dataclasses import dataclass

from plantrack.models.status import StatusKey


@dataclass(frozen=True)
class Colours:
    strong: str
    tint: str
    text: str


PALETTE = {
    StatusKey.OVERDUE: Colours("#b3001b", "#f8d7da", "#a4001d"),
    StatusKey.DUE_SOON: Colours("#d08000", "#ffefc2", "#7a4d00"),
    StatusKey.ON_TRACK: Colours("#1f5fa8", "#dbe8f7", "#1f5fa8"),
    StatusKey.NOT_STARTED: Colours("#8c939c", "#eceff1", "#4a5058"),
    StatusKey.DONE_ON_TIME: Colours("#1e7b34", "#d4edda", "#1e7b34"),
    StatusKey.DONE_LATE: Colours("#6b8e23", "#e6efd3", "#4b6618"),
    StatusKey.PAUSED: Colours("#7b4fa0", "#ebe0f5", "#6a3f8f"),
    StatusKey.CANCELLED: Colours("#c4c8cd", "#f1f2f4", "#5f656c"),
}
