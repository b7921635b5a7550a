"""Readable words for the audit trail: what each action code means, what each kind of
object is called, and how a field name in a before/after snapshot reads.

The codes stay what the services write (they are hashed into the chain and the API and
exports carry them); people see these labels. tests/audit/test_labels.py reads every
action code the code base writes and fails when one has no label here.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import FieldDoesNotExist

# Area -> (action code -> label), in the order the filter lists them.
ACTION_AREAS: dict[str, dict[str, str]] = {
    "Inventory": {
        "asset.create": "Asset registered",
        "asset.update": "Asset edited",
        "asset.archive": "Asset archived",
        "asset.restore": "Asset restored",
        "asset.classify": "Asset classified (questionnaire answered)",
        "asset.reassign": "Asset handed to a new owner",
        "asset_link.create": "Lineage link added",
        "asset_link.delete": "Lineage link removed",
        "asset_link.sync_delete": "Lineage link removed by a registry sync (input gone)",
        "business_unit.create": "Business unit created",
        "import_job.requested": "Bulk import or registry sync queued for a worker",
        "inventory.imported": "Inventory file imported",
        "inventory.import_failed": "Inventory import refused (nothing written)",
        "import_job.failed": "Background import or sync failed",
        "organisation.update": "Organisation profile edited",
        "asset.sync_create": "Asset registered by a registry sync",
        "asset.sync_update": "Asset updated by a registry sync",
        "asset.sync_flag_deleted": "Asset flagged: deleted in the model registry",
        "model_registry.create": "Model registry added",
        "model_registry.update": "Model registry edited",
        "mlflow_sync.request": "MLflow sync requested",
        "mlflow_sync.finish": "MLflow sync finished",
        "mlflow_sync.fail_stale": "MLflow sync failed: the worker stopped",
        "mlflow_sync.confirm_archive": "Archive of a model deleted upstream confirmed",
    },
    "Risk": {
        "assessment.start": "Assessment started",
        "assessment.update": "Assessment draft edited",
        "assessment.discard": "Assessment draft discarded",
        "assessment.submit": "Assessment submitted for review",
        "assessment.approve": "Assessment approved",
        "assessment.return": "Assessment returned to its authors",
        "risk.create": "Risk added",
        "risk.update": "Risk edited",
        "risk.delete": "Risk removed",
        "risk.reassign": "Risk handed to a new owner",
        "risk.accept": "Residual risk accepted",
        "risk.acceptance_revoke": "Risk acceptance revoked",
        "risk.acceptance_expire": "Risk acceptance expired",
        "risk_matrix.create": "Risk matrix created",
        "risk_matrix.set_default": "Default risk matrix changed",
        "risk_matrix.load": "Risk matrix loaded from the catalog",
        "risk_matrix.upgrade": "Risk matrix upgraded from the catalog",
        "threat.load": "Threat loaded from the catalog",
        "threat.update": "Threat updated from the catalog",
        "threat.retire": "Threat retired from the catalog",
    },
    "Compliance": {
        "catalog.load": "Compliance catalog loaded",
        "control_implementation.create": "Control implementation recorded",
        "control_implementation.update": "Control implementation edited",
        "control_implementation.delete": "Control implementation removed",
        "control_implementation.flag_for_review": "Control flagged for re-verification",
        "controlimplementation.reassign": "Control implementation handed to a new owner",
        "evidence.add": "Evidence added",
        "evidence.download": "Evidence downloaded",
        "impact_template.load": "Impact assessment catalog loaded",
        "impact_assessment.start": "Impact assessment started",
        "impact_assessment.update": "Impact assessment draft edited",
        "impact_assessment.submit": "Impact assessment submitted for review",
        "impact_assessment.approve": "Impact assessment approved and filed as evidence",
        "impact_assessment.return": "Impact assessment returned to its authors",
    },
    "Incidents": {
        "incident.create": "Incident opened",
        "incident.update": "Incident edited",
        "incident.status": "Incident status changed",
        "incident.close": "Incident closed",
        "incident.reassign": "Incident handed to a new owner",
        "incident.timeline.action": "Incident action logged",
        "incident.notification": "Incident notification recorded",
        "incident.alert.firing": "Monitoring alert fired",
        "incident.alert.resolved": "Monitoring alert resolved",
        "incident.clock_alert": "Legal clock alert sent (50%, 90% or missed)",
    },
    "Reports": {
        "report.requested": "Report requested",
        "report.generated": "Report generated",
        "report.failed": "Report failed",
        "report.requeued": "Report re-queued after a stopped worker",
        "report.downloaded": "Report downloaded",
        "report.approved": "Report approved and re-issued with its sign-off",
        "report.files_expired": "Report files expired",
        "report_schedule.created": "Report schedule created",
        "report_schedule.deleted": "Report schedule deleted",
    },
    "People and access": {
        "user.create": "User created",
        "user.invite": "User invited",
        "user.set_role": "Role changed",
        "user.reactivate": "User reactivated",
        "user.offboard": "User offboarded",
        "user.change_password": "Password changed",
        "user.password_reset_link": "Password reset link sent",
        "user.password_set": "Password set from a reset link",
        "user.2fa_enable": "Two-factor authentication turned on",
        "user.2fa_disable": "Two-factor authentication turned off",
        "user.sso_provision": "User created by single sign-on",
        "user.sso_sync": "User updated by single sign-on",
        "auth.login": "Signed in",
        "auth.logout": "Signed out",
        "auth.login_failed": "Sign-in failed",
        "auth.2fa_verified": "Second factor verified",
        "auth.2fa_failed": "Second factor refused",
        "auth.password_reset_request": "Password reset requested",
        "api_token.create": "API token created",
        "api_token.revoke": "API token revoked",
    },
    "Security tests": {
        "scan.imported": "Security test results imported",
    },
    "Webhooks": {
        "webhook_endpoint.create": "Webhook endpoint registered",
        "webhook_endpoint.update": "Webhook endpoint edited",
        "webhook_endpoint.delete": "Webhook endpoint deleted",
        "webhook_endpoint.rotate_secret": "Webhook signing secret rotated",
        "webhook_endpoint.test": "Webhook test event sent",
    },
    "Audit trail": {
        "audit.verify": "Audit chain verified",
    },
    "Demo data": {
        "demo.risk_seed": "Demo risks seeded",
        "control_implementation.bulk_seed": "Demo control implementations seeded",
    },
}

ACTION_LABELS: dict[str, str] = {
    code: label for codes in ACTION_AREAS.values() for code, label in codes.items()
}

OBJECT_TYPE_LABELS: dict[str, str] = {
    "asset": "Asset",
    "asset_link": "Lineage link",
    "business_unit": "Business unit",
    "import_job": "Import or sync job",
    "organisation": "Organisation profile",
    "model_registry": "Model registry",
    "sync_run": "Registry sync",
    "assessment": "Assessment",
    "risk": "Risk",
    "risk_matrix": "Risk matrix",
    "threat": "Threat",
    "compliance_catalog": "Compliance catalog",
    "control_implementation": "Control implementation",
    "controlimplementation": "Control implementation",
    "evidence": "Evidence",
    "impact_assessment": "Impact assessment",
    "impact_template": "Impact assessment catalog",
    "incident": "Incident",
    "report": "Report",
    "scheduled_report": "Report schedule",
    "user": "User",
    "login": "Sign-in attempt",
    "api_token": "API token",
    "audit_trail": "Audit trail",
    "webhook_endpoint": "Webhook endpoint",
}

# Words a field name is made of that are not simply capitalised.
_WORDS = {
    "ai": "AI",
    "api": "API",
    "ccpa": "CCPA",
    "cpra": "CPRA",
    "dpia": "DPIA",
    "dpo": "DPO",
    "eu": "EU",
    "flops": "FLOPs",
    "gdpr": "GDPR",
    "gpai": "GPAI",
    "id": "ID",
    "ip": "IP",
    "sha256": "SHA-256",
    "sso": "SSO",
    "url": "URL",
    "uuid": "ID",
    "2fa": "two-factor",
}

# Field names whose label is not their words.
FIELD_LABELS: dict[str, str] = {
    # An AI system's technical documentation (inventory.models.ANNEX_IV_FIELDS)
    "interactions": "Interaction with other hardware and software",
    "market_forms": "Forms placed on the market",
    "instructions_for_use": "Instructions for use",
    "design_specifications": "Design and architecture",
    "predetermined_changes": "Pre-determined changes",
    "metrics_rationale": "Appropriateness of the metrics",
    "eu_declaration_reference": "EU declaration of conformity",
    "eu_declaration_date": "EU declaration of conformity date",
    "post_market_monitoring_plan": "Post-market monitoring plan",
    "owner_id": "Owner",
    "successor_id": "Successor",
    "actor_id": "Who",
    "role": "Role",
    "active": "Active",
    "moved": "Work handed over",
    "tier": "EU AI Act tier",
    "facts": "Classification facts",
    "own_risk_band": "Own risk band",
    "effective_risk_band": "Effective risk band",
    "gdpr": "GDPR applies",
    "ccpa": "CCPA applies",
    "answers": "Questionnaire answers",
    "annex_iii_points": "Annex III points",
    "ccpa_annual_revenue_usd": "Annual revenue (USD, CCPA threshold)",
    "ccpa_consumers_pi_processed": "Consumers whose personal information is processed (CCPA)",
    "upstream": "Upstream asset",
    "downstream": "Downstream asset",
    "risks": "Risks",
    "risks_copied": "Risks carried over",
    "based_on": "Based on version",
    "matrix_version": "Matrix version",
    "next_review_due": "Next review due",
    "supersedes": "Supersedes",
    "acceptance": "Acceptance",
    "expires_on": "Expires on",
    "entry": "Timeline entry",
    "at": "At",
    "needs_review": "Needs re-verification",
    "review_reason": "Reason for re-verification",
    "review_what_failed": "Review: what failed",
    "review_changes": "Review: what changes",
    "events_verified": "Events verified",
    "run": "Verification run",
    "intact": "Intact",
    "problems": "Broken events",
    "attempt_requeued": "Re-queued",
    "tracking_uri": "Tracking URI",
    "token_env": "Token environment variable",
    "upstream_record": "Model registry record",
    "upstream_records": "Model registry records",
    "sync_run": "Registry sync",
    "events": "Events",
    "secret_hint": "Secret (last characters)",
    "sync_job": "Registry sync",
    "links_created": "Lineage links added",
    "links_removed": "Lineage links removed",
}

# Snapshot fields that hold a user's database id: shown as the person.
USER_FIELDS = frozenset(
    {
        "owner",
        "owner_id",
        "successor_id",
        "approved_by",
        "requested_by",
        "answered_by",
        "created_by",
        "user",
        "user_id",
    }
)

_SPLIT = re.compile(r"[_\s]+")


def action_label(code: str) -> str:
    """The readable label of an action; an unknown code reads as its words, so a
    page never fails on an event written before a label existed."""
    if code in ACTION_LABELS:
        return ACTION_LABELS[code]
    return humanise(code.replace(".", " "))


def object_type_label(object_type: str) -> str:
    return OBJECT_TYPE_LABELS.get(object_type) or humanise(object_type)


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name) or humanise(name)


def model_field_label(model: Any, name: str) -> str:
    """A model field's label: its own verbose name when one was written, else the
    audit trail's label of the name (Django's default verbose name is the raw name
    with spaces: "ccpa applies")."""
    try:
        verbose = str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a snapshot key, not a field: the name's label
        return field_label(name)
    if name in FIELD_LABELS or verbose == name.replace("_", " "):
        return field_label(name)
    return verbose[:1].upper() + verbose[1:]


def humanise(name: str) -> str:
    """`ccpa_applies` -> "CCPA applies", `record_count` -> "Record count"."""
    words = [_WORDS.get(w.lower(), w.lower()) for w in _SPLIT.split(name.strip()) if w]
    if not words:
        return ""
    first = words[0]
    words[0] = first if first[:1].isupper() else first[:1].upper() + first[1:]
    return " ".join(words)


def action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The action filter's options: readable labels grouped by area (the value is the
    code); each area starts with "any action of the area"."""
    groups = []
    for area, codes in ACTION_AREAS.items():
        options = [(area_value(area), f"Any {area.lower()} action")]
        options += sorted(codes.items(), key=lambda item: item[1])
        groups.append((area, options))
    return groups


def area_value(area: str) -> str:
    return "area:" + _SPLIT.sub("-", area.lower())


def area_codes(value: str) -> list[str] | None:
    """The codes of the area an `area:<slug>` filter value names (None: not an area)."""
    for area, codes in ACTION_AREAS.items():
        if area_value(area) == value:
            return list(codes)
    return None


def object_type_choices() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for code, label in OBJECT_TYPE_LABELS.items():
        seen.setdefault(label, code)  # one option per label ("Control implementation")
    return sorted(((code, label) for label, code in seen.items()), key=lambda c: c[1])
