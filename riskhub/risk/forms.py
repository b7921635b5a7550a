from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory

from riskhub.risk.bands import BANDS as RISK_BANDS
from riskhub.risk.models import BAND_NAMES, Assessment, Risk, RiskMatrix
from riskhub.risk.services import residual_above_inherent

STATUS_CHOICES_DRAFT = [(Risk.Status.OPEN, "Open"), (Risk.Status.CLOSED, "Closed")]


class DateInput(forms.DateInput):
    input_type = "date"


class AssessmentForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    summary = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text="Scope, context and main conclusions.",
    )


class RiskForm(forms.Form):
    # Shown live by static/js/risk.js while picking; the server still checks on save.
    residual_above = {axis: residual_above_inherent(axis) for axis in ("impact", "likelihood")}
    uuid = forms.CharField(required=False, widget=forms.HiddenInput)
    threat = forms.ChoiceField(
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        help_text="From the AI threat catalog, or none for a custom risk.",
    )
    title = forms.CharField(
        max_length=200, widget=forms.TextInput(attrs={"class": "form-control form-control-sm"})
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )
    existing_controls = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )
    inherent_impact = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    inherent_likelihood = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    residual_impact = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    residual_likelihood = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    treatment = forms.ChoiceField(
        choices=Risk.Treatment.choices,
        initial=Risk.Treatment.MITIGATE,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    owner = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    due_date = forms.DateField(
        required=False, widget=DateInput(attrs={"class": "form-control form-control-sm"})
    )
    status = forms.ChoiceField(
        choices=STATUS_CHOICES_DRAFT,
        initial=Risk.Status.OPEN,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(
        self,
        *args: Any,
        matrix: RiskMatrix,
        threat_choices: list,
        owner_choices: list,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.matrix = matrix
        self.fields["threat"].choices = [("", "Custom risk (no catalog threat)"), *threat_choices]
        self.fields["owner"].choices = [("", "Choose an owner"), *owner_choices]
        for prefix in ("inherent", "residual"):
            self.fields[f"{prefix}_impact"].max_value = matrix.impact_count
            self.fields[f"{prefix}_likelihood"].max_value = matrix.likelihood_count
            for name in (f"{prefix}_impact", f"{prefix}_likelihood"):
                self.fields[name].error_messages["required"] = (
                    f"Pick the {prefix} cell on the matrix."
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for axis in ("impact", "likelihood"):
            inherent, residual = data.get(f"inherent_{axis}"), data.get(f"residual_{axis}")
            if inherent and residual and residual > inherent:
                self.add_error(
                    f"residual_{axis}",
                    residual_above_inherent(axis),
                )
        return data

    def cell(self, prefix: str) -> Any:
        """The chosen cell for the picker (from submitted data or initial)."""
        try:
            impact = int(self[f"{prefix}_impact"].value() or 0)
            likelihood = int(self[f"{prefix}_likelihood"].value() or 0)
            return self.matrix.cell(impact, likelihood)
        except (TypeError, ValueError):
            return None


class BaseRiskFormSet(BaseFormSet):
    """Initial forms are the saved risks; suggested threats follow as extra forms that
    are ignored unless the officer fills them in."""

    saved_count = 0

    def initial_form_count(self) -> int:
        if self.is_bound:
            return super().initial_form_count()
        return self.saved_count

    def total_form_count(self) -> int:
        if self.is_bound:
            return super().total_form_count()
        return len(self.initial or [])


RiskFormSet = formset_factory(RiskForm, formset=BaseRiskFormSet, extra=0, can_delete=True)


class ReviewForm(forms.Form):
    comments = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text="Required when you return the assessment; optional when you approve it.",
    )


class AcceptanceForm(forms.Form):
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        help_text="Why the residual risk is acceptable to the organisation.",
    )
    expires_on = forms.DateField(
        widget=DateInput(attrs={"class": "form-control"}),
        help_text="The risk reopens automatically after this date.",
    )


class StartForm(forms.Form):
    matrix = forms.ModelChoiceField(
        queryset=RiskMatrix.objects.order_by("-is_default", "name"),
        empty_label=None,
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text="Every risk of the assessment is scored on this matrix.",
    )


def _levels(text: str, field: str) -> list[dict[str, Any]]:
    labels = [line.strip() for line in text.splitlines() if line.strip()]
    return [{"value": i, "label": label, "description": ""} for i, label in enumerate(labels, 1)]


class MatrixForm(forms.Form):
    code = forms.SlugField(
        max_length=50,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        help_text="A short stable identifier, e.g. finance-5x4.",
    )
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"class": "form-control"}))
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )
    impact_labels = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
        help_text="One level per line, lowest impact first (2 to 10 levels).",
    )
    likelihood_labels = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
        help_text="One level per line, least likely first (2 to 10 levels).",
    )
    bands = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control font-monospace"}),
        help_text=(
            "One band per line as “Name min max”, exactly Low, Medium, High, Critical, "
            "contiguous from 1 to impact x likelihood levels. A band has the same colour "
            "on every matrix."
        ),
        initial="Low 1 4\nMedium 5 9\nHigh 10 16\nCritical 17 25",
    )
    is_default = forms.BooleanField(required=False, label="Make it the default matrix")

    BAND_LINE = re.compile(r"^\s*(\w+)\s+(\d+)\s+(\d+)\s*$")

    def clean_bands(self) -> list[dict[str, Any]]:
        bands = []
        for number, line in enumerate(self.cleaned_data["bands"].splitlines(), 1):
            if not line.strip():
                continue
            match = self.BAND_LINE.match(line)
            if not match:
                raise ValidationError(
                    f"Line {number} should look like “High 10 16” (a band has the same "
                    "colour on every matrix, so no colour is given)."
                )
            name, low, high = match.groups()
            bands.append(
                {
                    "name": name.capitalize() if name.capitalize() in BAND_NAMES else name,
                    "min_score": int(low),
                    "max_score": int(high),
                }
            )
        return bands

    def definition(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "name": data["name"],
            "description": data["description"],
            "impact_levels": _levels(data["impact_labels"], "impact_labels"),
            "likelihood_levels": _levels(data["likelihood_labels"], "likelihood_labels"),
            "bands": data["bands"],
            "is_default": data["is_default"],
        }


class IndexFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "All"), *Assessment.Status.choices])
    q = forms.CharField(required=False, max_length=100)


class RegisterFilterForm(forms.Form):
    band = forms.ChoiceField(
        required=False, choices=[("", "Any band"), *[(b.slug, b.label) for b in RISK_BANDS]]
    )
    basis = forms.ChoiceField(
        required=False, choices=[("residual", "Residual"), ("inherent", "Inherent")]
    )
    impact = forms.IntegerField(required=False, min_value=1, max_value=10)
    likelihood = forms.IntegerField(required=False, min_value=1, max_value=10)
    treatment = forms.ChoiceField(required=False, choices=[("", "Any"), *Risk.Treatment.choices])
    status = forms.ChoiceField(required=False, choices=[("", "Any"), *Risk.Status.choices])
    owner = forms.IntegerField(required=False, min_value=1)
    overdue = forms.BooleanField(required=False)
    business_unit = forms.IntegerField(required=False, min_value=1)
    matrix = forms.SlugField(required=False)
    kind = forms.CharField(required=False, max_length=10)
    tier = forms.CharField(required=False, max_length=14)
    asset = forms.UUIDField(required=False)
    q = forms.CharField(required=False, max_length=100)
    sort = forms.CharField(required=False, max_length=10)
