from __future__ import annotations

from django import forms

from riskhub.webhooks.events import EVENT_CHOICES


class EndpointForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="How the delivery log names it.")
    url = forms.CharField(
        label="URL",
        max_length=500,
        help_text="An https:// address reachable from RiskHub's workers; "
        "private and link-local addresses are refused.",
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.example.com/riskhub"}),
    )
    events = forms.MultipleChoiceField(
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="The events this endpoint receives.",
    )
    enabled = forms.BooleanField(
        required=False,
        initial=True,
        help_text="A disabled endpoint receives nothing (except “Send test”).",
    )
