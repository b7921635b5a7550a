"""The approved impact assessment as a document: a PDF/A-3b rendered through the
reports' WeasyPrint path (local static files only, never the network) with the
assessment's data embedded as JSON and signed with the reports' certificate, filed as
evidence (hashed on upload)."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone

from riskhub.impact import catalog
from riskhub.impact.models import ImpactAssessment
from riskhub.inventory import selectors as inventory_selectors
from riskhub.reports import signing
from riskhub.reports.pdf import render_pdf


def sections_with_answers(
    template: catalog.Template, answers: dict[str, Any], laws: list[str]
) -> list[dict[str, Any]]:
    """The sections the applicable laws ask for, each with its questions answered."""
    return [
        {
            "section": section,
            "answers": [(field, answers.get(field.key, "")) for field in section.fields],
        }
        for section in template.sections_for(set(laws))
    ]


def data(assessment: ImpactAssessment) -> dict[str, Any]:
    template = assessment.template.parsed
    return {
        "kind": "integrated-impact-assessment",
        "id": str(assessment.uuid),
        "catalog_version": template.version,
        "asset": {"id": str(assessment.asset.uuid), "name": assessment.asset.name},
        "laws": assessment.laws,
        "status": assessment.status,
        "answers": assessment.answers,
        "submitted_by": str(assessment.submitted_by or ""),
        "submitted_at": assessment.submitted_at,
        "approved_by": str(assessment.reviewer or ""),
        "approved_on": assessment.approved_on,
        "valid_until": assessment.valid_until,
        "contributors": sorted(str(user) for user in assessment.contributors.all()),
        "review_comments": assessment.review_comments,
    }


def render(assessment: ImpactAssessment) -> bytes:
    template = assessment.template.parsed
    context = {
        "assessment": assessment,
        "template": template,
        "laws": [catalog.LAW_NAMES[law] for law in assessment.laws],
        "sections": sections_with_answers(template, assessment.answers, assessment.laws),
        "contributors": sorted(str(user) for user in assessment.contributors.all()),
        "organisation": inventory_selectors.organisation().legal_name,
        "generated_at": timezone.now(),
    }
    html = render_to_string("impact/document.html", context)
    payload = json.dumps(data(assessment), cls=DjangoJSONEncoder, indent=2).encode()
    pdf, _pages = render_pdf(html, data_json=payload, pdf_identifier=assessment.uuid.hex.encode())
    # Signed like the reports (PAdES, RiskHub's report-signing certificate).
    return signing.sign_pdf(
        pdf,
        reason=f"RiskHub impact assessment {assessment.uuid}, approved by {assessment.reviewer}",
    )
