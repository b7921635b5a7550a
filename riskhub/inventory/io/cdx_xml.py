"""CycloneDX XML <-> the JSON shape of the same BOM.

The importer and exporter work on the JSON shape only; this module maps the XML
encoding onto it (list wrappers such as <properties><property>, attributes such as
bom-ref, properties as name + text) and back, in the element order the XSD requires.
Reading refuses DTDs and never resolves entities or fetches anything.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from riskhub.common.safejson import MAX_DEPTH
from riskhub.inventory.io.tabular import FileError

NS = "http://cyclonedx.org/schema/bom/"
# wrapper element -> its item element
WRAPPED = {
    "components": "component",
    "services": "service",
    "properties": "property",
    "tags": "tag",
    "inputs": "input",
    "outputs": "output",
    "performanceMetrics": "performanceMetric",
    "users": "user",
    "useCases": "useCase",
    "technicalLimitations": "technicalLimitation",
    "performanceTradeoffs": "performanceTradeoff",
    "ethicalConsiderations": "ethicalConsideration",
    "fairnessAssessments": "fairnessAssessment",
    "custodians": "custodian",
    "stewards": "steward",
    "owners": "owner",
    "dependencies": "dependency",
    "hashes": "hash",
    "externalReferences": "reference",
    "authors": "author",
    "collection": "graphic",
    "energyConsumptions": "energyConsumption",
}
# Elements that repeat without a wrapper, by parent (None: anywhere).
REPEATED = {
    "data": {"component"},
    "sensitiveData": None,
    "energyProviders": {"energyConsumption"},
    "url": {"supplier", "manufacturer", "organization"},
    "contact": {"supplier", "manufacturer", "organization"},
}
# Keys written as XML attributes, by element.
ATTRIBUTES = {
    "component": {"type", "bom-ref", "mime-type", "isExternal"},
    "dataset": {"bom-ref"},
    "data": {"bom-ref"},
    "modelCard": {"bom-ref"},
    "license": {"bom-ref", "acknowledgement"},
    "reference": {"type"},
    "hash": {"alg"},
    "dependency": {"ref"},
}
# JSON key -> XML element where the encodings name a thing differently, by element.
RENAMED = {party: {"contact": "individual"} for party in ("custodian", "steward", "owner")}
# attachedText elements: attributes content-type and encoding, the content as text.
ATTACHED = {"image", "attachment", "text"}
ORDER = {
    "bom": ["metadata", "components", "services", "externalReferences", "dependencies"],
    "metadata": ["timestamp", "lifecycles", "tools", "authors", "component"],
    "tools": ["components", "services"],
    "component": [
        "supplier",
        "manufacturer",
        "authors",
        "author",
        "publisher",
        "group",
        "name",
        "version",
        "description",
        "scope",
        "hashes",
        "licenses",
        "copyright",
        "cpe",
        "purl",
        "omniborId",
        "swhid",
        "swid",
        "modified",
        "pedigree",
        "externalReferences",
        "properties",
        "components",
        "evidence",
        "releaseNotes",
        "modelCard",
        "data",
        "cryptoProperties",
        "tags",
    ],  # fmt: skip
    "modelCard": ["modelParameters", "quantitativeAnalysis", "considerations", "properties"],
    "modelParameters": [
        "approach",
        "task",
        "architectureFamily",
        "modelArchitecture",
        "datasets",
        "inputs",
        "outputs",
    ],  # fmt: skip
    "quantitativeAnalysis": ["performanceMetrics", "graphics"],
    "performanceMetric": ["type", "value", "slice", "confidenceInterval"],
    "confidenceInterval": ["lowerBound", "upperBound"],
    "considerations": [
        "users",
        "useCases",
        "technicalLimitations",
        "performanceTradeoffs",
        "ethicalConsiderations",
        "environmentalConsiderations",
        "fairnessAssessments",
    ],  # fmt: skip
    "ethicalConsideration": ["name", "mitigationStrategy"],
    "fairnessAssessment": ["groupAtRisk", "benefits", "harms", "mitigationStrategy"],
    "environmentalConsiderations": ["energyConsumptions", "properties"],
    "dataset": [
        "type",
        "name",
        "contents",
        "classification",
        "sensitiveData",
        "graphics",
        "description",
        "governance",
    ],  # fmt: skip
    "data": [
        "type",
        "name",
        "contents",
        "classification",
        "sensitiveData",
        "graphics",
        "description",
        "governance",
    ],  # fmt: skip
    "contents": ["attachment", "url", "properties"],
    "governance": ["custodians", "stewards", "owners"],
    "supplier": ["name", "address", "url", "contact"],
    "manufacturer": ["name", "address", "url", "contact"],
    "organization": ["name", "address", "url", "contact"],
    "license": ["id", "name", "licensing", "text", "url", "properties"],
    "graphics": ["description", "collection"],
    "graphic": ["name", "image"],
}


# --- writing -----------------------------------------------------------------------------


def to_xml(document: dict[str, Any]) -> str:
    version = document["specVersion"]
    root = etree.Element(f"{{{NS}{version}}}bom", nsmap={None: f"{NS}{version}"})
    root.set("serialNumber", document["serialNumber"])
    root.set("version", str(document.get("version", 1)))
    _children(root, "bom", document, f"{{{NS}{version}}}")
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode()


def _ordered(tag: str, value: dict[str, Any]) -> list[str]:
    order = ORDER.get(tag, [])
    known = [k for k in order if k in value]
    return known + [k for k in value if k not in order]


def _children(element: Any, tag: str, value: dict[str, Any], ns: str) -> None:
    attributes = ATTRIBUTES.get(tag, set())
    for key in _ordered(tag, value):
        item = value[key]
        if key in ("bomFormat", "specVersion", "serialNumber", "version") and tag == "bom":
            continue
        if key in attributes:
            element.set(key, _text(item))
            continue
        _add(element, tag, RENAMED.get(tag, {}).get(key, key), item, ns)


# Characters XML 1.0 cannot carry at all (a JSON BOM can): written as U+FFFD.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _add(parent: Any, parent_tag: str, key: str, value: Any, ns: str) -> None:
    sub = etree.SubElement
    if key == "properties":
        wrapper = sub(parent, ns + "properties")
        for prop in value:
            node = sub(wrapper, ns + "property", name=_text(prop["name"]))
            node.text = _text(prop.get("value", ""))
        return
    if key == "licenses":
        wrapper = sub(parent, ns + "licenses")
        for choice in value:
            if "expression" in choice:
                sub(wrapper, ns + "expression").text = _text(choice["expression"])
            else:
                _value(wrapper, "license", choice["license"], ns)
        return
    if key == "datasets":
        wrapper = sub(parent, ns + "datasets")
        for dataset in value:
            if set(dataset) == {"ref"}:
                sub(wrapper, ns + "ref").text = _text(dataset["ref"])
            else:
                _value(wrapper, "dataset", dataset, ns)
        return
    if key == "dependencies" and parent_tag == "bom":
        wrapper = sub(parent, ns + "dependencies")
        for dependency in value:
            node = sub(wrapper, ns + "dependency", ref=dependency["ref"])
            for ref in dependency.get("dependsOn", []):
                sub(node, ns + "dependency", ref=ref)
        return
    if key in WRAPPED and isinstance(value, list):
        wrapper = sub(parent, ns + key)
        for item in value:
            _value(wrapper, WRAPPED[key], item, ns)
        return
    if isinstance(value, list):
        for item in value:
            _value(parent, key, item, ns)
        return
    _value(parent, key, value, ns)


def _value(parent: Any, tag: str, value: Any, ns: str) -> None:
    node = etree.SubElement(parent, ns + tag)
    if tag in ATTACHED and isinstance(value, dict):
        if value.get("contentType"):
            node.set("content-type", value["contentType"])
        if value.get("encoding"):
            node.set("encoding", value["encoding"])
        node.text = _text(value.get("content", ""))
    elif isinstance(value, dict):
        _children(node, tag, value, ns)
    else:
        node.text = _text(value)


# --- reading -----------------------------------------------------------------------------


def parse(data: bytes) -> tuple[Any, str]:
    """The safely parsed tree and its CycloneDX version (from the namespace)."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise FileError(f"The XML cannot be read: {exc.msg}.", line=exc.lineno or 0) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise FileError(
            "The XML declares a DTD; CycloneDX BOMs have none and RiskHub refuses them."
        )
    depth = _depth(root)
    if depth > MAX_DEPTH:
        raise FileError(f"The XML is nested more than {MAX_DEPTH} levels deep.")
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "bom" or not namespace.startswith(NS):
        raise FileError("This is not a CycloneDX BOM (the root must be <bom> in its namespace).")
    return root, namespace[len(NS) :]


def _depth(root: Any) -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node if isinstance(child.tag, str))
    return deepest


def to_document(root: Any, version: str) -> dict[str, Any]:
    """The JSON shape of an XML BOM (already checked against the XSD)."""
    document: dict[str, Any] = {"bomFormat": "CycloneDX", "specVersion": version}
    if root.get("serialNumber"):
        document["serialNumber"] = root.get("serialNumber")
    document["version"] = int(root.get("version", "1"))
    document.update(_object(root, "bom"))
    return document


def _local(node: Any) -> str:
    return str(etree.QName(node).localname)


def _object(node: Any, tag: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if tag != "bom":
        out.update(dict(node.attrib))
    json_key = {xml: key for key, xml in RENAMED.get(tag, {}).items()}
    for child in node:
        if not isinstance(child.tag, str):
            continue
        key = _local(child)
        if key in json_key:
            out[json_key[key]] = _value_of(child, json_key[key])
        elif key == "properties":
            out[key] = [
                {"name": p.get("name", ""), "value": (p.text or "").strip()}
                for p in child
                if isinstance(p.tag, str)
            ]
        elif key == "licenses":
            out[key] = [
                {"expression": (c.text or "").strip()}
                if _local(c) == "expression"
                else {"license": _object(c, "license")}
                for c in child
                if isinstance(c.tag, str)
            ]
        elif key == "datasets":
            out[key] = [
                {"ref": (c.text or "").strip()} if _local(c) == "ref" else _value_of(c, "dataset")
                for c in child
                if isinstance(c.tag, str)
            ]
        elif key == "dependencies" and tag == "bom":
            out[key] = [
                {
                    "ref": d.get("ref"),
                    "dependsOn": [x.get("ref") for x in d if isinstance(x.tag, str)],
                }
                for d in child
                if isinstance(d.tag, str)
            ]
        elif (
            key in WRAPPED
            and len(child)
            and all(_local(c) == WRAPPED[key] for c in child if isinstance(c.tag, str))
        ):
            out.setdefault(key, [])
            out[key] += [_value_of(c, WRAPPED[key]) for c in child if isinstance(c.tag, str)]
        elif key in REPEATED and (REPEATED[key] is None or tag in (REPEATED[key] or ())):
            out.setdefault(key, []).append(_value_of(child, key))
        else:
            out[key] = _value_of(child, key)
    return out


def _value_of(node: Any, tag: str) -> Any:
    if tag in ATTACHED and not len(node):
        attached = {"content": (node.text or "").strip()}
        if node.get("content-type"):
            attached["contentType"] = node.get("content-type")
        if node.get("encoding"):
            attached["encoding"] = node.get("encoding")
        return attached
    if len(node) or node.attrib:
        value = _object(node, tag)
        text = (node.text or "").strip()
        if text and not len(node):
            value["content" if tag == "hash" else "value"] = text
        return value
    return (node.text or "").strip()
