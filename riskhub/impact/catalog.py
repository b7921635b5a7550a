"""The integrated impact assessment's sections, read from the versioned catalog YAML.

Pure: parses and checks the file's shape; `catalog_loader` checks the requirement refs
against the database and stores each version as an `AssessmentTemplate`, which the
form, the API and the rendered document read (an assessment keeps the version it was
written against).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from riskhub.common import yamlfiles

CATALOG_PATH = Path(__file__).resolve().parent / "catalogs" / "integrated-assessment.yaml"
LAWS = ("eu-ai-act", "gdpr", "ccpa")
LAW_NAMES = {"eu-ai-act": "EU AI Act", "gdpr": "GDPR", "ccpa": "CCPA/CPRA"}
FIELD_TYPES = ("text", "textarea", "choice", "date")
# Known asset and organisation facts a field may be pre-filled from (selectors.prefill).
PREFILL_SOURCES = frozenset(
    {
        "intended_purpose",
        "deployment_context",
        "affected_persons",
        "collection_method",
        "special_categories",
        "data_categories",
        "dpo_name",
    }
)
TEXT_LIMIT = {"text": 300, "textarea": 10_000}


class CatalogError(ValueError):
    pass


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""
    prefill: str = ""

    def clean(self, value: Any) -> str:
        """The stored form of an answer: a string ('' when unanswered). Raises
        ValueError with a message for the person who typed it."""
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValueError("Give text.")
        if "\x00" in value:
            raise ValueError("Remove the NUL character.")
        value = value.strip()
        if not value:
            return ""
        if self.type == "choice" and value not in self.choices:
            raise ValueError(f"Choose one of: {', '.join(self.choices)}.")
        if self.type == "date":
            try:
                return dt.date.fromisoformat(value).isoformat()
            except ValueError:
                raise ValueError("Give a date as YYYY-MM-DD.") from None
        limit = TEXT_LIMIT.get(self.type)
        if limit is not None and len(value) > limit:
            raise ValueError(f"Keep it under {limit} characters (it has {len(value)}).")
        return value


@dataclass(frozen=True)
class Provision:
    framework: str
    cite: str
    label: str
    note: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    laws: tuple[str, ...]
    guidance: str
    provisions: tuple[Provision, ...]
    requirements: tuple[tuple[str, str], ...]
    fields: tuple[Field, ...]

    def applies(self, laws: frozenset[str] | set[str]) -> bool:
        return bool(set(self.laws) & set(laws))

    @property
    def law_names(self) -> list[str]:
        return [LAW_NAMES[law] for law in self.laws]


@dataclass(frozen=True)
class Template:
    version: str
    control: str
    anchors: tuple[tuple[str, str], ...]
    recommend_first_when_laws: int
    validity_months: int
    sections: tuple[Section, ...]

    @property
    def fields(self) -> dict[str, Field]:
        return {f.key: f for s in self.sections for f in s.fields}

    def sections_for(self, laws: frozenset[str] | set[str]) -> list[Section]:
        """The sections the laws that apply ask for; every section when none applies
        (an assessment made voluntarily)."""
        if not laws:
            return list(self.sections)
        return [s for s in self.sections if s.applies(laws)]

    def provisions_by_law(self) -> dict[str, list[tuple[Provision, Section]]]:
        result: dict[str, list[tuple[Provision, Section]]] = {law: [] for law in LAWS}
        for section in self.sections:
            for provision in section.provisions:
                result[provision.framework].append((provision, section))
        return result


def _law(value: Any, where: str) -> str:
    if value not in LAWS:
        raise CatalogError(f"{where}: unknown law {value!r} (one of {', '.join(LAWS)})")
    return str(value)


def _field(item: dict[str, Any], where: str) -> Field:
    kind = item.get("type")
    if kind not in FIELD_TYPES:
        raise CatalogError(f"{where}: type must be one of {', '.join(FIELD_TYPES)}")
    choices = tuple(str(c) for c in item.get("choices") or ())
    if (kind == "choice") != bool(choices):
        raise CatalogError(f"{where}: choices go with type choice, and only with it")
    prefill = str(item.get("prefill") or "")
    if prefill and prefill not in PREFILL_SOURCES:
        raise CatalogError(f"{where}: unknown prefill source {prefill!r}")
    return Field(
        key=str(item["key"]),
        label=str(item["label"]),
        type=kind,
        required=bool(item.get("required")),
        choices=choices,
        help=str(item.get("help") or ""),
        prefill=prefill,
    )


def parse(data: dict[str, Any]) -> Template:
    """Check the catalog's shape and return it as a Template."""
    sections = []
    keys: set[str] = set()
    field_keys: set[str] = set()
    for item in data.get("sections") or []:
        where = f"section {item.get('key')!r}"
        if item.get("key") in keys:
            raise CatalogError(f"{where}: duplicate key")
        keys.add(item["key"])
        laws = tuple(_law(law, where) for law in item.get("laws") or [])
        if not laws:
            raise CatalogError(f"{where}: name the laws it serves")
        provisions = tuple(
            Provision(
                framework=_law(p["framework"], where),
                cite=str(p["cite"]),
                label=str(p["label"]),
                note=str(p.get("note") or ""),
            )
            for p in item.get("provisions") or []
        )
        if {p.framework for p in provisions} != set(laws):
            raise CatalogError(f"{where}: its provisions must cite exactly the laws it serves")
        fields = tuple(_field(f, f"{where} field {f.get('key')!r}") for f in item["fields"])
        for f in fields:
            if f.key in field_keys:
                raise CatalogError(f"{where}: field key {f.key!r} used twice")
            field_keys.add(f.key)
        sections.append(
            Section(
                key=str(item["key"]),
                title=str(item["title"]),
                laws=laws,
                guidance=str(item.get("guidance") or "").strip(),
                provisions=provisions,
                requirements=tuple(
                    (_law(r["framework"], where), str(r["ref"]))
                    for r in item.get("requirements") or []
                ),
                fields=fields,
            )
        )
    anchors = tuple((_law(a["framework"], "anchors"), str(a["ref"])) for a in data["anchors"])
    if sorted(law for law, _ in anchors) != sorted(LAWS):
        raise CatalogError("anchors: name one requirement per law")
    return Template(
        version=str(data["version"]),
        control=str(data["control"]),
        anchors=anchors,
        recommend_first_when_laws=int(data.get("recommend_first_when_laws") or 2),
        validity_months=int(data["validity_months"]),
        sections=tuple(sections),
    )


def read(path: Path = CATALOG_PATH) -> dict[str, Any]:
    data = yamlfiles.read(path)
    if not isinstance(data, dict):
        raise CatalogError(f"{path.name}: expected a mapping at the top level")
    return data


def as_content(data: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a catalog version: the YAML, dates as text (JSON-safe)."""
    return yamlfiles.parse(yaml.safe_dump(data, default_flow_style=False))
