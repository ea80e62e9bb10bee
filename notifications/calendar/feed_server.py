"""Serve feed files over HTTP at /feeds/<token>.ics: the token, not the URL, chooses the file.

Starlette on uvicorn (no Prefect): one event loop, a listen backlog of 2,048, token lookups and file
reads in worker threads, so an office whose calendar clients all refresh at 07:30 is served, not
dropped. Conditional GET: If-None-Match (ETag) and If-Modified-Since answer 304; anything unknown
answers 404; access lines on stderr never show a token.
"""
from __future__ import annotations

import hashlib
import re
import socket
import sys
import threading
from datetime import datetime
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plantrack.models.calendar_store import scope_of_token
from plantrack.models.db import session_factory
from plantrack.notifications.calendar.ical import feed_filename

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
TOKEN_IN_PATH = re.compile(r"/feeds/[^/\s]+")
BACKLOG = 2048  # connections the kernel queues before we accept them (stdlib default: 5)


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


def not_modified_since(header: str | None, mtime: float) -> bool:
    """If-Modified-Since semantics: the file is not newer than the date given (an unreadable date is ignored)."""
    if not header:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since is None or since.tzinfo is None:
        return False
    return int(mtime) <= since.timestamp()  # Last-Modified has whole seconds


def _not_found() -> Response:
    return Response(b"not found\n", 404, media_type="text/plain; charset=utf-8")


def make_app(database_url: str, feeds_dir: Path, max_age: int = 0, access_log: bool = True) -> Starlette:
    """The ASGI app: GET/HEAD /feeds/<token>.ics."""
    Session = session_factory(database_url)
    cache = FeedCache(Path(feeds_dir))

    def find(token: str) -> tuple[bytes, str, float] | None:  # in a worker thread: database and file
        with Session() as s:
            scope = scope_of_token(s, token)
        if scope is None:
            return None
        try:
            return cache.get(feed_filename(scope))
        except ValueError:
            return None

    async def feed(request: Request) -> Response:
        name = request.path_params["name"]
        token = name.removesuffix(".ics")
        found = await run_in_threadpool(find, token) if name.endswith(".ics") and TOKEN_RE.match(token) else None
        if found is None:
            return _log(request, _not_found())
        body, etag, mtime = found
        headers = {"ETag": etag, "Last-Modified": formatdate(mtime, usegmt=True),
                   "Cache-Control": f"private, max-age={max_age}"}
        inm = request.headers.get("if-none-match")
        # RFC 9110 13.2.2: If-Modified-Since is only evaluated when If-None-Match is absent.
        fresh = etag_matches(inm, etag) if inm else not_modified_since(request.headers.get("if-modified-since"), mtime)
        if fresh:
            return _log(request, Response(status_code=304, headers=headers))
        headers["X-Content-Type-Options"] = "nosniff"
        return _log(request, Response(body, 200, headers=headers, media_type="text/calendar; charset=utf-8"))

    def _log(request: Request, response: Response) -> Response:
        if access_log:  # access logs must not leak subscribers' secret tokens
            client = request.client.host if request.client else "-"
            path = TOKEN_IN_PATH.sub("/feeds/<token>", request.url.path)
            sys.stderr.write(f"{client} - [{datetime.now():%d/%b/%Y %H:%M:%S}] \"{request.method} {path}\" "
                             f"{response.status_code}\n")
        return response

    async def other(request: Request) -> Response:
        return _log(request, _not_found())

    return Starlette(routes=[Route("/feeds/{name}", feed, methods=["GET", "HEAD"]),
                             Route("/{path:path}", other, methods=["GET", "HEAD"])])


def bind(host: str, port: int, backlog: int = BACKLOG) -> socket.socket:
    """A listening TCP socket on host:port (0: a free port); raises OSError (or OverflowError for a bad port)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class FeedServer:
    """The feed app on uvicorn, listening from construction (so a busy port fails at once, and a
    client connecting before serve_forever() waits in the backlog instead of being refused)."""

    def __init__(self, host: str, port: int, feeds_dir: Path, database_url: str, max_age: int = 0,
                 access_log: bool = True):
        import uvicorn

        self.socket = bind(host, port)
        self.server_address = self.socket.getsockname()[:2]
        config = uvicorn.Config(make_app(database_url, feeds_dir, max_age, access_log), log_config=None,
                                log_level="warning", access_log=False, server_header=False, lifespan="off",
                                backlog=BACKLOG, timeout_graceful_shutdown=5)
        self._server = uvicorn.Server(config)
        self._done = threading.Event()

    def serve_forever(self) -> None:
        """Serve until shutdown() (or SIGINT/SIGTERM when run in the main thread)."""
        try:
            self._server.run(sockets=[self.socket])
        finally:
            self._done.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop serve_forever() running in another thread and wait for it."""
        self._server.should_exit = True
        self._done.wait(timeout)

    def server_close(self) -> None:
        self.socket.close()


def make_server(host: str, port: int, feeds_dir: Path, database_url: str, max_age: int = 0) -> FeedServer:
    """A listening (not yet serving) feed server; port 0 picks a free port."""
    return FeedServer(host, port, feeds_dir, database_url, max_age)
