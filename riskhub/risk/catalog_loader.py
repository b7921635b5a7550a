"""Load and upgrade the shipped risk matrices and the AI threat catalog (idempotent).

A shipped matrix is upgraded in place when its YAML `version` is higher than the stored
one; matrices an admin created (shipped=False) are never touched. Assessments keep the
matrix version they were scored with, and each risk keeps its derived scores and bands.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from django.db import transaction

from riskhub.audit.services import EventSpec, record_events
from riskhub.common import yamlfiles
from riskhub.risk.models import RiskMatrix, Threat

CATALOG_DIR = Path(__file__).resolve().parent / "catalogs"
THREAT_FIELDS = [
    "name",
    "description",
    "atlas",
    "owasp_llm",
    "asset_kinds",
    "model_types",
    "exposures",
    "classification",
    "note",
]


def _read(path: Path) -> Any:
    return yamlfiles.read(path)


def matrix_files() -> list[Path]:
    return sorted((CATALOG_DIR / "matrices").glob("*.yaml"))


def _load_matrices(events: list[EventSpec]) -> tuple[int, int]:
    created = upgraded = 0
    definitions = [_read(path) for path in matrix_files()]
    defaults = [d["code"] for d in definitions if d.get("default")]
    if len(defaults) > 1:
        raise ValueError(f"More than one shipped matrix says default: {defaults}")
    for data in definitions:
        fields = {
            "name": data["name"],
            "description": data.get("description", ""),
            "version": int(data["version"]),
            "impact_levels": data["impact_levels"],
            "likelihood_levels": data["likelihood_levels"],
            "bands": data["bands"],
        }
        matrix = RiskMatrix.objects.filter(code=data["code"]).first()
        if matrix is not None and not matrix.shipped:
            continue  # an admin's matrix with the same code: never overwrite it
        if matrix is None:
            matrix = RiskMatrix(code=data["code"], shipped=True, **fields)
            # Only claim "default" when no matrix is default yet: an admin's choice wins.
            matrix.is_default = (
                bool(data.get("default"))
                and not RiskMatrix.objects.filter(is_default=True).exists()
            )
            matrix.full_clean()
            matrix.save()
            created += 1
            events.append(
                EventSpec("risk_matrix.load", "risk_matrix", str(matrix.uuid), str(matrix))
            )
        elif matrix.version < fields["version"]:
            before = {"version": matrix.version}
            for name, value in fields.items():
                setattr(matrix, name, value)
            matrix.full_clean()
            matrix.save()
            upgraded += 1
            events.append(
                EventSpec(
                    "risk_matrix.upgrade",
                    "risk_matrix",
                    str(matrix.uuid),
                    str(matrix),
                    before,
                    {"version": matrix.version},
                )
            )
    return created, upgraded


def _load_threats(events: list[EventSpec]) -> tuple[int, int]:
    data = _read(CATALOG_DIR / "threats.yaml")
    version = str(data.get("version", ""))
    existing = {t.code: t for t in Threat.objects.all()}
    created = updated = 0
    seen = set()
    for entry in data["threats"]:
        code = entry["code"]
        seen.add(code)
        values = {
            name: entry.get(name, [] if name not in ("name", "description", "note") else "")
            for name in THREAT_FIELDS
        }
        values["description"] = (values["description"] or "").strip()
        values["note"] = (values["note"] or "").strip()
        threat = existing.get(code)
        if threat is None:
            threat = Threat(code=code, catalog_version=version, **values)
            threat.full_clean()
            threat.save()
            created += 1
            events.append(EventSpec("threat.load", "threat", code, threat.name))
            continue
        changed = {k: v for k, v in values.items() if getattr(threat, k) != v}
        if changed or not threat.active or threat.catalog_version != version:
            for name, value in changed.items():
                setattr(threat, name, value)
            threat.active = True
            threat.catalog_version = version
            threat.full_clean()
            threat.save()
            updated += 1
            if changed:
                events.append(
                    EventSpec("threat.update", "threat", code, threat.name, None, sorted(changed))
                )
    retired = [t for code, t in existing.items() if code not in seen and t.active]
    for threat in retired:
        threat.active = False
        threat.save(update_fields=["active"])
        events.append(EventSpec("threat.retire", "threat", threat.code, threat.name))
    return created, updated


@transaction.atomic
def load(*, stdout: IO[str] | Any) -> None:
    events: list[EventSpec] = []
    m_created, m_upgraded = _load_matrices(events)
    t_created, t_updated = _load_threats(events)
    record_events(None, events)
    stdout.write(
        f"  risk: matrices {m_created} new, {m_upgraded} upgraded; "
        f"threats {t_created} new, {t_updated} updated"
    )
