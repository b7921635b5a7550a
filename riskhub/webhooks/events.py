"""The events RiskHub sends to webhooks, each read from the audit event that records it,
and the payload a receiver gets.

Every event is a state change already on the audit trail, so there is one mechanism:
the trail announces committed events (`riskhub.audit.signals.events_committed`) and
the dispatcher maps action codes (and, where one action means several things, a
predicate on the event's `after` snapshot) to event types. The payload carries what a
receiver needs to route the event and fetch the rest through the API: no free text a
person wrote (comments, rationales, an incident's title or description), no emails.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.urls import reverse

from riskhub.audit.models import AuditEvent
from riskhub.common.mail import absolute_url

TEST_EVENT = "webhook.test"


def _always(after: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True)
class EventType:
    code: str
    label: str
    action: str  # the audit action that records it
    applies: Callable[[dict[str, Any]], bool] = _always


EVENT_TYPES: tuple[EventType, ...] = (
    EventType("assessment.approved", "Assessment approved", "assessment.approve"),
    EventType("assessment.returned", "Assessment returned to its authors", "assessment.return"),
    EventType("risk.accepted", "Residual risk accepted", "risk.accept"),
    EventType("risk.acceptance_expired", "Risk acceptance expired", "risk.acceptance_expire"),
    EventType("incident.opened", "Incident opened", "incident.create"),
    EventType(
        "incident.clock_90",
        "Legal clock at 90% of its window",
        "incident.clock_alert",
        lambda after: after.get("threshold") == "90",
    ),
    EventType(
        "incident.clock_missed",
        "Legal clock missed",
        "incident.clock_alert",
        lambda after: after.get("threshold") == "missed",
    ),
    EventType("report.ready", "Report ready", "report.generated"),
    # Recorded by riskhub.scans: after = {"asset": pk, "tool", "findings", "failed"}.
    EventType(
        "scan.imported_with_failures",
        "Scan imported with failures",
        "scan.imported",
        lambda after: _int(after.get("failed")) > 0,
    ),
)
EVENT_CODES = frozenset(t.code for t in EVENT_TYPES)
EVENT_CHOICES = [(t.code, t.label) for t in EVENT_TYPES]
AUDIT_ACTIONS = frozenset(t.action for t in EVENT_TYPES)
_LABELS = {t.code: t.label for t in EVENT_TYPES} | {TEST_EVENT: "Test event"}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def event_label(code: str) -> str:
    return _LABELS.get(code, code)


def event_type_for(event: AuditEvent) -> EventType | None:
    """The webhook event an audit event is, if any (at most one)."""
    if event.action not in AUDIT_ACTIONS:
        return None
    after = event.after if isinstance(event.after, dict) else {}
    for event_type in EVENT_TYPES:
        if event_type.action == event.action and event_type.applies(after):
            return event_type
    return None


def envelope(
    *,
    event_id: uuid.UUID,
    event_type: str,
    occurred_at: datetime,
    object_type: str,
    object_id: str,
    url_path: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    return {
        "id": str(event_id),
        "type": event_type,
        "occurred_at": occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "object": {"type": object_type, "id": object_id, "url": absolute_url(url_path)},
        "data": data,
    }


def payload(event: AuditEvent, event_type: EventType) -> dict[str, Any]:
    """The JSON document sent for an audit event (built once, for every endpoint)."""
    builder = _BUILDERS[event_type.action]
    after = event.after if isinstance(event.after, dict) else {}
    before = event.before if isinstance(event.before, dict) else {}
    object_type, object_id, url_path, data = builder(event, before, after)
    return envelope(
        event_id=event.uuid,
        event_type=event_type.code,
        occurred_at=event.timestamp,
        object_type=object_type,
        object_id=object_id,
        url_path=url_path,
        data=data,
    )


def test_payload(*, endpoint_name: str, now: datetime) -> dict[str, Any]:
    return envelope(
        event_id=uuid.uuid4(),
        event_type=TEST_EVENT,
        occurred_at=now,
        object_type="webhook_endpoint",
        object_id="",
        url_path=reverse("webhooks:index"),
        data={"message": f"A test event for the endpoint “{endpoint_name}”."},
    )


# --- what each event says ----------------------------------------------------------------

Built = tuple[str, str, str, dict[str, Any]]  # object type, id, URL path, data


def _asset(asset: Any) -> dict[str, Any]:
    return {"id": str(asset.uuid), "name": asset.name, "kind": asset.kind}


def _assessment(event: AuditEvent, before: dict[str, Any], after: dict[str, Any]) -> Built:
    from riskhub.risk.models import Assessment

    data: dict[str, Any] = {"status": after.get("status")}
    found = Assessment.objects.select_related("asset").filter(uuid=event.object_id).first()
    if found is not None:
        data |= {"version": found.version, "asset": _asset(found.asset)}
    if after.get("next_review_due"):
        data["next_review_due"] = after["next_review_due"]
    path = reverse("risk:assessment", args=[event.object_id])
    return "assessment", event.object_id, path, data


def _risk(event: AuditEvent, before: dict[str, Any], after: dict[str, Any]) -> Built:
    from riskhub.risk.models import Risk

    data: dict[str, Any] = {"title": event.object_repr, "status": after.get("status")}
    expires_on = after.get("expires_on") or before.get("expires_on")
    if expires_on:
        data["expires_on"] = expires_on
    if after.get("acceptance"):
        data["acceptance"] = after["acceptance"]
    found = Risk.objects.select_related("assessment__asset").filter(uuid=event.object_id).first()
    if found is None:
        return "risk", event.object_id, reverse("risk:index"), data
    assessment = found.assessment
    data |= {"assessment": str(assessment.uuid), "asset": _asset(assessment.asset)}
    path = reverse("risk:assessment", args=[assessment.uuid])
    return "risk", event.object_id, path, data


def _incident(event: AuditEvent, before: dict[str, Any], after: dict[str, Any]) -> Built:
    # The title and description are free text written during an incident (they may name
    # people): the receiver follows the link instead.
    data = {
        "severity": after.get("severity"),
        "status": after.get("status"),
        "categories": after.get("categories") or [],
        "personal_data_breach": bool(after.get("personal_data_breach")),
        "threat": after.get("threat"),
        "assets": after.get("assets") or [],
    }
    path = reverse("incidents:detail", args=[event.object_id])
    return "incident", event.object_id, path, data


def _clock(event: AuditEvent, before: dict[str, Any], after: dict[str, Any]) -> Built:
    data = {
        "clock": after.get("clock"),
        "threshold": after.get("threshold"),
        "due": after.get("due"),
    }
    path = reverse("incidents:detail", args=[event.object_id])
    return "incident", event.object_id, path, data


def _report(event: AuditEvent, before: dict[str, Any], after: dict[str, Any]) -> Built:
    from riskhub.reports.models import Report

    data: dict[str, Any] = {
        "title": event.object_repr,
        "sha256": after.get("sha256"),
        "pages": after.get("pages"),
    }
    kind = Report.objects.filter(uuid=event.object_id).values_list("kind", flat=True).first()
    if kind:
        data["kind"] = kind
    path = reverse("reports:detail", args=[event.object_id])
    return "report", event.object_id, path, data


def _scan(event: AuditEvent, before: dict[str, Any], after: dict[str, Any]) -> Built:
    from riskhub.inventory.models import Asset

    data: dict[str, Any] = {
        "tool": after.get("tool"),
        "findings": _int(after.get("findings")),
        "failed": _int(after.get("failed")),
    }
    asset = Asset.objects.filter(pk=_int(after.get("asset"))).first()
    if asset is None:
        path = reverse("inventory:list")
    else:
        data["asset"] = _asset(asset)
        path = reverse("inventory:detail", args=[asset.uuid])
    return event.object_type or "scan", event.object_id, path, data


_BUILDERS: dict[str, Callable[[AuditEvent, dict[str, Any], dict[str, Any]], Built]] = {
    "assessment.approve": _assessment,
    "assessment.return": _assessment,
    "risk.accept": _risk,
    "risk.acceptance_expire": _risk,
    "incident.create": _incident,
    "incident.clock_alert": _clock,
    "report.generated": _report,
    "scan.imported": _scan,
}
