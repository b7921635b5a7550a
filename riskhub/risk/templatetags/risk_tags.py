from __future__ import annotations

from django import template
from django.utils.html import format_html

from riskhub.risk.bands import BANDS as RISK_BANDS
from riskhub.risk.bands import Band
from riskhub.risk.bands import band as band_definition
from riskhub.risk.models import band_of_rank

register = template.Library()


@register.simple_tag
def band_badge(band: str | None, score: object = None) -> str:
    """A band badge that always carries the band's name as text."""
    definition = band_definition(band)
    if score not in (None, ""):
        return format_html(
            '<span class="rh-band {}">{} <span class="rh-band-score">{}</span></span>',
            definition.css_class,
            definition.label,
            score,
        )
    return format_html('<span class="rh-band {}">{}</span>', definition.css_class, definition.label)


@register.simple_tag
def bands_highest_first() -> list[Band]:
    """The four bands, Critical first, for lists and legends."""
    return list(reversed(RISK_BANDS))


@register.filter
def band_label(slug: str) -> str:
    return band_definition(slug).label


@register.filter
def band_class(slug: str) -> str:
    """The band's CSS class (its colours are in static/css/palette.css)."""
    return band_definition(slug).css_class


@register.filter
def band_text_colour(slug: str) -> str:
    """The text colour that reads on the band's colour (for inline styles in PDFs)."""
    return band_definition(slug).text_colour


@register.simple_tag
def sort_link(sortless: str, key: str, current: str, label: str) -> str:
    """A column header link that toggles ascending/descending."""
    target = key
    arrow = ""
    if current == key:
        target = key[1:] if key.startswith("-") else "-" + key
        arrow = " ▲" if not key.startswith("-") else " ▼"
    elif current == ("-" + key if not key.startswith("-") else key[1:]):
        arrow = " ▼" if not key.startswith("-") else " ▲"
    query = f"{sortless}&sort={target}" if sortless else f"sort={target}"
    return format_html('<a href="?{}">{}{}</a>', query, label, arrow)


@register.simple_tag(takes_context=True)
def can(context: template.Context, permission: str) -> bool:
    from riskhub.accounts.policy import has_perm

    request = context.get("request")
    return bool(request is not None and has_perm(request.user, permission))


@register.filter
def rank_band(rank: int) -> str:
    return band_of_rank(rank)


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key, "") if mapping else ""


@register.filter
def split_words(value: str) -> list[str]:
    return value.split()


@register.filter
def field(form: object, name: str) -> object:
    return form[name]  # type: ignore[index]


@register.filter
def picker_cell(form: object, prefix: str) -> object:
    return form.cell(prefix)  # type: ignore[attr-defined]
