"""Serve feed files over HTTP at /feeds/<token>.ics: the token, not the URL, chooses the file.

Stdlib only (no Prefect): ThreadingHTTPServer, ETag/If-None-Match, 404 for anything unknown.
"""
from __future__ import annotations

import hashlib
import re
import sys
import threading
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from plantrack.models.calendar_store import scope_of_token
from plantrack.models.db import session_factory
from plantrack.notifications.calendar.ical import feed_filename

PATH_RE = re.compile(r"^/feeds/([A-Za-z0-9_-]{16,128})\.ics$")
TOKEN_IN_PATH = re.compile(r"/feeds/[^/\s]+")


class FeedCache:
    """Bodies and ETags of feed files, re-read only when the file's identity changes."""

    def __init__(self, feeds_dir: Path):
        self.feeds_dir = feeds_dir
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[tuple, bytes, str, float]] = {}

    def get(self, name: str) -> tuple[bytes, str, float] | None:
        path = self.feeds_dir / name
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        ident = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            hit = self._entries.get(name)
        if hit and hit[0] == ident:
            return hit[1], hit[2], hit[3]
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        with self._lock:
            self._entries[name] = (ident, body, etag, st.st_mtime)
        return body, etag, st.st_mtime


def etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match semantics (weak comparison, '*' matches)."""
    if not header:
        return False
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)


def make_handler(database_url: str, cache: FeedCache, max_age: int = 0):
    Session = session_factory(database_url)

    class FeedHandler(BaseHTTPRequestHandler):
        server_version = "plantrack-feeds"
        sys_version = ""

        def _feed(self):
            m = PATH_RE.match(self.path.split("?", 1)[0])
            if not m:
                return None
            with Session() as s:
                scope = scope_of_token(s, m.group(1))
            if scope is None:
                return None
            try:
                return cache.get(feed_filename(scope))
            except ValueError:
                return None

        def _send(self, head_only: bool) -> None:
            found = self._feed()
            if found is None:
                body = b"not found\n"
                self.send_response(HTTPStatus.NOT_FOUND)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head_only:
                    self.wfile.write(body)
                return
            body, etag, mtime = found
            fresh = etag_matches(self.headers.get("If-None-Match"), etag)
            self.send_response(HTTPStatus.NOT_MODIFIED if fresh else HTTPStatus.OK)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", formatdate(mtime, usegmt=True))
            self.send_header("Cache-Control", f"private, max-age={max_age}")
            if fresh:
                self.end_headers()
                return
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if not head_only:
                self.wfile.write(body)

        def do_GET(self):  # noqa: N802 (http.server naming)
            self._send(False)

        def do_HEAD(self):  # noqa: N802
            self._send(True)

        def log_message(self, fmt, *args):
            # Access logs must not leak subscribers' secret tokens.
            sys.stderr.write("%s - %s\n" % (self.address_string(), TOKEN_IN_PATH.sub("/feeds/<token>", fmt % args)))

    return FeedHandler


def make_server(host: str, port: int, feeds_dir: Path, database_url: str, max_age: int = 0) -> ThreadingHTTPServer:
    """A ready (not yet serving) feed server; port 0 picks a free port."""
    server = ThreadingHTTPServer((host, port), make_handler(database_url, FeedCache(Path(feeds_dir)), max_age))
    server.daemon_threads = True
    return server
