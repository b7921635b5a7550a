"""The signature on every delivery (DESIGN.md, "Outbound webhooks").

Header: ``RiskHub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``, where the MAC is
computed with the endpoint's secret (its UTF-8 bytes) over ``"<t>.<raw body>"``. A
receiver recomputes it over the body exactly as received, compares in constant time,
and rejects a timestamp more than five minutes from its own clock (a replayed request).
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "RiskHub-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def header_value(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str, header: str, body: bytes, *, now: float, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """Whether `header` signs `body` with `secret` within `tolerance` seconds of `now`
    (a receiver's check, used by the tests' receiver and documented in the README)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, parts.get("v1", ""))
