"""Small generated inventories for the consistency suite, written through the real
services (inventory, risk, compliance), plus the readers that pull the same figures
out of every surface: the dashboard API, the dashboard page's data tables, today's
snapshot and each report kind's data JSON.

A spec is plain data drawn by hypothesis; `build` turns it into rows the way a user
would (register, classify, link, assess, submit, approve, accept, add evidence,
archive), so the figures are compared on data no factory shortcut produced."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.utils import timezone
from hypothesis import strategies as st

from riskhub.accounts.models import User
from riskhub.compliance import services as compliance_services
from riskhub.compliance.models import Control
from riskhub.inventory import services as inventory
from riskhub.inventory.models import Asset, BusinessUnit
from riskhub.risk import services as risk_services
from riskhub.risk.models import RiskMatrix

MATRICES = ("default-5x5", "simple-3x3")
DUE_OFFSETS = (None, -30, -1, 0, 1, 45)
EVIDENCE_OFFSETS = (None, -5, -1, 0, 1, 29, 30, 31, 90)
HIRING = {
    "is_ai_system": True,
    "annex_iii_points": ["4(a)"],
    "role": ["deployer"],
    "gdpr": {"personal_data": True, "automated_decisions": True},
}


@dataclass
class RiskSpec:
    residual: tuple[int, int]
    treatment: str  # mitigate | accept
    due: int | None  # days from today
    acceptance: str  # none | active | expiring | expired


@dataclass
class AssetSpec:
    kind: str
    unit: int | None  # index into the two business units, None: no unit
    assessment: str  # none | draft | approved
    matrix: int
    risks: list[RiskSpec] = field(default_factory=list)
    evidence: list[int | None] = field(default_factory=list)  # valid_until offsets
    archived: bool = False


risk_specs = st.builds(
    RiskSpec,
    residual=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    treatment=st.sampled_from(["mitigate", "accept"]),
    due=st.sampled_from(DUE_OFFSETS),
    acceptance=st.sampled_from(["none", "none", "active", "expiring", "expired"]),
)

asset_specs = st.builds(
    AssetSpec,
    kind=st.sampled_from(["system", "model", "dataset", "endpoint"]),
    unit=st.sampled_from([0, 1, None]),
    assessment=st.sampled_from(["none", "draft", "approved", "approved"]),
    matrix=st.integers(0, len(MATRICES) - 1),
    risks=st.lists(risk_specs, min_size=0, max_size=4),
    evidence=st.lists(st.sampled_from(EVIDENCE_OFFSETS), max_size=3),
    archived=st.booleans(),
)

# At least one approved system in business unit 0, so each scope has something in it.
inventories = st.lists(asset_specs, min_size=2, max_size=6).map(
    lambda specs: [
        AssetSpec(
            kind="system",
            unit=0,
            assessment="approved",
            matrix=0,
            risks=[RiskSpec((3, 3), "mitigate", -1, "none")],
            evidence=[10],
        ),
        *specs,
    ]
)


@dataclass
class Built:
    units: list[BusinessUnit]
    assets: list[Asset]
    systems: list[Asset]


def _risk_fields(spec: RiskSpec, n: int, owner: User, today: dt.date) -> dict[str, Any]:
    due = today + dt.timedelta(days=spec.due) if spec.due is not None else None
    if spec.treatment == "mitigate" and due is None:
        due = today + dt.timedelta(days=60)  # submit requires one
    return {
        "title": f"Risk {n}",
        "inherent_impact": 3,
        "inherent_likelihood": 3,
        "residual_impact": spec.residual[0],
        "residual_likelihood": spec.residual[1],
        "treatment": spec.treatment,
        "owner": owner,
        "due_date": due,
    }


def build(specs: list[AssetSpec], *, officer: User, executive: User) -> Built:
    """Write the inventory through the services. The caller runs this inside
    captured on-commit callbacks so the recomputations the services schedule run."""
    today = timezone.localdate()
    units = [
        inventory.business_unit_get_or_create(actor=officer, name=name)
        for name in ("People & HR", "Finance")
    ]
    matrices = [RiskMatrix.objects.get(code=code) for code in MATRICES]
    control = Control.objects.get(code="CTL-RISK-MGMT")
    assets: list[Asset] = []
    for i, spec in enumerate(specs):
        fields: dict[str, Any] = {"kind": spec.kind, "name": f"{spec.kind.title()} {i}"}
        if spec.unit is not None:
            fields["business_unit"] = units[spec.unit]
        if spec.kind == "model":
            fields["model_type"] = "classifier"
        if spec.kind == "endpoint":
            fields["exposure"] = "internal"
        if spec.kind == "system":
            fields["intended_purpose"] = "Rank job applications."
        asset = inventory.asset_create(actor=officer, **fields)
        if spec.kind == "system":
            inventory.classification_answer(actor=officer, asset=asset, answers=HIRING)
        assets.append(asset)
    _link(assets, officer)
    for asset, spec in zip(assets, specs, strict=True):
        _assess(asset, spec, matrices[spec.matrix], officer, executive, today)
        if spec.evidence:
            implementation = compliance_services.implementation_create(
                actor=officer, control=control, scope="asset", asset=asset, status="implemented"
            )
            for n, offset in enumerate(spec.evidence):
                compliance_services.evidence_add_link(
                    actor=officer,
                    implementation=implementation,
                    url=f"https://wiki.example.com/evidence/{asset.pk}/{n}",
                    description=f"Procedure {n}",
                    valid_until=today + dt.timedelta(days=offset) if offset is not None else None,
                )
    # One organisation-wide control with valid evidence: GDPR Art. 24 is met for every
    # asset the GDPR applies to (an implementation counts for everything in its scope).
    accountability = compliance_services.implementation_create(
        actor=officer,
        control=Control.objects.get(code="CTL-ACCOUNTABILITY"),
        scope="organisation",
        status="implemented",
    )
    compliance_services.evidence_add_link(
        actor=officer,
        implementation=accountability,
        url="https://wiki.example.com/accountability",
        description="Accountability framework",
        valid_until=today + dt.timedelta(days=365),
    )
    # Acceptances that ran out: the nightly sweep reopens their risks.
    risk_services.acceptances_expire(today=today)
    for asset, spec in zip(assets, specs, strict=True):
        # Assessed assets are archived too: their risks must leave every surface at once
        # (riskhub.risk.selectors.register_q).
        if spec.archived:
            inventory.asset_archive(actor=officer, asset=asset)
    compliance_services.coverage_recompute()
    risk_services.effective_risk_recompute()
    return Built(units, assets, [a for a in assets if a.kind == "system"])


def _link(assets: list[Asset], officer: User) -> None:
    """Lineage: datasets train models, models are part of systems, endpoints serve
    models (the first of each kind upstream of the others)."""
    by_kind: dict[str, list[Asset]] = {}
    for a in assets:
        by_kind.setdefault(a.kind, []).append(a)
    models = by_kind.get("model", [])
    for dataset in by_kind.get("dataset", []):
        if models:
            inventory.link_create(
                actor=officer, upstream=dataset, downstream=models[0], relation="trained_on"
            )
    for model in models:
        for system in by_kind.get("system", [])[:1]:
            inventory.link_create(
                actor=officer, upstream=model, downstream=system, relation="part_of"
            )
        for endpoint in by_kind.get("endpoint", [])[:1]:
            inventory.link_create(
                actor=officer, upstream=model, downstream=endpoint, relation="serves"
            )


def _assess(
    asset: Asset,
    spec: AssetSpec,
    matrix: RiskMatrix,
    officer: User,
    executive: User,
    today: dt.date,
) -> None:
    if spec.assessment == "none":
        return
    assessment = risk_services.assessment_start(actor=officer, asset=asset, matrix=matrix)
    fields = [_risk_fields(r, n, officer, today) for n, r in enumerate(spec.risks)]
    assessment = risk_services.assessment_save(
        actor=officer,
        assessment=assessment,
        expected_revision=assessment.revision,
        summary="Reviewed with the product team.",
        risks=fields,
    )
    if spec.assessment == "draft":
        return
    assessment = risk_services.assessment_submit(actor=officer, assessment=assessment)
    assessment = risk_services.assessment_approve(actor=executive, assessment=assessment)
    for risk, rspec in zip(assessment.risks.order_by("title"), _by_title(spec.risks), strict=True):
        if rspec.acceptance == "none":
            continue
        if rspec.acceptance == "expired":
            # Accepted ten days ago for a week: it ran out three days ago.
            risk_services.acceptance_create(
                actor=executive,
                risk=risk,
                rationale="Compensating controls.",
                expires_on=today - dt.timedelta(days=3),
                today=today - dt.timedelta(days=10),
            )
            continue
        days = 10 if rspec.acceptance == "expiring" else 200
        risk_services.acceptance_create(
            actor=executive,
            risk=risk,
            rationale="Compensating controls.",
            expires_on=today + dt.timedelta(days=days),
        )


def _by_title(risks: list[RiskSpec]) -> list[RiskSpec]:
    """The specs in the order of their titles ("Risk 0", "Risk 1", ... "Risk 10")."""
    return [
        r for _, r in sorted(((f"Risk {n}", r) for n, r in enumerate(risks)), key=lambda x: x[0])
    ]


# --- Reading the dashboard page's data tables ---------------------------------------


class _Tables(HTMLParser):
    """Every <table> of a page as {caption: [[cell text, ...], ...]} (body rows)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: list[str] | None = None
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._in_body = False
        self._current_caption = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._rows, self._current_caption = [], ""
        elif tag == "caption":
            self._caption = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self._current_caption = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table" and self._rows is not None:
            key, n = self._current_caption, 2
            while key in self.tables:
                key, n = f"{self._current_caption} #{n}", n + 1
            self.tables[key] = self._rows
            self._rows = None

    def handle_data(self, data: str) -> None:
        if self._caption is not None:
            self._caption.append(data)
        if self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def number(text: str) -> int:
    """A count as the page writes it, grouped by thousands ("5,440")."""
    return int(text.strip().replace(",", ""))


def first_int(text: str) -> int:
    match = re.search(r"-?\d[\d,]*", text)
    assert match, f"no number in {text!r}"
    return number(match.group())
