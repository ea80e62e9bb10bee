"""Keep only the new text of a reply: quoted originals, quote headers and signatures removed (pure).

Client styles handled: Outlook (top-posting, "-----Original Message-----" or a "From: / Sent:"
block with no '>'), Gmail web and phone ("On ... wrote:", "Vào ... đã viết:"), Apple Mail and
iPhone ("Sent from my iPhone"), Android ("-------- Original message --------"), Thunderbird (also
bottom-posting under "> " lines), Zimbra, Yahoo, Windows Mail; in HTML: blockquote, gmail_quote,
divRplyFwdMsg, moz-cite-prefix, yahoo_quoted, Zimbra's zwchr rule.
"""
from __future__ import annotations

import re

from plantrack.notifications.mail.inbound.lines import fold

# A separator line after which everything is the original (top-posting).
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|forwarded message|thu goc|tin nhan goc|thu chuyen tiep|"
    r"mail goc|noi dung thu goc)\s*-{2,}|_{8,}|-{8,}|={8,})\s*$")
# The first line of an Outlook / Windows Mail / Zimbra header block (no '>' follows it).
_HEADER_FROM = re.compile(r"^\s*\**\s*(?:from|tu|nguoi gui)\s*:\**\s*\S")
_HEADER_NEXT = re.compile(r"^\s*\**\s*(?:sent|date|ngay|da gui|gui luc|thoi gian|to|den|gui toi|subject|chu de|"
                          r"tieu de|cc)\s*:")
# "On <date>, <someone> wrote:" in the clients' languages (may be wrapped over two lines).
_WROTE = re.compile(r"(?:\bwrote|\bda viet|\bviet|\ba ecrit|\bschrieb|\bescribio)\s*:?\s*$")
_WROTE_START = re.compile(r"^\s*(?:on|vao|le|am|el|luc|ngay|\d{1,2}[/.-]\d{1,2}|\d{4}-\d{2})\b")
_SENT_FROM = re.compile(r"^\s*(?:sent from (?:my |mail |yahoo|outlook)|gui tu (?:iphone|ipad|dien thoai|thiet bi|"
                        r"yahoo|mail|outlook)|get outlook for|tai outlook cho|duoc gui tu|sent with )")
_SIGNATURE = re.compile(r"^(?:--|-- |__)\s*$")


def strip_quotes(text: str) -> str:
    """The new text of a reply body (plain text, already decoded)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    folded = _Folded(lines)
    out: list[str] = []
    i, n = 0, len(lines)
    while i < n:
        ln = lines[i]
        stripped = ln.lstrip()
        if stripped.startswith(">") or stripped.startswith("|>"):
            i += 1
            continue
        f = folded[i]
        if _SEPARATOR.match(f):
            if _only_quotes_after(lines, i + 1):
                i += 1
                continue
            break
        if _HEADER_FROM.match(f) and any(_HEADER_NEXT.match(folded[j]) for j in range(i + 1, min(n, i + 4))):
            if _only_quotes_after(lines, i + 1, skip_headers=True):
                i = _skip_headers(folded, i)
                continue
            break
        wrote = _WROTE.search(f) and (_WROTE_START.match(f) or len(f) < 200)
        wrapped = (not wrote and i + 1 < n and _WROTE_START.match(f) and _WROTE.search(folded[i + 1])
                   and len(f) + len(folded[i + 1]) < 300)
        if wrote or wrapped:
            j = i + (2 if wrapped else 1)
            if _only_quotes_after(lines, j):  # bottom-posting: the answer follows the '>' lines
                i = j
                continue
            break
        if _SIGNATURE.match(ln.rstrip("\u00a0")) or _SENT_FROM.match(f):
            if _SIGNATURE.match(ln.rstrip("\u00a0")):
                # a signature runs to the next blank-line-separated quote or to the end
                i = _skip_signature(lines, folded, i)
                continue
            i += 1
            continue
        out.append(ln)
        i += 1
    return "\n".join(out).strip("\n")


class _Folded:
    """lines folded on demand: most quoted lines are skipped or cut before anyone looks at them."""

    def __init__(self, lines: list[str]):
        self.lines, self.cache = lines, {}

    def __getitem__(self, i: int) -> str:
        f = self.cache.get(i)
        if f is None:
            f = self.cache[i] = fold(self.lines[i])
        return f

    def __len__(self) -> int:
        return len(self.lines)


def _only_quotes_after(lines: list[str], start: int, skip_headers: bool = False) -> bool:
    """True when the lines from start on begin with '>' quotes (after blanks), as in bottom-posting."""
    j = start
    while j < len(lines) and (not lines[j].strip() or (skip_headers and ":" in lines[j][:40]
                                                        and not lines[j].lstrip().startswith(">"))):
        j += 1
    return j < len(lines) and lines[j].lstrip().startswith(">")


def _skip_headers(folded: _Folded, i: int) -> int:
    j = i + 1
    while j < len(folded) and (_HEADER_NEXT.match(folded[j]) or not folded[j]):
        j += 1
    return j


def _skip_signature(lines: list[str], folded: _Folded, i: int) -> int:
    j = i + 1
    while j < len(lines):
        f = folded[j]
        if lines[j].lstrip().startswith(">") or _SEPARATOR.match(f) or _WROTE.search(f) or _HEADER_FROM.match(f):
            return j
        j += 1
    return j


# HTML ------------------------------------------------------------------------------------------------

# Containers whose start marks the quoted original in top-posting clients: cut the HTML there.
_HTML_CUT = re.compile(
    r"""<(?:div|span|hr|table|p)\b[^>]*?(?:id\s*=\s*["']?(?:divRplyFwdMsg|appendonsend|zwchr|x_divRplyFwdMsg|"""
    r"""mail-editor-reference-message-container|ydp[0-9a-f]+yahoo_quoted_[0-9]+|stopSpelling)|"""
    r"""class\s*=\s*["']?[^"'>]*?\b(?:gmail_quote|gmail_attr|yahoo_quoted|moz-cite-prefix|zmail_extra|"""
    r"""OutlookMessageHeader|AppleOriginalContents|protonmail_quote)\b)""", re.IGNORECASE)
_BLOCKQUOTE = re.compile(r"<(/?)blockquote\b[^>]*>", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HEAD = re.compile(r"<(head|style|script)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)


def strip_html_quotes(html: str) -> str:
    """html without its quoted original: blockquotes removed, cut at a known quote container."""
    html = _COMMENT.sub("", html)
    html = _HEAD.sub("", html)
    html = _remove_blockquotes(html)
    m = _HTML_CUT.search(html)
    if m:
        html = html[:m.start()]
    return html


def _remove_blockquotes(html: str) -> str:
    out, depth, pos = [], 0, 0
    for m in _BLOCKQUOTE.finditer(html):
        closing = m.group(1) == "/"
        if depth == 0 and not closing:
            out.append(html[pos:m.start()])
            depth = 1
        elif not closing:
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                pos = m.end()
    if depth == 0:
        out.append(html[pos:])
    return "".join(out)
