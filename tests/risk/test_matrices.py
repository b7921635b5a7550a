from __future__ import annotations

import copy
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from riskhub.risk import catalog_loader, services
from riskhub.risk.models import RiskMatrix, validate_matrix_definition

# Written out by hand from the catalog comments, not derived from the code under test.
EXPECTED_BANDS: dict[str, dict[str, set[int]]] = {
    "default-5x5": {
        "low": {1, 2, 3, 4},
        "medium": {5, 6, 8, 9},
        "high": {10, 12, 15, 16},
        "critical": {20, 25},
    },
    "standard-4x4": {"low": {1, 2}, "medium": {3, 4}, "high": {6, 8, 9}, "critical": {12, 16}},
    "simple-3x3": {"low": {1, 2}, "medium": {3, 4}, "high": {6}, "critical": {9}},
}
SIZES = {"default-5x5": 5, "standard-4x4": 4, "simple-3x3": 3}
CELLS = [
    (code, i, j) for code, n in SIZES.items() for i in range(1, n + 1) for j in range(1, n + 1)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "impact", "likelihood"), CELLS)
def test_every_cell_of_every_shipped_matrix_has_its_score_and_band(
    catalogs: None, code: str, impact: int, likelihood: int
) -> None:
    matrix = RiskMatrix.objects.get(code=code)
    cell = matrix.cell(impact, likelihood)
    assert cell.score == impact * likelihood
    expected = next(b for b, scores in EXPECTED_BANDS[code].items() if cell.score in scores)
    assert cell.band == expected
    assert cell.band_label == expected.capitalize()


@pytest.mark.django_db
def test_loading_is_idempotent_and_ships_one_default(catalogs: None) -> None:
    before = list(RiskMatrix.objects.values_list("code", "version", "updated_at"))
    catalog_loader.load(stdout=io.StringIO())
    assert list(RiskMatrix.objects.values_list("code", "version", "updated_at")) == before
    assert list(RiskMatrix.objects.filter(is_default=True).values_list("code", flat=True)) == [
        "default-5x5"
    ]
    assert RiskMatrix.objects.filter(shipped=True).count() == 3


@pytest.mark.django_db
def test_a_higher_yaml_version_upgrades_a_shipped_matrix_but_never_an_admins(
    catalogs: None, admin_user, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    mine = services.matrix_create(
        actor=admin_user,
        code="mine-3x3",
        name="Mine",
        impact_levels=_levels(3),
        likelihood_levels=_levels(3),
        bands=_bands([2, 4, 6, 9]),
    )
    original_read = catalog_loader._read

    def bumped(path: Any) -> Any:
        data = original_read(path)
        if isinstance(data, dict) and data.get("code") == "simple-3x3":
            data = {**data, "version": 2, "name": "Simple 3x3 (revised)"}
        return data

    monkeypatch.setattr(catalog_loader, "_read", bumped)
    catalog_loader.load(stdout=io.StringIO())
    upgraded = RiskMatrix.objects.get(code="simple-3x3")
    assert (upgraded.version, upgraded.name) == (2, "Simple 3x3 (revised)")
    mine.refresh_from_db()
    assert (mine.version, mine.name, mine.shipped) == (1, "Mine", False)


def _levels(n: int) -> list[dict[str, Any]]:
    return [{"value": i, "label": f"L{i}"} for i in range(1, n + 1)]


def _bands(tops: list[int], starts: list[int] | None = None) -> list[dict[str, Any]]:
    names = ["Low", "Medium", "High", "Critical"]
    starts = starts or [1] + [t + 1 for t in tops[:-1]]
    return [
        {"name": n, "min_score": s, "max_score": t, "colour": "#123456"}
        for n, s, t in zip(names, starts, tops, strict=True)
    ]


def test_a_matrix_whose_bands_leave_a_cell_uncovered_is_refused() -> None:
    with pytest.raises(ValidationError, match="covers the score"):
        validate_matrix_definition(_levels(3), _levels(3), _bands([2, 4, 6, 8]))


def test_bands_with_a_gap_are_refused() -> None:
    with pytest.raises(ValidationError, match="must start at"):
        validate_matrix_definition(_levels(3), _levels(3), _bands([2, 4, 6, 9], [1, 3, 6, 7]))


def test_non_monotonic_bands_are_refused() -> None:
    with pytest.raises(ValidationError, match="above the maximum"):
        validate_matrix_definition(_levels(3), _levels(3), _bands([2, 4, 3, 9], [1, 3, 5, 4]))


def test_bands_other_than_the_four_are_refused() -> None:
    bands = _bands([2, 4, 6, 9])
    bands[3]["name"] = "Extreme"
    with pytest.raises(ValidationError, match="exactly Low, Medium, High, Critical"):
        validate_matrix_definition(_levels(3), _levels(3), bands)
    with pytest.raises(ValidationError, match="exactly"):
        validate_matrix_definition(_levels(3), _levels(3), list(reversed(_bands([2, 4, 6, 9]))))


def test_a_band_that_holds_no_cell_is_refused() -> None:
    # 7 and 8 are not products of two levels of a 3x3: a High of 7-8 holds nothing.
    with pytest.raises(ValidationError, match="holds no cell"):
        validate_matrix_definition(_levels(3), _levels(3), _bands([4, 6, 8, 9]))


def test_levels_must_run_from_one() -> None:
    levels = _levels(3)
    levels[1] = {"value": 5, "label": "x"}
    with pytest.raises(ValidationError, match="must have value 2"):
        validate_matrix_definition(levels, _levels(3), _bands([2, 4, 6, 9]))


@pytest.mark.django_db
def test_only_catalog_managers_add_matrices(catalogs: None, officer, executive) -> None:  # type: ignore[no-untyped-def]
    for user in (officer, executive):
        with pytest.raises(PermissionDenied):
            services.matrix_create(
                actor=user,
                code="x",
                name="x",
                impact_levels=_levels(3),
                likelihood_levels=_levels(3),
                bands=_bands([2, 4, 6, 9]),
            )


@pytest.mark.django_db
def test_an_admin_matrix_can_become_the_default(catalogs: None, admin_user) -> None:  # type: ignore[no-untyped-def]
    bands = copy.deepcopy(_bands([2, 4, 6, 9]))
    mine = services.matrix_create(
        actor=admin_user,
        code="mine",
        name="Mine",
        impact_levels=_levels(3),
        likelihood_levels=_levels(3),
        bands=bands,
        is_default=True,
    )
    assert list(RiskMatrix.objects.filter(is_default=True)) == [mine]
