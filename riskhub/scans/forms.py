from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from riskhub.common.sizes import human_size
from riskhub.scans.models import Tool


class ScanImportForm(forms.Form):
    file = forms.FileField(label="Scan report")
    tool = forms.ChoiceField(
        label="Tool",
        required=False,
        choices=[("", "Recognise it from the content"), *Tool.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update(
            {"class": "form-control", "accept": ".jsonl,.json,.txt"}
        )
        self.fields["file"].help_text = (
            "garak's report (…report.jsonl) or promptfoo's results (promptfoo eval "
            f"--output results.json). At most {human_size(settings.EVIDENCE_MAX_BYTES)}."
        )
