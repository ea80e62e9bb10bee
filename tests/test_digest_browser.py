"""The digest in a real browser (Debian's chromium, headless, driven by Selenium; no browser download).

At 390 px (a phone, mobile emulation) and at 1280 px: nothing wider than the viewport, no element sticking
out on the right, every text at least 4.5:1 against its rendered background, the headline on the first screen.
"""
from __future__ import annotations

import email
from email.policy import default

import pytest

from tests.browser_helpers import FIRST_SCREEN, FIT_JS, browser, fit_and_contrast_problems, \
    measure  # noqa: F401  (browser: a fixture)
from tests.digest_helpers import FRI_W24, FRI_W25, digest_options, first_week, second_week

MEASURE = FIT_JS + r"""
const h2 = document.querySelector('h2');
return Object.assign(fit(), {headline: h2 ? h2.getBoundingClientRect().top + scrollY : null,
                             height: document.documentElement.scrollHeight});
"""


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_digest_reads_on_a_phone_and_a_desktop(loaded_sqlite, tmp_path, browser, lang):
    from plantrack.notifications.mail.digest import run_digest
    from plantrack.notifications.mail.transports import MemoryTransport

    first_week(loaded_sqlite)
    run_digest(digest_options(loaded_sqlite, MemoryTransport(), lang=lang), FRI_W24)
    second_week(loaded_sqlite)
    mail = MemoryTransport()
    run_digest(digest_options(loaded_sqlite, mail, lang=lang), FRI_W25)
    (sent,) = mail.sent
    html = email.message_from_bytes(sent.data, policy=default).get_body(("html",)).get_content()
    path = tmp_path / f"digest.{lang}.html"
    path.write_text(html, encoding="utf-8")
    problems = []
    for width in (390, 1280):
        m = measure(browser, path, width, MEASURE)
        where = f"{lang} at {width} px"
        problems += fit_and_contrast_problems(m, width, where)
        if m["headline"] is None or m["headline"] > FIRST_SCREEN / 2:
            problems.append(f"{where}: the headline starts at {m['headline']} px")
    assert not problems, "\n".join(problems)
