from __future__ import annotations

from django import forms

from riskhub.common.dates import DayField


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False, max_length=80)
    object_type = forms.CharField(required=False, max_length=80, label="Object type")
    object_id = forms.CharField(required=False, max_length=80, label="Object id")
    actor_id = forms.IntegerField(required=False, min_value=1, label="Actor id")
    since = DayField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = DayField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
