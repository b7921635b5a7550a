"""The dashboard's filter form (GET)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from riskhub.common.dates import AsOfField
from riskhub.dashboard.selectors import DashboardFilters
from riskhub.inventory.models import Asset


class FilterForm(forms.Form):
    business_unit = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Business unit"
    )
    kind = forms.ChoiceField(
        required=False, choices=[("", "All kinds"), *Asset.Kind.choices], label="Asset kind"
    )
    tier = forms.ChoiceField(
        required=False,
        choices=[("", "All tiers"), *Asset.Tier.choices],
        label="EU AI Act tier",
    )
    framework = forms.ChoiceField(required=False, label="Framework")
    as_of = AsOfField(
        required=False,
        label="As of",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Show the state at the end of a past day.",
    )

    def __init__(
        self,
        data: Any = None,
        *,
        business_units: list[Any] = (),  # type: ignore[assignment]
        frameworks: list[Any] = (),  # type: ignore[assignment]
    ) -> None:
        super().__init__(data)
        self.fields["business_unit"].choices = [("", "All business units")] + [
            (bu.pk, bu.name) for bu in business_units
        ]
        self.fields["framework"].choices = [("", "All frameworks")] + [
            (f.slug, f.short_name) for f in frameworks
        ]
        self.fields["as_of"].widget.attrs["max"] = timezone.localdate().isoformat()

    def filters(self) -> DashboardFilters:
        if not self.is_valid():
            return DashboardFilters()
        data = self.cleaned_data
        return DashboardFilters(
            business_unit=data.get("business_unit"),
            kind=data.get("kind") or "",
            tier=data.get("tier") or "",
            framework=data.get("framework") or "",
            as_of=data.get("as_of"),
        )
