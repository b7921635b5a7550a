from __future__ import annotations

from django import forms

from riskhub.inventory.mlflow.models import ModelRegistry


class RegistryForm(forms.ModelForm):
    tracking_uri = forms.URLField(
        label="Tracking URI",
        max_length=500,
        assume_scheme="https",
        help_text="For example https://mlflow.example.com",
        widget=forms.URLInput(attrs={"placeholder": "https://mlflow.example.com"}),
    )

    class Meta:
        model = ModelRegistry
        fields = ["name", "tracking_uri", "token_env", "enabled"]
        widgets = {
            "tracking_uri": forms.URLInput(attrs={"placeholder": "https://mlflow.example.com"})
        }

    # The http(s) rule is the model's (ModelRegistry.clean), run by the form's
    # validation and by the services for the API alike.
