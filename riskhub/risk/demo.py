"""Demo risk content for whatever inventory exists (runs after the inventory demo).

The named part goes through the services, like a person's work: approved assessments
(written by the officer, approved by the CTO) for most assets, a few in review and one
draft, risks in every band, two acceptances (one expiring soon). With `assets=N` every
asset still without an assessment gets an approved one with about six risks, created in
bulk under one summary audit event. Effective risk is recomputed at the end.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.audit.services import record_event
from riskhub.inventory.models import Asset
from riskhub.risk import services
from riskhub.risk.models import Assessment, AssessmentContribution, Risk, RiskMatrix, Threat

# (inherent impact, likelihood, residual impact, likelihood) landing in each band (5x5)
BAND_SPECS = {
    "low": [(2, 2, 1, 2), (3, 2, 2, 2), (2, 3, 1, 3)],
    "medium": [(3, 3, 2, 3), (4, 3, 3, 2), (3, 4, 3, 3)],
    "high": [(4, 4, 4, 3), (5, 3, 5, 2), (4, 5, 3, 4)],
    "critical": [(5, 5, 5, 4), (5, 5, 4, 5), (5, 4, 5, 4)],
}
BAND_WEIGHTS = [("low", 3), ("medium", 4), ("high", 3), ("critical", 1)]
CONTROLS = [
    "Input filtering and output moderation in front of the model.",
    "Quarterly red-team exercise; findings tracked to closure.",
    "Access limited to the service account; keys rotated every 90 days.",
    "Data provenance checks and hashing of training snapshots.",
    "Rate limiting and anomaly alerts on the inference API.",
    "",
]
SCALE_RISKS_PER_ASSET = 6
# The hand-made part covers the first assets (the named demo inventory comes first);
# generated filler beyond them is handled in bulk by `scale`.
NAMED_LIMIT = 40


def _band(rng: random.Random) -> str:
    names = [n for n, _ in BAND_WEIGHTS]
    return rng.choices(names, weights=[w for _, w in BAND_WEIGHTS])[0]


def seed(*, users: dict[Role, User], assets: int | None, seed: int, stdout: Any) -> None:
    officer = users[Role.RISK_OFFICER]
    cto = users[Role.EXECUTIVE]
    if not RiskMatrix.objects.exists():
        from riskhub.risk import catalog_loader

        catalog_loader.load(stdout=stdout)
    rng = random.Random(seed)
    # No mail for demo content; effective risk is recomputed once at the end.
    with override_settings(RISK_NOTIFICATIONS=False, RISK_RECOMPUTE_ON_COMMIT=False):
        if Assessment.objects.exists():
            stdout.write("  risk: demo assessments already present")
        else:
            counts = _named(officer, cto, rng)
            stdout.write(
                f"  risk: {counts['approved']} approved, {counts['review']} in review, "
                f"{counts['draft']} draft assessments; {counts['risks']} risks; "
                f"{counts['accepted']} acceptances"
            )
        if assets:
            added = scale(officer=officer, cto=cto, seed=seed)
            if added:
                stdout.write(f"  risk: {added[0]} generated assessments, {added[1]} risks")
    changed = services.effective_risk_recompute()
    stdout.write(f"  risk: effective risk recomputed ({changed} assets changed)")


def _named(officer: User, cto: User, rng: random.Random) -> dict[str, int]:
    counts = dict.fromkeys(["approved", "review", "draft", "risks", "accepted"], 0)
    first = Asset.objects.filter(archived_at__isnull=True).order_by("pk")[:NAMED_LIMIT]
    live = sorted(first, key=lambda a: a.name)
    if not live:
        return counts
    today = timezone.localdate()
    bands_cycle = ["critical", "high", "medium", "low"]  # every band appears first
    accepted_targets: list[Risk] = []
    for index, asset in enumerate(live):
        with transaction.atomic():
            assessment = services.assessment_start(actor=officer, asset=asset)
            suggestions = services.suggest_threats(asset)[: rng.randint(2, 4)]
            rows = []
            for position, (threat, _) in enumerate(suggestions):
                band = bands_cycle.pop(0) if bands_cycle else _band(rng)
                ii, il, ri, rl = rng.choice(BAND_SPECS[band])
                overdue = rng.random() < 0.1
                rows.append(
                    {
                        "threat": threat,
                        "title": threat.name,
                        "description": threat.description,
                        "existing_controls": rng.choice(CONTROLS),
                        "inherent_impact": ii,
                        "inherent_likelihood": il,
                        "residual_impact": ri,
                        "residual_likelihood": rl,
                        "treatment": "accept" if band == "low" and position % 2 else "mitigate",
                        "owner": officer,
                        "due_date": today
                        + timedelta(days=-rng.randint(3, 40) if overdue else rng.randint(20, 200)),
                    }
                )
            assessment = services.assessment_save(
                actor=officer,
                assessment=assessment,
                expected_revision=assessment.revision,
                summary=f"Threats that fit this {asset.get_kind_display().lower()}, "
                "scored with the owning team.",
                risks=rows,
            )
            counts["risks"] += len(rows)
            # The last asset stays a draft, the two before it wait in review.
            if index == len(live) - 1 and len(live) > 3:
                counts["draft"] += 1
                continue
            assessment = services.assessment_submit(actor=officer, assessment=assessment)
            if index >= len(live) - 3 and len(live) > 3:
                counts["review"] += 1
                continue
            services.assessment_approve(
                actor=cto, assessment=assessment, comments="Reviewed with the owning team."
            )
            counts["approved"] += 1
            top = assessment.risks.order_by("-residual_rank").first()
            if top is not None and len(accepted_targets) < 2 and top.residual_rank <= 3:
                accepted_targets.append(top)
    for days, risk in zip((5, 120), accepted_targets, strict=False):
        services.acceptance_create(
            actor=cto,
            risk=risk,
            rationale="Compensating controls in place; the fix is scheduled in the roadmap.",
            expires_on=today + timedelta(days=days),
        )
        counts["accepted"] += 1
    return counts


def scale(*, officer: User, cto: User, seed: int) -> tuple[int, int] | None:
    """An approved assessment with ~6 risks for every live asset that has none."""
    matrix = RiskMatrix.objects.filter(is_default=True).first() or RiskMatrix.objects.first()
    if matrix is None:
        return None
    todo = list(
        Asset.objects.filter(archived_at__isnull=True, assessments__isnull=True)
        .order_by("pk")
        .values_list("pk", "kind", "tier")
    )
    if not todo:
        return None
    rng = random.Random(seed * 7919 + len(todo))
    threats_by_kind: dict[str, list[Threat]] = {}
    for threat in Threat.objects.filter(active=True).order_by("code"):
        for kind in threat.asset_kinds:
            threats_by_kind.setdefault(kind, []).append(threat)
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        assessments = [
            Assessment(
                asset_id=pk,
                version=1,
                status=Assessment.Status.APPROVED,
                summary="Generated for the benchmark.",
                matrix=matrix,
                matrix_version=matrix.version,
                author=officer,
                reviewer=cto,
                submitted_at=now,
                approved_at=now,
                next_review_due=services.add_months(
                    today, 6 if tier in (Asset.Tier.HIGH, Asset.Tier.PROHIBITED) else 12
                ),
                is_current=True,
            )
            for pk, _, tier in todo
        ]
        created = bulk_create_with_history(
            assessments, Assessment, batch_size=2000, default_user=officer
        )
        if created and created[0].pk is None:  # backends that do not return ids
            created = list(Assessment.objects.filter(asset_id__in=[t[0] for t in todo]))
        by_asset = {a.asset_id: a for a in created}
        risks: list[Risk] = []
        for pk, kind, _ in todo:
            assessment = by_asset[pk]
            pool = threats_by_kind.get(kind) or [None]
            for position in range(SCALE_RISKS_PER_ASSET):
                ii, il, ri, rl = rng.choice(BAND_SPECS[_band(rng)])
                inherent, residual = matrix.cell(ii, il), matrix.cell(ri, rl)
                threat = pool[(pk + position) % len(pool)]
                risks.append(
                    Risk(
                        assessment=assessment,
                        position=position,
                        threat=threat,
                        title=threat.name if threat else "Generated risk",
                        inherent_impact=ii,
                        inherent_likelihood=il,
                        residual_impact=ri,
                        residual_likelihood=rl,
                        inherent_score=inherent.score,
                        inherent_band=inherent.band,
                        residual_score=residual.score,
                        residual_band=residual.band,
                        residual_rank=residual.rank,
                        residual_ratio=residual.score / matrix.max_score,
                        treatment=rng.choice(["mitigate", "mitigate", "transfer", "accept"]),
                        owner=officer,
                        due_date=today + timedelta(days=rng.randint(-30, 300)),
                        created_by=officer,
                        updated_by=officer,
                    )
                )
        bulk_create_with_history(risks, Risk, batch_size=5000, default_user=officer)
        # The officer wrote and submitted them all; the CTO only approved.
        AssessmentContribution.objects.bulk_create(
            [
                AssessmentContribution(
                    assessment=assessment, user=officer, what=what, first_at=now, last_at=now
                )
                for assessment in created
                for what in (
                    AssessmentContribution.What.STARTED,
                    AssessmentContribution.What.RISKS,
                    AssessmentContribution.What.SUBMITTED,
                )
            ],
            batch_size=5000,
        )
        record_event(
            actor=officer,
            action="demo.risk_seed",
            object_type="risk",
            after={"assessments": len(created), "risks": len(risks), "seed": seed},
        )
    return len(created), len(risks)
