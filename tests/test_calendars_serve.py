"""The feed HTTP server: tokens select feeds; unknown, revoked and traversal requests get 404; ETag gives 304."""
import http.client
import threading
from datetime import date

import pytest

from plantrack.models.calendar_store import add_token, list_tokens, revoke_tokens
from plantrack.models.db import session_factory
from plantrack.notifications.calendar.feed_server import make_server
from tests.plan_helpers import publish


@pytest.fixture
def served(loaded_sqlite, tmp_path):
    feeds = tmp_path / "feeds"
    publish(loaded_sqlite, feeds, date(2024, 3, 1), force=True)
    server = make_server("127.0.0.1", 0, feeds, loaded_sqlite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield loaded_sqlite, server.server_address[1], feeds
    server.shutdown()
    server.server_close()


def get(port: int, path: str, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def test_tokens_etag_revocation_and_traversal(served):
    url, port, feeds = served
    Session = session_factory(url)
    with Session() as s, s.begin():
        plan_token = add_token(s, "Văn phòng UBND tỉnh", "plan")
        syt_token = add_token(s, "Sở Y tế", "agency:SYT")
        stored = {t.scope for t in list_tokens(s)}
    assert stored == {"plan", "agency:SYT"}

    resp, body = get(port, f"/feeds/{plan_token}.ics")
    assert resp.status == 200 and body == (feeds / "plan.ics").read_bytes()
    assert resp.getheader("Content-Type") == "text/calendar; charset=utf-8"
    etag = resp.getheader("ETag")
    resp, body = get(port, f"/feeds/{plan_token}.ics", {"If-None-Match": etag})
    assert resp.status == 304 and body == b""
    resp, body = get(port, f"/feeds/{syt_token}.ics", {"If-None-Match": etag})
    assert resp.status == 200 and body == (feeds / "agency-syt.ics").read_bytes()

    for path in ("/", "/feeds/", "/feeds", "/plan.ics", "/feeds/plan.ics", f"/feeds/{plan_token}",
                 f"/feeds/{plan_token}/../plan.ics", f"/feeds/../feeds/{plan_token[:-1]}x.ics",
                 "/feeds/..%2F..%2Fetc%2Fpasswd.ics", "/feeds/%2e%2e/plan.ics", "/../../etc/passwd",
                 "/feeds/" + "a" * 32 + ".ics", f"/feeds/{plan_token}.ics/../../plantrack.db"):
        assert get(port, path)[0].status == 404, path

    with Session() as s, s.begin():
        assert revoke_tokens(s, "Văn phòng UBND tỉnh") == 1
    assert get(port, f"/feeds/{plan_token}.ics")[0].status == 404
    assert get(port, f"/feeds/{syt_token}.ics")[0].status == 200


def test_token_cli_stores_only_a_hash(cli, loaded_sqlite):
    code, out, _ = cli(loaded_sqlite, "feeds", "token", "add", "Phòng LĐ Sa Pa", "--feed", "agency:UBND-SAPA")
    assert code == 0
    token = out.strip().rsplit("/", 1)[1].removesuffix(".ics")
    import sqlite3

    dump = "\n".join(sqlite3.connect(loaded_sqlite.split("///", 1)[1]).iterdump())
    assert token not in dump
    code, out, _ = cli(loaded_sqlite, "feeds", "token", "list")
    assert "Phòng LĐ Sa Pa" in out and token not in out
    assert cli(loaded_sqlite, "feeds", "token", "add", "x", "--feed", "agency:NOPE")[0] == 1
    assert cli(loaded_sqlite, "feeds", "token", "revoke", "Phòng LĐ Sa Pa")[0] == 0
    assert cli(loaded_sqlite, "feeds", "token", "revoke", "Phòng LĐ Sa Pa")[0] == 1
