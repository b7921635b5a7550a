"""Every read of the incidents app, each with a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import F, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.incidents import clocks as legal
from riskhub.incidents import services
from riskhub.incidents.models import Incident, TimelineEntry
from riskhub.inventory.models import Asset, OrganisationProfile


@dataclass
class IncidentFilters:
    status: str = ""  # "" = not closed, "all", or a status
    severity: str = ""
    category: str = ""
    owner: int | None = None
    clocks: str = ""  # "running" | "missed" | ""
    q: str = ""


def _notifications() -> Prefetch:
    return Prefetch(
        "timeline",
        queryset=TimelineEntry.objects.filter(kind=TimelineEntry.Kind.NOTIFICATION).order_by("at"),
        to_attr="notification_entries",
    )


def incidents(filters: IncidentFilters | None = None) -> QuerySet[Incident]:
    """The register: incidents with a pending duty first (earliest due first), then
    the others by awareness, newest first. Clocks come from the prefetched
    notifications, so a page costs the same whatever its size."""
    f = filters or IncidentFilters()
    qs = Incident.objects.select_related("owner").prefetch_related(
        Prefetch("assets", queryset=Asset.objects.only("pk", "uuid", "name", "kind")),
        _notifications(),
    )
    if f.status == "all":
        pass
    elif f.status:
        qs = qs.filter(status=f.status)
    else:
        qs = qs.exclude(status=Incident.Status.CLOSED)
    if f.severity:
        qs = qs.filter(severity=f.severity)
    if f.category:
        # JSON "contains" is not portable to SQLite; categories are short, so match the
        # quoted code inside the stored list text.
        qs = qs.filter(categories__icontains=f'"{f.category}"')
    if f.owner:
        qs = qs.filter(owner_id=f.owner)
    if f.clocks == "running":
        qs = qs.filter(next_due_at__gte=timezone.now())
    elif f.clocks == "missed":
        qs = qs.filter(next_due_at__lt=timezone.now())
    if f.q:
        qs = qs.filter(
            Q(title__icontains=f.q) | Q(description__icontains=f.q) | Q(assets__name__icontains=f.q)
        ).distinct()
    return qs.order_by(F("next_due_at").asc(nulls_last=True), "-aware_at", "-id")


@dataclass
class Row:
    incident: Incident
    clocks: list[legal.Clock] = field(default_factory=list)

    @property
    def running(self) -> list[legal.Clock]:
        return [c for c in self.clocks if c.status == legal.Status.RUNNING]


def with_clocks(
    items: list[Incident], org: OrganisationProfile, now: datetime | None = None
) -> list[Row]:
    now = now or timezone.now()
    rows = []
    for incident in items:
        entries = getattr(incident, "notification_entries", None)
        if entries is None:
            entries = list(incident.timeline.all())
        found, _ = services.evaluate(incident, org, entries, now)
        rows.append(Row(incident, found))
    return rows


def organisation() -> OrganisationProfile:
    return services.organisation()


def incident_get(uuid: UUID | str) -> Incident:
    return get_object_or_404(
        Incident.objects.select_related("owner", "threat", "reviewed_by", "created_by"),
        uuid=uuid,
    )


@dataclass
class Detail:
    incident: Incident
    assets: list[Asset]
    timeline: list[TimelineEntry]
    clocks: list[legal.Clock]
    why_not: list[str]
    possibly_affected: list[dict[str, Any]]
    risks: list[Any]
    controls: list[Any]


def incident_detail(uuid: UUID | str, now: datetime | None = None) -> Detail:
    incident = incident_get(uuid)
    org = organisation()
    # Shown to the minute: within one minute, keep the order entries were recorded in
    # (a notification typed as 09:47 must not appear before the 09:47:31 opening).
    timeline = sorted(
        incident.timeline.select_related("actor"),
        key=lambda e: (e.at.replace(second=0, microsecond=0), e.pk),
    )
    found, why_not = services.evaluate(incident, org, timeline, now)
    return Detail(
        incident=incident,
        assets=list(incident.assets.only("pk", "uuid", "name", "kind", "tier")),
        timeline=timeline,
        clocks=found,
        why_not=why_not,
        possibly_affected=(incident.facts_snapshot or {}).get("possibly_affected", []),
        risks=list(incident.risks.select_related("assessment__asset")),
        controls=list(incident.controls.all()),
    )


def open_incidents_owned_by(user: User) -> QuerySet[Incident]:
    """The incidents a person still handles: theirs and not closed."""
    return Incident.objects.filter(owner=user).exclude(status=Incident.Status.CLOSED)


def owners() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("email")


def active_assets() -> QuerySet[Asset]:
    return Asset.objects.filter(archived_at__isnull=True).only("pk", "uuid", "name", "kind")
