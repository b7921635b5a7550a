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

    def clean_tracking_uri(self) -> str:
        uri = self.cleaned_data["tracking_uri"].strip()
        if not uri.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("Give the http(s) address of the MLflow tracking server.")
        return uri
