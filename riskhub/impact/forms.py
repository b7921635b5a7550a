"""Forms of the impact assessment pages. The questions come from the catalog version the
assessment was written against; the service validates and stores the answers."""

from __future__ import annotations

from typing import Any

from django import forms

from riskhub.impact import catalog


class AnswersForm(forms.Form):
    """One field per question of the sections shown. Nothing is required here: a draft
    may be saved half done; submitting checks the required questions (the service)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, sections: list[catalog.Section], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections = sections
        for section in sections:
            for question in section.fields:
                self.fields[question.key] = _form_field(question)

    def answers(self) -> dict[str, str]:
        result = {}
        for section in self.sections:
            for question in section.fields:
                value = self.cleaned_data.get(question.key)
                result[question.key] = (
                    value.isoformat() if hasattr(value, "isoformat") else (value or "")
                )
        return result

    def grouped(self) -> list[tuple[catalog.Section, list[tuple[catalog.Field, Any]]]]:
        return [
            (section, [(question, self[question.key]) for question in section.fields])
            for section in self.sections
        ]


def _form_field(question: catalog.Field) -> forms.Field:
    common: dict[str, Any] = {"label": question.label, "required": False}
    if question.help:
        common["help_text"] = question.help
    if question.type == "choice":
        choices = [("", "—"), *[(c, c[:1].upper() + c[1:]) for c in question.choices]]
        return forms.ChoiceField(choices=choices, **common)
    if question.type == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if question.type == "textarea":
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 3}),
            max_length=catalog.TEXT_LIMIT["textarea"],
            strip=True,
            **common,
        )
    return forms.CharField(max_length=catalog.TEXT_LIMIT["text"], strip=True, **common)


class ReviewForm(forms.Form):
    comments = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you return the assessment; optional when you approve it.",
    )


class FilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    status = forms.ChoiceField(required=False, choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from riskhub.impact.models import ImpactAssessment

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "Any status"), *ImpactAssessment.Status.choices]
