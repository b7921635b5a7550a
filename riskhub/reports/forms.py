from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from riskhub.accounts.policy import Role
from riskhub.accounts.selectors import user_id_by_email
from riskhub.common.dates import AsOfField, DayField
from riskhub.reports.models import Kind, Report, ScheduledReport
from riskhub.reports.selectors import DEFAULT_REPORT_SORT, REPORT_SORTS, ReportFilters


def _bootstrap(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs.setdefault("class", css)


FRAMEWORK_CHOICES = [("eu-ai-act", "EU AI Act"), ("gdpr", "GDPR"), ("ccpa", "CCPA/CPRA")]
# Only the framework compliance report takes a framework; the others cover them all.
FRAMEWORK_FIELD_CHOICES = [("", "None (every framework)"), *FRAMEWORK_CHOICES]


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label="Report", choices=Kind.choices)
    framework = forms.ChoiceField(
        label="Framework",
        choices=FRAMEWORK_FIELD_CHOICES,
        required=False,
        help_text="For the framework compliance report only.",
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
        """The parameters as given: the service checks each one (a framework given to a
        kind that takes none is an error next to the field, never silently dropped)."""
        data = self.cleaned_data
        params = {k: data.get(k) for k in ("framework", "system", "business_unit")}
        if data.get("as_of"):
            params["as_of"] = data["as_of"].isoformat()
        return {k: v for k, v in params.items() if v}


class ScheduleForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(label="Report", choices=Kind.choices)
    framework = forms.ChoiceField(
        label="Framework", choices=FRAMEWORK_FIELD_CHOICES, required=False
    )
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


SCHEDULED = "schedule"


class ReportListFilterForm(forms.Form):
    """The reports list's filters. The requester is a person's email, or "schedule"
    for the reports that schedules requested."""

    kind = forms.ChoiceField(label="Report", required=False, choices=[("", "Any"), *Kind.choices])
    status = forms.ChoiceField(required=False, choices=[("", "Any"), *Report.Status.choices])
    requester = forms.CharField(
        label="Requested by",
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"list": "requester-options", "autocomplete": "off"}),
    )
    since = DayField(
        label="Requested from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = DayField(
        label="Requested until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css + " " + css + "-sm")

    def _post_clean(self) -> None:
        super()._post_clean()
        for name in self.errors:
            if name in self.fields:  # the error is shown next to the field
                attrs = self.fields[name].widget.attrs
                attrs["class"] = attrs.get("class", "") + " is-invalid"
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"id_{name}_error"

    def clean_requester(self) -> str:
        requester = self.cleaned_data["requester"].strip()
        self.requester_id: int | None = None
        if requester and requester.lower() != SCHEDULED:
            self.requester_id = user_id_by_email(requester)
            if self.requester_id is None:
                raise forms.ValidationError(
                    "Nobody has this email address. Pick a person from the suggestions, "
                    "or “schedule” for scheduled reports."
                )
        return requester

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return data

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            requester_id=getattr(self, "requester_id", None),
            scheduled=(data.get("requester") or "").lower() == SCHEDULED,
            since=data.get("since"),
            until=data.get("until"),
        )

    def sort_key(self) -> str:
        value = (self.cleaned_data.get("sort") or "") if self.is_valid() else ""
        return value if value.lstrip("-") in REPORT_SORTS else DEFAULT_REPORT_SORT
