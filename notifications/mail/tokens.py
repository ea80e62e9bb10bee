"""Signed reply tokens and reference tags for check-in mail (pure: HMAC-SHA256, no I/O).

A token packs (version, round id, agency id, recipient person id, expiry day) and a
truncated HMAC-SHA256 over them, in lowercase base32 without padding, so that
``theodoi+<token>@domain`` is a valid address with a local part under 64 octets.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import date, timedelta

VERSION = 1
_EPOCH = date(2000, 1, 1)
_BODY = struct.Struct(">BIIIH")  # version, round, agency, person, expiry (days since 2000-01-01)
_MAC_BYTES = 10
TOKEN_CHARS = 40  # 25 bytes in base32
# Published so the demo works with nothing configured; never accepted unless demo mode is on.
DEMO_KEY = "plantrack-demo-key-NOT-SECRET"


class BadToken(ValueError):
    """A token that is malformed, forged, tampered with or expired (reason in the message)."""


@dataclass(frozen=True)
class ReplyClaims:
    """What a valid token says: which round, agency and recipient it was issued for, until when."""

    round_id: int
    agency_id: int
    person_id: int
    expires: date


def _key(secret: str, purpose: bytes) -> bytes:
    # One secret serves several token kinds; derive a key per purpose so they cannot be swapped.
    return hmac.new(secret.encode(), b"plantrack/" + purpose, hashlib.sha256).digest()


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=").lower()


def sign_reply_token(secret: str, claims: ReplyClaims) -> str:
    """The token for claims, signed with secret."""
    days = (claims.expires - _EPOCH).days
    if not 0 <= days < 2**16:
        raise ValueError(f"expiry {claims.expires} out of range")
    body = _BODY.pack(VERSION, claims.round_id, claims.agency_id, claims.person_id, days)
    mac = hmac.new(_key(secret, b"reply"), body, hashlib.sha256).digest()[:_MAC_BYTES]
    return _b32(body + mac)


def verify_reply_token(secret: str, token: str, today: date) -> ReplyClaims:
    """The claims of a genuine, unexpired token; raises BadToken otherwise."""
    token = token.strip().upper()
    if len(token) != TOKEN_CHARS:
        raise BadToken("malformed token")
    try:
        raw = base64.b32decode(token + "=" * (-len(token) % 8))
    except ValueError:
        raise BadToken("malformed token") from None
    body, mac = raw[: _BODY.size], raw[_BODY.size:]
    good = hmac.new(_key(secret, b"reply"), body, hashlib.sha256).digest()[:_MAC_BYTES]
    if not hmac.compare_digest(mac, good):
        raise BadToken("bad signature")
    version, round_id, agency_id, person_id, days = _BODY.unpack(body)
    if version != VERSION:
        raise BadToken(f"unknown token version {version}")
    expires = _EPOCH + timedelta(days=days)
    if today > expires:
        raise BadToken(f"expired on {expires.isoformat()}")
    return ReplyClaims(round_id, agency_id, person_id, expires)


def reference_tag(secret: str, round_id: int, agency_id: int) -> str:
    """A short tag (5 base32 letters, e.g. K7Q2M) naming a round and agency, for subjects.

    It only identifies; it proves nothing (25 bits), so the reply side must still check the sender.
    """
    mac = hmac.new(_key(secret, b"ref"), struct.pack(">II", round_id, agency_id), hashlib.sha256).digest()
    return base64.b32encode(mac[:5]).decode()[:5]


def reply_address(mail_from: str, token: str, local: str | None = None) -> str:
    """local+token@domain for the sender address mail_from (local defaults to its local part)."""
    base_local, _, domain = mail_from.rpartition("@")
    return f"{local or base_local}+{token}@{domain}"
