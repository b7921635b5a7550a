"""Render a form field's widget with Bootstrap classes and accessible error links."""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def rh_widget(field: BoundField) -> SafeString:
    widget = field.field.widget
    attrs = dict(widget.attrs)
    existing = attrs.get("class", "")
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple) and not isinstance(
        widget, forms.CheckboxSelectMultiple | forms.RadioSelect
    ):
        css = "form-select"
    elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        css = ""
    else:
        css = "form-control"
    classes = " ".join(
        c
        for c in (
            existing,
            css if css not in existing else "",
            "is-invalid" if field.errors else "",
        )
        if c
    )
    if classes:
        attrs["class"] = classes
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_help")
    if field.errors:
        described.append(f"{field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.filter
def rh_is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)
