"""The versioned table (catalogs/mapping.yaml) from a scanner's checks to the threats of
the catalog, and the controls those checks test."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from riskhub.common import yamlfiles

MAPPING_PATH = Path(__file__).parent / "catalogs" / "mapping.yaml"


@dataclass(frozen=True)
class Entry:
    threats: tuple[str, ...] = ()
    atlas: tuple[str, ...] = ()
    owasp_llm: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    serious: bool = False
    category: str = ""

    def __or__(self, other: Entry) -> Entry:
        def union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(dict.fromkeys(a + b))

        return Entry(
            union(self.threats, other.threats),
            union(self.atlas, other.atlas),
            union(self.owasp_llm, other.owasp_llm),
            union(self.controls, other.controls),
            self.serious or other.serious,
            self.category or other.category,
        )


def _entry(raw: dict[str, Any]) -> Entry:
    return Entry(
        threats=tuple(raw.get("threats") or ()),
        atlas=tuple(raw.get("atlas") or ()),
        owasp_llm=tuple(raw.get("owasp_llm") or ()),
        controls=tuple(raw.get("controls") or ()),
        serious=bool(raw.get("serious", False)),
        category=str(raw.get("category") or ""),
    )


@dataclass(frozen=True)
class Mapping:
    version: str
    tool_controls: dict[str, tuple[str, ...]]
    garak: dict[str, Entry]
    promptfoo_plugins: dict[str, Entry]
    promptfoo_strategies: dict[str, Entry]

    def entries(self) -> dict[str, Entry]:
        """Every entry by a readable key (for the catalog checks)."""
        return {
            **{f"garak {k}": v for k, v in self.garak.items()},
            **{f"promptfoo plugin {k}": v for k, v in self.promptfoo_plugins.items()},
            **{f"promptfoo strategy {k}": v for k, v in self.promptfoo_strategies.items()},
        }

    def garak_probe(self, probe: str) -> Entry | None:
        """`encoding.InjectBase64` is looked up as itself, then as `encoding`."""
        if probe in self.garak:
            return self.garak[probe]
        return self.garak.get(probe.split(".", 1)[0])

    def promptfoo_plugin(self, plugin: str) -> Entry | None:
        """`harmful:cybercrime` is looked up as itself, then as `harmful`."""
        if plugin in self.promptfoo_plugins:
            return self.promptfoo_plugins[plugin]
        return self.promptfoo_plugins.get(plugin.split(":", 1)[0])

    def entry(self, tool: str, probe: str, detector: str) -> Entry | None:
        """The entry of one finding: a garak probe, or a promptfoo plugin and strategy."""
        if tool == "garak":
            return self.garak_probe(probe)
        plugin, strategy = self.promptfoo_plugin(probe), self.promptfoo_strategy(detector)
        return plugin | strategy if plugin is not None and strategy is not None else None

    def promptfoo_strategy(self, strategy: str) -> Entry | None:
        if strategy in self.promptfoo_strategies:
            return self.promptfoo_strategies[strategy]
        return self.promptfoo_strategies.get(strategy.split(":", 1)[0])


@cache
def load_mapping(path: Path = MAPPING_PATH) -> Mapping:
    data = yamlfiles.read(path)
    promptfoo = data.get("promptfoo") or {}
    return Mapping(
        version=str(data["version"]),
        tool_controls={
            tool: tuple((conf or {}).get("controls") or ())
            for tool, conf in (data.get("tools") or {}).items()
        },
        garak={k: _entry(v) for k, v in (data.get("garak") or {}).items()},
        promptfoo_plugins={k: _entry(v) for k, v in (promptfoo.get("plugins") or {}).items()},
        promptfoo_strategies={k: _entry(v) for k, v in (promptfoo.get("strategies") or {}).items()},
    )
