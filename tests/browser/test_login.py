from __future__ import annotations

import pytest

from riskhub.accounts.policy import Role
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_executive_signs_in_through_chromium_and_sees_the_dashboard(page, make_user) -> None:  # type: ignore[no-untyped-def]
    cto = make_user(Role.EXECUTIVE, email="cto@example.com")
    login(page, cto.email, PASSWORD)
    page.wait_for_url("**/dashboard/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    nav = page.get_by_role("navigation", name="Main navigation")
    for label in ("Dashboard", "Inventory", "Assessments", "Compliance", "Reports", "Audit trail"):
        assert nav.get_by_role("link", name=label).is_visible()
    screenshot(page, "dashboard-executive")
    assert page.console_errors == [], page.console_errors  # no CSP violation, no JS error


def test_a_wrong_password_shows_the_error_and_stays_on_sign_in(page, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.AUDITOR)
    login(page, user.email, "not the password")
    assert page.get_by_role("alert").inner_text().startswith("That email and password do not match")
    assert "/accounts/login/" in page.url
    screenshot(page, "login-error")
