"""Load the integrated impact assessment's catalog (run by `load_catalogs`, after the
compliance loader: its requirement refs and control code must already be there).

Idempotent: an unchanged file changes nothing. A new version is stored beside the old
ones (assessments keep the version they were written against); a changed file under the
same version number is refused, so a stored version never changes under an assessment.
"""

from __future__ import annotations

import json
from typing import TextIO

from django.db import transaction

from riskhub.audit.services import record_event
from riskhub.compliance.models import Control, Requirement
from riskhub.impact import catalog
from riskhub.impact.models import AssessmentTemplate


def check_refs(template: catalog.Template) -> None:
    """Every requirement a section or anchor names exists in the requirement catalogs,
    and the control is in the control library."""
    known = set(Requirement.objects.filter(retired=False).values_list("framework__slug", "ref"))
    named = [(s.key, r) for s in template.sections for r in s.requirements]
    named += [("anchors", a) for a in template.anchors]
    missing = [f"{where}: {slug} {ref}" for where, (slug, ref) in named if (slug, ref) not in known]
    if missing:
        raise catalog.CatalogError("unknown requirement(s): " + "; ".join(missing))
    if not Control.objects.filter(code=template.control, retired=False).exists():
        raise catalog.CatalogError(f"unknown control {template.control}")


def load(*, stdout: TextIO) -> AssessmentTemplate:
    data = catalog.read()
    template = catalog.parse(data)
    content = json.loads(json.dumps(data, default=str))
    with transaction.atomic():
        check_refs(template)
        row = AssessmentTemplate.objects.filter(version=template.version).first()
        if row is not None:
            if row.content != content:
                raise catalog.CatalogError(
                    f"integrated-assessment.yaml changed but kept version {template.version}: "
                    "give the changed catalog a new version"
                )
            stdout.write(f"  impact: integrated assessment {template.version} unchanged\n")
            return row
        row = AssessmentTemplate.objects.create(version=template.version, content=content)
        record_event(
            actor=None,
            action="impact_template.load",
            object_type="impact_template",
            object_repr=str(row),
            after={"version": template.version, "sections": len(template.sections)},
        )
    stdout.write(f"  impact: integrated assessment {template.version} loaded\n")
    return row
