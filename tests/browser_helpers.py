"""A real browser for rendering tests: Debian's chromium, headless under chromedriver (never downloaded), a page
measured at a given width, and the colour functions of a contrast measure (WCAG 2 relative luminance)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("PLANTRACK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PLANTRACK_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
FIRST_SCREEN = 800  # px: the height of the emulated screen

# rgba(css colour), over(top, opaque), background(el): the opaque colour behind el, lum(colour): relative luminance.
CONTRAST_JS = r"""
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
"""

# fit(): the page's width against the screen, the element reaching furthest right, the lowest text contrast
# (decorative swatches, aria-hidden beside their word, left out).
FIT_JS = CONTRAST_JS + r"""
function fit() {
  let worst = {ratio: 99, text: ''}, widest = {right: 0, tag: ''};
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > widest.right) widest = {right: r.right, tag: el.tagName + ' ' + (el.textContent || '').trim().slice(0, 40)};
    const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim()).map(n => n.textContent.trim());
    if (!own.length || el.closest('[aria-hidden="true"]')) continue;
    const st = getComputedStyle(el), bg = background(el), fg = over(rgba(st.color), bg);
    const l1 = lum(fg), l2 = lum(bg), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < worst.ratio) worst = {ratio: ratio, text: own.join(' ').slice(0, 60), color: st.color,
                                      background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(',') + ')'};
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, widest: widest,
          worst: worst};
}
"""


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


def measure(driver, path: Path, width: int, script: str) -> dict:
    """What script returns on the page at path, shown width px wide (a phone's mobile emulation below 600 px)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": FIRST_SCREEN, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.get(path.as_uri())
    return driver.execute_script(script)


def fit_and_contrast_problems(m: dict, width: int, where: str) -> list[str]:
    """What is wrong with a measured page (m: innerWidth, scrollWidth, worst contrast, and the widest element
    when measured) shown width px wide."""
    problems = []
    if m["innerWidth"] != width:
        problems.append(f"{where}: layout viewport is {m['innerWidth']} px (viewport meta missing?)")
    if m["scrollWidth"] > m["innerWidth"]:
        problems.append(f"{where}: the page is {m['scrollWidth']} px wide: it scrolls sideways")
    if "widest" in m and m["widest"]["right"] > m["innerWidth"] + 0.5:
        problems.append(f"{where}: {m['widest']['tag']!r} reaches {m['widest']['right']} px")
    w = m["worst"]
    if w["ratio"] < 4.5:
        colours = f" ({w['color']} on {w['background']})" if "color" in w else ""
        problems.append(f"{where}: contrast {w['ratio']:.2f}:1 for {w['text']!r}{colours}")
    return problems
