"""Plain forms of the incidents app. Date-times are entered in the organisation's time
zone (the views activate it), so a person types the wall time they read on their clock."""

from __future__ import annotations

from typing import Any

from django import forms

from riskhub.accounts.models import User
from riskhub.accounts.policy import roles_with
from riskhub.incidents.clocks import Clock
from riskhub.incidents.models import Incident
from riskhub.inventory.models import Asset
from riskhub.inventory.picker import use_picker
from riskhub.risk.models import Threat

LOCAL = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _local_dt(label: str, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=LOCAL,
        widget=LocalDateTimeInput(attrs={"class": "form-control"}),
        help_text=help_text,
    )


def writers() -> Any:
    roles = [r.value for r in roles_with("incidents.edit")]
    return User.objects.filter(is_active=True, groups__name__in=roles).distinct().order_by("email")


class IncidentForm(forms.Form):
    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"class": "form-control"}))
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 3})
    )
    aware_at = _local_dt(
        "When the organisation became aware",
        help_text="The legal clocks start here. Your organisation's time zone.",
    )
    occurred_at = _local_dt("When it happened", required=False)
    assets = forms.ModelMultipleChoiceField(
        queryset=Asset.objects.none(),
        required=False,
        label="Affected assets",
        help_text="Search by name or kind and tick each affected asset. Assets downstream "
        "in the lineage are shown as possibly affected.",
    )
    categories = forms.MultipleChoiceField(
        choices=Incident.Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text="Ticking the boxes below adds the matching category.",
    )
    threat = forms.ModelChoiceField(
        queryset=Threat.objects.none(),
        required=False,
        label="Threat (security attack)",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    personal_data_breach = forms.BooleanField(
        required=False, label="Personal data was breached (starts the GDPR and California clocks)"
    )
    breach_risk_unlikely = forms.BooleanField(
        required=False,
        label="Unlikely to result in a risk to individuals (GDPR Art 33(1))",
    )
    high_risk_to_individuals = forms.BooleanField(
        required=False, label="High risk to individuals (GDPR Art 34)"
    )
    california_residents = forms.IntegerField(
        min_value=0,
        initial=0,
        label="California residents affected",
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    serious_incident = forms.ChoiceField(
        choices=[("", "Not a serious incident"), *Incident.SeriousIncident.choices],
        required=False,
        label="Serious incident under the AI Act",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    severity = forms.ChoiceField(
        choices=Incident.Severity.choices,
        initial=Incident.Severity.MEDIUM,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        help_text="Receives the clock alerts with the executives. Default: you.",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assets"].queryset = Asset.objects.filter(archived_at__isnull=True)  # type: ignore[attr-defined]
        use_picker(self.fields["assets"])
        self.fields["threat"].queryset = Threat.objects.filter(active=True).order_by("code")  # type: ignore[attr-defined]
        self.fields["owner"].queryset = writers()  # type: ignore[attr-defined]
        self.fields["threat"].label_from_instance = lambda t: f"{t.code}: {t.name}"  # type: ignore[attr-defined]


class IncidentEditForm(IncidentForm):
    """The same details, with the version the edit started from."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    @classmethod
    def initial_for(cls, incident: Incident) -> dict[str, Any]:
        return {
            "title": incident.title,
            "description": incident.description,
            "aware_at": incident.aware_at,
            "occurred_at": incident.occurred_at,
            "assets": list(incident.assets.all()),
            "categories": incident.categories,
            "threat": incident.threat,
            "personal_data_breach": incident.personal_data_breach,
            "breach_risk_unlikely": incident.breach_risk_unlikely,
            "high_risk_to_individuals": incident.high_risk_to_individuals,
            "california_residents": incident.california_residents,
            "serious_incident": incident.serious_incident,
            "severity": incident.severity,
            "owner": incident.owner,
            "version": incident.version,
        }


class NotificationForm(forms.Form):
    clock = forms.ChoiceField(label="Duty this notification satisfies")
    recipient = forms.CharField(
        max_length=200,
        label="Notified (whom)",
        widget=forms.TextInput(attrs={"class": "form-control"}),
        help_text="E.g. the authority's name, “the provider”, “affected customers”.",
    )
    notified_by = forms.CharField(
        max_length=200,
        required=False,
        label="Notified by (who)",
        help_text="Default: you.",
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    at = _local_dt("When")
    reference = forms.CharField(
        max_length=200,
        required=False,
        label="Reference number",
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args: Any, clocks: list[Clock], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clock"].choices = [("", "Choose the duty")] + [  # type: ignore[attr-defined]
            (c.code, f"{c.ref} · {c.title} ({c.recipient})") for c in clocks
        ]
        self.fields["clock"].widget.attrs["class"] = "form-select"


class ActionForm(forms.Form):
    summary = forms.CharField(
        label="What was done",
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )
    at = _local_dt("When", required=False, help_text="Default: now.")


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[c for c in Incident.Status.choices if c[0] != Incident.Status.CLOSED],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    note = forms.CharField(
        required=False, max_length=500, widget=forms.TextInput(attrs={"class": "form-control"})
    )


class CloseForm(forms.Form):
    what_failed = forms.CharField(
        label="What failed",
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
        help_text="The root cause and the controls that did not hold.",
    )
    what_changes = forms.CharField(
        label="What changes",
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
        help_text="The corrective actions, owners and dates.",
    )


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Not closed"), ("all", "All"), *Incident.Status.choices],
    )
    severity = forms.ChoiceField(required=False, choices=[("", "Any"), *Incident.Severity.choices])
    category = forms.ChoiceField(required=False, choices=[("", "Any"), *Incident.Category.choices])
    clocks = forms.ChoiceField(
        required=False,
        choices=[("", "Any"), ("running", "A duty is running"), ("missed", "A duty is overdue")],
    )
    owner = forms.IntegerField(required=False, min_value=1)
    q = forms.CharField(required=False, max_length=100)
