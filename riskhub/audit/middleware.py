from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from riskhub.audit.context import RequestMeta, reset_request_meta, set_request_meta


def _valid_address(raw: str) -> str | None:
    """The address in canonical form, or None if `raw` is not one. Accepts the
    `1.2.3.4:port` and `[v6]:port` forms some proxies write."""
    value = raw.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # A zone id ("fe80::1%eth0") means nothing beyond this host and PostgreSQL's inet
    # refuses it.
    return None if getattr(address, "scope_id", None) else str(address)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the one place it is taken from a request.

    With TRUSTED_PROXY_HOPS = 0 it is REMOTE_ADDR. With N trusted proxies in front,
    each appends the address it received the request from to X-Forwarded-For, so the
    Nth entry from the right is the last one a trusted proxy wrote; everything to its
    left came from the client and may be forged. A header with fewer entries than N
    means the request passed fewer proxies than configured: its leftmost entry is then
    still one a trusted proxy wrote. An address that does not parse is never returned;
    the connection's own address is used instead.
    """
    hops = settings.TRUSTED_PROXY_HOPS
    if hops > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        entries = [entry for entry in forwarded.split(",") if entry.strip()]
        if entries:
            address = _valid_address(entries[-min(hops, len(entries))])
            if address is not None:
                return address
    return _valid_address(request.META.get("REMOTE_ADDR", ""))


class RequestContextMiddleware:
    """Give every request an id (echoed in X-Request-ID) for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_meta(RequestMeta(request_id, client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            reset_request_meta(token)
        response["X-Request-ID"] = request_id
        return response
