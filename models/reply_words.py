"""The words a reply line may use for a deliverable's state, one spelling per language from the catalogs.

Check-ins list them (in the recipient's language) and the reply reader accepts each of them in every
language, so the instructions and the reader cannot drift apart; adding a language adds its words.
"""
from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from plantrack.models.enums import ReportedState


class ReplyWord(StrEnum):
    """What a reply line can say besides a percentage or a value (values are the English message ids)."""

    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    DONE = "done"
    BLOCKED = "blocked"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    NO_CHANGE = "no change"  # alone on a line: everything else stays as it was


# The words listed in check-ins, in this order (NO_CHANGE is explained apart).
STATE_WORDS = (ReplyWord.NOT_STARTED, ReplyWord.IN_PROGRESS, ReplyWord.DONE, ReplyWord.BLOCKED,
               ReplyWord.PAUSED, ReplyWord.CANCELLED)

# The reported state each word records; 'blocked' (vướng mắc) is open work that needs help: its own state,
# which sends it up the escalation ladder at once (issue 10).
STATE_OF = {
    ReplyWord.NOT_STARTED: ReportedState.NOT_STARTED,
    ReplyWord.IN_PROGRESS: ReportedState.IN_PROGRESS,
    ReplyWord.DONE: ReportedState.DONE,
    ReplyWord.BLOCKED: ReportedState.BLOCKED,
    ReplyWord.PAUSED: ReportedState.PAUSED,
    ReplyWord.CANCELLED: ReportedState.CANCELLED,
}


@lru_cache(maxsize=64)
def word(w: ReplyWord, lang: str) -> str:
    """The spelling of w that check-ins in lang show: 'hoàn thành', 'done'."""
    from plantrack.config.i18n import translations

    return translations(lang).pgettext("reply word", w.value)


@lru_cache(maxsize=16)
def spellings(w: ReplyWord) -> tuple[str, ...]:
    """Every language's spelling of w (what a reader must accept whatever the message's language)."""
    from plantrack.config.i18n import languages

    return tuple(dict.fromkeys(word(w, lang) for lang in languages()))
