"""axe-core on every main page: no serious or critical WCAG 2.1 AA violation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.core.context_processors import NAVIGATION
from tests.browser.conftest import axe_violations, login
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_main_pages_have_no_serious_accessibility_violations(
    browser, live_server, make_user
) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN)
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        assert axe_violations(page) == [], "login page"
        login(page, admin.email, PASSWORD)
        page.wait_for_url("**/dashboard/")
        urls = [reverse(name) for _, name, _ in NAVIGATION] + [reverse("accounts:profile")]
        problems = {}
        for url in urls:
            page.goto(url)
            page.wait_for_load_state("networkidle")
            found = axe_violations(page)
            if found:
                problems[url] = found
        assert problems == {}, "\n".join(f"{u}: {p}" for u, p in problems.items())
    finally:
        context.close()
