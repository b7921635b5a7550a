"""Evidence.url is a URI or null: a file's evidence has no link, and the API and its
OpenAPI schema say so with null, never "" (which is not a URI)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from riskhub.accounts.policy import Role
from riskhub.compliance import services
from riskhub.compliance.forms import EvidenceForm
from riskhub.compliance.models import ControlImplementation, Evidence
from tests.compliance.conftest import control

LINK = "https://wiki.example.com/risk-process"


def _implementation(officer: Any) -> ControlImplementation:
    return services.implementation_create(
        actor=officer, control=control("CTL-AI-LITERACY"), scope="organisation"
    )


def _file_evidence(implementation: ControlImplementation, officer: Any) -> Evidence:
    """A file's evidence row as the upload service saves it (no url given); built
    directly so this test does not depend on the upload content checks."""
    evidence = Evidence(
        implementation=implementation,
        kind=Evidence.Kind.FILE,
        original_name="training-records.pdf",
        description="Training records",
        uploaded_by=officer,
    )
    evidence.file.name = "evidence/training-records.pdf"
    evidence.full_clean()
    evidence.save()
    return evidence


@pytest.mark.django_db
def test_the_api_gives_null_for_a_files_url_and_the_link_for_a_link(
    catalogs: Any, officer: Any, client_for: Any
) -> None:
    implementation = _implementation(officer)
    file_evidence = _file_evidence(implementation, officer)
    link = services.evidence_add_link(
        actor=officer, implementation=implementation, url=LINK, description="Procedure"
    )
    client = client_for(Role.AUDITOR)

    assert client.get(f"/api/v1/evidence/{file_evidence.uuid}/").json()["url"] is None
    assert client.get(f"/api/v1/evidence/{link.uuid}/").json()["url"] == LINK
    listed = {e["id"]: e["url"] for e in client.get("/api/v1/evidence/").json()["results"]}
    assert listed == {str(file_evidence.uuid): None, str(link.uuid): LINK}


@pytest.mark.django_db
def test_the_openapi_schema_says_evidence_url_is_a_nullable_uri() -> None:
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    url = schema["components"]["schemas"]["Evidence"]["properties"]["url"]
    assert url["type"] == "string" and url["format"] == "uri"
    assert url["nullable"] is True


@pytest.mark.django_db
def test_the_database_refuses_an_empty_string_for_a_files_url(catalogs: Any, officer: Any) -> None:
    evidence = _file_evidence(_implementation(officer), officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.filter(pk=evidence.pk).update(url="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.filter(pk=evidence.pk).update(kind=Evidence.Kind.URL)


def test_the_evidence_form_turns_an_empty_link_into_none() -> None:
    form = EvidenceForm(
        data={"url": "", "description": "Training records"},
        files={"file": SimpleUploadedFile("records.pdf", b"%PDF-1.4\n%%EOF\n")},
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["url"] is None


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_existing_empty_urls_into_null(catalogs: Any, officer: Any) -> None:
    implementation = _implementation(officer)
    before, after = (
        [("compliance", "0001_initial")],
        [("compliance", "0002_evidence_url_null_when_no_link")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        OldEvidence = old.get_model("compliance", "Evidence")
        OldHistory = old.get_model("compliance", "HistoricalEvidence")
        row = OldEvidence.objects.create(
            implementation_id=implementation.pk,
            kind="file",
            file="evidence/old.pdf",
            url="",
            description="Uploaded before the change",
        )
        OldHistory.objects.create(
            id=row.pk,
            uuid=row.uuid,
            implementation_id=implementation.pk,
            kind="file",
            file="evidence/old.pdf",
            url="",
            description="Uploaded before the change",
            uploaded_at=row.uploaded_at,
            history_date=row.uploaded_at,
            history_type="+",
        )
        link = OldEvidence.objects.create(
            implementation_id=implementation.pk, kind="url", url=LINK, description="A link"
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert Evidence.objects.get(pk=row.pk).url is None
    assert Evidence.objects.get(pk=link.pk).url == LINK
    assert Evidence.history.get(id=row.pk).url is None
    assert after[0] in MigrationExecutor(connection).loader.applied_migrations
