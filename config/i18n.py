"""Words in one catalog per language (gettext, config/locale/<lang>/LC_MESSAGES/plantrack.po), numbers
and dates formatted by Babel. Message ids are English; a language is available when its catalog is.

Compiled catalogs (.mo) are committed beside their .po; `python -m plantrack.config.i18n` recompiles
them (a test fails when one is stale).
"""
from __future__ import annotations

import gettext
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "plantrack"
SOURCE_LANG = "en"  # the language of the message ids


@lru_cache(maxsize=1)
def languages() -> tuple[str, ...]:
    """The languages plantrack speaks: the source language and every language with a catalog."""
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return tuple(sorted(found | {SOURCE_LANG}, key=lambda x: (x != "vi", x)))


def catalog_files() -> list[Path]:
    return sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


@lru_cache(maxsize=16)
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of lang (ids pass through unchanged where it has no entry)."""
    if lang not in languages():
        raise ValueError(f"unknown language {lang!r} (one of: {', '.join(languages())})")
    return gettext.translation(DOMAIN, LOCALE_DIR, [lang], fallback=True)


def gettext_for(lang: str):
    """The _() of lang."""
    return translations(lang).gettext


def ngettext_for(lang: str):
    return translations(lang).ngettext


def plural(lang: str, singular: str, plural_: str, n: int, **values) -> str:
    """The form of a counted phrase for n in lang, formatted with n (and values): '1 day late', 'quá 3 ngày'."""
    return ngettext_for(lang)(singular, plural_, n).format(n=n, **values)


def format_number(value: int | float | Decimal | None, lang: str, digits: int = 2) -> str:
    """1.000.000 / 1,37 in Vietnamese, 1,000,000 / 1.37 in English; '-' for None."""
    if value is None:
        return "-"
    if value.__class__ is int and 0 <= value < 1000 and lang in SMALL_INTS_PLAIN:
        return str(value)  # no grouping, no fraction: what Babel writes, without loading its locale data (~0.1 s)
    from babel.numbers import format_decimal

    return format_decimal(value, format=f"#,##0.{'#' * digits}" if digits else "#,##0", locale=lang)


def format_count(n: int, lang: str) -> str:
    """A count as lang writes it: '1.049' (vi), '1,049' (en)."""
    return format_number(n, lang, 0)


MONEY_UNITS = frozenset({"đồng", "vnd", "vnđ"})  # units written in plans for Vietnamese đồng


def _compact(value, lang: str) -> str | None:
    """'1 tỷ', '1,2 tỷ', '850 triệu' (vi) / '1 billion' (en) when that is exact to two decimals, else None."""
    from babel.numbers import format_compact_decimal

    v = Decimal(str(value))
    scale = next((s for s in (Decimal(10) ** 9, Decimal(10) ** 6) if abs(v) >= s), None)
    if scale is None or (v / scale).quantize(Decimal("0.01")) * scale != v:
        return None
    return format_compact_decimal(v, format_type="long", locale=lang, fraction_digits=2)


def format_amount(value: int | float | Decimal | None, unit: str, lang: str) -> str:
    """A value with its unit as people write it: '1,37%', '1 tỷ đồng' / 'VND 1 billion', '540 người'."""
    if value is None:
        return "-"
    if unit.lower() in MONEY_UNITS:
        text = _compact(value, lang) or format_number(value, lang, digits=0)
        return f"{text} đồng" if lang == "vi" else f"VND {text}"
    text = format_number(value, lang)
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


@lru_cache(maxsize=4096)
def format_day(value: date | None, lang: str) -> str:
    """dd/mm/yyyy in both languages (the form of Vietnamese official documents); '-' for None."""
    return value.strftime("%d/%m/%Y") if value else "-"


# Languages whose numbers 0-999 Babel writes as Python does, and whose weekday names (inside a sentence) are
# spelled here: a command that needs nothing else from Babel does not load its locale data (~0.1 s a start).
# tests/test_i18n.py checks both against Babel.
SMALL_INTS_PLAIN = frozenset({"vi", "en"})
WEEKDAYS = {"vi": ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"),
            "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}


@lru_cache(maxsize=512)
def weekday(value: date, lang: str) -> str:
    """The weekday's name: 'thứ Bảy', 'Saturday'."""
    if lang in WEEKDAYS:
        return WEEKDAYS[lang][value.weekday()]
    return babel_weekday(value, lang)


def babel_weekday(value: date, lang: str) -> str:
    """weekday() as Babel's locale data spells it."""
    from babel.dates import format_date

    name = format_date(value, "EEEE", locale=lang)
    if lang == "vi":  # inside a sentence: "thứ Bảy", "Chủ nhật" (CLDR writes "Thứ Bảy", "Chủ Nhật")
        return "thứ" + name[3:] if name.startswith("Thứ") else name[:1] + name[1:].lower()
    return name


@lru_cache(maxsize=4096)
def format_dated(value: date | None, lang: str) -> str:
    """A day with its weekday, as deadlines are written: '15/06/2024 (thứ Bảy)'; '-' for None."""
    return f"{format_day(value, lang)} ({weekday(value, lang)})" if value else "-"


def format_moment(value: datetime, lang: str) -> str:
    """A time on a day, as a reply deadline is written: '16:00 thứ Tư, 22/05/2024' / '16:00 Wednesday, 22/05/2024'."""
    return f"{value:%H:%M} {weekday(value.date(), lang)}, {format_day(value.date(), lang)}"


def compile_catalogs() -> list[Path]:
    """Write each .po's .mo beside it; returns the .mo paths."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    out = []
    for po in catalog_files():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as fh:
            write_mo(fh, catalog)
        out.append(mo)
    return out


if __name__ == "__main__":
    for path in compile_catalogs():
        print(path)
