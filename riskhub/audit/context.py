"""Per-request metadata (request id, client address) for the audit trail, kept in a
context variable so services need not take the request as an argument."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    request_id: str = ""
    ip_address: str | None = None


_NO_REQUEST = RequestMeta()
_meta: ContextVar[RequestMeta | None] = ContextVar("riskhub_request_meta", default=None)


def current_request_meta() -> RequestMeta:
    return _meta.get() or _NO_REQUEST


def set_request_meta(meta: RequestMeta) -> object:
    return _meta.set(meta)


def reset_request_meta(token: object) -> None:
    _meta.reset(token)  # type: ignore[arg-type]
