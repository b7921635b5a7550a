"""Where RiskHub may send a webhook, and the one HTTP request it sends.

RiskHub's workers sit inside the organisation's network, so an endpoint URL is a way to
make them call something internal (SSRF). The rules:

- HTTPS only. With WEBHOOK_ALLOW_LOOPBACK (development and tests; default: DEBUG),
  ``http://`` is accepted for loopback hosts (127.0.0.0/8, ::1, ``localhost``) too.
- Every address the host resolves to must be public (not private, loopback,
  link-local, shared, reserved, multicast or unspecified), unless it lies in
  WEBHOOK_ALLOWED_NETWORKS (CIDRs the operator trusts) or is loopback under
  WEBHOOK_ALLOW_LOOPBACK. Checked when the endpoint is saved and again at every
  delivery; the request then connects to the address that was checked, so a DNS answer
  that changes in between (rebinding) cannot redirect it.
- No credentials in the URL, no redirects followed (a 3xx is a failed attempt), short
  time-outs, and only the first WEBHOOK_RESPONSE_LOG_BYTES of an answer are read.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


class UnsafeDestination(Exception):
    """The URL or an address it resolves to is not one RiskHub sends webhooks to."""


class DeliveryFailed(Exception):
    """The request could not be made or did not complete (no HTTP answer)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked address the connection goes to


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str
    duration_ms: int


def _allow_loopback() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_LOOPBACK", False))


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(cidr, strict=False)
        for cidr in getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", [])
    ]


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (the tests replace this: DNS is the outside)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeDestination(f"The host “{host}” does not resolve.") from exc
    return sorted({str(info[4][0]) for info in infos})


def address_refusal(address: IPAddress) -> str | None:
    """Why RiskHub refuses to connect to `address`, or None when it may."""
    if address.version == 6 and address.ipv4_mapped is not None:  # type: ignore[union-attr]
        address = address.ipv4_mapped  # type: ignore[union-attr]
    if any(address in network for network in _allowed_networks()):
        return None
    if address.is_loopback:
        return None if _allow_loopback() else "a loopback address"
    if address.is_multicast or address.is_unspecified:
        return "not a unicast address"
    if address.is_link_local:
        return "a link-local address"
    if not address.is_global:
        return "a private or reserved address"
    return None


def _parse(url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeDestination("Give an https:// address.")
    if parts.username or parts.password:
        raise UnsafeDestination("Leave credentials out of the URL; the signature authenticates.")
    if parts.fragment:
        raise UnsafeDestination("A webhook URL has no #fragment.")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise UnsafeDestination("The port is not a number between 1 and 65535.") from exc
    if parts.scheme == "http" and not (_allow_loopback() and _is_loopback_host(parts.hostname)):
        raise UnsafeDestination("Only https:// addresses receive webhooks.")
    return parts


def _is_loopback_host(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check(url: str) -> Target:
    """The checked target of `url`, or UnsafeDestination saying why not."""
    parts = _parse(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = resolve(host, port)
    if not addresses:
        raise UnsafeDestination(f"The host “{host}” does not resolve.")
    for text in addresses:
        refusal = address_refusal(ipaddress.ip_address(text.split("%", 1)[0]))
        if refusal is not None:
            raise UnsafeDestination(
                f"“{host}” resolves to {text}, {refusal}: RiskHub does not send webhooks there."
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, addresses[0])


def post(target: Target, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to the checked target; any HTTP answer is returned, a failure to get
    one raises DeliveryFailed."""
    timeout = float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))
    cap = int(getattr(settings, "WEBHOOK_RESPONSE_LOG_BYTES", 2048))
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def connect_to_checked_address(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        # TLS still verifies the certificate against the host name (SNI): only the
        # address lookup is pinned.
        return socket.create_connection((target.address, address[1]), *args, **kwargs)

    connection._create_connection = connect_to_checked_address  # type: ignore[attr-defined]
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(cap)
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryFailed(_describe(exc, timeout)) from exc
    finally:
        connection.close()
    duration_ms = int((time.monotonic() - started) * 1000)
    return Answer(response.status, excerpt.decode("utf-8", "replace"), duration_ms)


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"No answer within {timeout:g} seconds."
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"[:500]
    if isinstance(exc, ConnectionRefusedError):
        return "The connection was refused."
    return f"{type(exc).__name__}: {exc}"[:500]
