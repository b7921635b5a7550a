"""An admin registers a webhook endpoint, keeps the secret shown once, sends a test
event to a real receiver on loopback and reads the delivery log."""

from __future__ import annotations

import pytest

from riskhub.accounts.policy import Role
from tests.browser.conftest import axe_violations, login, screenshot
from tests.conftest import PASSWORD

# The loopback receiver that checks signatures (fixtures of tests/webhooks).
from tests.webhooks.conftest import _receiver_server  # noqa: F401
from tests.webhooks.conftest import receiver as webhook_receiver  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_registers_an_endpoint_and_sends_a_test(
    browser,
    live_server,
    make_user,
    webhook_receiver,  # noqa: F811 - the imported fixture
    eager_celery,
) -> None:  # type: ignore[no-untyped-def]
    receiver = webhook_receiver
    admin = make_user(Role.ADMIN)
    context = browser.new_context(
        base_url=live_server.url, bypass_csp=True, viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    try:
        login(page, admin.email, PASSWORD)
        page.wait_for_url("**/dashboard/")
        page.get_by_role("link", name="Webhooks").click()
        page.wait_for_url("**/webhooks/")
        assert axe_violations(page) == []
        page.get_by_role("link", name="Add an endpoint").click()
        page.get_by_label("Name").fill("SIEM")
        page.get_by_label("URL").fill("https://10.0.0.8/hook")
        page.get_by_label("Incident opened").check()
        page.get_by_label("Report ready").check()
        page.get_by_role("button", name="Register and show the secret").click()
        assert "private or reserved address" in page.locator("#id_url_error").inner_text()
        assert axe_violations(page) == []
        screenshot(page, "webhooks-form-refused")

        page.get_by_label("URL").fill(receiver.url)
        page.get_by_role("button", name="Register and show the secret").click()
        secret = page.get_by_label("Signing secret").input_value()
        assert secret.startswith("whsec_")
        receiver.secret = secret
        assert axe_violations(page) == []
        screenshot(page, "webhooks-secret")
        page.get_by_role("link", name="I have stored it").click()

        assert secret not in page.content()
        page.get_by_role("button", name="Send test").click()
        page.wait_for_load_state()
        page.reload()
        row = page.locator("table tbody tr").first
        assert "webhook.test" in row.inner_text() and "Delivered" in row.inner_text()
        assert "HTTP 200" in row.inner_text()
        assert [r.verified for r in receiver.received] == [True]
        assert axe_violations(page) == []
        screenshot(page, "webhooks-detail")
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(page, "webhooks-detail-390")
        page.set_viewport_size({"width": 1366, "height": 900})

        page.goto("/webhooks/")
        screenshot(page, "webhooks-index")
        page.get_by_role("link", name="SIEM").click()
        page.get_by_role("link", name="Delete").click()
        screenshot(page, "webhooks-delete")
        page.get_by_role("button", name="Delete the endpoint").click()
        page.wait_for_url("**/webhooks/")
        assert "was deleted" in page.content()
    finally:
        context.close()
