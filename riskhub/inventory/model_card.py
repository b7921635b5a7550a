"""A model's model card: its one shape, and the rule that checks it.

The card is stored on the model asset as JSON in one normal form (``normalise``), so the
form, the API, the importers and CycloneDX all write the same thing and a round trip
compares equal. The dataset a metric was measured on must be linked to the model through
lineage (any relation), so a metric never names a dataset the register cannot trace.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

APPROACHES = (
    "supervised",
    "unsupervised",
    "reinforcement-learning",
    "semi-supervised",
    "self-supervised",
)
TEXT_KEYS = ("approach", "architecture_family", "model_architecture", "environmental")
LIST_KEYS = ("inputs", "outputs", "users", "use_cases", "limitations", "tradeoffs")
METRIC_KEYS = ("type", "value", "slice", "lower_bound", "upper_bound", "dataset")
ETHICAL_KEYS = ("name", "mitigation")
FAIRNESS_KEYS = ("group_at_risk", "benefits", "harms", "mitigation")
# Key order of the normal form (and of the asset page).
KEYS = (
    "approach",
    "architecture_family",
    "model_architecture",
    "inputs",
    "outputs",
    "metrics",
    "users",
    "use_cases",
    "limitations",
    "tradeoffs",
    "ethical",
    "fairness",
    "environmental",
)
LABELS = {
    "approach": "Learning approach",
    "architecture_family": "Architecture family",
    "model_architecture": "Model architecture",
    "inputs": "Inputs",
    "outputs": "Outputs",
    "metrics": "Performance metrics",
    "users": "Intended users",
    "use_cases": "Use cases",
    "limitations": "Technical limitations",
    "tradeoffs": "Performance trade-offs",
    "ethical": "Ethical considerations",
    "fairness": "Fairness assessments",
    "environmental": "Environmental considerations",
}
MAX_TEXT = 5000
MAX_ITEMS = 200


class CardError(ValueError):
    """The card does not have the model card's shape; the message says where."""


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CardError(f"{where}: expected text")
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise CardError(f"{where}: at most {MAX_TEXT} characters")
    return text


def _items(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CardError(f"{where}: expected a list")
    if len(value) > MAX_ITEMS:
        raise CardError(f"{where}: at most {MAX_ITEMS} entries")
    return value


def _record(value: Any, keys: tuple[str, ...], where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise CardError(f"{where}: expected an object")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise CardError(f"{where}: unknown field {unknown[0]!r}; expected {', '.join(keys)}")
    record = {key: _text(value.get(key), f"{where}.{key}") for key in keys}
    return {key: text for key, text in record.items() if text}


def normalise(card: Any) -> dict[str, Any]:
    """The card in its normal form: known keys only, empty values left out. Raises
    CardError naming the first misplaced value."""
    if card in (None, ""):
        return {}
    if not isinstance(card, dict):
        raise CardError("the model card must be an object")
    unknown = sorted(set(card) - set(KEYS))
    if unknown:
        raise CardError(f"unknown field {unknown[0]!r}")
    out: dict[str, Any] = {}
    for key in KEYS:
        value = card.get(key)
        if key in TEXT_KEYS:
            result: Any = _text(value, key)
        elif key in LIST_KEYS:
            result = [t for i, v in enumerate(_items(value, key)) if (t := _text(v, f"{key}[{i}]"))]
        elif key == "metrics":
            result = [
                r
                for i, v in enumerate(_items(value, key))
                if (r := _record(v, METRIC_KEYS, f"metrics[{i}]"))
            ]
            for i, metric in enumerate(result):
                if not metric.get("type") or not metric.get("value"):
                    raise CardError(f"metrics[{i}]: a metric needs a type and a value")
        elif key == "ethical":
            result = [
                r
                for i, v in enumerate(_items(value, key))
                if (r := _record(v, ETHICAL_KEYS, f"ethical[{i}]"))
            ]
        else:
            result = [
                r
                for i, v in enumerate(_items(value, key))
                if (r := _record(v, FAIRNESS_KEYS, f"fairness[{i}]"))
            ]
        if result:
            out[key] = result
    if out.get("approach") and out["approach"] not in APPROACHES:
        raise CardError(f"approach: expected one of {', '.join(APPROACHES)}")
    return out


def metric_datasets(card: dict[str, Any]) -> set[str]:
    """The dataset UUIDs (as text) the card's metrics were measured on."""
    return {m["dataset"] for m in card.get("metrics", []) if m.get("dataset")}


def clean(asset: Any) -> None:
    """Normalise ``asset.model_card`` in place; ValidationError on the model_card field
    when its shape is wrong or it is on a kind other than a model."""
    try:
        card = normalise(asset.model_card)
    except CardError as exc:
        raise ValidationError({"model_card": str(exc)}) from None
    if card and asset.kind != "model":
        raise ValidationError({"model_card": "Only a model has a model card."})
    asset.model_card = card


def check_links(asset: Any) -> None:
    """ValidationError when a metric names a dataset that is not linked to the model
    (the importer checks the same against the file's own lineage)."""
    wanted = metric_datasets(asset.model_card or {})
    if not wanted:
        return
    from riskhub.inventory.models import AssetLink

    linked = set()
    if asset.pk:
        linked = {
            str(u)
            for u in AssetLink.objects.filter(
                downstream=asset, upstream__kind="dataset"
            ).values_list("upstream__uuid", flat=True)
        }
    missing = sorted(wanted - linked)
    if missing:
        raise ValidationError(
            {
                "model_card": f"A metric names dataset {missing[0]}, which is not linked "
                "to this model; link the dataset first (for example “trained on” or "
                "“depends on”)."
            }
        )
