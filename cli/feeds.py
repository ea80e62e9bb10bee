"""plantrack feeds ...: subscriber tokens and the feed HTTP server (no Prefect import)."""
from __future__ import annotations

import json
from typing import Optional

import typer

from plantrack.cli.common import console, fail, flag, listen_error, parse_port, print_out, require_schema, state

app = typer.Typer(help="Calendar feeds: subscriber tokens and the HTTP server.", no_args_is_help=True)
token_app = typer.Typer(help="Issue, list and revoke subscriber tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")


def _feed_url(base: str | None, token: str) -> str:
    if base:
        return f"{base.rstrip('/')}/{token}.ics"
    s = state.settings()
    return f"http://{s.feeds_host}:{s.feeds_port}/feeds/{token}.ics"


@token_app.command("add")
def token_add(
    name: str = typer.Argument(..., help="subscriber, e.g. 'Văn phòng PCT' or an email address"),
    feed: str = typer.Option("plan", "--feed", help="plan | agency:CODE | category:KEY"),
):
    """Issue a token and print the subscription URL (shown once; only a hash is stored)."""
    from sqlalchemy import select

    from plantrack.models.calendar_store import add_token
    from plantrack.models.entities import Agency
    from plantrack.models.plan.schema import CATEGORIES
    from plantrack.notifications.calendar.ical import feed_filename

    settings = state.settings()
    try:
        feed_filename(feed)
    except ValueError as exc:
        fail(str(exc))
    require_schema(settings.database_url)
    with state.session_factory()() as s, s.begin():
        kind, _, key = feed.partition(":")
        if kind == "agency" and s.scalar(select(Agency.id).where(Agency.code == key)) is None:
            fail(f"unknown agency code {key!r}: see 'plantrack agencies'")
        if kind == "category" and key not in CATEGORIES:
            fail(f"unknown category {key!r}: one of {', '.join(CATEGORIES)}")
        token = add_token(s, name, feed)
    print_out(_feed_url(settings.feed_base_url, token))


@token_app.command("list")
def token_list(as_json: bool = flag("--json")):
    """Tokens issued: id, subscriber, feed, created, revoked (never the secret)."""
    from plantrack.models.calendar_store import list_tokens

    require_schema(state.settings().database_url)
    with state.session_factory()() as s:
        tokens = list_tokens(s)
    rows = [{"id": t.id, "name": t.name, "feed": t.scope, "created": t.created_at.isoformat(timespec="seconds"),
             "revoked": t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else None} for t in tokens]
    if as_json:
        print_out(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for r in rows:
        console().print(f"{r['id']:>4}  {r['name']}  {r['feed']}  {r['created']}"
                      + (f"  revoked {r['revoked']}" if r["revoked"] else ""), highlight=False)
    if not rows:
        console().print("no tokens", highlight=False)


@token_app.command("revoke")
def token_revoke(who: str = typer.Argument(..., help="token id, or subscriber name (revokes all its tokens)")):
    """Revoke tokens: their URLs answer 404 from now on."""
    from plantrack.models.calendar_store import revoke_tokens

    require_schema(state.settings().database_url)
    with state.session_factory()() as s, s.begin():
        n = revoke_tokens(s, who)
    if n == 0:
        fail(f"no live token matches {who!r}")
    console().print(f"revoked {n} token{'s' if n > 1 else ''}", highlight=False)


@app.command("serve")
def serve(
    host: Optional[str] = typer.Option(None, "--host", help="default PLANTRACK_FEEDS_HOST (127.0.0.1)"),
    port: Optional[int] = typer.Option(None, "--port", help="default PLANTRACK_FEEDS_PORT (8088)"),
):
    """Serve the feed folder at /feeds/<token>.ics until interrupted."""
    from plantrack.notifications.calendar.feed_server import make_server

    settings = state.settings()
    host = host or settings.feeds_host
    port = parse_port(port, "--port") if port is not None else parse_port(settings.feeds_port, "PLANTRACK_FEEDS_PORT")
    require_schema(settings.database_url)
    try:
        server = make_server(host, port, settings.feeds_dir, settings.database_url)
    except (OSError, OverflowError) as exc:
        fail(listen_error(host, port, exc))
    h, p = server.server_address[:2]
    console().print(f"serving {settings.feeds_dir} at http://{h}:{p}/feeds/<token>.ics", highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
