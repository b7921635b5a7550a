"""Where RiskHub refuses to send (SSRF): checked when an endpoint is saved and again at
every delivery, against the address the request then connects to."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from riskhub.webhooks import network, services
from riskhub.webhooks.models import Delivery

PUBLIC = "93.184.215.14"


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The outside world's DNS, as the test says it is."""
    answers: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise network.UnsafeDestination(f"The host “{host}” does not resolve.")
        return answers[host]

    monkeypatch.setattr(network, "resolve", resolve)
    return answers


@pytest.fixture
def production(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    settings.WEBHOOK_ALLOWED_NETWORKS = []


def test_a_public_https_address_is_accepted(dns: Any, production: None) -> None:
    dns["hooks.example.com"] = [PUBLIC]
    target = network.check("https://hooks.example.com/in?x=1")
    assert (target.host, target.port, target.path, target.address) == (
        "hooks.example.com",
        443,
        "/in?x=1",
        PUBLIC,
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/", "Only https://"),
        ("ftp://hooks.example.com/", "https://"),
        ("https://user:pw@hooks.example.com/", "credentials"),
        ("https://127.0.0.1/", "loopback"),
        ("https://localhost/", "loopback"),
        ("https://[::1]/", "loopback"),
        ("https://10.0.0.5/", "private"),
        ("https://172.16.3.4/", "private"),
        ("https://192.168.1.1/", "private"),
        ("https://100.64.0.1/", "private"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[fe80::1]/", "link-local"),
        ("https://[::ffff:10.0.0.1]/", "private"),
        ("https://[fd00::1]/", "private"),
        ("https://0.0.0.0/", "unicast"),
        ("https://224.0.0.1/", "unicast"),
        ("https://internal.example.com/", "private"),
        ("https://mixed.example.com/", "private"),
        ("https://nowhere.example.com/", "does not resolve"),
    ],
)
def test_unsafe_destinations_are_refused_in_production(
    dns: Any, production: None, url: str, why: str
) -> None:
    dns["localhost"] = ["127.0.0.1"]
    dns["hooks.example.com"] = [PUBLIC]
    dns["internal.example.com"] = ["10.1.2.3"]
    dns["mixed.example.com"] = [PUBLIC, "192.168.0.9"]
    with pytest.raises(network.UnsafeDestination, match=why):
        network.check(url)


def test_loopback_http_only_under_the_development_setting(dns: Any, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    assert network.check("http://127.0.0.1:8081/x").address == "127.0.0.1"
    with pytest.raises(network.UnsafeDestination, match="Only https://"):
        network.check("http://hooks.example.com/")  # http is for loopback alone
    with pytest.raises(network.UnsafeDestination, match="private"):
        network.check("https://10.0.0.5/")


def test_the_operator_may_allow_an_internal_network(dns: Any, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert network.check("https://10.20.1.1/").address == "10.20.1.1"
    with pytest.raises(network.UnsafeDestination):
        network.check("https://10.21.0.1/")


@pytest.mark.django_db
def test_saving_an_endpoint_to_a_private_address_is_refused(
    dns: Any, production: None, admin_user: Any
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.endpoint_create(
            actor=admin_user,
            name="Metadata",
            url="https://169.254.169.254/",
            events=["report.ready"],
        )
    assert "link-local" in refused.value.message_dict["url"][0]


@pytest.mark.django_db
def test_a_name_that_later_resolves_inside_is_refused_at_delivery(
    dns: Any, admin_user: Any, receiver: Any, enqueued: Any, settings: Any
) -> None:
    dns["hooks.example.com"] = [PUBLIC]
    endpoint, _ = services.endpoint_create(
        actor=admin_user, name="Rebind", url="https://hooks.example.com/", events=["report.ready"]
    )
    dns["hooks.example.com"] = ["169.254.169.254"]  # DNS rebinding
    delivery = services.endpoint_send_test(actor=admin_user, endpoint=endpoint)
    assert services.delivery_attempt(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert "link-local" in delivery.error and delivery.response_status is None
    assert delivery.status == Delivery.Status.PENDING


@pytest.mark.django_db
def test_the_request_goes_to_the_checked_address_with_the_host_name_kept(
    dns: Any, admin_user: Any, receiver: Any, enqueued: Any
) -> None:
    """The connection is pinned to the address that passed the check; the Host header
    (and for HTTPS the TLS name) stay the URL's."""
    port = receiver.url.split(":")[2].split("/")[0]
    dns["localhost"] = ["127.0.0.1"]
    endpoint, receiver.secret = services.endpoint_create(
        actor=admin_user, name="Pinned", url=f"http://localhost:{port}/in", events=["report.ready"]
    )
    delivery = services.endpoint_send_test(actor=admin_user, endpoint=endpoint)
    assert services.delivery_attempt(delivery_id=delivery.pk) == "succeeded"
    (got,) = receiver.received
    assert got.headers["Host"] == f"localhost:{port}" and got.path == "/in"
