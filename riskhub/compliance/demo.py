"""Demo content: implement part of the control library for the demo inventory, with
evidence (some expiring within 30 days, some expired), then compute coverage.

Deterministic for a given seed. Small inventories go through the services (audited,
like a person would); `assets=N` scales with bulk_create and one summary audit event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
import secrets
from typing import Any, TextIO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from riskhub.accounts.policy import Role
from riskhub.audit.services import record_event
from riskhub.compliance import services
from riskhub.compliance.models import Control, ControlImplementation, Evidence, Framework
from riskhub.compliance.selectors import local_today
from riskhub.inventory.models import Asset

BULK_THRESHOLD = 200
ORG_SHARE = 0.6
SYSTEM_SHARE = 0.45


def _evidence_text(control: Control, scope: str, day: dt.date) -> bytes:
    return (
        f"RiskHub demo evidence\nControl: {control.code} {control.name}\nScope: {scope}\n"
        f"Reviewed on {day.isoformat()} by the control owner.\n"
        "This text file stands in for a policy, test report or training record.\n"
    ).encode()


def _validity(rng: random.Random, today: dt.date, index: int) -> dt.date | None:
    # Every 7th item expires within 30 days, every 11th has already expired.
    if index % 11 == 5:
        return today - dt.timedelta(days=rng.randint(3, 60))
    if index % 7 == 3:
        return today + dt.timedelta(days=rng.randint(5, 28))
    return today + dt.timedelta(days=rng.randint(120, 540))


def seed(*, users: dict[Any, Any], assets: int | None, seed: int, stdout: TextIO) -> None:
    if not Framework.objects.exists():
        from riskhub.compliance.catalog_loader import load

        load(stdout=stdout)
    rng = random.Random(seed * 7919 + 5)
    officer = users[Role.RISK_OFFICER]
    today = local_today()
    controls = list(Control.objects.filter(retired=False).order_by("position"))
    systems = list(
        Asset.objects.filter(kind=Asset.Kind.SYSTEM, archived_at__isnull=True).order_by("name")
    )
    org_controls = [c for c in controls if c.default_scope == Control.Scope.ORGANISATION]
    system_controls = [c for c in controls if c.default_scope != Control.Scope.ORGANISATION]
    chosen_org = org_controls[: max(1, int(len(org_controls) * ORG_SHARE))]

    if len(systems) > BULK_THRESHOLD:
        created = _bulk(rng, officer, today, chosen_org, system_controls, systems)
    else:
        created = _with_services(rng, officer, today, chosen_org, system_controls, systems)
    services.coverage_recompute(asset_ids=None)
    stdout.write(
        f"  compliance: {created} control implementations for {len(systems)} systems; "
        "coverage computed\n"
    )


def _with_services(
    rng: random.Random,
    officer: Any,
    today: dt.date,
    org_controls: list[Control],
    system_controls: list[Control],
    systems: list[Asset],
) -> int:
    created = 0
    index = 0
    plans: list[tuple[Control, str, Asset | None]] = [
        (c, "organisation", None) for c in org_controls
    ]
    for system in systems:
        picked = rng.sample(system_controls, k=int(len(system_controls) * SYSTEM_SHARE))
        plans += [(c, "system", system) for c in sorted(picked, key=lambda c: c.position)]
    for control, scope, asset in plans:
        exists = ControlImplementation.objects.filter(control=control, scope=scope, asset=asset)
        if exists.exists():
            continue
        index += 1
        roll = rng.random()
        if scope == "organisation" or roll < 0.6:
            status = ControlImplementation.Status.IMPLEMENTED
        elif roll < 0.8:
            status = ControlImplementation.Status.IN_PROGRESS
        elif roll < 0.95:
            status = ControlImplementation.Status.NOT_STARTED
        else:
            status = ControlImplementation.Status.NOT_APPLICABLE
        with transaction.atomic():
            implementation = services.implementation_create(
                actor=officer,
                control=control,
                scope=scope,
                asset=asset,
                status=status,
                justification="Demo: the system has no such component."
                if status == ControlImplementation.Status.NOT_APPLICABLE
                else "",
                owner=officer,
                due_date=today + dt.timedelta(days=rng.randint(14, 180)),
                last_verified=today - dt.timedelta(days=rng.randint(10, 200))
                if status == ControlImplementation.Status.IMPLEMENTED
                else None,
                next_verification=today + dt.timedelta(days=rng.randint(30, 365))
                if status == ControlImplementation.Status.IMPLEMENTED
                else None,
            )
            if status == ControlImplementation.Status.IMPLEMENTED:
                label = asset.name if asset else "organisation"
                content = _evidence_text(control, label, today)
                services.evidence_add_file(
                    actor=officer,
                    implementation=implementation,
                    file=io.BytesIO(content),
                    name=f"{control.code.lower()}-evidence.txt",
                    description=f"{control.name}: review record ({label})",
                    valid_until=_validity(rng, today, index),
                )
        created += 1
    return created


def _bulk(
    rng: random.Random,
    officer: Any,
    today: dt.date,
    org_controls: list[Control],
    system_controls: list[Control],
    systems: list[Asset],
) -> int:
    content = b"RiskHub demo evidence (bulk seed): stands in for a policy or test report.\n"
    stored = default_storage.save(f"evidence/{secrets.token_urlsafe(24)}.txt", ContentFile(content))
    digest = hashlib.sha256(content).hexdigest()
    existing = set(ControlImplementation.objects.values_list("control_id", "scope", "asset_id"))
    rows: list[ControlImplementation] = []
    for control in org_controls:
        if (control.pk, "organisation", None) not in existing:
            rows.append(
                ControlImplementation(
                    control=control,
                    scope="organisation",
                    status=ControlImplementation.Status.IMPLEMENTED,
                    owner=officer,
                )
            )
    for system in systems:
        for control in rng.sample(system_controls, k=max(1, len(system_controls) // 5)):
            if (control.pk, "system", system.pk) in existing:
                continue
            implemented = rng.random() < 0.6
            rows.append(
                ControlImplementation(
                    control=control,
                    scope="system",
                    asset=system,
                    status=ControlImplementation.Status.IMPLEMENTED
                    if implemented
                    else ControlImplementation.Status.IN_PROGRESS,
                    owner=officer,
                )
            )
    with transaction.atomic():
        ControlImplementation.objects.bulk_create(rows, batch_size=2000)
        evidence = [
            Evidence(
                implementation=row,
                kind=Evidence.Kind.FILE,
                file=stored,
                original_name="demo-evidence.txt",
                content_type="text/plain",
                size=len(content),
                sha256=digest,
                description=f"Demo evidence for {row.control.code}",
                valid_until=_validity(rng, today, index),
                uploaded_by=officer,
            )
            for index, row in enumerate(rows)
            if row.status == ControlImplementation.Status.IMPLEMENTED
        ]
        Evidence.objects.bulk_create(evidence, batch_size=2000)
        record_event(
            actor=officer,
            action="control_implementation.bulk_seed",
            object_type="control_implementation",
            object_repr="demo seed",
            after={"implementations": len(rows), "evidence": len(evidence)},
        )
    return len(rows)
