"""Human words only: the main pages, rendered on the demo data for every role, show no
internal token in their visible text: no snake_case word (``automated_decisions``) and
no namespaced fact or duty code (``ccpa:applies``, ``tier:high``)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from riskhub.accounts.models import User
from riskhub.compliance.models import Control
from riskhub.incidents.models import Incident
from riskhub.inventory.models import Asset
from riskhub.reports.models import Report
from riskhub.risk.models import Assessment
from tests.support import module_transaction

pytestmark = pytest.mark.django_db

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
NAMESPACED = re.compile(r"\b[a-z][a-z0-9]*(?:-[a-z0-9]+)*:[a-z_][a-z0-9_()\-.]*[a-z0-9)]\b")
# A whole-number score written with decimals ("score 8.00").
DECIMAL_SCORE = re.compile(r"\b[Ss]core \d+\.0+\b")
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
        found |= set(DECIMAL_SCORE.findall(text))
    return found


@pytest.fixture(scope="module")
def demo(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[dict[str, User]]:
    """The demo data, seeded once for the module (seeding takes most of a minute) in a
    transaction rolled back at the end; each test runs in a savepoint inside it."""
    media = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=str(media)), module_transaction(django_db_blocker):
        call_command("load_catalogs", stdout=io.StringIO())
        call_command("seed_demo", password="demo-password-1", force=True, stdout=io.StringIO())
        yield {u.email: u for u in User.objects.all()}


def _pages() -> list[str]:
    system = Asset.objects.filter(kind="system").order_by("name").first()
    model = Asset.objects.filter(kind="model").order_by("name").first()
    dataset = Asset.objects.filter(kind="dataset").order_by("name").first()
    assessment = Assessment.objects.order_by("-is_current", "id").first()
    draft = Assessment.objects.filter(status="draft").order_by("id").first()
    incident = Incident.objects.order_by("id").first()
    control = Control.objects.order_by("code").first()
    report = Report.objects.order_by("id").first()
    pages = [
        "/dashboard/",
        "/inventory/",
        "/inventory/new/",
        "/inventory/organisation/",
        "/inventory/import/jobs/",
        "/assessments/",
        "/assessments/register/",
        "/assessments/review/",
        "/assessments/matrices/",
        "/assessments/threats/",
        "/compliance/",
        "/compliance/controls/",
        "/compliance/crosswalk/",
        "/compliance/implementations/",
        "/compliance/gaps/",
        "/compliance/frameworks/eu-ai-act/",
        "/compliance/frameworks/gdpr/",
        "/compliance/frameworks/ccpa/",
        "/impact/",
        "/incidents/",
        "/incidents/new/",
        "/reports/",
        "/audit/",
        "/people/",
        "/accounts/profile/",
    ]
    for asset in (system, model, dataset):
        if asset is not None:
            pages.append(f"/inventory/{asset.uuid}/")  # with its history
            pages.append(f"/assessments/asset/{asset.uuid}/")
            pages.append(f"/inventory/{asset.uuid}/edit/")
    if system is not None:
        pages.append(f"/inventory/{system.uuid}/classification/")
    if assessment is not None:
        pages.append(f"/assessments/{assessment.uuid}/")
    if draft is not None:
        pages.append(f"/assessments/{draft.uuid}/edit/")
    if incident is not None:
        pages.append(f"/incidents/{incident.uuid}/")
        pages.append(f"/incidents/{incident.uuid}/edit/")
    if control is not None:
        pages.append(f"/compliance/controls/{control.uuid}/")
    if report is not None:
        pages.append(f"/reports/{report.uuid}/")
    return pages


ROLES = ("officer@example.com", "cto@example.com", "auditor@example.com", "admin@example.com")


def test_the_main_pages_show_no_internal_token(demo: dict[str, User]) -> None:
    found: dict[str, set[str]] = {}
    failed: list[tuple[str, str, int]] = []
    pages = _pages()
    for email in ROLES:
        client = Client()
        client.force_login(demo[email])
        for url in pages:
            response = client.get(url)
            if response.status_code in (403, 404):  # not this role's page (or object)
                continue
            if response.status_code != 200:
                failed.append((email, url, response.status_code))
                continue
            leaked = tokens(response.content.decode())
            if leaked:
                found.setdefault(url, set()).update(leaked)
    assert failed == []
    assert found == {}


def test_the_asset_history_names_fields_and_values_in_words(demo: dict[str, User]) -> None:
    """It listed "ccpa applies, facts, gdpr applies, tier"."""
    changed = Asset.history.filter(kind="system", history_type="~").values("id")
    system = Asset.objects.filter(id__in=changed).order_by("name").first()
    assert system is not None
    client = Client()
    client.force_login(demo["auditor@example.com"])
    html = client.get(f"/inventory/{system.uuid}/").content.decode()
    history = html[html.index('id="history-h"') :]
    history = history[: history.index("</section>")]
    assert "ccpa applies" not in history and "gdpr applies" not in history
    assert "EU AI Act tier" in history or "GDPR applies" in history
    assert not tokens(history)


def test_an_error_message_names_no_field_code(demo: dict[str, User]) -> None:
    """A return without a comment said "comments: Say what needs to change"."""
    submitted = Assessment.objects.filter(status="in_review").order_by("id").first()
    assert submitted is not None
    client = Client()
    client.force_login(demo["cto@example.com"])
    response = client.post(f"/assessments/{submitted.uuid}/return/", {"comments": ""}, follow=True)
    text = response.content.decode()
    assert "comments:" not in text and "Comments: Say what needs to change" in text
    assert not tokens(text)
