"""Every write of the incidents app: validated, transactional, audited.

Consequences of opening an incident on an asset (decided here, tested in
tests/incidents/test_services.py):
* a draft reassessment is started, through the risk app's `assessment_start`, for every
  affected asset *and* every asset downstream of it in the lineage (at most
  REASSESS_LIMIT assets; the rest are listed on the timeline), since a poisoned dataset
  puts the models trained on it and the endpoints serving them in question too;
* the control implementations of the affected assets (asset scope, and system scope of
  the systems that contain them) are flagged for re-verification through the compliance
  app's `implementation_flag_for_review`, which records an audit event for each one it
  flags (one already flagged for the same reason is left alone).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.accounts.policy import has_perm, require
from riskhub.audit.services import record_event
from riskhub.common.ownership import reassign_owner
from riskhub.common.updates import guarded_update
from riskhub.compliance import services as compliance_services
from riskhub.compliance.applicability import DateEntry, parse_dates
from riskhub.compliance.models import Control, ControlImplementation, Requirement
from riskhub.incidents import clocks as legal
from riskhub.incidents import notifications
from riskhub.incidents.models import ClockAlert, Incident, TimelineEntry
from riskhub.inventory import lineage
from riskhub.inventory.models import Asset, OrganisationProfile
from riskhub.inventory.services import organisation
from riskhub.risk import services as risk_services
from riskhub.risk.models import Risk, Threat

REASSESS_LIMIT = 25
CLOCK_SKEW = timedelta(minutes=5)
EDITABLE = [
    "title",
    "description",
    "occurred_at",
    "aware_at",
    "categories",
    "threat",
    "personal_data_breach",
    "breach_risk_unlikely",
    "high_risk_to_individuals",
    "serious_incident",
    "california_residents",
    "severity",
    "owner",
]


# --- facts and clocks -----------------------------------------------------------------


def _snapshot_for(asset_ids: Sequence[int]) -> dict[str, Any]:
    """Roles and tiers of the affected systems, and the assets possibly affected through
    lineage. Stored on the incident so lists compute clocks without walking lineage."""
    if not asset_ids:
        return {"systems": [], "gdpr": False, "possibly_affected": []}
    reach = lineage.downstream(asset_ids, inclusive=True)
    rows = Asset.objects.filter(pk__in=reach).only(
        "pk", "uuid", "name", "kind", "tier", "facts", "gdpr_applies", "subjects_eu"
    )
    systems = []
    gdpr = False
    possibly = []
    affected = set(asset_ids)
    for asset in sorted(rows, key=lambda a: a.name.lower()):
        # The category (annex_i / annex_iii) decides from when the AI Act clocks are law.
        tokens = [
            t
            for t in (asset.facts or [])
            if t.startswith(("role:", "tier:")) or t in ("annex_i", "annex_iii")
        ]
        if tokens:
            systems.append(
                {"uuid": str(asset.uuid), "name": asset.name, "kind": asset.kind, "facts": tokens}
            )
        gdpr = gdpr or asset.gdpr_applies or asset.subjects_eu or "gdpr:applies" in asset.facts
        if asset.pk not in affected:
            possibly.append({"uuid": str(asset.uuid), "name": asset.name, "kind": asset.kind})
    return {"systems": systems, "gdpr": gdpr, "possibly_affected": possibly}


def clock_dates(org: OrganisationProfile) -> dict[str, tuple[DateEntry, ...]]:
    """The catalog's applies_from entries for the AI Act duties the clocks run (Art 73,
    Art 26), read once per organisation object: a list of incidents costs one query,
    whatever its length."""
    cached: dict[str, tuple[DateEntry, ...]] | None = getattr(org, "_clock_dates", None)
    if cached is None:
        rows = Requirement.objects.filter(
            framework__slug="eu-ai-act",
            ref__in=set(legal.AI_ACT_DATE_REFS.values()),
            retired=False,
        ).values_list("ref", "applies_from")
        cached = {ref: parse_dates(entries) for ref, entries in rows}
        org._clock_dates = cached  # type: ignore[attr-defined]
    return cached


def facts_for(incident: Incident, org: OrganisationProfile) -> legal.Facts:
    snapshot = incident.facts_snapshot or {}
    return legal.Facts(
        aware_at=incident.aware_at,
        time_zone=org.time_zone,
        personal_data_breach=incident.personal_data_breach,
        breach_risk_unlikely=incident.breach_risk_unlikely,
        high_risk_to_individuals=incident.high_risk_to_individuals,
        serious_incident=incident.serious_incident or None,
        california_residents=incident.california_residents,
        systems=tuple(frozenset(s.get("facts", [])) for s in snapshot.get("systems", [])),
        gdpr_applies=bool(snapshot.get("gdpr")) or org.eu_established,
        gdpr_role=org.gdpr_role,
        ca_conducts_business=org.ca_conducts_business,
        ca_breach_role=org.ca_breach_role,
        ai_act_dates=clock_dates(org),
    )


def notifications_of(entries: Iterable[TimelineEntry]) -> list[legal.Notification]:
    return [
        legal.Notification(clock=e.clock, at=e.at)
        for e in entries
        if e.kind == TimelineEntry.Kind.NOTIFICATION and e.clock
    ]


def evaluate(
    incident: Incident,
    org: OrganisationProfile,
    entries: Iterable[TimelineEntry],
    now: datetime | None = None,
) -> tuple[list[legal.Clock], list[str]]:
    return legal.evaluate(
        facts_for(incident, org), notifications_of(entries), now or timezone.now()
    )


def _refresh(incident: Incident, *, facts: bool = True) -> None:
    """Recompute the stored derived values (facts snapshot, next due moment)."""
    if facts:
        incident.facts_snapshot = _snapshot_for(list(incident.assets.values_list("pk", flat=True)))
    found, _ = evaluate(incident, organisation(), incident.timeline.all())
    pending = [c.due for c in found if c.notified_at is None]
    incident.next_due_at = min(pending) if pending and not incident.is_closed else None
    incident.save(update_fields=["facts_snapshot", "next_due_at", "updated_at"])


def incidents_refresh_open() -> int:
    """After a classification or lineage change: refresh every open incident (few)."""
    count = 0
    for incident in Incident.objects.exclude(status=Incident.Status.CLOSED):
        with transaction.atomic():
            _refresh(incident)
        count += 1
    return count


# --- validation -----------------------------------------------------------------------


def _snapshot(incident: Incident) -> dict[str, Any]:
    data = {name: getattr(incident, name) for name in EDITABLE if name not in ("threat", "owner")}
    data["threat"] = incident.threat.code if incident.threat else None
    data["owner"] = incident.owner_id
    data["status"] = incident.status
    return data


def _snapshot_with_assets(incident: Incident) -> dict[str, Any]:
    affected = incident.assets.order_by("pk").values_list("uuid", flat=True)
    return {**_snapshot(incident), "assets": [str(uuid) for uuid in affected]}


def _derive_categories(incident: Incident) -> None:
    categories = [c for c in incident.categories if c in Incident.Category.values]
    wanted = set(categories)
    if incident.personal_data_breach:
        wanted.add(Incident.Category.PERSONAL_DATA_BREACH)
    if incident.serious_incident:
        wanted.add(Incident.Category.SERIOUS_INCIDENT)
    if incident.threat_id:
        wanted.add(Incident.Category.SECURITY_ATTACK)
    if not wanted:
        wanted.add(Incident.Category.AI_MALFUNCTION)
    incident.categories = [c for c in Incident.Category.values if c in wanted]


def _validate(incident: Incident, *, now: datetime) -> None:
    errors: dict[str, str] = {}
    unknown = [c for c in incident.categories if c not in Incident.Category.values]
    if unknown:
        errors["categories"] = f"Unknown categories: {', '.join(map(str, unknown))}."
    if incident.aware_at and incident.aware_at > now + CLOCK_SKEW:
        errors["aware_at"] = "The organisation cannot become aware in the future."
    if incident.occurred_at and incident.aware_at and incident.occurred_at > incident.aware_at:
        errors["occurred_at"] = "It cannot have happened after the organisation became aware."
    if incident.high_risk_to_individuals and not incident.personal_data_breach:
        errors["high_risk_to_individuals"] = "Only a personal data breach carries this risk."
    if incident.breach_risk_unlikely and not incident.personal_data_breach:
        errors["breach_risk_unlikely"] = "Only a personal data breach can be assessed this way."
    if incident.breach_risk_unlikely and incident.high_risk_to_individuals:
        errors["breach_risk_unlikely"] = (
            "A breach cannot be both unlikely to result in a risk and a high risk."
        )
    if incident.california_residents and not incident.personal_data_breach:
        errors["california_residents"] = "Residents are counted for a personal data breach."
    if errors:
        raise ValidationError(errors)


def _add_entry(
    incident: Incident,
    *,
    kind: str,
    summary: str,
    actor: User | None,
    at: datetime | None = None,
    **fields: Any,
) -> TimelineEntry:
    entry = TimelineEntry(
        incident=incident,
        kind=kind,
        summary=summary,
        actor=actor,
        at=at or timezone.now(),
        **fields,
    )
    entry.full_clean()
    entry.save()
    return entry


def _assets(assets: Iterable[Asset]) -> list[Asset]:
    found = list(assets)
    archived = [a.name for a in found if a.is_archived]
    if archived:
        raise ValidationError(
            {"assets": f"Archived assets cannot be affected: {', '.join(archived)}."}
        )
    return found


# --- consequences ---------------------------------------------------------------------


def _consequences(actor: User, incident: Incident, assets: Sequence[Asset]) -> None:
    if not assets:
        return
    ids = [a.pk for a in assets]
    reach = lineage.downstream(ids, inclusive=True)
    targets = {a.pk: a for a in Asset.objects.filter(pk__in=reach, archived_at__isnull=True)}
    ordered = [targets[pk] for pk in ids if pk in targets] + sorted(
        (a for pk, a in targets.items() if pk not in ids), key=lambda a: a.name.lower()
    )
    started, skipped = [], []
    for asset in ordered[:REASSESS_LIMIT]:
        try:
            assessment = risk_services.assessment_start(actor=actor, asset=asset)
        except (ValidationError, PermissionDenied) as exc:
            message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            skipped.append(f"{asset.name}: {message}")
        else:
            started.append(f"{asset.name} (version {assessment.version})")
    lines = []
    if started:
        lines.append("Draft reassessment started for " + "; ".join(started) + ".")
    if skipped:
        lines.append("Not started: " + " ".join(skipped))
    if len(ordered) > REASSESS_LIMIT:
        rest = ", ".join(a.name for a in ordered[REASSESS_LIMIT:])
        lines.append(f"Reassess by hand (beyond {REASSESS_LIMIT} assets): {rest}.")

    from riskhub.compliance.selectors import systems_containing

    scope_ids = set(ids) | systems_containing(ids)
    flagged = []
    reason = f"Incident “{incident.title}” ({timezone.localdate():%Y-%m-%d}): re-verify."
    for implementation in (
        ControlImplementation.objects.select_for_update()
        .filter(asset_id__in=scope_ids)
        .select_related("control", "asset")
    ):
        if compliance_services.implementation_flag_for_review(
            actor=actor,
            implementation=implementation,
            reason=reason,
            context={"incident": incident.uuid},
        ):
            flagged.append(implementation.control.code)
    if flagged:
        lines.append(
            f"{len(flagged)} control implementation(s) flagged for re-verification: "
            + ", ".join(sorted(set(flagged)))
            + "."
        )
    if lines:
        _add_entry(
            incident, kind=TimelineEntry.Kind.CONSEQUENCE, summary=" ".join(lines), actor=actor
        )


# --- incidents ------------------------------------------------------------------------


@transaction.atomic
def incident_create(
    *,
    actor: User,
    title: str,
    aware_at: datetime,
    assets: Iterable[Asset] = (),
    description: str = "",
    occurred_at: datetime | None = None,
    categories: Sequence[str] = (),
    threat: Threat | None = None,
    personal_data_breach: bool = False,
    breach_risk_unlikely: bool = False,
    high_risk_to_individuals: bool = False,
    serious_incident: str | None = "",
    california_residents: int = 0,
    severity: str = Incident.Severity.MEDIUM,
    owner: User | None = None,
    risks: Iterable[Risk] = (),
    controls: Iterable[Control] = (),
    alert_fingerprint: str = "",
    now: datetime | None = None,
) -> Incident:
    require(actor, "incidents.edit")
    now = now or timezone.now()
    affected = _assets(assets)
    incident = Incident(
        title=title.strip(),
        description=description.strip(),
        aware_at=aware_at,
        occurred_at=occurred_at,
        categories=list(categories),
        threat=threat,
        personal_data_breach=personal_data_breach,
        breach_risk_unlikely=breach_risk_unlikely,
        high_risk_to_individuals=high_risk_to_individuals,
        serious_incident=serious_incident or "",
        california_residents=california_residents or 0,
        severity=severity,
        owner=owner or actor,
        alert_fingerprint=alert_fingerprint,
        created_by=actor,
    )
    _validate(incident, now=now)
    _derive_categories(incident)
    incident.full_clean()
    incident.save()
    incident.assets.set(affected)
    incident.risks.set(list(risks))
    incident.controls.set(list(controls))
    record_event(
        actor=actor,
        action="incident.create",
        object_type="incident",
        object_id=incident.uuid,
        object_repr=incident.title,
        after={**_snapshot(incident), "assets": [a.uuid for a in affected]},
    )
    _add_entry(
        incident,
        kind=TimelineEntry.Kind.OPENED,
        summary="Incident opened"
        + (f" on {', '.join(a.name for a in affected)}" if affected else "")
        + ".",
        actor=actor,
        at=now,
    )
    _consequences(actor, incident, affected)
    _refresh(incident)
    return incident


def _refuse_if_closed(incident: Incident) -> None:
    if incident.is_closed:
        raise ValidationError("A closed incident cannot be changed.")


def may_edit(actor: Any, incident: Incident) -> bool:
    """Officers and admins edit any incident; its owner edits theirs, whatever their
    role (they answer for its clocks)."""
    if has_perm(actor, "incidents.edit"):
        return True
    return (
        has_perm(actor, "incidents.view")
        and incident.owner_id is not None
        and incident.owner_id == actor.pk
    )


def _require_editor(actor: Any, incident: Incident) -> None:
    if not may_edit(actor, incident):
        raise PermissionDenied("Only risk officers, admins and the incident's owner edit it.")


def _duties(incident: Incident) -> list[legal.Clock]:
    """The duties that apply to the incident as it stands (before notifications)."""
    found, _ = legal.applicable(facts_for(incident, organisation()))
    return found


def _edit_snapshot(incident: Incident) -> dict[str, Any]:
    """What the audit trail compares for an edit: the details, the affected assets by
    name and the legal duties that apply, in words."""
    return {
        **_snapshot_with_assets(incident),
        "duties": sorted(legal.CODE_LABELS.get(c.code, c.code) for c in _duties(incident)),
    }


def shown(name: str, value: Any) -> str:
    """A snapshot value as a person reads it on the timeline."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value in (None, "", []):
        return "none"
    if name == "severity":
        return str(Incident.Severity(value).label)
    if name == "serious_incident":
        return str(Incident.SeriousIncident(value).label)
    if name == "categories":
        labels = dict(Incident.Category.choices)
        return ", ".join(str(labels.get(c, c)) for c in value)
    if name == "owner":
        return str(User.objects.filter(pk=value).first() or "a former user")
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    return str(value)


def _field_label(name: str) -> str:
    if name == "assets":
        return "affected assets"
    if name == "threat":
        return "threat"
    return str(getattr(Incident._meta.get_field(name), "verbose_name", name.replace("_", " ")))


def _change_lines(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    lines = []
    for name in after:
        if name == "duties":
            continue
        if name == "assets":
            old, new = set(before.get(name) or []), set(after.get(name) or [])
            named = dict(Asset.objects.filter(uuid__in=old | new).values_list("uuid", "name"))
            parts = []
            for verb, uuids in (("added", new - old), ("removed", old - new)):
                if uuids:
                    names = sorted(named.get(UUID(u), u) for u in uuids)
                    parts.append(f"{verb} {', '.join(names)}")
            lines.append(f"affected assets: {'; '.join(parts)}")
        elif name == "description":
            lines.append("description rewritten")
        else:
            lines.append(
                f"{_field_label(name)}: {shown(name, before.get(name))} → "
                f"{shown(name, after.get(name))}"
            )
    return lines


def _window_words(clock: legal.Clock) -> str:
    hours = clock.window.total_seconds() / 3600
    return f"{round(hours)}-hour" if hours <= 96 else f"{round(hours / 24)}-day"


def _duty_name(clock: legal.Clock) -> tuple[str, str]:
    """("GDPR Art. 33(1)", "GDPR"): the duty as the law names it, and the law."""
    name = legal.CODE_LABELS.get(clock.code, clock.ref).split(":")[0]
    law = name.split(" Art.")[0] if " Art." in name else name.rsplit(" ", 1)[0]
    return name, law


def _clock_changes(
    before: Sequence[legal.Clock], after: Sequence[legal.Clock], why_not: Sequence[str], cause: str
) -> list[str]:
    """One line per duty that appeared or went away, saying why."""
    old = {c.code: c for c in before}
    new = {c.code: c for c in after}
    lines = []
    for code, clock in new.items():
        if code not in old:
            name, _ = _duty_name(clock)
            lines.append(
                f"{name} {_window_words(clock)} clock started ({clock.title}, due "
                f"{timezone.localtime(clock.due):%Y-%m-%d %H:%M}): {cause}."
            )
    for code, clock in old.items():
        if code not in new:
            name, law = _duty_name(clock)
            reasons = [w for w in why_not if w.startswith(name)] or [
                w for w in why_not if w.startswith(law)
            ]
            lines.append(
                f"{name} {_window_words(clock)} clock withdrawn ({clock.title}): {cause}."
                + (f" {reasons[0]}" if reasons else "")
            )
    return lines


@transaction.atomic
def incident_update(
    *,
    actor: User,
    incident: Incident,
    assets: Iterable[Asset] | None = None,
    expected_version: int | None = None,
    **fields: Any,
) -> Incident:
    """Change an open incident's details and, when `assets` is given, its affected
    assets (officers, admins and the incident's owner). An edit started from an older
    `expected_version` is refused (EditConflict) and nothing is written. Every change is
    on the timeline field by field; every legal duty that appears or goes away is on it
    with the reason; a newly affected asset starts its reassessment. The audit event
    carries the changed details, assets and duties before and after."""
    _require_editor(actor, incident)
    if "serious_incident" in fields:
        fields["serious_incident"] = fields["serious_incident"] or ""
    wanted = None if assets is None else list(assets)
    added: list[Asset] = []
    duties_before: list[legal.Clock] = []

    def check(current: Incident) -> None:
        _refuse_if_closed(current)
        duties_before.extend(_duties(current))

    def prepare(current: Incident) -> None:
        _validate(current, now=timezone.now())
        _derive_categories(current)

    def link_assets(current: Incident) -> None:
        if wanted is not None:
            affected = _assets(wanted)
            existing = set(current.assets.values_list("pk", flat=True))
            added.extend(a for a in affected if a.pk not in existing)
            current.assets.set(affected)
        # The clocks read the facts of the affected systems: recompute them before the
        # after-snapshot names the duties.
        current.facts_snapshot = _snapshot_for(list(current.assets.values_list("pk", flat=True)))

    edit = guarded_update(
        incident,
        actor=actor,
        changes=fields,
        allowed=EDITABLE,
        action="incident.update",
        expected_version=expected_version,
        version_field="version",
        snapshot=_edit_snapshot,
        check=check,
        prepare=prepare,
        after_save=link_assets,
    )
    current = edit.instance
    if edit.changed:
        changes = _change_lines(edit.before, edit.after)
        if changes:
            _add_entry(
                current,
                kind=TimelineEntry.Kind.ACTION,
                summary="Details changed: " + "; ".join(changes) + ".",
                actor=actor,
            )
        duties_after, why_not = legal.applicable(facts_for(current, organisation()))
        # Categories follow the flags: the flags are the reason a person reads.
        causes = [c for c in changes if not c.startswith("categories:")] or changes
        cause = "; ".join(causes) or "the facts of the affected systems changed"
        for line in _clock_changes(duties_before, duties_after, why_not, cause):
            _add_entry(current, kind=TimelineEntry.Kind.ACTION, summary=line, actor=actor)
    _consequences(actor, current, added)
    _refresh(current)
    return current


@transaction.atomic
def incident_set_status(
    *, actor: User, incident: Incident, status: str, note: str = ""
) -> Incident:
    require(actor, "incidents.edit")
    current = Incident.objects.select_for_update().get(pk=incident.pk)
    if status == Incident.Status.CLOSED:
        raise ValidationError({"status": "Close the incident with its post-incident review."})
    if status not in Incident.Status.values:
        raise ValidationError({"status": "Unknown status."})
    if current.is_closed:
        raise ValidationError({"status": "This incident is closed."})
    if current.status == status:
        return current
    before = current.status
    current.status = status
    current.save(update_fields=["status", "updated_at"])
    record_event(
        actor=actor,
        action="incident.status",
        object_type="incident",
        object_id=current.uuid,
        object_repr=current.title,
        before={"status": before},
        after={"status": status},
    )
    label = Incident.Status(status).label
    _add_entry(
        current,
        kind=TimelineEntry.Kind.STATUS,
        summary=f"Status: {label.lower()}." + (f" {note.strip()}" if note.strip() else ""),
        actor=actor,
    )
    return current


@transaction.atomic
def incident_reassign_owner(*, actor: User, from_user: User, to_user: User) -> int:
    """Make `to_user` the owner of every incident `from_user` still handles
    (offboarding); one `incident.reassign` event each. Returns how many moved."""
    # selectors imports this module (for the legal clocks), so it is imported here.
    from riskhub.incidents.selectors import open_incidents_owned_by

    require(actor, "users.manage")
    moved = reassign_owner(
        actor=actor,
        rows=open_incidents_owned_by(from_user),
        from_user=from_user,
        to_user=to_user,
        object_type="incident",
    )
    return len(moved)


@transaction.atomic
def incident_close(
    *, actor: User, incident: Incident, what_failed: str, what_changes: str
) -> Incident:
    """Close with the post-incident review, kept with the incident."""
    require(actor, "incidents.edit")
    current = Incident.objects.select_for_update().get(pk=incident.pk)
    if current.is_closed:
        raise ValidationError("This incident is already closed.")
    errors = {}
    if not what_failed.strip():
        errors["what_failed"] = "Say what failed: the review is required to close."
    if not what_changes.strip():
        errors["what_changes"] = "Say what changes as a result: the review is required to close."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    before = current.status
    current.status = Incident.Status.CLOSED
    current.closed_at = now
    current.review_what_failed = what_failed.strip()
    current.review_changes = what_changes.strip()
    current.reviewed_by = actor
    current.reviewed_at = now
    current.full_clean()
    current.save()
    record_event(
        actor=actor,
        action="incident.close",
        object_type="incident",
        object_id=current.uuid,
        object_repr=current.title,
        before={"status": before},
        after={
            "status": current.status,
            "review_what_failed": current.review_what_failed,
            "review_changes": current.review_changes,
        },
    )
    _add_entry(
        current,
        kind=TimelineEntry.Kind.REVIEW,
        summary=f"Closed with review. What failed: {current.review_what_failed} "
        f"What changes: {current.review_changes}",
        actor=actor,
        at=now,
    )
    _refresh(current, facts=False)
    return current


@transaction.atomic
def timeline_add_action(
    *, actor: User, incident: Incident, summary: str, at: datetime | None = None
) -> TimelineEntry:
    require(actor, "incidents.edit")
    current = Incident.objects.select_for_update().get(pk=incident.pk)
    if not summary.strip():
        raise ValidationError({"summary": "Describe the action."})
    at = at or timezone.now()
    if at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"at": "An action cannot be recorded in the future."})
    entry = _add_entry(
        current, kind=TimelineEntry.Kind.ACTION, summary=summary.strip(), actor=actor, at=at
    )
    record_event(
        actor=actor,
        action="incident.timeline.action",
        object_type="incident",
        object_id=current.uuid,
        object_repr=current.title,
        after={"entry": entry.uuid, "at": at, "summary": entry.summary},
    )
    return entry


@transaction.atomic
def notification_record(
    *,
    actor: User,
    incident: Incident,
    clock: str,
    recipient: str,
    at: datetime,
    reference: str = "",
    notified_by: str = "",
    summary: str = "",
) -> TimelineEntry:
    """Record who notified whom, when, with which reference, under which duty."""
    require(actor, "incidents.edit")
    current = Incident.objects.select_for_update().get(pk=incident.pk)
    found, _ = evaluate(current, organisation(), current.timeline.all())
    titles = {c.code: c for c in found}
    errors: dict[str, str] = {}
    if clock not in titles:
        errors["clock"] = "Choose one of the duties that apply to this incident."
    if not recipient.strip():
        errors["recipient"] = "Say whom you notified."
    if at > timezone.now() + CLOCK_SKEW:
        errors["at"] = "A notification cannot be recorded in the future."
    elif at < current.aware_at:
        errors["at"] = "A notification cannot precede the moment of awareness."
    if errors:
        raise ValidationError(errors)
    duty = titles[clock]
    who = notified_by.strip() or str(actor)
    text = summary.strip() or f"{who} notified {recipient.strip()} ({duty.ref}: {duty.title})."
    entry = _add_entry(
        current,
        kind=TimelineEntry.Kind.NOTIFICATION,
        summary=text,
        actor=actor,
        at=at,
        clock=clock,
        recipient=recipient.strip(),
        notified_by=who,
        reference=reference.strip(),
    )
    record_event(
        actor=actor,
        action="incident.notification",
        object_type="incident",
        object_id=current.uuid,
        object_repr=current.title,
        after={
            "entry": entry.uuid,
            "clock": clock,
            "recipient": entry.recipient,
            "at": at,
            "reference": entry.reference,
        },
    )
    _refresh(current, facts=False)
    return entry


# --- monitoring webhook ---------------------------------------------------------------


@dataclass
class AlertOutcome:
    fingerprint: str
    result: str  # opened | updated | resolved | ignored
    incident: UUID | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "result": self.result,
            "incident": str(self.incident) if self.incident else None,
            "reason": self.reason,
        }


SEVERITY_LABELS = {
    "critical": Incident.Severity.CRITICAL,
    "page": Incident.Severity.CRITICAL,
    "high": Incident.Severity.HIGH,
    "error": Incident.Severity.HIGH,
    "warning": Incident.Severity.MEDIUM,
    "medium": Incident.Severity.MEDIUM,
    "info": Incident.Severity.LOW,
    "low": Incident.Severity.LOW,
}


def _resolve_asset(value: str) -> Asset | None:
    try:
        return Asset.objects.filter(uuid=UUID(value), archived_at__isnull=True).first()
    except ValueError:
        matches = list(
            Asset.objects.filter(name__iexact=value.strip(), archived_at__isnull=True)[:2]
        )
        return matches[0] if len(matches) == 1 else None


def _alert_text(alert: Mapping[str, Any]) -> tuple[str, str]:
    labels, annotations = alert.get("labels", {}), alert.get("annotations", {})
    name = labels.get("alertname", "Monitoring alert")
    title = annotations.get("summary") or name
    lines = [annotations.get("description", "")]
    if alert.get("generatorURL"):
        lines.append(f"Source: {alert['generatorURL']}")
    lines.append("Labels: " + ", ".join(f"{k}={v}" for k, v in sorted(labels.items())))
    return title[:200], "\n".join(line for line in lines if line)


def alertmanager_ingest(*, actor: User, payload: Mapping[str, Any]) -> list[AlertOutcome]:
    """Open or update incidents from an Alertmanager webhook (version 4, validated by
    the API serializer). One incident per alert fingerprint; a resolved alert adds a
    timeline entry and never closes the incident."""
    require(actor, "incidents.edit")
    outcomes = []
    for alert in payload.get("alerts", []):
        with transaction.atomic():
            outcomes.append(_ingest_one(actor, alert))
    return outcomes


def _ingest_one(actor: User, alert: Mapping[str, Any]) -> AlertOutcome:
    fingerprint = str(alert["fingerprint"])
    labels = alert.get("labels", {})
    status = alert["status"]
    existing = Incident.objects.select_for_update().filter(alert_fingerprint=fingerprint).first()
    title, description = _alert_text(alert)
    now = timezone.now()
    if existing is not None:
        if status == "resolved":
            ends = alert.get("endsAt")
            when = ends if isinstance(ends, datetime) and ends.year > 1 else now
            summary = f"Alert resolved: {title} (the incident stays {existing.get_status_display().lower()})."
            result = "resolved"
        else:
            when = now
            summary = f"Alert firing: {title}."
            if existing.is_closed:
                summary += " The incident is closed; open a new one if this is a new event."
            result = "updated"
        _alert_entry(
            existing,
            actor=actor,
            resolved=status == "resolved",
            fingerprint=fingerprint,
            summary=summary,
            at=min(when, now),
        )
        return AlertOutcome(fingerprint, result, existing.uuid)
    if status == "resolved":
        return AlertOutcome(fingerprint, "ignored", None, "Resolved alert with no incident.")
    name = labels.get("riskhub_asset", "")
    if not name:
        return AlertOutcome(fingerprint, "ignored", None, "No riskhub_asset label.")
    asset = _resolve_asset(str(name))
    if asset is None:
        return AlertOutcome(
            fingerprint, "ignored", None, f"No single active asset is named “{name}”."
        )
    category = labels.get("riskhub_category", "")
    starts = alert.get("startsAt")
    occurred = starts if isinstance(starts, datetime) and starts <= now else None
    try:
        with transaction.atomic():
            incident = incident_create(
                actor=actor,
                title=title,
                description=description,
                aware_at=now,
                occurred_at=occurred,
                assets=[asset],
                categories=[category] if category in Incident.Category.values else [],
                severity=SEVERITY_LABELS.get(
                    str(labels.get("severity", "")).lower(), Incident.Severity.MEDIUM
                ),
                owner=asset.owner if asset.owner and asset.owner.is_active else actor,
                alert_fingerprint=fingerprint,
                now=now,
            )
    except IntegrityError:
        # Another delivery of the same alert won the race: record on its incident.
        incident = Incident.objects.get(alert_fingerprint=fingerprint)
        _alert_entry(
            incident,
            actor=actor,
            resolved=False,
            fingerprint=fingerprint,
            summary=f"Alert firing: {title}.",
            at=now,
        )
        return AlertOutcome(fingerprint, "updated", incident.uuid)
    _alert_entry(
        incident,
        actor=actor,
        resolved=False,
        fingerprint=fingerprint,
        summary=f"Alert firing: {title}.",
        at=now,
    )
    return AlertOutcome(fingerprint, "opened", incident.uuid)


def _alert_entry(
    incident: Incident,
    *,
    actor: User,
    resolved: bool,
    fingerprint: str,
    summary: str,
    at: datetime,
) -> TimelineEntry:
    """One alert on the incident's timeline, with its audit event in the same
    transaction; the actor is the webhook token's user, as for the incident it opened."""
    entry = _add_entry(incident, kind=TimelineEntry.Kind.ALERT, summary=summary, actor=actor, at=at)
    record_event(
        actor=actor,
        action="incident.alert.resolved" if resolved else "incident.alert.firing",
        object_type="incident",
        object_id=incident.uuid,
        object_repr=incident.title,
        after={"entry": entry.uuid, "fingerprint": fingerprint, "at": at, "summary": summary},
    )
    return entry


# --- alerts on the clocks -------------------------------------------------------------


def clock_alerts_send(*, now: datetime | None = None) -> int:
    """Email the owner and the executives when a clock passes 50% or 90% of its window,
    and when it is missed. Each (incident, clock, threshold) is sent once: the row is
    inserted first, the mail goes after commit."""
    now = now or timezone.now()
    org = organisation()
    sent = 0
    incidents = (
        Incident.objects.exclude(status=Incident.Status.CLOSED)
        .filter(next_due_at__isnull=False)
        .select_related("owner")
        .prefetch_related("timeline", "clock_alerts")
    )
    for incident in incidents:
        found, _ = evaluate(incident, org, incident.timeline.all(), now)
        done = {(a.clock, a.threshold) for a in incident.clock_alerts.all()}
        for clock in found:
            earned = [t for t in legal.alert_thresholds(clock, now) if (clock.code, t) not in done]
            if not earned:
                continue
            recipients = notifications.clock_alert_recipients(incident)
            try:
                with transaction.atomic():
                    for threshold in earned:
                        ClockAlert.objects.create(
                            incident=incident,
                            clock=clock.code,
                            threshold=threshold,
                            sent_at=now,
                            recipients=recipients,
                        )
                    # A state change of the incident's clock, so it is on the trail
                    # (and the webhooks app hears of it from there).
                    record_event(
                        actor=None,
                        action="incident.clock_alert",
                        object_type="incident",
                        object_id=incident.uuid,
                        object_repr=incident.title,
                        after={
                            "clock": clock.code,
                            "threshold": earned[-1],
                            "thresholds": earned,
                            "due": clock.due,
                            "recipients": len(recipients),
                        },
                    )
            except IntegrityError:
                continue  # another beat run got there first
            # Sent after the rows are stored (at most once): one mail for the highest
            # threshold reached, so a late run does not send three.
            notifications.clock_alert(incident, clock, earned[-1], recipients, now)
            sent += 1
    return sent
