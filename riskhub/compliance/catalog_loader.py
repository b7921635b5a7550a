"""Load or upgrade the framework catalogs and the control library in place.

Idempotent: a second run with the same files changes nothing. An upgrade updates rows by
their stable keys (framework slug + ref, control code), so implementations and evidence
stay attached; it prints what changed, retires what the files no longer contain, and
flags the implementations of controls mapped to a changed requirement for re-review.

Controls name the threats they treat by code; the codes resolve to the risk app's Threat
rows, so the threat catalog is loaded first (`load_catalogs` runs the risk loader before
this one) and a code it does not know is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.db import transaction

from riskhub.audit.services import record_event
from riskhub.common import yamlfiles
from riskhub.compliance.models import (
    Control,
    ControlImplementation,
    ControlRequirement,
    ControlThreat,
    Coverage,
    Framework,
    Requirement,
    SufficientSet,
)
from riskhub.risk import selectors as risk_selectors
from riskhub.risk.models import Threat

CATALOG_DIR = Path(__file__).resolve().parent / "catalogs"
FRAMEWORK_FILES = ("eu-ai-act", "gdpr", "ccpa")
RULE_KEYS = frozenset({"all", "any", "none"})
HOLDERS = frozenset(
    {"provider", "deployer", "importer", "distributor", "controller", "processor", "business"}
)


class CatalogError(ValueError):
    pass


def read_yaml(path: Path) -> dict[str, Any]:
    data = yamlfiles.read(path)
    if not isinstance(data, dict):
        raise CatalogError(f"{path.name}: expected a mapping at the top level")
    return data


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return dt.date.fromisoformat(str(value)).isoformat()


def normalise_dates(entries: list[dict[str, Any]] | None, where: str) -> list[dict[str, Any]]:
    result = []
    for entry in entries or []:
        if "date" not in entry:
            raise CatalogError(f"{where}: applies_from entry without a date")
        item: dict[str, Any] = {
            "date": _iso(entry["date"]),
            "condition": entry.get("condition", ""),
        }
        if entry.get("when"):
            item["when"] = list(entry["when"])
        result.append(item)
    return result


def normalise_rule(rule: dict[str, Any] | None, where: str) -> dict[str, list[str]]:
    rule = rule or {}
    unknown = set(rule) - RULE_KEYS
    if unknown:
        raise CatalogError(f"{where}: unknown rule keys {sorted(unknown)}")
    return {key: list(rule[key]) for key in ("all", "any", "none") if rule.get(key)}


def requirement_content(item: dict[str, Any], where: str) -> dict[str, Any]:
    holders = list(item.get("holders") or [])
    if set(holders) - HOLDERS:
        raise CatalogError(f"{where}: unknown holders {sorted(set(holders) - HOLDERS)}")
    return {
        "title": str(item["title"]).strip(),
        "summary": str(item.get("summary") or "").strip(),
        "group": str(item.get("group") or ""),
        "holders": holders,
        "also_cited_as": list(item.get("also_cited_as") or []),
        "rule": normalise_rule(item.get("applies_if"), where),
        "applies_from": normalise_dates(item.get("applies_from"), where),
        "source_url": str(item.get("source_url") or ""),
        "note": str(item.get("note") or "").strip(),
    }


def control_content(item: dict[str, Any], where: str) -> dict[str, Any]:
    scope = item.get("default_scope")
    if scope not in Control.Scope.values:
        raise CatalogError(f"{where}: default_scope must be one of {Control.Scope.values}")
    return {
        "name": str(item["name"]).strip(),
        "description": str(item.get("description") or "").strip(),
        "theme": str(item.get("theme") or ""),
        "default_scope": scope,
    }


def threat_codes(item: dict[str, Any], where: str) -> list[str]:
    codes = [str(code) for code in item.get("threats") or []]
    if len(set(codes)) != len(codes):
        raise CatalogError(f"{where}: a threat is listed twice")
    return codes


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    changed_requirements: set[int] = field(default_factory=set)
    changed_controls: set[int] = field(default_factory=set)
    applicability_changed: bool = False

    def add(self, line: str) -> None:
        self.lines.append(line)


def _diff(row: Any, content: dict[str, Any]) -> list[str]:
    return [name for name, value in content.items() if getattr(row, name) != value]


def _load_framework(data: dict[str, Any], position: int, report: Report) -> Framework:
    slug = data.get("slug")
    if slug not in FRAMEWORK_FILES:
        raise CatalogError(f"unknown framework slug {slug!r}")
    version = str(data["version"])
    header = {
        "name": str(data["name"]),
        "citation": str(data.get("citation") or ""),
        "version": version,
        "source_url": str(data.get("source_url") or ""),
        "position": position,
    }
    framework = Framework.objects.filter(slug=slug).first()
    if framework is None:
        framework = Framework.objects.create(slug=slug, **header)
        report.add(f"{slug}: new framework, version {version}")
    elif changed := _diff(framework, header):
        old_version = framework.version
        for name in changed:
            setattr(framework, name, header[name])
        framework.save()
        report.add(f"{slug}: {', '.join(changed)} changed (version {old_version} -> {version})")

    existing = {r.ref: r for r in Requirement.objects.filter(framework=framework)}
    seen = set()
    updated = 0
    new: list[Requirement] = []  # written in one query (every one on a first load)
    for index, item in enumerate(data.get("requirements") or []):
        ref = str(item["ref"])
        where = f"{slug} {ref}"
        if ref in seen:
            raise CatalogError(f"{where}: duplicate ref")
        seen.add(ref)
        content = requirement_content(item, where)
        row = existing.get(ref)
        if row is None:
            new.append(
                Requirement(
                    framework=framework,
                    ref=ref,
                    catalog_version=version,
                    position=index,
                    **content,
                )
            )
            continue
        changed = _diff(row, content)
        extra = {"position": index, "catalog_version": version, "retired": False}
        bookkeeping = [name for name, value in extra.items() if getattr(row, name) != value]
        if not changed and not bookkeeping:
            continue
        for name, value in {**content, **extra}.items():
            setattr(row, name, value)
        row.save()
        if changed:
            updated += 1
            report.changed_requirements.add(row.pk)
            report.applicability_changed = True
            report.add(f"{slug} {ref}: {', '.join(changed)} changed")
    created = len(Requirement.objects.bulk_create(new))
    if created:
        report.applicability_changed = True
    gone = [row for ref, row in existing.items() if ref not in seen and not row.retired]
    for row in gone:
        row.retired = True
        row.save(update_fields=["retired"])
        report.changed_requirements.add(row.pk)
        report.applicability_changed = True
        report.add(f"{slug} {row.ref}: no longer in the catalog, retired")
    if created:
        report.add(f"{slug}: {created} new requirement(s)")
    if not created and not updated and not gone:
        report.add(f"{slug} {version}: requirements unchanged")
    return framework


def _load_controls(data: dict[str, Any], report: Report) -> None:
    version = str(data["version"])
    requirements = {
        (r.framework.slug, r.ref): r for r in Requirement.objects.select_related("framework")
    }
    names = {r.pk: f"{slug} {ref}" for (slug, ref), r in requirements.items()}
    existing = {
        c.code: c for c in Control.objects.prefetch_related("threat_links__threat", "mappings")
    }
    threats = {t.code: t for t in risk_selectors.threats(active_only=False)}
    seen: set[str] = set()
    controls: dict[str, Control] = {}
    # Controls new to the database (every one on a first load) are written in bulk, with
    # their threat links and mappings: a handful of queries instead of ten per control.
    new: list[tuple[Control, list[str], dict[int, str]]] = []
    for index, item in enumerate(data.get("controls") or []):
        code = str(item["code"])
        where = f"control {code}"
        if code in seen:
            raise CatalogError(f"{where}: duplicate code")
        seen.add(code)
        content = control_content(item, where)
        codes = threat_codes(item, where)
        unknown = [t for t in codes if t not in threats]
        if unknown:
            raise CatalogError(
                f"{where}: unknown threat code(s) {', '.join(unknown)} "
                "(load the threat catalog first: load_catalogs does)"
            )
        retired_threats = [t for t in codes if not threats[t].active]
        if retired_threats:
            report.add(f"warning: {code} names retired threat(s) {', '.join(retired_threats)}")
        wanted = _wanted_mappings(item, requirements, where)
        row = existing.get(code)
        if row is None:
            row = Control(code=code, catalog_version=version, position=index, **content)
            new.append((row, codes, wanted))
            controls[code] = row
            continue
        changed = _diff(row, content)
        if row.threat_codes != codes:
            _set_threats(row, [threats[t] for t in codes])
            changed.append("threats")
        extra = {"position": index, "catalog_version": version, "retired": False}
        if changed or any(getattr(row, k) != v for k, v in extra.items()):
            for name, value in {**content, **extra}.items():
                setattr(row, name, value)
            row.save()
        if changed:
            report.changed_controls.add(row.pk)
            report.add(f"{code}: {', '.join(changed)} changed")
        controls[code] = row
        _update_mappings(row, wanted, names, report)
    for code, row in existing.items():
        if code not in seen and not row.retired:
            row.retired = True
            row.save(update_fields=["retired"])
            ControlRequirement.objects.filter(control=row).delete()
            report.changed_controls.add(row.pk)
            report.applicability_changed = True
            report.add(f"{code}: no longer in the catalog, retired")
    _create_controls(new, threats, report)
    _load_sufficient_sets(data.get("sufficient_sets") or [], controls, requirements, report)


def _create_controls(
    new: list[tuple[Control, list[str], dict[int, str]]],
    threats: dict[str, Threat],
    report: Report,
) -> None:
    if not new:
        return
    rows = Control.objects.bulk_create([row for row, _, _ in new])
    ControlThreat.objects.bulk_create(
        link
        for row, (_, codes, _) in zip(rows, new, strict=True)
        for link in _threat_links(row, [threats[code] for code in codes])
    )
    ControlRequirement.objects.bulk_create(
        ControlRequirement(control=row, requirement_id=requirement_id, coverage=coverage)
        for row, (_, _, wanted) in zip(rows, new, strict=True)
        for requirement_id, coverage in wanted.items()
    )
    report.changed_controls.update(row.pk for row in rows)
    report.applicability_changed = True
    report.add(f"controls: {len(rows)} new control(s)")


def _set_threats(control: Control, threats: list[Threat]) -> None:
    """Link the control to exactly these threats, in this order."""
    ControlThreat.objects.filter(control=control).delete()
    ControlThreat.objects.bulk_create(_threat_links(control, threats))


def _threat_links(control: Control, threats: list[Threat]) -> list[ControlThreat]:
    """The control's links to these threats, in this order."""
    return [
        ControlThreat(control=control, threat=threat, position=position)
        for position, threat in enumerate(threats)
    ]


def _wanted_mappings(
    item: dict[str, Any], requirements: dict[tuple[str, str], Requirement], where: str
) -> dict[int, str]:
    """The requirements a control's catalog entry maps to, by id, with the coverage."""
    wanted: dict[int, str] = {}
    for mapping in item.get("requirements") or []:
        key = (mapping["framework"], str(mapping["ref"]))
        if key not in requirements:
            raise CatalogError(f"{where}: maps to unknown requirement {key[0]} {key[1]}")
        if mapping["coverage"] not in Coverage.values:
            raise CatalogError(f"{where}: coverage must be full or partial")
        wanted[requirements[key].pk] = mapping["coverage"]
    return wanted


def _update_mappings(
    control: Control, wanted: dict[int, str], names: dict[int, str], report: Report
) -> None:
    """Bring a stored control's mappings to what the catalog says, noting each change."""
    current = {m.requirement_id: m for m in control.mappings.all()}
    for requirement_id, coverage in wanted.items():
        row = current.get(requirement_id)
        if row is None:
            ControlRequirement.objects.create(
                control=control, requirement_id=requirement_id, coverage=coverage
            )
        elif row.coverage != coverage:
            row.coverage = coverage
            row.save(update_fields=["coverage"])
        else:
            continue
        report.changed_controls.add(control.pk)
        report.applicability_changed = True
        if current:  # not the first load of this control
            report.add(f"{control.code}: now maps {coverage} to {names[requirement_id]}")
    removed = [m for rid, m in current.items() if rid not in wanted]
    for row in removed:
        row.delete()
        report.changed_controls.add(control.pk)
        report.applicability_changed = True
        report.add(f"{control.code}: mapping to {names[row.requirement_id]} removed")


def _load_sufficient_sets(
    items: list[dict[str, Any]],
    controls: dict[str, Control],
    requirements: dict[tuple[str, str], Requirement],
    report: Report,
) -> None:
    wanted: dict[tuple[int, str], list[Control]] = {}
    for item in items:
        key = (item["framework"], str(item["ref"]))
        if key not in requirements:
            raise CatalogError(f"sufficient set: unknown requirement {key[0]} {key[1]}")
        members = []
        for code in item["controls"]:
            if code not in controls:
                raise CatalogError(f"sufficient set for {key[1]}: unknown control {code}")
            members.append(controls[code])
        wanted[(requirements[key].pk, "+".join(sorted(item["controls"])))] = members
    current = {(s.requirement_id, s.key): s for s in SufficientSet.objects.all()}
    for (requirement_id, key), members in wanted.items():
        if (requirement_id, key) in current:
            continue
        group = SufficientSet.objects.create(requirement_id=requirement_id, key=key)
        group.controls.set(members)
        report.applicability_changed = True
        report.add(f"sufficient set {key} added")
    for (requirement_id, key), group in current.items():
        if (requirement_id, key) not in wanted:
            group.delete()
            report.applicability_changed = True
            report.add(f"sufficient set {key} removed")


def _flag_for_review(report: Report) -> int:
    if not report.changed_requirements and not report.changed_controls:
        return 0
    # Named with their law ("GDPR Art. 14"): a ref alone is ambiguous across frameworks.
    refs = {
        r.pk: str(r)
        for r in Requirement.objects.filter(pk__in=report.changed_requirements).select_related(
            "framework"
        )
    }
    flagged = 0
    implementations = ControlImplementation.objects.filter(
        mappings_changed_filter(report)
    ).distinct()
    for implementation in implementations.select_related("control").prefetch_related(
        "control__mappings"
    ):
        reason = "Catalog upgrade: " + (
            "mapped requirement(s) changed: "
            + ", ".join(
                sorted(
                    refs[m.requirement_id]
                    for m in implementation.control.mappings.all()
                    if m.requirement_id in refs
                )
            )
            if implementation.control_id not in report.changed_controls
            else f"control {implementation.control.code} changed"
        )
        implementation.needs_review = True
        implementation.review_reason = reason[:2000]
        implementation.save(update_fields=["needs_review", "review_reason", "updated_at"])
        flagged += 1
    return flagged


def mappings_changed_filter(report: Report) -> Any:
    from django.db.models import Q

    return Q(control__mappings__requirement__in=report.changed_requirements) | Q(
        control__in=report.changed_controls
    )


def load(*, stdout: TextIO) -> Report:
    report = Report()
    with transaction.atomic():
        for position, slug in enumerate(FRAMEWORK_FILES):
            _load_framework(read_yaml(CATALOG_DIR / f"{slug}.yaml"), position, report)
        _load_controls(read_yaml(CATALOG_DIR / "controls.yaml"), report)
        flagged = _flag_for_review(report)
        if flagged:
            report.add(f"{flagged} implementation(s) flagged for re-review")
        if report.applicability_changed:
            record_event(
                actor=None,
                action="catalog.load",
                object_type="compliance_catalog",
                object_repr="compliance catalogs",
                after={"changes": report.lines[:200], "flagged": flagged},
            )
            from riskhub.compliance.services import coverage_recompute

            coverage_recompute(asset_ids=None)
    for line in report.lines:
        stdout.write(f"  compliance: {line}\n")
    return report
