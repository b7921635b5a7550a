"""What a person should know about a piece of evidence: the warnings at upload (already
expired; the same file already on this implementation) and what it counts for.

Validity and "counts" are the coverage rule's (riskhub/compliance/coverage.py): a piece
of evidence counts when the implementation, judged with that evidence alone, counts;
the requirements are the control's mappings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from riskhub.compliance.coverage import ImplementationFacts, evidence_valid
from riskhub.compliance.models import ControlImplementation, ControlRequirement, Evidence


def upload_warnings(evidence: Evidence, today: dt.date) -> list[str]:
    """Why a piece of evidence just added may not do what its uploader expects."""
    warnings = []
    if not evidence_valid(evidence.valid_until, today):
        warnings.append(
            f"This evidence expired on {evidence.valid_until:%Y-%m-%d}: it was kept, but it "
            "does not count towards coverage. Upload a current version."
        )
    if evidence.sha256:
        same = (
            Evidence.objects.filter(
                implementation_id=evidence.implementation_id, sha256=evidence.sha256
            )
            .exclude(pk=evidence.pk)
            .order_by("uploaded_at", "pk")
            .first()
        )
        if same is not None:
            warnings.append(
                f"The same file (identical SHA-256) is already attached to this "
                f"implementation: “{same.original_name or same.description}”, added "
                f"{same.uploaded_at:%Y-%m-%d}. Both were kept."
            )
    return warnings


@dataclass
class CountsFor:
    counts: bool
    why: str
    control: str = ""
    requirements: list[str] = field(default_factory=list)  # "EU AI Act Art. 9 (full)"
    duplicate_of: str = ""  # name of an earlier upload of the same file


def counts_for(
    implementation: ControlImplementation, evidence: list[Evidence], today: dt.date
) -> dict[int, CountsFor]:
    """For each piece of evidence of the implementation: whether it counts on `today`,
    why, and for which control and requirements (one query for the mappings)."""
    mappings = [
        f"{m.requirement.framework.short_name} {m.requirement.ref} ({m.get_coverage_display().lower()})"
        for m in ControlRequirement.objects.filter(control_id=implementation.control_id)
        .select_related("requirement__framework")
        .order_by("requirement__framework__position", "requirement__position")
    ]
    control = f"{implementation.control.code} {implementation.control.name}"
    first_of: dict[str, Evidence] = {}
    result = {}
    for item in sorted(evidence, key=lambda e: (e.uploaded_at, e.pk)):
        facts = ImplementationFacts(
            implementation.control_id,
            implementation.scope,
            implementation.asset_id,
            implementation.status,
            (item.valid_until,),
        )
        counts, why = facts.judge(today)
        earlier = first_of.setdefault(item.sha256, item) if item.sha256 else item
        result[item.pk] = CountsFor(
            counts,
            why,
            control,
            mappings if counts else [],
            duplicate_of=(earlier.original_name or earlier.description)
            if earlier is not item
            else "",
        )
    return result
