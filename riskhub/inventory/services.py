"""Every write to the inventory: validated, transactional and audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.accounts.policy import require
from riskhub.audit.services import EventSpec, record_event, record_events
from riskhub.common.ownership import reassign_owner
from riskhub.common.updates import diff, guarded_update
from riskhub.inventory import classification as classifier
from riskhub.inventory import lineage, model_card, provenance, selectors, signals
from riskhub.inventory.models import (
    ANNEX_IV_FIELDS,
    Asset,
    AssetLink,
    BusinessUnit,
    Classification,
    OrganisationProfile,
)

# Fields a person edits (the derived ones are written by services only).
EDITABLE_FIELDS = [
    "kind",
    "name",
    "description",
    "owner",
    "business_unit",
    "lifecycle",
    "source",
    "vendor",
    "tags",
    "data_origin",
    "collection_method",
    "record_count",
    "personal_data",
    "special_categories",
    "childrens_data",
    "subjects_eu",
    "subjects_california",
    "subjects_elsewhere",
    "licence",
    "provenance_verified",
    "model_type",
    "framework",
    "model_version",
    "training_flops",
    "general_purpose",
    "open_weights",
    "url",
    "exposure",
    "authentication",
    "rate_limited",
    "intended_purpose",
    "deployment_context",
    "affected_persons",
    "placed_on_eu_market",
    "placed_on_market_date",
    "public_authority_use",
    "california_consumers",
    "model_card",
    *ANNEX_IV_FIELDS,
]

# What an edit may change: the kind is chosen once, at registration.
UPDATABLE_FIELDS = [name for name in EDITABLE_FIELDS if name != "kind"]

# Which kinds each relation may join: (upstream kinds, downstream kinds).
LINK_KINDS: dict[str, tuple[set[str], set[str]]] = {
    AssetLink.Relation.TRAINED_ON: ({"dataset"}, {"model"}),
    AssetLink.Relation.FINE_TUNED_FROM: ({"model"}, {"model"}),
    AssetLink.Relation.SERVES: ({"model"}, {"endpoint"}),
    AssetLink.Relation.PART_OF: ({"dataset", "model", "endpoint", "system"}, {"system"}),
    AssetLink.Relation.DEPENDS_ON: (
        {"dataset", "model", "endpoint", "system"},
        {"dataset", "model", "endpoint", "system"},
    ),
}
LINK_KIND_HINT: dict[str, str] = {
    AssetLink.Relation.TRAINED_ON: "a model is trained on a dataset",
    AssetLink.Relation.FINE_TUNED_FROM: "a model is fine-tuned from another model",
    AssetLink.Relation.SERVES: "an endpoint serves a model",
    AssetLink.Relation.PART_OF: "an asset is part of an AI system",
    AssetLink.Relation.DEPENDS_ON: "any asset may depend on another",
}


def asset_snapshot(asset: Asset) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        value = getattr(asset, name + "_id" if name in ("owner", "business_unit") else name)
        data[name] = value
    data["archived_at"] = asset.archived_at
    return data


# The importer diffs its rows with the same rule as every guarded update.
_changes = diff


def _clean_kind_fields(asset: Asset) -> None:
    """Kind-specific rules the database cannot express."""
    errors: dict[str, str] = {}
    if asset.kind == Asset.Kind.MODEL and not asset.model_type:
        errors["model_type"] = "Choose the type of model."
    if asset.kind == Asset.Kind.ENDPOINT and not asset.exposure:
        errors["exposure"] = "Say who can reach the endpoint."
    if asset.kind == Asset.Kind.SYSTEM and not asset.intended_purpose.strip():
        errors["intended_purpose"] = "Describe the intended purpose (Art. 3(12) EU AI Act)."
    if not isinstance(asset.tags, list) or not all(isinstance(t, str) for t in asset.tags):
        errors["tags"] = "Tags are a list of words."
    if errors:
        raise ValidationError(errors)
    model_card.clean(asset)


def _validate_unique_name(asset: Asset) -> None:
    clash = Asset.objects.filter(kind=asset.kind, name__iexact=asset.name.strip())
    if asset.pk:
        clash = clash.exclude(pk=asset.pk)
    if clash.exists():
        raise ValidationError(
            {
                "name": f"Another {asset.get_kind_display().lower()} is already called “{asset.name}”."
            }
        )


@transaction.atomic
def asset_create(*, actor: User, **fields: Any) -> Asset:
    require(actor, "inventory.edit")
    asset = Asset(**{k: v for k, v in fields.items() if k in EDITABLE_FIELDS})
    asset.name = asset.name.strip()
    _validate_unique_name(asset)
    asset.full_clean()
    _clean_kind_fields(asset)
    model_card.check_links(asset)
    provenance.mark(
        asset,
        [k for k in fields if k in UPDATABLE_FIELDS],
        by=provenance.PERSON,
        user=actor,
    )
    asset.save()
    record_event(
        actor=actor,
        action="asset.create",
        object_type="asset",
        object_id=asset.uuid,
        object_repr=asset.name,
        after=asset_snapshot(asset),
    )
    return asset


def _validate_asset(current: Asset) -> None:
    """What an edit must satisfy beyond the model's own rules: the kind's fields, and
    a model card whose metrics name datasets linked to the model."""
    _clean_kind_fields(current)
    model_card.check_links(current)


@transaction.atomic
def asset_update(*, actor: User, asset: Asset, expected_version: int, **fields: Any) -> Asset:
    """Save an edit started from `expected_version`; refuse it (EditConflict) if someone
    saved since. The kind never changes, and fields that are not editable are ignored."""
    require(actor, "inventory.edit")
    started: dict[str, Any] = {}

    def check(current: Asset) -> None:
        started.update(asset_snapshot(current))

    def prepare(current: Asset) -> None:
        current.name = current.name.strip()
        _validate_unique_name(current)

    def validate(current: Asset) -> None:
        _validate_asset(current)
        # The person is now the last writer of every field the edit changed.
        old, new = diff(started, asset_snapshot(current))
        new.pop("archived_at", None)
        provenance.mark(
            current, {k: (old[k], new[k]) for k in new}, by=provenance.PERSON, user=actor
        )

    return guarded_update(
        asset,
        actor=actor,
        expected_version=expected_version,
        changes={k: v for k, v in fields.items() if k in UPDATABLE_FIELDS},
        allowed=UPDATABLE_FIELDS,
        action="asset.update",
        snapshot=asset_snapshot,
        check=check,
        prepare=prepare,
        validate=validate,
    ).instance


@transaction.atomic
def asset_archive(*, actor: User, asset: Asset, archived: bool = True) -> Asset:
    """Archive instead of delete: the asset keeps its history and audit trail."""
    require(actor, "inventory.edit")
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    if asset.is_archived == archived:
        return asset
    asset.archived_at = timezone.now() if archived else None
    asset.version += 1
    asset.save(update_fields=["archived_at", "version", "updated_at"])
    record_event(
        actor=actor,
        action="asset.archive" if archived else "asset.restore",
        object_type="asset",
        object_id=asset.uuid,
        object_repr=asset.name,
        after={"archived_at": asset.archived_at},
    )
    signals.asset_archived.send(sender=Asset, asset=asset)
    signals.lineage_changed.send(
        sender=Asset, asset_ids=sorted(lineage.downstream([asset.pk], inclusive=True))
    )
    return asset


@transaction.atomic
def asset_reassign_owner(*, actor: User, from_user: User, to_user: User) -> int:
    """Make `to_user` the owner of every asset `from_user` still looks after
    (offboarding); one `asset.reassign` event each. Archived assets keep their owner.
    The version goes up, so an edit started before the handover cannot quietly give
    the asset back to the person who left. Returns how many moved."""
    require(actor, "users.manage")

    def bump(asset: Asset) -> None:
        asset.version += 1

    moved = reassign_owner(
        actor=actor,
        rows=selectors.open_assets_owned_by(from_user),
        from_user=from_user,
        to_user=to_user,
        object_type="asset",
        also_update=["version"],
        touch=bump,
    )
    return len(moved)


def validate_link(upstream: Asset, downstream: Asset, relation: str) -> None:
    if relation not in LINK_KINDS:
        raise ValidationError({"relation": f"Unknown relation “{relation}”."})
    if upstream.pk == downstream.pk:
        raise ValidationError({"upstream": "An asset cannot be linked to itself."})
    up_kinds, down_kinds = LINK_KINDS[relation]
    if upstream.kind not in up_kinds or downstream.kind not in down_kinds:
        raise ValidationError(
            {
                "relation": f"“{downstream.name}” ({downstream.get_kind_display().lower()}) "
                f"cannot be {AssetLink.Relation(relation).label} “{upstream.name}” "
                f"({upstream.get_kind_display().lower()}): {LINK_KIND_HINT[relation]}."
            }
        )
    if AssetLink.objects.filter(
        upstream=upstream, downstream=downstream, relation=relation
    ).exists():
        raise ValidationError({"relation": "These assets are already linked this way."})
    cycle = lineage.would_create_cycle(upstream.pk, downstream.pk)
    if cycle:
        names = dict(Asset.objects.filter(pk__in=cycle).values_list("pk", "name"))
        shown = " → ".join(f"“{names.get(pk, '?')}”" for pk in cycle)
        raise ValidationError(
            {
                "upstream": f"Linking would create a cycle: “{upstream.name}” already depends "
                f"on “{downstream.name}” through its lineage ({shown})."
            }
        )


@transaction.atomic
def link_create(*, actor: User, upstream: Asset, downstream: Asset, relation: str) -> AssetLink:
    require(actor, "inventory.edit")
    # Lock both ends so two concurrent links cannot close a cycle together.
    list(Asset.objects.select_for_update().filter(pk__in=[upstream.pk, downstream.pk]))
    validate_link(upstream, downstream, relation)
    link = AssetLink.objects.create(upstream=upstream, downstream=downstream, relation=relation)
    record_event(
        actor=actor,
        action="asset_link.create",
        object_type="asset_link",
        object_id=link.uuid,
        object_repr=str(link),
        after={"upstream": upstream.uuid, "downstream": downstream.uuid, "relation": relation},
    )
    signals.lineage_changed.send(
        sender=AssetLink, asset_ids=sorted(lineage.downstream([downstream.pk], inclusive=True))
    )
    return link


@transaction.atomic
def link_delete(*, actor: User, link: AssetLink) -> None:
    require(actor, "inventory.edit")
    affected = sorted(lineage.downstream([link.downstream_id], inclusive=True))
    record_event(
        actor=actor,
        action="asset_link.delete",
        object_type="asset_link",
        object_id=link.uuid,
        object_repr=str(link),
        before={
            "upstream": link.upstream.uuid,
            "downstream": link.downstream.uuid,
            "relation": link.relation,
        },
    )
    link.delete()
    # The upstream end no longer feeds what lies below the link: obligations it
    # inherited from there go (compliance recomputes it and what is upstream of it).
    signals.lineage_changed.send(sender=AssetLink, asset_ids=affected, detached=[link.upstream_id])


def organisation() -> OrganisationProfile:
    profile, _ = OrganisationProfile.objects.get_or_create(id=1)
    return profile


@transaction.atomic
def classification_answer(*, actor: User, asset: Asset, answers: dict[str, Any]) -> Classification:
    """Store a new version of the questionnaire answers and the derived tier and flags."""
    require(actor, "inventory.edit")
    if not asset.classifiable:
        raise ValidationError(
            "Only AI systems and models carry the questionnaire; datasets and endpoints "
            "show the tiers of the systems they feed."
        )
    errors = classifier.validate_answers(answers)
    if errors:
        raise ValidationError(errors)
    org = organisation().classification_facts()
    result = classifier.classify(answers, org)
    fact_tokens = classifier.facts(answers, org)
    locked = Asset.objects.select_for_update().get(pk=asset.pk)
    last = locked.classifications.order_by("-version").values_list("version", flat=True).first()
    entry = Classification.objects.create(
        asset=locked,
        version=(last or 0) + 1,
        answers=answers,
        result=result,
        facts=fact_tokens,
        answered_by=actor,
    )
    before = {"tier": locked.tier, "gdpr": locked.gdpr_applies, "ccpa": locked.ccpa_applies}
    locked.tier = result["eu_ai_act"]["tier"]
    locked.gdpr_applies = result["gdpr"]["applies"]
    locked.ccpa_applies = result["ccpa"]["applies"]
    locked.facts = fact_tokens
    locked.save(update_fields=["tier", "gdpr_applies", "ccpa_applies", "facts", "updated_at"])
    record_event(
        actor=actor,
        action="asset.classify",
        object_type="asset",
        object_id=locked.uuid,
        object_repr=locked.name,
        before=before,
        after={
            "version": entry.version,
            "tier": locked.tier,
            "gdpr": locked.gdpr_applies,
            "ccpa": locked.ccpa_applies,
            "answers": answers,
        },
    )
    signals.classification_changed.send(sender=Asset, asset=locked)
    return entry


@transaction.atomic
def reclassify_all(*, actor: User | None) -> int:
    """Re-run the classifier on every asset's latest answers (after the organisation
    profile changed). Derived values only: one summary audit event."""
    org = organisation().classification_facts()
    count = 0
    latest = Classification.objects.filter(asset=OuterRef("asset")).order_by("-version")
    for entry in Classification.objects.filter(
        version=Subquery(latest.values("version")[:1])
    ).select_related("asset"):
        asset = entry.asset
        result = classifier.classify(entry.answers, org)
        asset.tier = result["eu_ai_act"]["tier"]
        asset.gdpr_applies = result["gdpr"]["applies"]
        asset.ccpa_applies = result["ccpa"]["applies"]
        asset.facts = classifier.facts(entry.answers, org)
        asset.save(update_fields=["tier", "gdpr_applies", "ccpa_applies", "facts"])
        signals.classification_changed.send(sender=Asset, asset=asset)
        count += 1
    return count


ORG_FIELDS = [
    "legal_name",
    "eu_established",
    "public_body",
    "public_authority",
    "gdpr_role",
    "ca_conducts_business",
    "ca_breach_role",
    "dpo_name",
    "dpo_email",
    "time_zone",
    "ccpa_annual_revenue_usd",
    "ccpa_consumers_sold_shared",
    "ccpa_revenue_share_selling_pct",
    "ccpa_consumers_pi_processed",
    "ccpa_consumers_spi_processed",
]


@transaction.atomic
def organisation_update(*, actor: User, **fields: Any) -> OrganisationProfile:
    require(actor, "org.edit")
    edit = guarded_update(
        OrganisationProfile.objects.filter(pk=organisation().pk),
        actor=actor,
        changes={k: v for k, v in fields.items() if k in ORG_FIELDS},
        allowed=ORG_FIELDS,
        action="organisation.update",
        version_field=None,
        describe=lambda profile: profile.legal_name,
    )
    profile = edit.instance
    if edit.changed:
        reclassify_all(actor=actor)
        signals.organisation_changed.send(sender=OrganisationProfile)
    return profile


@transaction.atomic
def business_unit_get_or_create(*, actor: User, name: str) -> BusinessUnit:
    name = name.strip()
    unit = BusinessUnit.objects.filter(name__iexact=name).first()
    if unit is None:
        require(actor, "inventory.edit")
        unit = BusinessUnit(name=name)
        unit.full_clean()
        unit.save()
        record_event(
            actor=actor,
            action="business_unit.create",
            object_type="business_unit",
            object_id=unit.uuid,
            object_repr=unit.name,
        )
    return unit


def bulk_audit(actor: User, specs: list[EventSpec]) -> None:
    """One lock of the audit chain for an import of many rows."""
    record_events(actor, specs)
