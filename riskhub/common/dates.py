"""Dates and moments that people and clients type: list filters (`since`, `until`,
`updated_since`, ...) and as-of requests (dashboard, reports).

Python accepts UTC offsets up to ±23:59 and any day from 0001-01-01 to 9999-12-31, but
PostgreSQL refuses offsets beyond ±15:59 ("time zone displacement out of range"), and
moving 0001-01-01 or 9999-12-31 by a time zone overflows (OverflowError), in Django's
SQLite adapter, in `end of day` arithmetic or in a report's six-month trend. Each of
those was a 500. Every such value goes through here, so it is a field error instead.

"Today" and "now" are the current time zone's (settings.TIME_ZONE): the same zone the
dashboard and the reports use to turn a day into its last instant.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_filters.fields import IsoDateTimeField

# Real offsets run from -12:00 to +14:00; PostgreSQL's limit is just under 16 hours.
MAX_OFFSET = dt.timedelta(hours=15, minutes=59)
# A query day becomes a moment in the current time zone (the audit trail's `since` is
# its first instant): a day's margin on each side keeps any zone's shift in range.
FIRST_DAY = dt.date.min + dt.timedelta(days=1)
LAST_DAY = dt.date.max - dt.timedelta(days=1)
# RiskHub keeps history from its installation on, so nothing it could show predates
# this; the floor also keeps a report's look-back (its trend runs six months before
# the as-of) far from the start of the calendar, where 0001-01-01 overflowed.
EARLIEST_AS_OF = dt.date(2000, 1, 1)

_OFFSET = "Give a UTC offset between -15:59 and +15:59."
_MOMENT_RANGE = "Give a moment between 0001-01-01 and 9999-12-31 in UTC."
_RANGE = f"Give a date between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}."
_BEFORE = f"Pick a day on or after {EARLIEST_AS_OF.isoformat()}."
_FUTURE_DAY = "Pick today or a past day."
_FUTURE_MOMENT = "Pick a moment that is not in the future."


def check_moment(moment: dt.datetime) -> dt.datetime:
    """The moment in UTC (a naive one is taken in the current time zone); a
    ValidationError when its offset is beyond ±15:59 or UTC cannot represent it."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    offset = moment.utcoffset() or dt.timedelta(0)
    if abs(offset) > MAX_OFFSET:
        raise ValidationError(_OFFSET, code="offset")
    try:
        # In UTC, what reaches the database can no longer overflow or be refused.
        return moment.astimezone(dt.UTC)
    except OverflowError:
        raise ValidationError(_MOMENT_RANGE, code="range") from None


def validate_day(day: dt.date) -> None:
    """A day a query may filter on: any day a time-zone shift keeps in range."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(_RANGE, code="range")


def validate_as_of(value: dt.date | dt.datetime) -> None:
    """An as-of (a day, or a moment) runs from EARLIEST_AS_OF to today or now; an ISO
    moment 20 hours ahead is refused like tomorrow is."""
    if isinstance(value, dt.datetime):
        moment = check_moment(value)
        if moment > timezone.now():
            raise ValidationError(_FUTURE_MOMENT, code="future")
        if timezone.localtime(moment).date() < EARLIEST_AS_OF:
            raise ValidationError(_BEFORE, code="too_early")
    elif value < EARLIEST_AS_OF:
        raise ValidationError(_BEFORE, code="too_early")
    elif value > timezone.localdate():
        raise ValidationError(_FUTURE_DAY, code="future")


class MomentField(IsoDateTimeField):
    """An ISO 8601 moment in a query (django-filter's field), checked and in UTC."""

    def to_python(self, value: object) -> dt.datetime | None:
        moment = super().to_python(value)
        return None if moment is None else check_moment(moment)


class DayField(forms.DateField):
    """A day in a query form (`since`, `until`)."""

    default_validators = [validate_day]


class AsOfField(forms.DateField):
    """The as-of day of a dashboard or a report request."""

    default_validators = [validate_as_of]

    def widget_attrs(self, widget: forms.Widget) -> dict[str, str]:
        attrs = super().widget_attrs(widget)
        attrs["min"] = EARLIEST_AS_OF.isoformat()
        return attrs


# --- how reports print dates ---------------------------------------------------------

# One format in every report (issue 14): ISO 8601 days, and moments to the minute in
# the organisation's time zone with its abbreviation. A day is never "Nov 2026" in one
# place and "05 Dec" in the next.
REPORT_DAY = "%Y-%m-%d"
REPORT_MONTH = "%Y-%m"


def report_date(value: object) -> str:
    """A date, a moment or an ISO string as a report prints it ("" for nothing)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = (
                dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
            )
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{moment:%Y-%m-%d %H:%M} {moment.tzname() or ''}".strip()
    if isinstance(value, dt.date):
        return value.strftime(REPORT_DAY)
    return str(value)
