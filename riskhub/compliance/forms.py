from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from riskhub.accounts.models import User
from riskhub.common.sizes import human_size
from riskhub.compliance.models import Control, ControlImplementation
from riskhub.compliance.uploads import ACCEPTED_HELP
from riskhub.inventory.models import Asset
from riskhub.inventory.picker import use_picker

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})


class AssetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Asset) -> str:  # type: ignore[override]
        return f"{obj.name} ({obj.get_kind_display()})"


class ImplementationForm(forms.Form):
    control = forms.ModelChoiceField(
        queryset=Control.objects.filter(retired=False),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    scope = forms.ChoiceField(
        choices=Control.Scope.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text="An organisation-wide implementation counts for every asset; a system-level "
        "one for the system and its components.",
    )
    asset = AssetChoiceField(
        queryset=Asset.objects.filter(archived_at__isnull=True),
        required=False,
        help_text="The AI system (system scope) or asset (asset scope); none for the "
        "organisation. Search by name or kind.",
    )
    status = forms.ChoiceField(
        choices=ControlImplementation.Status.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    justification = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        help_text="Required when the control is not applicable.",
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("email"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"})
    )
    due_date = forms.DateField(required=False, widget=DATE)
    last_verified = forms.DateField(required=False, widget=DATE)
    next_verification = forms.DateField(required=False, widget=DATE)
    reviewed = forms.BooleanField(
        required=False,
        label="I have re-reviewed this implementation after the catalog change",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            for name in ("control", "scope", "asset"):
                del self.fields[name]
        else:
            del self.fields["reviewed"]
            use_picker(self.fields["asset"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("status") == ControlImplementation.Status.NOT_APPLICABLE
            and not (data.get("justification") or "").strip()
        ):
            self.add_error("justification", "Say why the control does not apply.")
        scope = data.get("scope")
        if scope and scope != Control.Scope.ORGANISATION and not data.get("asset"):
            self.add_error("asset", "Choose the system or asset this implementation covers.")
        return data


class EvidenceForm(forms.Form):
    file = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"class": "form-control"}),
    )
    url = forms.URLField(
        label="Or a link",
        required=False,
        empty_value=None,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "form-control", "placeholder": "https://"}),
    )
    description = forms.CharField(
        max_length=500, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    valid_until = forms.DateField(
        required=False, widget=DATE, help_text="Expired evidence stops counting towards coverage."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("file") and not data.get("url"):
            self.add_error("file", "Choose a file or give a link.")
        if data.get("file") and data.get("url"):
            self.add_error("url", "Give a file or a link, not both.")
        return data

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = human_size(settings.EVIDENCE_MAX_BYTES)
        self.fields[
            "file"
        ].help_text = f"{ACCEPTED_HELP}; at most {limit}. The type is checked from the content."
