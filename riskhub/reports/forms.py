from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from riskhub.accounts.policy import Role
from riskhub.common.dates import AsOfField
from riskhub.reports.models import Kind, ScheduledReport


def _bootstrap(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs.setdefault("class", css)


FRAMEWORK_CHOICES = [("eu-ai-act", "EU AI Act"), ("gdpr", "GDPR"), ("ccpa", "CCPA/CPRA")]


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label="Report", choices=Kind.choices)
    framework = forms.ChoiceField(
        label="Framework",
        choices=FRAMEWORK_CHOICES,
        required=False,
        help_text="For the framework compliance report.",
    )
    system = forms.ChoiceField(
        label="AI system",
        required=False,
        help_text="The system and its lineage (dossier: required).",
    )
    business_unit = forms.ChoiceField(label="Business unit", required=False)
    as_of = AsOfField(
        label="As of",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for the current state.",
    )

    def __init__(self, *args: Any, choices: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["system"].choices = [("", "All")] + [
            (str(s.uuid), s.name) for s in choices["systems"]
        ]
        self.fields["business_unit"].choices = [("", "All")] + [
            (str(b.uuid), b.name) for b in choices["business_units"]
        ]
        self.fields["as_of"].widget.attrs["max"] = timezone.localdate().isoformat()
        _bootstrap(self)

    def parameters(self) -> dict[str, Any]:
        data = self.cleaned_data
        params = {k: data.get(k) for k in ("framework", "system", "business_unit")}
        if data["kind"] != Kind.FRAMEWORK_COMPLIANCE:
            params.pop("framework")
        if data.get("as_of"):
            params["as_of"] = data["as_of"].isoformat()
        return {k: v for k, v in params.items() if v}


class ScheduleForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(label="Report", choices=Kind.choices)
    framework = forms.ChoiceField(label="Framework", choices=FRAMEWORK_CHOICES, required=False)
    cadence = forms.ChoiceField(choices=ScheduledReport.Cadence.choices)
    recipient_roles = forms.MultipleChoiceField(
        label="Email a link to",
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class VerifyForm(forms.Form):
    file = forms.FileField(label="PDF file", required=False)
    sha256 = forms.CharField(label="or its SHA-256", required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not (data.get("sha256") or "").strip():
            raise forms.ValidationError("Upload a PDF or enter its SHA-256.")
        return data
