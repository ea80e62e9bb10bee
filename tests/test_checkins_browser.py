"""Every check-in of the seed round in a real browser (Debian's chromium, headless, driven by Selenium).

At 390 px (a phone, mobile emulation: the viewport meta must hold the layout to the screen) and at
1200 px: nothing wider than the viewport; at 390 px the reply deadline and the how-to-reply box start
within the first 800 px; every piece of text has a contrast of at least 4.5:1 against its rendered
background (WCAG 2 relative luminance, computed from the styles the browser applied).
"""
from __future__ import annotations

import email
import os
import shutil
from datetime import date
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import select

CHROMIUM = os.environ.get("PLANTRACK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PLANTRACK_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
FIRST_SCREEN = 800  # px at 390 px wide
GMAIL_CLIP = 102 * 1024  # Gmail shows "[Message clipped]" above this many bytes of HTML

# Measures the page: overflow, where the deadline and the box are, the lowest text contrast.
MEASURE = r"""
function rgba(s) {
  const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return [0, 0, 0, 0];
  const p = m[1].split(',').map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}
function over(top, under) {  // top colour composited over an opaque one
  const a = top[3]; return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]);
}
function background(el) {  // the opaque colour behind el: its own and its ancestors' backgrounds, white last
  const layers = [];
  for (let e = el; e; e = e.parentElement) layers.push(rgba(getComputedStyle(e).backgroundColor));
  let c = [255, 255, 255, 1];
  for (let i = layers.length - 1; i >= 0; i--) c = over(layers[i], c);
  return c;
}
function lum(c) {
  const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
}
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


@pytest.fixture(scope="module")
def browser():
    """Headless chromium under chromedriver (Debian packages; never downloads a browser)."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed (apt install chromium chromium-driver)")
        pytest.skip("no chromium/chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def _measure(driver, path: Path, width: int) -> dict:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": FIRST_SCREEN, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.get(path.as_uri())
    return driver.execute_script(MEASURE)


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
            m = _measure(browser, path, width)
            where = f"{code} {lang} at {width} px"
            if m["innerWidth"] != width:
                problems.append(f"{where}: layout viewport is {m['innerWidth']} px (viewport meta missing?)")
            if m["scrollWidth"] > m["innerWidth"]:
                problems.append(f"{where}: document is {m['scrollWidth']} px wide")
            if m["worst"]["ratio"] < 4.5:
                w = m["worst"]
                problems.append(f"{where}: contrast {w['ratio']:.2f}:1 for {w['text']!r} ({w['color']} on {w['background']})")
            if width == 390:
                if m["replyBy"] is None or m["replyBy"]["bottom"] > FIRST_SCREEN:
                    problems.append(f"{where}: reply deadline not within the first {FIRST_SCREEN} px: {m['replyBy']}")
                if m["howTo"] is None or m["howTo"]["top"] > FIRST_SCREEN:
                    problems.append(f"{where}: how-to-reply box not within the first {FIRST_SCREEN} px: {m['howTo']}")
    assert not problems, "\n".join(problems)
