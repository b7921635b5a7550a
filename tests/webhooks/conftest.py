"""A real HTTP receiver on loopback that checks RiskHub's signature the documented way
(written here from the algorithm, not with RiskHub's own code), and endpoints on it."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from riskhub.accounts.models import User
from riskhub.webhooks import services
from riskhub.webhooks.events import EVENT_CODES
from riskhub.webhooks.models import Endpoint

REPLAY_WINDOW = 300


def signature_valid(secret: str, header: str, body: bytes, now: float) -> bool:
    """The receiver's check: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    fields = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    if "t" not in fields or "v1" not in fields or not fields["t"].isdigit():
        return False
    if now - int(fields["t"]) > REPLAY_WINDOW:
        return False
    mac = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(mac.hexdigest(), fields["v1"])


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    secret: str = ""
    statuses: deque[int] = field(default_factory=deque)  # answers to give, then 200
    answer_body: bytes = b"ok"
    received: list[Received] = field(default_factory=list)

    def reset(self) -> None:
        self.secret = ""
        self.statuses.clear()
        self.answer_body = b"ok"
        self.received.clear()

    def events(self) -> list[dict[str, Any]]:
        return [r.json for r in self.received if r.verified]


@pytest.fixture(scope="session")
def _receiver_server() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            header = self.headers.get("RiskHub-Signature", "")
            verified = bool(receiver.secret) and signature_valid(
                receiver.secret, header, body, time.time()
            )
            receiver.received.append(Received(self.path, dict(self.headers), body, verified))
            status = (
                401 if not verified else (receiver.statuses.popleft() if receiver.statuses else 200)
            )
            if status in (301, 302):
                self.send_response(status)
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.end_headers()
                return
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(receiver.answer_body)))
            self.end_headers()
            self.wfile.write(receiver.answer_body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/riskhub"
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver(_receiver_server: Receiver, settings: Any) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    _receiver_server.reset()
    yield _receiver_server
    _receiver_server.reset()


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, float | None]]:
    """What would go to the broker: (delivery id, countdown)."""
    calls: list[tuple[int, float | None]] = []
    monkeypatch.setattr(
        services, "enqueue", lambda pk, countdown=None: calls.append((pk, countdown))
    )
    return calls


@pytest.fixture
def make_endpoint(admin_user: User, receiver: Receiver) -> Callable[..., Endpoint]:
    """An endpoint on the receiver (all events unless told); the receiver learns its secret."""

    def make(events: list[str] | None = None, name: str = "SIEM", **fields: Any) -> Endpoint:
        endpoint, secret = services.endpoint_create(
            actor=admin_user,
            name=name,
            url=fields.pop("url", receiver.url),
            events=sorted(EVENT_CODES) if events is None else events,
            **fields,
        )
        receiver.secret = secret
        return endpoint

    return make


def deliver_all(now: Any = None) -> list[str]:
    """Run every pending delivery's attempt in-process (the task's body)."""
    from riskhub.webhooks.models import Delivery

    return [
        services.delivery_attempt(delivery_id=pk, now=now)
        for pk in Delivery.objects.filter(status="pending")
        .order_by("pk")
        .values_list("pk", flat=True)
    ]
