"""The plan file's notes on what it chose itself (`assumption` fields), read by their convention (pure).

A note is written 'Vietnamese text (English text)'; a note that says the plan gives no date or time
('Kế hoạch không nêu ... thời gian', 'The plan gives no dates') marks the dates of its item as chosen
by the plan file, not by the plan ("ngày dự kiến").
"""
from __future__ import annotations

import re
from functools import lru_cache

_NO_DATE = re.compile(r"không nêu[^.;]*?(thời gian|ngày|thời hạn)|gives? no[^.;]*?(dates?|deadline|time)\b|no date",
                      re.IGNORECASE)


@lru_cache(maxsize=4096)  # a plan's notes are a few hundred strings; every calendar event reads its item's
def dates_assumed(note: str | None) -> bool:
    """Whether a note says the plan gives no date for its item (so the file chose the dates)."""
    return bool(note) and _NO_DATE.search(note) is not None


@lru_cache(maxsize=4096)
def note_in(note: str, lang: str) -> str:
    """The part of a bilingual note 'Vietnamese text (English text)' in lang: English for 'en', else Vietnamese.

    A note not in that form is returned whole (whitespace collapsed).
    """
    text = " ".join(note.split())
    if not text.endswith(")"):
        return text
    depth, i = 0, len(text) - 1
    for i in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            break
    if i == 0 or text[i - 1] != " ":
        return text
    return text[i + 1:-1].strip() if lang == "en" else text[:i].strip()
