"""Filter types shared by the API's filtersets."""

from __future__ import annotations

from django_filters import rest_framework as filters

from riskhub.common.dates import MomentField


class MomentFilter(filters.IsoDateTimeFilter):
    """An ISO 8601 moment (`updated_since`, `since`, `until`, ...): an offset beyond
    ±15:59 or a date a time zone pushes out of range is a 400, never a 500."""

    field_class = MomentField
