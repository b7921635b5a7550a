"""Evidence warnings at upload (already expired; the same file twice on one
implementation) and, for each piece of evidence, what it counts for."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from riskhub.compliance import services
from riskhub.compliance.models import ControlRequirement, Evidence

from .conftest import control

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def implementation(catalogs: Any, officer: Any, media: None) -> Any:
    return services.implementation_create(
        actor=officer,
        control=control("CTL-INCIDENT-RESPONSE"),
        scope="organisation",
        status="implemented",
    )


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, implementation: Any, content: bytes, name: str, **extra: Any) -> str:
    upload = io.BytesIO(content)
    upload.name = name
    url = reverse("compliance:evidence_upload", args=[implementation.uuid])
    response = client.post(url, {"file": upload, "description": "IR plan", **extra}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def _warnings(html: str) -> list[str]:
    return re.findall(r'<div class="alert alert-warning">([^<]+)</div>', html)


def test_evidence_expired_at_upload_is_kept_with_a_warning(
    implementation: Any, officer: Any
) -> None:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    html = _upload(
        _client(officer), implementation, b"plan v1\n", "plan.txt", valid_until=yesterday
    )
    assert _warnings(html) == [
        f"This evidence expired on {yesterday:%Y-%m-%d}: it was kept, but it does not count "
        "towards coverage. Upload a current version."
    ]
    assert Evidence.objects.filter(implementation=implementation).count() == 1
    assert 'data-counts="no"' in html
    assert (
        f"Nothing: implemented, but its evidence was valid until {yesterday.isoformat()}." in html
    )


def test_the_same_file_twice_on_one_implementation_is_kept_with_a_warning(
    implementation: Any, officer: Any
) -> None:
    client = _client(officer)
    first = _upload(client, implementation, b"plan v3\n", "plan.txt")
    assert _warnings(first) == []
    second = _upload(client, implementation, b"plan v3\n", "plan-copy.txt")
    today = timezone.localdate()
    assert _warnings(second) == [
        "The same file (identical SHA-256) is already attached to this implementation: "
        f"“plan.txt”, added {today:%Y-%m-%d}. Both were kept."
    ]
    assert "Same file as “plan.txt”" in second
    # A different file is no duplicate.
    assert _warnings(_upload(client, implementation, b"plan v4\n", "plan-4.txt")) == []


def test_each_piece_of_evidence_says_which_control_and_requirements_it_counts_for(
    implementation: Any, officer: Any
) -> None:
    html = _upload(_client(officer), implementation, b"plan\n", "plan.txt")
    assert 'data-counts="yes"' in html
    cell = html[html.index('data-counts="yes"') :]
    cell = cell[: cell.index("</td>")]
    assert "CTL-INCIDENT-RESPONSE" in cell
    mappings = ControlRequirement.objects.filter(control__code="CTL-INCIDENT-RESPONSE")
    assert mappings.exists()
    for m in mappings.select_related("requirement__framework"):
        assert f"{m.requirement.framework.short_name} {m.requirement.ref}" in cell


def test_evidence_of_an_implementation_not_yet_done_counts_for_nothing(
    catalogs: Any, officer: Any, media: None
) -> None:
    started = services.implementation_create(
        actor=officer,
        control=control("CTL-INCIDENT-RESPONSE"),
        scope="organisation",
        status="in-progress",
    )
    html = _upload(_client(officer), started, b"draft plan\n", "draft.txt")
    assert "Nothing: not implemented (status: in progress)." in html
