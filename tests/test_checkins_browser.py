"""Every check-in of the seed round in a real browser (Debian's chromium, headless, driven by Selenium).

At 390 px (a phone, mobile emulation: the viewport meta must hold the layout to the screen) and at
1200 px: nothing wider than the viewport; at 390 px the reply deadline and the how-to-reply box start
within the first 800 px; every piece of text has a contrast of at least 4.5:1 against its rendered
background (WCAG 2 relative luminance, computed from the styles the browser applied).
"""
from __future__ import annotations

import email
from datetime import date
from email.policy import default

import pytest
from sqlalchemy import select

from tests.browser_helpers import CONTRAST_JS, FIRST_SCREEN, browser, fit_and_contrast_problems, \
    measure  # noqa: F401  (browser: a fixture)

GMAIL_CLIP = 102 * 1024  # Gmail shows "[Message clipped]" above this many bytes of HTML

# Measures the page: overflow, where the deadline and the box are, the lowest text contrast.
MEASURE = CONTRAST_JS + r"""
let worst = {ratio: 99, text: '', color: '', background: ''};
for (const el of document.body.querySelectorAll('*')) {
  const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim()).map(n => n.textContent.trim());
  if (!own.length) continue;
  const st = getComputedStyle(el);
  if (st.visibility === 'hidden' || st.display === 'none') continue;
  const bg = background(el), fg = over(rgba(st.color), bg);
  const l1 = lum(fg), l2 = lum(bg), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  if (ratio < worst.ratio) worst = {ratio: ratio, text: own.join(' ').slice(0, 60), color: st.color,
                                    background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(',') + ')'};
}
const box = id => { const e = document.getElementById(id); if (!e) return null;
                    const r = e.getBoundingClientRect(); return {top: r.top + scrollY, bottom: r.bottom + scrollY}; };
return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
        height: document.documentElement.scrollHeight,
        replyBy: box('reply-by'), howTo: box('how-to-reply'), worst: worst};
"""


def _seed_round(url: str, lang: str) -> dict[str, str]:
    """The HTML part of every message of the 20/05/2024 round, by agency code."""
    from plantrack.models.db import session_factory
    from plantrack.models.entities import Agency
    from plantrack.models.mail.outbox import Outbox
    from plantrack.notifications.mail.checkin_round import MailIdentity, enqueue_round

    ident = MailIdentity(mail_from="theodoi@laocai.example.org", secret="browser-test", lang=lang)
    Session = session_factory(url)
    with Session() as s, s.begin():
        enqueue_round(s, date(2024, 5, 20), ident)
    with Session() as s:
        rows = s.execute(select(Agency.code, Outbox.message).join(Agency, Agency.id == Outbox.agency_id)).all()
    return {code: email.message_from_bytes(bytes(raw), policy=default).get_body(("html",)).get_content()
            for code, raw in rows}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_message_of_the_seed_round_reads_on_a_phone_and_a_desktop(loaded_sqlite, tmp_path, browser, lang):
    pages = _seed_round(loaded_sqlite, lang)
    assert len(pages) == 23
    problems = []
    for code, html in sorted(pages.items()):
        assert len(html.encode()) < GMAIL_CLIP, code
        path = tmp_path / f"{code}.{lang}.html"
        path.write_text(html, encoding="utf-8")
        for width in (390, 1200):
            m = measure(browser, path, width, MEASURE)
            where = f"{code} {lang} at {width} px"
            problems += fit_and_contrast_problems(m, width, where)
            if width == 390:
                if m["replyBy"] is None or m["replyBy"]["bottom"] > FIRST_SCREEN:
                    problems.append(f"{where}: reply deadline not within the first {FIRST_SCREEN} px: {m['replyBy']}")
                if m["howTo"] is None or m["howTo"]["top"] > FIRST_SCREEN:
                    problems.append(f"{where}: how-to-reply box not within the first {FIRST_SCREEN} px: {m['howTo']}")
    assert not problems, "\n".join(problems)
