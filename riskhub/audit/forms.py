from __future__ import annotations

from typing import Any

from django import forms

from riskhub.accounts.selectors import user_id_by_email
from riskhub.audit.labels import ACTION_LABELS, area_codes, object_type_choices
from riskhub.audit.selectors import AuditFilters
from riskhub.common.dates import DayField


class AuditFilterForm(forms.Form):
    actor = forms.CharField(
        required=False,
        max_length=254,
        label="Who (email)",
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "actor-options"}),
    )
    action = forms.CharField(required=False, max_length=80)
    object_type = forms.ChoiceField(required=False, label="Object type")
    object_id = forms.CharField(required=False, max_length=80, label="Object ID")
    # A person no longer on file (erased) is reached from their events' "Who" link.
    actor_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    since = DayField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = DayField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", "Any object"), *object_type_choices()]
        self.fields["object_type"].widget.attrs["class"] = "form-select form-select-sm"

    def clean_actor(self) -> str:
        email = self.cleaned_data["actor"].strip()
        if email:
            self.actor_pk = user_id_by_email(email)
            if self.actor_pk is None:
                raise forms.ValidationError(
                    "Nobody has this email address. Pick a person from the suggestions."
                )
        return email

    def clean_action(self) -> str:
        action = self.cleaned_data["action"].strip()
        known = action in ACTION_LABELS or area_codes(action) is not None
        # A prefix ending in "." (every action of one kind of object) still works, as
        # in the API and in links made before the list of labels.
        if action and not known and not (action.endswith(".") and action[:-1].isidentifier()):
            raise forms.ValidationError("Pick an action from the list.")
        return action

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return data

    def filters(self) -> AuditFilters:
        """The filters of a valid form."""
        data = self.cleaned_data
        actor_id = getattr(self, "actor_pk", None) if data.get("actor") else data.get("actor_id")
        return AuditFilters(
            action=data.get("action") or "",
            object_type=data.get("object_type") or "",
            object_id=(data.get("object_id") or "").strip(),
            actor_id=actor_id,
            since=data.get("since"),
            until=data.get("until"),
        )
