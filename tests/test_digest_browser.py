"""The digest in a real browser (Debian's chromium, headless, driven by Selenium; no browser download).

At 390 px (a phone, mobile emulation) and at 1280 px: nothing wider than the viewport, no element sticking
out on the right, every text at least 4.5:1 against its rendered background, the headline on the first screen.
"""
from __future__ import annotations

import email
import os
import shutil
from email.policy import default

import pytest

from tests.digest_helpers import FRI_W24, FRI_W25, digest_options, first_week, second_week

CHROMIUM = os.environ.get("PLANTRACK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PLANTRACK_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
FIRST_SCREEN = 800

MEASURE = r"""
function rgba(s) {
  const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return [0, 0, 0, 0];
  const p = m[1].split(',').map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}
function over(top, under) { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]); }
function background(el) {
  const layers = []; for (let e = el; e; e = e.parentElement) layers.push(rgba(getComputedStyle(e).backgroundColor));
  let c = [255, 255, 255, 1]; for (let i = layers.length - 1; i >= 0; i--) c = over(layers[i], c); return c;
}
function lum(c) { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); }
let worst = {ratio: 99, text: ''}, widest = {right: 0, tag: ''};
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.right > widest.right) widest = {right: r.right, tag: el.tagName + ' ' + (el.textContent || '').trim().slice(0, 40)};
  const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim()).map(n => n.textContent.trim());
  if (!own.length || el.closest('[aria-hidden="true"]')) continue;  // decorative swatches beside their word
  const st = getComputedStyle(el), bg = background(el), fg = over(rgba(st.color), bg);
  const l1 = lum(fg), l2 = lum(bg), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  if (ratio < worst.ratio) worst = {ratio: ratio, text: own.join(' ').slice(0, 60)};
}
const h2 = document.querySelector('h2');
return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, widest: widest,
        worst: worst, headline: h2 ? h2.getBoundingClientRect().top + scrollY : null,
        height: document.documentElement.scrollHeight};
"""


@pytest.fixture(scope="module")
def browser():
    """Headless chromium under chromedriver (Debian packages)."""
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
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": FIRST_SCREEN, "deviceScaleFactor": 1, "mobile": width < 600})
        browser.get(path.as_uri())
        m = browser.execute_script(MEASURE)
        where = f"{lang} at {width} px"
        if m["innerWidth"] != width:
            problems.append(f"{where}: layout viewport is {m['innerWidth']} px (viewport meta missing?)")
        if m["scrollWidth"] > m["innerWidth"]:
            problems.append(f"{where}: the page is {m['scrollWidth']} px wide: it scrolls sideways")
        if m["widest"]["right"] > m["innerWidth"] + 0.5:
            problems.append(f"{where}: {m['widest']['tag']!r} reaches {m['widest']['right']} px")
        if m["worst"]["ratio"] < 4.5:
            problems.append(f"{where}: contrast {m['worst']['ratio']:.2f}:1 for {m['worst']['text']!r}")
        if m["headline"] is None or m["headline"] > FIRST_SCREEN / 2:
            problems.append(f"{where}: the headline starts at {m['headline']} px")
    assert not problems, "\n".join(problems)
