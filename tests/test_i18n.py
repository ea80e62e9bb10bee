"""The catalogs of words: compiled catalogs are current, every word shown has a translation, Babel formats."""
from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from plantrack.config import i18n

ROOT = Path(i18n.__file__).resolve().parent.parent  # the project folder (config/ is one of its folders)
TEMPLATES = ROOT / "notifications" / "mail" / "templates"
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true", "trim_blocks": "true",
                 "lstrip_blocks": "true", "newstyle_gettext": "false"}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def _used_messages() -> set[tuple[str | None, str]]:
    """(context, message id) of every word the code and the templates show."""
    from plantrack.models.reply_words import ReplyWord
    from plantrack.models.status import LABELS
    from plantrack.notifications.calendar.events import CATEGORY_LABELS, HOW_TO_REPORT
    from plantrack.notifications.calendar.ical import ROLE_LABELS

    used: set[tuple[str | None, str]] = set()
    for path in sorted(TEMPLATES.glob("*.j2")):
        with path.open("rb") as fh:
            for _line, msg, _comments, ctx in extract("jinja2.ext:babel_extract", fh, keywords=KEYWORDS,
                                                      options=JINJA_OPTIONS):
                used.add((ctx, msg[0] if isinstance(msg, tuple) else msg))
    for folder in ("notifications", "models", "config", "cli", "flows", "tasks"):
        for _file, _line, msg, _comments, ctx in extract_from_dir(ROOT / folder, keywords=KEYWORDS):
            if isinstance(msg, tuple):
                msg = msg[0] if len(msg) == 2 and isinstance(msg[0], str) else msg[-1]
            if msg:
                used.add((ctx, msg))
    used |= {(None, m) for m in (*LABELS.values(), *CATEGORY_LABELS.values(), *ROLE_LABELS.values(), HOW_TO_REPORT)}
    used |= {("reply word", w.value) for w in ReplyWord}
    return used


def test_compiled_catalogs_are_current():
    """The committed .mo of each .po is what `python -m plantrack.config.i18n` writes."""
    for po in i18n.catalog_files():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        fresh = io.BytesIO()
        write_mo(fresh, catalog)
        assert po.with_suffix(".mo").read_bytes() == fresh.getvalue(), f"{po}: run python -m plantrack.config.i18n"


@pytest.mark.parametrize("po", i18n.catalog_files(), ids=lambda p: p.parent.parent.name)
def test_every_word_shown_has_a_translation(po):
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=po.parent.parent.name)
    translated = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                  if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    missing = sorted(_used_messages() - translated, key=str)
    assert not missing, f"{po}: no translation for {missing}"


def test_babel_formats_numbers_money_and_days():
    assert i18n.format_amount(1_000_000_000, "đồng", "vi") == "1 tỷ đồng"
    assert i18n.format_amount(1_200_000_000, "đồng", "vi") == "1,2 tỷ đồng"
    assert i18n.format_amount(1_234_567, "đồng", "vi") == "1.234.567 đồng"
    assert i18n.format_amount(1_000_000_000, "đồng", "en") == "VND 1 billion"
    assert i18n.format_amount(1.37, "%", "vi") == "1,37%" and i18n.format_amount(1.37, "%", "en") == "1.37%"
    assert i18n.format_amount(540, "người", "vi") == "540 người"
    assert i18n.format_number(1_000_000_000, "vi") == "1.000.000.000"
    assert i18n.format_dated(date(2024, 6, 15), "vi") == "15/06/2024 (thứ Bảy)"
    assert i18n.format_dated(date(2024, 6, 15), "en") == "15/06/2024 (Saturday)"
    assert i18n.format_dated(date(2024, 6, 30), "vi") == "30/06/2024 (Chủ nhật)"
    assert i18n.format_dated(date(2024, 6, 17), "vi") == "17/06/2024 (thứ Hai)"
    assert i18n.format_moment(datetime(2024, 5, 22, 16, 0), "vi") == "16:00 thứ Tư, 22/05/2024"


@pytest.mark.parametrize("lang", sorted(i18n.SMALL_INTS_PLAIN | set(i18n.WEEKDAYS)))
def test_the_shortcuts_past_babel_write_what_babel_writes(lang):
    """Small numbers and weekday names are written without loading Babel's locale data; they must be exactly
    what Babel writes (a new language without an entry goes through Babel)."""
    from datetime import timedelta

    from babel.numbers import format_decimal

    if lang in i18n.SMALL_INTS_PLAIN:
        assert all(i18n.format_number(n, lang) == format_decimal(n, format="#,##0.##", locale=lang)
                   for n in range(0, 1000))
    monday = date(2024, 6, 10)
    days = [monday + timedelta(days=k) for k in range(7)]
    assert [i18n.weekday(d, lang) for d in days] == [i18n.babel_weekday(d, lang) for d in days]
