"""Human words only: the main pages, rendered on the demo data for every role, show no
internal token in their visible text: no snake_case word (``automated_decisions``) and
no namespaced fact or duty code (``ccpa:applies``, ``tier:high``)."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from riskhub.accounts.models import User
from riskhub.incidents.models import Incident
from riskhub.inventory.models import Asset
from riskhub.risk.models import Assessment

pytestmark = pytest.mark.django_db

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
NAMESPACED = re.compile(r"\b[a-z][a-z0-9]*(?:-[a-z0-9]+)*:[a-z_][a-z0-9_()\-.]*[a-z0-9)]\b")
# Visible text that legitimately looks like a token.
ALLOWED = re.compile(r"\b(?:https?|mailto):|\S+@\S+")


class Visible(HTMLParser):
    """The text a person reads: no script, style, or hidden template content."""

    SKIP = {"script", "style", "template", "code", "pre", "noscript"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.depth += 1
        for name, value in attrs:
            # Words people read in attributes: labels, titles, placeholders.
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def tokens(html: str) -> set[str]:
    parser = Visible()
    parser.feed(html)
    found = set()
    for text in parser.parts:
        text = ALLOWED.sub(" ", text)
        found |= set(SNAKE.findall(text)) | set(NAMESPACED.findall(text))
    return found


@pytest.fixture
def demo(db: None, settings: Any, tmp_path: Any) -> dict[str, User]:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_catalogs", stdout=io.StringIO())
    call_command("seed_demo", password="demo-password-1", force=True, stdout=io.StringIO())
    return {u.email: u for u in User.objects.all()}


def _pages() -> list[str]:
    system = Asset.objects.filter(kind="system").order_by("name").first()
    model = Asset.objects.filter(kind="model").order_by("name").first()
    assessment = Assessment.objects.order_by("-is_current", "id").first()
    incident = Incident.objects.order_by("id").first()
    pages = [
        "/dashboard/",
        "/inventory/",
        "/assessments/",
        "/assessments/register/",
        "/assessments/review/",
        "/compliance/",
        "/compliance/implementations/",
        "/compliance/gaps/",
        "/incidents/",
        "/reports/",
    ]
    for asset in (system, model):
        if asset is not None:
            pages.append(f"/inventory/{asset.uuid}/")
    if assessment is not None:
        pages.append(f"/assessments/{assessment.uuid}/")
    if incident is not None:
        pages.append(f"/incidents/{incident.uuid}/")
    return pages


def test_the_main_pages_show_no_internal_token(demo: dict[str, User]) -> None:
    found: dict[str, set[str]] = {}
    for email in ("officer@example.com", "cto@example.com", "auditor@example.com"):
        client = Client()
        client.force_login(demo[email])
        for url in _pages():
            response = client.get(url)
            if response.status_code == 403:  # not this role's page
                continue
            assert response.status_code == 200, url
            leaked = tokens(response.content.decode())
            if leaked:
                found.setdefault(url, set()).update(leaked)
    assert found == {}
