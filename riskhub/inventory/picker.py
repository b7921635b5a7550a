"""The asset picker: a search box that asks the server for matching assets as one
types (htmx), so a form that chooses assets renders only the chosen ones, whatever the
size of the inventory.

`AssetPicker` is the widget of any ModelChoiceField / ModelMultipleChoiceField over
assets; `pick` is its search endpoint. Matches are by name (contains, any case) or by
kind ("model", "dataset"...), sorted by name without regard to case. The chosen assets
are ordinary checkboxes (radios for one asset) named like the field, so the form posts
the same values as a select would. static/js/picker.js moves a ticked match into the
chosen list, keeps Enter in the search box from submitting the form and lets the arrow
keys move between the box and the matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from riskhub.accounts.policy import requires
from riskhub.accounts.requests import AuthenticatedHttpRequest
from riskhub.inventory.models import Asset

MATCHES = 20
FIELD_NAME = re.compile(r"[a-z][a-z0-9_-]{0,59}")


def by_name(qs: QuerySet[Asset]) -> QuerySet[Asset]:
    """Assets in the order people read a list of names: case does not matter."""
    return qs.order_by(Lower("name"), "name", "id")


def label(asset: Asset) -> str:
    return f"{asset.name} ({asset.get_kind_display()})"


def matches(term: str, *, kind: str = "", limit: int = MATCHES) -> list[Asset]:
    """Active assets whose name contains the term, or whose kind it names; one query
    (one more than `limit` is read, so the caller knows there are more)."""
    qs = Asset.objects.filter(archived_at__isnull=True).only("pk", "uuid", "name", "kind")
    if kind:
        qs = qs.filter(kind=kind)
    term = term.strip()
    if term:
        kinds = [
            value
            for value, text in Asset.Kind.choices
            if term.lower() in (value, str(text).lower(), f"{str(text).lower()}s")
        ]
        qs = qs.filter(Q(name__icontains=term) | Q(kind__in=kinds))
    return list(by_name(qs)[: limit + 1])


class AssetPicker(forms.Widget):
    """Chosen assets as ticked boxes, and a search box that brings more."""

    def __init__(
        self, *, multiple: bool, kind: str = "", attrs: dict[str, Any] | None = None
    ) -> None:
        super().__init__(attrs)
        self.multiple = multiple
        self.kind = kind
        self.allow_none = False  # set by the field: a single optional asset

    @property
    def allow_multiple_selected(self) -> bool:
        return self.multiple

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if self.multiple:
            getter = getattr(data, "getlist", None)
            return getter(name) if getter else data.get(name)
        return data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False  # an unticked box sends nothing: that is an empty choice

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_search" if id_ else id_

    def _chosen(self, value: Any) -> list[Asset]:
        values: Iterable[Any] = value if isinstance(value, list | tuple) else [value]
        pks, found = [], []
        for v in values:
            if isinstance(v, Asset):
                found.append(v)
            elif v not in (None, "") and str(v).isdigit():
                pks.append(int(v))
        if pks:
            found += list(by_name(Asset.objects.filter(pk__in=pks)).only("pk", "name", "kind"))
        return sorted(found, key=lambda a: (a.name.lower(), a.name, a.pk))

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> str:
        attrs = self.build_attrs(self.attrs, attrs)
        base = attrs.get("id") or f"id_{name}"
        box = "checkbox" if self.multiple else "radio"
        chosen = self._chosen(value)
        items = [(box, name, a.pk, f"{base}_{a.pk}", label(a)) for a in chosen]
        none = ""
        if self.allow_none:
            none = format_html(
                '<li><div class="form-check"><input class="form-check-input" type="radio" '
                'name="{}" value="" id="{}_none"{}><label class="form-check-label" '
                'for="{}_none">None</label></div></li>',
                name,
                base,
                "" if chosen else " checked",
                base,
            )
        chosen_html = format_html_join(
            "",
            '<li><div class="form-check"><input class="form-check-input" type="{}" name="{}" '
            'value="{}" id="{}" checked><label class="form-check-label" for="{}">{}</label>'
            "</div></li>",
            ((b, n, pk, i, i, text) for b, n, pk, i, text in items),
        )
        url = reverse("inventory:asset_pick")
        query = f"?field={name}&multiple={int(self.multiple)}" + (
            f"&kind={self.kind}" if self.kind else ""
        )
        described = attrs.get("aria-describedby", "")
        invalid = attrs.get("aria-invalid", "")
        return format_html(
            '<div class="rh-picker" data-picker data-multiple="{}">'
            '<ul class="list-unstyled mb-1 rh-picker-chosen" id="{}_chosen" '
            'aria-label="Chosen">{}{}</ul>'
            '<input type="search" class="form-control" id="{}_search" name="q" form="rh-no-form" '
            'autocomplete="off" aria-controls="{}_results" '
            'placeholder="Type part of a name, or a kind"{}{} '
            'hx-get="{}{}" hx-trigger="input changed delay:250ms, search" '
            'hx-target="#{}_results" hx-swap="innerHTML">'
            '<div class="rh-picker-results" id="{}_results" aria-live="polite"></div>'
            "</div>",
            int(self.multiple),
            base,
            none,
            chosen_html,
            base,
            base,
            format_html(' aria-describedby="{}"', described) if described else "",
            format_html(' aria-invalid="{}"', invalid) if invalid else "",
            url,
            query,
            base,
            base,
        )


def use_picker(field: forms.Field, *, kind: str = "") -> None:
    """Give an asset choice field the picker, keeping its queryset for validation."""
    multiple = isinstance(field, forms.ModelMultipleChoiceField)
    widget = AssetPicker(multiple=multiple, kind=kind)
    widget.allow_none = not multiple and not field.required
    widget.is_required = field.required
    field.widget = widget


@requires("inventory.view")
def pick(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The matches for a picker's search box: ticked-box rows named like its field."""
    field = request.GET.get("field", "")
    if not FIELD_NAME.fullmatch(field):
        return HttpResponseBadRequest("Unknown field.")
    kind = request.GET.get("kind", "")
    if kind and kind not in Asset.Kind.values:
        return HttpResponseBadRequest("Unknown kind.")
    multiple = request.GET.get("multiple") == "1"
    term = request.GET.get("q", "")[:100]
    found = matches(term, kind=kind)
    return render(
        request,
        "inventory/partials/asset_pick.html",
        {
            "field": field,
            "box": "checkbox" if multiple else "radio",
            "assets": [(a.pk, label(a)) for a in found[:MATCHES]],
            "more": len(found) > MATCHES,
            "term": term.strip(),
            "limit": MATCHES,
        },
    )
