"""CycloneDX 1.5 / 1.6 JSON (ML-BOM): the inventory in and out.

Import reads components of type `machine-learning-model` and `data` (model card fields into
model attributes, `dependencies` and the model card's datasets into lineage). Export writes
every asset as a component (`bom-ref` = the asset's UUID) with RiskHub's own fields as
`riskhub:*` properties, so a RiskHub BOM comes back exactly. Both directions validate
against the JSON schema that cyclonedx-python-lib ships.
"""

from __future__ import annotations

import json
import uuid as uuid_lib
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from riskhub.common import safejson
from riskhub.inventory.io.tabular import (
    BY_NAME,
    HEADER,
    RELATIONS,
    FileError,
    RawRow,
    csv_cell,
    decode,
    records,
)
from riskhub.inventory.models import Asset

SPEC_VERSION = "1.6"
PREFIX = "riskhub:"
COMPONENT_TYPE = {
    Asset.Kind.DATASET: "data",
    Asset.Kind.MODEL: "machine-learning-model",
    Asset.Kind.ENDPOINT: "application",
    Asset.Kind.SYSTEM: "application",
}
TASKS = {
    "classifier": "classification",
    "regressor": "regression",
    "ranking": "ranking",
    "generative-llm": "text-generation",
    "embedding": "feature-extraction",
    "vision": "image-classification",
    "speech": "automatic-speech-recognition",
}
# Columns carried as properties (everything except what CycloneDX has a place for).
_NATIVE = {"id", "name", "description", "tier", "effective_risk"}


def validate(document: dict[str, Any], *, strict: bool = False) -> str | None:
    """The first schema violation, or None when the BOM is valid for its specVersion."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator, JsonValidator

    version = str(document.get("specVersion", ""))
    versions = {"1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}
    if version not in versions:
        return f"specVersion “{version}” is not supported; use CycloneDX 1.5 or 1.6"
    validator = (JsonStrictValidator if strict else JsonValidator)(versions[version])
    error = validator.validate_str(json.dumps(document))
    if error is None:
        return None
    data = getattr(error, "data", None)
    message = getattr(data, "message", None) or str(error)
    path = "/".join(str(p) for p in getattr(data, "absolute_path", []) or [])
    return f"{message} (at /{path})" if path else message


def build_bom(qs: QuerySet[Asset]) -> dict[str, Any]:
    components = []
    dependencies = []
    for record in records(qs):
        components.append(_component(record))
        depends_on = sorted({ref for relation in RELATIONS for ref in record[relation]})
        dependencies.append({"ref": record["id"], "dependsOn": depends_on})
    known = {c["bom-ref"] for c in components}
    for dependency in dependencies:
        # An upstream outside the exported selection cannot be referenced.
        dependency["dependsOn"] = [r for r in dependency["dependsOn"] if r in known]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{uuid_lib.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": timezone.now().replace(microsecond=0).isoformat(),
            "tools": {"components": [{"type": "application", "name": "RiskHub"}]},
        },
        "components": components,
        "dependencies": dependencies,
    }


def export_cyclonedx(qs: QuerySet[Asset]) -> str:
    return json.dumps(build_bom(qs), indent=2, ensure_ascii=False)


def _component(record: dict[str, Any]) -> dict[str, Any]:
    kind = record["kind"]
    component: dict[str, Any] = {
        "type": COMPONENT_TYPE[kind],
        "bom-ref": record["id"],
        "name": record["name"],
    }
    if record["description"]:
        component["description"] = record["description"]
    if record["vendor"]:
        component["supplier"] = {"name": record["vendor"]}
    if kind == Asset.Kind.MODEL:
        if record["model_version"]:
            component["version"] = record["model_version"]
        parameters: dict[str, Any] = {}
        if record["model_type"] in TASKS:
            parameters["task"] = TASKS[record["model_type"]]
        if record["framework"]:
            parameters["modelArchitecture"] = record["framework"]
        if record["trained_on"]:
            parameters["datasets"] = [{"ref": ref} for ref in record["trained_on"]]
        component["modelCard"] = {"modelParameters": parameters}
    if kind == Asset.Kind.DATASET:
        data: dict[str, Any] = {"type": "dataset", "name": record["name"]}
        if record["data_origin"]:
            data["governance"] = {"owners": [{"organization": {"name": record["data_origin"]}}]}
        component["data"] = [data]
        if record["licence"]:
            component["licenses"] = [{"license": {"name": record["licence"]}}]
    if record["tags"]:
        component["tags"] = record["tags"]
    properties = []
    for name in HEADER:
        if name in _NATIVE:
            continue
        value = csv_cell(BY_NAME[name], record[name])
        if value != "":
            properties.append({"name": PREFIX + name, "value": value})
    component["properties"] = properties
    return component


# --- import --------------------------------------------------------------------------------


def _model_type(task: str) -> str:
    task = task.lower()
    for needle, model_type in (
        ("classif", "classifier"),
        ("regress", "regressor"),
        ("rank", "ranking"),
        ("generat", "generative-llm"),
        ("llm", "generative-llm"),
        ("embed", "embedding"),
        ("feature-extraction", "embedding"),
        ("image", "vision"),
        ("vision", "vision"),
        ("object-detection", "vision"),
        ("speech", "speech"),
        ("audio", "speech"),
    ):
        if needle in task:
            return model_type
    return "other"


def _walk(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for component in components or []:
        out.append(component)
        out += _walk(component.get("components") or [])
    return out


def read_bom(data: bytes) -> tuple[list[str], list[RawRow]]:
    """The BOM's ML models and datasets as rows for the importer."""
    text = decode(data)
    try:
        document = safejson.loads(text)
    except json.JSONDecodeError as exc:
        raise FileError(f"The JSON cannot be read: {exc.msg}.", line=exc.lineno) from None
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        raise FileError("This is not a CycloneDX BOM (bomFormat must be “CycloneDX”).")
    problem = validate(document)
    if problem:
        raise FileError(f"The BOM does not match the CycloneDX schema: {problem}")
    components = [
        c
        for c in _walk(document.get("components") or [])
        if c.get("type") in ("machine-learning-model", "data")
    ]
    if not components:
        raise FileError(
            "The BOM has no components of type machine-learning-model or data to import."
        )
    ref_name: dict[str, str] = {}
    rows = []
    for component in components:
        ref = component.get("bom-ref")
        row = _row(component)
        if ref:
            ref_name[ref] = row["id"] or row["name"]
        rows.append(row)
    by_ref = {c.get("bom-ref"): (c, row) for c, row in zip(components, rows, strict=True)}
    # Lineage from the dependency graph (and the model card's datasets) unless the BOM is
    # RiskHub's own, whose properties already say which relation each link is.
    for dependency in document.get("dependencies") or []:
        target = by_ref.get(dependency.get("ref"))
        if target is None:
            continue
        component, row = target
        if row.get("_own_lineage"):
            continue
        for upstream_ref in dependency.get("dependsOn") or []:
            upstream = by_ref.get(upstream_ref)
            if upstream is None:
                continue  # a library or service: not part of the AI inventory
            relation = _relation(upstream[1]["kind"], row["kind"])
            name = ref_name[upstream_ref]
            if name not in row[relation]:
                row[relation].append(name)
    for component, row in by_ref.values():
        if row.get("_own_lineage"):
            continue
        datasets = ((component.get("modelCard") or {}).get("modelParameters") or {}).get(
            "datasets"
        ) or []
        for dataset in datasets:
            ref = dataset.get("ref") if isinstance(dataset, dict) else None
            if ref in ref_name and ref_name[ref] not in row["trained_on"]:
                row["trained_on"].append(ref_name[ref])
    header = ["id", "kind", "name", "description", "vendor", "model_version", "model_type"]
    header += ["framework", "licence", "tags", *RELATIONS]
    result = []
    for index, row in enumerate(rows, start=1):
        row.pop("_own_lineage", None)
        for key in row:
            if key not in header:
                header.append(key)
        result.append(RawRow(index, row))
    return header, result


def _relation(up_kind: str, down_kind: str) -> str:
    if up_kind == "dataset" and down_kind == "model":
        return "trained_on"
    if up_kind == "model" and down_kind == "model":
        return "fine_tuned_from"  # a model's model dependency is its base model
    return "depends_on"


def _row(component: dict[str, Any]) -> dict[str, Any]:
    kind = "model" if component["type"] == "machine-learning-model" else "dataset"
    ref = str(component.get("bom-ref") or "")
    try:
        identifier = str(uuid_lib.UUID(ref))
    except ValueError:
        identifier = ""
    supplier = component.get("supplier") or component.get("manufacturer") or {}
    vendor = supplier.get("name") or component.get("publisher") or component.get("author") or ""
    row: dict[str, Any] = {
        "id": identifier,
        "kind": kind,
        "name": component.get("name", ""),
        "description": component.get("description", ""),
        "vendor": vendor,
        "tags": list(component.get("tags") or []),
        **{relation: [] for relation in RELATIONS},
    }
    if kind == "model":
        parameters = (component.get("modelCard") or {}).get("modelParameters") or {}
        row["model_version"] = component.get("version", "")
        row["model_type"] = _model_type(str(parameters.get("task") or ""))
        row["framework"] = str(
            parameters.get("modelArchitecture") or parameters.get("architectureFamily") or ""
        )
        if parameters.get("task") and parameters.get("task") not in TASKS.values():
            row["description"] = (
                row["description"]
                + ("\n" if row["description"] else "")
                + f"Task: {parameters['task']}"
            )
    else:
        licences = component.get("licenses") or []
        first = licences[0] if licences else {}
        licence = first.get("license") or {}
        row["licence"] = licence.get("id") or licence.get("name") or first.get("expression") or ""
        data = (component.get("data") or [{}])[0]
        if not row["description"] and data.get("description"):
            row["description"] = data["description"]
        if data.get("sensitiveData"):
            row["personal_data"] = True
    own = {
        p["name"][len(PREFIX) :]: p.get("value", "")
        for p in component.get("properties") or []
        if isinstance(p, dict) and str(p.get("name", "")).startswith(PREFIX)
    }
    if own:
        for name, value in own.items():
            if name in BY_NAME and name not in ("id", "tier", "effective_risk"):
                row[name] = value
        for name in ("vendor", "model_version", "framework", "licence"):
            if name not in own and name in row:
                row[name] = ""
        row["_own_lineage"] = any(name in own for name in RELATIONS)
        for relation in RELATIONS:
            if relation not in own:
                row[relation] = ""
    return row
