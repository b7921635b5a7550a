"""The mapping table names only threats, techniques, controls and incident categories
that exist, and covers every check in the committed tool outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from riskhub.incidents.models import Incident
from riskhub.scans.mapping import MAPPING_PATH, load_mapping
from tests.scans.conftest import GARAK_REPORT, PROMPTFOO_RESULTS

CATALOGS = Path(__file__).resolve().parents[2] / "riskhub"
THREATS = {
    t["code"]: t
    for t in yaml.safe_load((CATALOGS / "risk/catalogs/threats.yaml").read_text())["threats"]
}
CONTROLS = {
    c["code"]: c
    for c in yaml.safe_load((CATALOGS / "compliance/catalogs/controls.yaml").read_text())[
        "controls"
    ]
}
MAPPING = load_mapping()


def test_the_table_is_versioned() -> None:
    raw = yaml.safe_load(MAPPING_PATH.read_text())
    assert raw["version"] == MAPPING.version
    assert MAPPING.version


@pytest.mark.parametrize("key", sorted(MAPPING.entries()))
def test_each_entry_names_existing_threats_with_their_own_ids(key: str) -> None:
    entry = MAPPING.entries()[key]
    unknown = [code for code in entry.threats if code not in THREATS]
    assert not unknown, f"{key}: {unknown} are not in threats.yaml"
    atlas = {a for code in entry.threats for a in THREATS[code]["atlas"]}
    owasp = {o for code in entry.threats for o in THREATS[code]["owasp_llm"]}
    assert set(entry.atlas) <= atlas, f"{key}: {set(entry.atlas) - atlas} not its threats'"
    assert set(entry.owasp_llm) <= owasp, f"{key}: {set(entry.owasp_llm) - owasp}"
    for control in entry.controls:
        assert control in CONTROLS and not CONTROLS[control].get("retired"), control
    if entry.category:
        assert entry.category in Incident.Category.values
    if not key.startswith("promptfoo strategy"):
        assert entry.threats, f"{key} maps to no threat"


def test_tool_controls_exist_and_test_the_threats() -> None:
    for tool, controls in MAPPING.tool_controls.items():
        assert tool in ("garak", "promptfoo")
        for code in controls:
            assert code in CONTROLS, code
    # The controls the scans evidence are the ones the library links to these threats.
    assert "THR-PROMPT-INJECTION" in CONTROLS["CTL-PROMPT-INJECTION-DEFENCE"]["threats"]
    assert "THR-PROMPT-INJECTION" in CONTROLS["CTL-ADVERSARIAL-TESTING"]["threats"]


def test_every_probe_of_the_garak_sample_is_mapped() -> None:
    probes = set()
    for line in GARAK_REPORT.read_text().splitlines():
        record = json.loads(line)
        if record.get("entry_type") == "eval":
            probes.add(record["probe"])
    assert probes
    assert [p for p in sorted(probes) if MAPPING.garak_probe(p) is None] == []


def test_every_plugin_and_strategy_of_the_promptfoo_sample_is_mapped() -> None:
    results = json.loads(PROMPTFOO_RESULTS.read_text())["results"]["results"]
    pairs = {
        (r["testCase"]["metadata"]["pluginId"], r["testCase"]["metadata"]["strategyId"])
        for r in results
    }
    assert pairs
    for plugin, strategy in pairs:
        assert MAPPING.promptfoo_plugin(plugin) is not None, plugin
        assert MAPPING.promptfoo_strategy(strategy) is not None, strategy


def test_the_most_specific_key_wins() -> None:
    assert MAPPING.garak_probe("propile.PIILeakTwin") == MAPPING.garak["propile"]
    assert MAPPING.garak_probe("nosuchmodule.Probe") is None
    assert MAPPING.promptfoo_plugin("harmful:cybercrime") == MAPPING.promptfoo_plugins["harmful"]
    combined = MAPPING.promptfoo_plugins["pii"] | MAPPING.promptfoo_strategies["jailbreak"]
    assert combined.threats == ("THR-DATA-LEAKAGE", "THR-PROMPT-INJECTION")
    assert combined.serious
