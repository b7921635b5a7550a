"""CycloneDX 1.5, 1.6 and 1.7 (ML-BOM), JSON and XML: the inventory in and out.

Import reads components of type `machine-learning-model` and `data` (the model card into
the model's card, inline datasets into dataset assets, `dependencies` and the card's
datasets into lineage) and, from RiskHub's own BOMs, endpoints and AI systems too; every
other component is counted by type in the import summary. Export writes every asset as a
component (`bom-ref` = the asset's UUID) with RiskHub's own fields as `riskhub:*`
properties, so a RiskHub BOM comes back exactly. Both directions validate against the
schemas that cyclonedx-python-lib ships (JSON schema or XSD).
"""

from __future__ import annotations

import json
import uuid as uuid_lib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from riskhub.common import safejson
from riskhub.inventory import model_card
from riskhub.inventory.io import cdx_xml
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

SPEC_VERSION = "1.6"  # what exports write unless asked for another
SPEC_VERSIONS = ("1.5", "1.6", "1.7")
PREFIX = "riskhub:"
METRIC_DATASET = PREFIX + "metric_dataset."  # + the metric's index: the dataset's UUID
ENVIRONMENTAL = PREFIX + "environmental"  # the notes (1.5 has no environmentalConsiderations)
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
_NATIVE = {"id", "name", "description", "tier", "effective_risk", "model_card"}
OPEN_SUPPLIERS = ("hugging face", "huggingface")
OPEN_PURLS = ("pkg:huggingface/", "pkg:github/", "pkg:pypi/", "pkg:npm/")


def version_problem(version: str) -> str | None:
    """Why RiskHub cannot read or write this specVersion (None: it can)."""
    if version in SPEC_VERSIONS:
        return None
    return (
        f"CycloneDX {version or '(no specVersion)'} is not supported: RiskHub reads and "
        "writes CycloneDX 1.5, 1.6 and 1.7 (this is a version limit, not an error in the file)"
    )


def _schema_version(version: str) -> Any:
    from cyclonedx.schema import SchemaVersion

    return {"1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6, "1.7": SchemaVersion.V1_7}[
        version
    ]


def validate(document: dict[str, Any], *, strict: bool = False) -> str | None:
    """The first schema violation, or None when the BOM is valid for its specVersion."""
    from cyclonedx.validation.json import JsonStrictValidator, JsonValidator

    version = str(document.get("specVersion", ""))
    problem = version_problem(version)
    if problem:
        return problem
    validator = (JsonStrictValidator if strict else JsonValidator)(_schema_version(version))
    error = validator.validate_str(json.dumps(document))
    if error is None:
        return None
    data = getattr(error, "data", None)
    message = getattr(data, "message", None) or str(error)
    path = "/".join(str(p) for p in getattr(data, "absolute_path", []) or [])
    return f"{message} (at /{path})" if path else message


def validate_xml(text: str, version: str) -> str | None:
    """The first XSD violation of an XML BOM, or None."""
    from cyclonedx.validation.xml import XmlValidator

    problem = version_problem(version)
    if problem:
        return problem
    error = XmlValidator(_schema_version(version)).validate_str(text)
    if error is None:
        return None
    data = getattr(error, "data", None)
    message = getattr(data, "message", None) or str(error)
    line = getattr(data, "line", None)
    return f"{message} (line {line})" if line else message


def build_bom(qs: QuerySet[Asset], spec_version: str = SPEC_VERSION) -> dict[str, Any]:
    problem = version_problem(spec_version)
    if problem:
        raise ValueError(problem)
    components = []
    dependencies = []
    for record in records(qs):
        components.append(_component(record, spec_version))
        depends_on = sorted({ref for relation in RELATIONS for ref in record[relation]})
        dependencies.append({"ref": record["id"], "dependsOn": depends_on})
    known = {c["bom-ref"] for c in components}
    for dependency in dependencies:
        # An upstream outside the exported selection cannot be referenced.
        dependency["dependsOn"] = [r for r in dependency["dependsOn"] if r in known]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": spec_version,
        "serialNumber": f"urn:uuid:{uuid_lib.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": timezone.now().replace(microsecond=0).isoformat(),
            "tools": {"components": [{"type": "application", "name": "RiskHub"}]},
        },
        "components": components,
        "dependencies": dependencies,
    }


def export_cyclonedx(
    qs: QuerySet[Asset], spec_version: str = SPEC_VERSION, fmt: str = "json"
) -> str:
    """The BOM as CycloneDX JSON (fmt "json") or XML (fmt "xml")."""
    bom = build_bom(qs, spec_version)
    if fmt == "xml":
        return cdx_xml.to_xml(bom)
    return json.dumps(bom, indent=2, ensure_ascii=False)


def _model_card(card: dict[str, Any], trained_on: list[str], version: str) -> dict[str, Any]:
    """A RiskHub model card as CycloneDX `modelCard` (the inverse of `_card_from`)."""
    parameters: dict[str, Any] = {}
    if card.get("approach"):
        parameters["approach"] = {"type": card["approach"]}
    for key, native in (
        ("architecture_family", "architectureFamily"),
        ("model_architecture", "modelArchitecture"),
    ):
        if card.get(key):
            parameters[native] = card[key]
    if trained_on:
        parameters["datasets"] = [{"ref": ref} for ref in trained_on]
    for key in ("inputs", "outputs"):
        if card.get(key):
            parameters[key] = [{"format": text} for text in card[key]]
    out: dict[str, Any] = {"modelParameters": parameters}
    if card.get("metrics"):
        metrics = []
        for metric in card["metrics"]:
            native = {k: metric[k] for k in ("type", "value", "slice") if metric.get(k)}
            bounds = {
                native_key: metric[key]
                for key, native_key in (
                    ("lower_bound", "lowerBound"),
                    ("upper_bound", "upperBound"),
                )
                if metric.get(key)
            }
            if bounds:
                native["confidenceInterval"] = bounds
            metrics.append(native)
        out["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    considerations: dict[str, Any] = {}
    for key, native in (
        ("users", "users"),
        ("use_cases", "useCases"),
        ("limitations", "technicalLimitations"),
        ("tradeoffs", "performanceTradeoffs"),
    ):
        if card.get(key):
            considerations[native] = list(card[key])
    if card.get("ethical"):
        considerations["ethicalConsiderations"] = [
            {
                **({"name": e["name"]} if e.get("name") else {}),
                **({"mitigationStrategy": e["mitigation"]} if e.get("mitigation") else {}),
            }
            for e in card["ethical"]
        ]
    if version != "1.5" and card.get("environmental"):
        considerations["environmentalConsiderations"] = {
            "properties": [{"name": ENVIRONMENTAL, "value": card["environmental"]}]
        }
    if card.get("fairness"):
        considerations["fairnessAssessments"] = [
            {
                native: f[key]
                for key, native in (
                    ("group_at_risk", "groupAtRisk"),
                    ("benefits", "benefits"),
                    ("harms", "harms"),
                    ("mitigation", "mitigationStrategy"),
                )
                if f.get(key)
            }
            for f in card["fairness"]
        ]
    if considerations:
        out["considerations"] = considerations
    return out


def _card_properties(card: dict[str, Any], version: str) -> list[dict[str, str]]:
    """What CycloneDX has no place for: each metric's dataset, and in 1.5 the
    environmental considerations."""
    properties = [
        {"name": f"{METRIC_DATASET}{index}", "value": metric["dataset"]}
        for index, metric in enumerate(card.get("metrics", []))
        if metric.get("dataset")
    ]
    if version == "1.5" and card.get("environmental"):
        properties.append({"name": ENVIRONMENTAL, "value": card["environmental"]})
    return properties


def _component(record: dict[str, Any], version: str = SPEC_VERSION) -> dict[str, Any]:
    kind = record["kind"]
    component: dict[str, Any] = {
        "type": COMPONENT_TYPE[kind],
        "bom-ref": record["id"],
    }
    if record["vendor"]:
        component["supplier"] = {"name": record["vendor"]}
    component["name"] = record["name"]
    if record["model_version"] and kind in (Asset.Kind.MODEL, Asset.Kind.DATASET):
        component["version"] = record["model_version"]
    if record["description"]:
        component["description"] = record["description"]
    if record["licence"]:
        component["licenses"] = [{"license": {"name": record["licence"]}}]
    properties = []
    for name in HEADER:
        if name in _NATIVE:
            continue
        value = csv_cell(BY_NAME[name], record[name])
        if value != "":
            properties.append({"name": PREFIX + name, "value": value})
    card = record.get("model_card") or {}
    properties += _card_properties(card, version)
    component["properties"] = properties
    if kind == Asset.Kind.MODEL:
        native = _model_card(card, record["trained_on"], version)
        if record["model_type"] in TASKS:
            native["modelParameters"] = {
                "task": TASKS[record["model_type"]],
                **native["modelParameters"],
            }
            if "approach" in native["modelParameters"]:  # the XSD wants approach first
                approach = native["modelParameters"].pop("approach")
                native["modelParameters"] = {"approach": approach, **native["modelParameters"]}
        component["modelCard"] = native
    if kind == Asset.Kind.DATASET:
        data: dict[str, Any] = {"type": "dataset", "name": record["name"]}
        if record["data_origin"]:
            data["governance"] = {"owners": [{"organization": {"name": record["data_origin"]}}]}
        component["data"] = [data]
    if record["tags"] and version != "1.5":
        component["tags"] = record["tags"]
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


@dataclass
class Bom:
    """A BOM read for the importer: rows, and the components it does not model."""

    header: list[str]
    rows: list[RawRow]
    skipped: Counter[str] = field(default_factory=Counter)


def load(data: bytes, fmt: str = "json") -> dict[str, Any]:
    """A CycloneDX file (JSON or XML) as the JSON shape, checked against its schema."""
    if fmt == "xml":
        root, version = cdx_xml.parse(data)
        problem = validate_xml(decode(data), version)
        if problem:
            if version not in SPEC_VERSIONS:
                raise FileError(problem)
            raise FileError(f"The BOM does not match the CycloneDX {version} schema: {problem}")
        return cdx_xml.to_document(root, version)
    text = decode(data)
    try:
        document = safejson.loads(text)
    except json.JSONDecodeError as exc:
        raise FileError(f"The JSON cannot be read: {exc.msg}.", line=exc.lineno) from None
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        raise FileError("This is not a CycloneDX BOM (bomFormat must be “CycloneDX”).")
    version = str(document.get("specVersion", ""))
    problem = version_problem(version)
    if problem:
        raise FileError(problem)
    problem = validate(document)
    if problem:
        raise FileError(f"The BOM does not match the CycloneDX {version} schema: {problem}")
    return document


def _own_kind(component: dict[str, Any]) -> str | None:
    for prop in component.get("properties") or []:
        if isinstance(prop, dict) and prop.get("name") == PREFIX + "kind":
            value = str(prop.get("value", ""))
            return value if value in Asset.Kind.values else None
    return None


def read_bom(data: bytes, fmt: str = "json") -> Bom:
    """The BOM's ML models and datasets (and a RiskHub BOM's endpoints and systems) as
    rows for the importer, with the other components counted by type."""
    document = load(data, fmt)
    skipped: Counter[str] = Counter()
    components = []
    for component in _walk(document.get("components") or []):
        if _own_kind(component) or component.get("type") in ("machine-learning-model", "data"):
            components.append(component)
        else:
            skipped[str(component.get("type") or "unknown")] += 1
    for service in document.get("services") or []:
        skipped["service"] += 1 + len(_walk(service.get("services") or []))
    if not components:
        raise FileError(
            "The BOM has no components of type machine-learning-model or data to import"
            + (f" (it has {_counted(skipped)})." if skipped else ".")
        )
    ref_name: dict[str, str] = {}
    rows = []
    inline: dict[str, dict[str, Any]] = {}  # inline datasets (no bom-ref), by lower name
    for component in components:
        ref = component.get("bom-ref")
        row = _row(component)
        if ref:
            ref_name[ref] = row["id"] or row["name"]
        rows.append(row)
    by_ref = {c.get("bom-ref"): (c, row) for c, row in zip(components, rows, strict=True)}
    by_ref.pop(None, None)
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
                continue  # a library or service: counted above, not an AI asset
            relation = _relation(upstream[1]["kind"], row["kind"])
            name = ref_name[upstream_ref]
            if name not in row[relation]:
                row[relation].append(name)
    names = {(r["kind"], str(r["name"]).lower()) for r in rows}
    for component, row in zip(components, rows, strict=True):
        datasets = ((component.get("modelCard") or {}).get("modelParameters") or {}).get(
            "datasets"
        ) or []
        for dataset in datasets:
            if not isinstance(dataset, dict):
                continue
            if "ref" in dataset:
                ref = dataset["ref"]
                if not row.get("_own_lineage") and ref in ref_name:
                    if ref_name[ref] not in row["trained_on"]:
                        row["trained_on"].append(ref_name[ref])
                continue
            # An inline dataset: a dataset asset of its own, trained on by the model.
            data_row = _data_row(dataset, fallback=f"{row['name']} training data")
            key = data_row["name"].lower()
            if key not in inline and ("dataset", key) not in names:
                inline[key] = data_row
                names.add(("dataset", key))
            if data_row["name"] not in row["trained_on"] and not row.get("_own_lineage"):
                row["trained_on"].append(data_row["name"])
    rows += inline.values()
    header = ["id", "kind", "name", "description", "vendor", "source", "model_version"]
    header += ["model_type", "framework", "licence", "tags", "model_card", *RELATIONS]
    result = []
    for index, row in enumerate(rows, start=1):
        row.pop("_own_lineage", None)
        row.setdefault("source", Asset.Source.IN_HOUSE)  # the BOM names no supplier
        for key in row:
            if key not in header:
                header.append(key)
        result.append(RawRow(index, row))
    return Bom(header, result, skipped)


def _counted(skipped: Counter[str]) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in sorted(skipped.items()))


def _relation(up_kind: str, down_kind: str) -> str:
    if up_kind == "dataset" and down_kind == "model":
        return "trained_on"
    if up_kind == "model" and down_kind == "model":
        return "fine_tuned_from"  # a model's model dependency is its base model
    if up_kind == "model" and down_kind == "endpoint":
        return "serves"
    return "depends_on"


def _entity_name(entity: Any) -> str:
    if not isinstance(entity, dict):
        return ""
    if entity.get("name"):
        return str(entity["name"])
    organization = entity.get("organization") or {}
    contact = entity.get("contact") or {}
    if isinstance(contact, list):
        contact = contact[0] if contact else {}
    return str(organization.get("name") or contact.get("name") or contact.get("email") or "")


def _append(text: str, line: str) -> str:
    return text + ("\n" if text else "") + line


def _data_row(data: dict[str, Any], *, fallback: str, component: dict | None = None) -> dict:
    """A dataset row from CycloneDX componentData (inline, or a data component's first
    `data` entry); what RiskHub has no field for is kept in the description."""
    row: dict[str, Any] = {
        "id": "",
        "kind": "dataset",
        "name": str(data.get("name") or fallback),
        "description": "",
        "vendor": "",
        "tags": [],
        **{relation: [] for relation in RELATIONS},
    }
    _apply_data(row, data)
    return row


def _apply_data(row: dict[str, Any], data: dict[str, Any]) -> None:
    description = row["description"]
    if data.get("description") and data["description"] not in description:
        description = _append(description, str(data["description"]))
    if data.get("type") and data["type"] != "dataset":
        description = _append(description, f"Data type: {data['type']}")
    if data.get("classification"):
        description = _append(description, f"Classification: {data['classification']}")
    sensitive = [str(s) for s in data.get("sensitiveData") or []]
    if sensitive:
        row["personal_data"] = True
        description = _append(description, "Sensitive data: " + "; ".join(sensitive))
    contents = data.get("contents") or {}
    if contents.get("url"):
        description = _append(description, f"Contents: {contents['url']}")
    attachment = contents.get("attachment") or {}
    if attachment:
        description = _append(
            description,
            "Contents: attached " + str(attachment.get("contentType") or "text"),
        )
    for prop in contents.get("properties") or []:
        description = _append(description, f"{prop.get('name')}: {prop.get('value', '')}")
    graphics = _graphics(data.get("graphics"))
    if graphics:
        description = _append(description, graphics)
    governance = data.get("governance") or {}
    owners = [_entity_name(o) for o in governance.get("owners") or []]
    if owners and owners[0]:
        row["data_origin"] = owners[0]
    for role in ("custodians", "stewards"):
        people = [n for n in (_entity_name(p) for p in governance.get(role) or []) if n]
        if people:
            description = _append(description, f"Data {role}: " + "; ".join(people))
    row["description"] = description


def _graphics(graphics: Any) -> str:
    """A graphics collection as one line: its description and the graphics' names (the
    images themselves are not kept)."""
    if not isinstance(graphics, dict):
        return ""
    names = [str(g.get("name")) for g in graphics.get("collection") or [] if g.get("name")]
    text = str(graphics.get("description") or "")
    if names:
        text = f"{text} ({', '.join(names)})" if text else ", ".join(names)
    return f"Graphics: {text}" if text else ""


def _card_from(component: dict[str, Any]) -> dict[str, Any]:
    """CycloneDX `modelCard` (plus RiskHub's metric-dataset properties) as a model card."""
    native = component.get("modelCard") or {}
    parameters = native.get("modelParameters") or {}
    analysis = native.get("quantitativeAnalysis") or {}
    considerations = native.get("considerations") or {}
    properties = {
        str(p.get("name")): str(p.get("value", ""))
        for p in component.get("properties") or []
        if isinstance(p, dict)
    }
    card: dict[str, Any] = {
        "approach": (parameters.get("approach") or {}).get("type", ""),
        "architecture_family": parameters.get("architectureFamily", ""),
        "model_architecture": parameters.get("modelArchitecture", ""),
        "inputs": [i.get("format", "") for i in parameters.get("inputs") or []],
        "outputs": [o.get("format", "") for o in parameters.get("outputs") or []],
    }
    metrics = []
    for index, metric in enumerate(analysis.get("performanceMetrics") or []):
        bounds = metric.get("confidenceInterval") or {}
        metrics.append(
            {
                "type": metric.get("type", ""),
                "value": metric.get("value", ""),
                "slice": metric.get("slice", ""),
                "lower_bound": bounds.get("lowerBound", ""),
                "upper_bound": bounds.get("upperBound", ""),
                "dataset": properties.get(f"{METRIC_DATASET}{index}", ""),
            }
        )
    card["metrics"] = metrics
    card["users"] = considerations.get("users") or []
    card["use_cases"] = considerations.get("useCases") or []
    card["limitations"] = considerations.get("technicalLimitations") or []
    card["tradeoffs"] = considerations.get("performanceTradeoffs") or []
    card["ethical"] = [
        {"name": e.get("name", ""), "mitigation": e.get("mitigationStrategy", "")}
        for e in considerations.get("ethicalConsiderations") or []
    ]
    card["fairness"] = [
        {
            "group_at_risk": f.get("groupAtRisk", ""),
            "benefits": f.get("benefits", ""),
            "harms": f.get("harms", ""),
            "mitigation": f.get("mitigationStrategy", ""),
        }
        for f in considerations.get("fairnessAssessments") or []
    ]
    environmental = considerations.get("environmentalConsiderations") or {}
    notes = [
        str(p.get("value", ""))
        for p in environmental.get("properties") or []
        if p.get("name") == ENVIRONMENTAL
    ]
    others = [
        f"{p.get('name')}: {p.get('value', '')}"
        for p in environmental.get("properties") or []
        if p.get("name") != ENVIRONMENTAL
    ]
    energy = [_energy_line(e) for e in environmental.get("energyConsumptions") or []]
    card["environmental"] = "\n".join(notes + energy + others) or properties.get(ENVIRONMENTAL, "")
    try:
        return model_card.normalise(card)
    except model_card.CardError as exc:
        raise FileError(
            f"The model card of “{component.get('name')}” cannot be read: {exc}"
        ) from None


def _quantity(value: Any) -> str:
    if not isinstance(value, dict) or value.get("value") in (None, ""):
        return ""
    return f"{value.get('value')} {value.get('unit', '')}".strip()


def _energy_line(consumption: dict[str, Any]) -> str:
    """One CycloneDX energyConsumption as a sentence of the environmental notes."""
    parts = [f"Energy for {consumption.get('activity', 'an activity')}"]
    cost = _quantity(consumption.get("activityEnergyCost"))
    if cost:
        parts.append(cost)
    sources = []
    for provider in consumption.get("energyProviders") or []:
        organisation = _entity_name(provider.get("organization") or {})
        provided = _quantity(provider.get("energyProvided"))
        source = provider.get("energySource", "")
        sources.append(" ".join(x for x in (organisation, source, provided) if x))
    if sources:
        parts.append("from " + "; ".join(sources))
    for key, label in (("co2CostEquivalent", "CO2 equivalent"), ("co2CostOffset", "offset")):
        amount = _quantity(consumption.get(key))
        if amount:
            parts.append(f"{label} {amount}")
    return ", ".join(parts)


def _source(component: dict[str, Any], vendor: str) -> str | None:
    """Where a foreign component comes from: open source when its supplier is an open
    hub or it names an open package URL, commercial when a supplier is named otherwise,
    unknown (the default, in-house) when the BOM names nobody."""
    purl = str(component.get("purl") or "").lower()
    if purl.startswith(OPEN_PURLS) or any(s in vendor.lower() for s in OPEN_SUPPLIERS):
        return "open-source"
    if vendor:
        return "commercial"
    return None


def _row(component: dict[str, Any]) -> dict[str, Any]:
    kind = _own_kind(component) or (
        "model" if component["type"] == "machine-learning-model" else "dataset"
    )
    ref = str(component.get("bom-ref") or "")
    try:
        identifier = str(uuid_lib.UUID(ref))
    except ValueError:
        identifier = ""
    supplier = component.get("supplier") or component.get("manufacturer") or {}
    authors = component.get("authors") or []
    vendor = (
        supplier.get("name")
        or component.get("publisher")
        or component.get("author")
        or (_entity_name(authors[0]) if authors else "")
        or ""
    )
    name = str(component.get("name", ""))
    group = str(component.get("group") or "")
    if group and not name.lower().startswith(group.lower() + "/"):
        name = f"{group}/{name}"  # the Hugging Face convention: organisation/model
    row: dict[str, Any] = {
        "id": identifier,
        "kind": kind,
        "name": name,
        "description": component.get("description", ""),
        "vendor": vendor,
        "tags": list(component.get("tags") or []),
        **{relation: [] for relation in RELATIONS},
    }
    source = _source(component, vendor)
    if source:
        row["source"] = source
    licences = component.get("licenses") or []
    first = licences[0] if licences else {}
    licence = first.get("license") or {}
    row["licence"] = licence.get("id") or licence.get("name") or first.get("expression") or ""
    if kind in ("model", "dataset"):
        row["model_version"] = component.get("version", "")
    if kind == "model":
        parameters = (component.get("modelCard") or {}).get("modelParameters") or {}
        row["model_type"] = _model_type(str(parameters.get("task") or ""))
        row["model_card"] = _card_from(component)
        if parameters.get("task") and parameters.get("task") not in TASKS.values():
            row["description"] = _append(row["description"], f"Task: {parameters['task']}")
        analysis = (component.get("modelCard") or {}).get("quantitativeAnalysis") or {}
        graphics = _graphics(analysis.get("graphics"))
        if graphics:
            row["description"] = _append(row["description"], graphics)
        for prop in (component.get("modelCard") or {}).get("properties") or []:
            row["description"] = _append(
                row["description"], f"Model card {prop.get('name')}: {prop.get('value', '')}"
            )
    elif kind == "dataset":
        for data in component.get("data") or []:
            _apply_data(row, data)
    own = {
        p["name"][len(PREFIX) :]: p.get("value", "")
        for p in component.get("properties") or []
        if isinstance(p, dict)
        and str(p.get("name", "")).startswith(PREFIX)
        and not str(p.get("name")).startswith(METRIC_DATASET)
        and p.get("name") != ENVIRONMENTAL
    }
    if own:
        # RiskHub's own BOM: its properties say every field exactly.
        for name_, value in own.items():
            if name_ in BY_NAME and name_ not in ("id", "tier", "effective_risk"):
                row[name_] = value
        row["description"] = component.get("description", "")
        row["name"] = component.get("name", "")
        for name_ in ("vendor", "model_version", "framework", "licence"):
            if name_ not in own and name_ in row:
                row[name_] = ""
        row["_own_lineage"] = any(name_ in own for name_ in RELATIONS)
        for relation in RELATIONS:
            if relation not in own:
                row[relation] = ""
    return row
