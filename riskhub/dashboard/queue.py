"""What waits for me: the personal queue at the top of the dashboard and its count in
the navigation.

Every kind of item is a queryset built from the owning app's figure selectors (reviews
and acceptances from the risk app, evidence expiry from compliance, clocks from the
incidents app); nothing here decides what is overdue or expiring. The navigation count
is one query whatever the inventory (one scalar subquery per kind that applies to the
person); the dashboard's list costs a fixed number of queries per kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import F, Func, IntegerField, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.accounts.policy import has_perm
from riskhub.compliance import selectors as compliance_figures
from riskhub.compliance.models import Evidence
from riskhub.incidents import selectors as incident_figures
from riskhub.incidents.clocks import humanise
from riskhub.reports.models import Report
from riskhub.risk import selectors as risk_figures
from riskhub.risk import services as risk_rules
from riskhub.risk.models import BAND_LABEL, Assessment, AssessmentContribution, Risk

SHOWN = 5  # items listed per kind on the dashboard; the rest behind "all N"


@dataclass(frozen=True)
class Item:
    title: str
    detail: str
    url: str  # where the thing is done
    urgent: bool = False
    note: str = ""  # why the viewer cannot do it themselves, if so


@dataclass
class Section:
    key: str
    title: str
    action: str  # what the viewer does with these, shown as the link text
    count: int  # at most SECTION_CAP + 1
    items: list[Item] = field(default_factory=list)
    more_url: str = ""

    @property
    def shown(self) -> str:
        return count_label(self.count, SECTION_CAP)


@dataclass(frozen=True)
class Moment:
    now: dt.datetime
    today: dt.date


@dataclass(frozen=True)
class Kind:
    key: str
    title: str
    action: str
    permission: str | None  # None: anyone may own such things
    rows: Callable[[User, Moment], QuerySet[Any]]  # countable, no joins fetched
    items: Callable[[User, Moment], list[Item]]
    more_url: Callable[[User], str]


def _url(name: str, *args: Any, **params: Any) -> str:
    base = reverse(name, args=args)
    return f"{base}?{urlencode(params)}" if params else base


# --- the rows of each kind (counted and listed) ----------------------------------------


def _reviews(user: User, m: Moment) -> QuerySet[Any]:
    return Assessment.objects.filter(status=Assessment.Status.IN_REVIEW)


def _acceptances(user: User, m: Moment) -> QuerySet[Any]:
    return Risk.objects.filter(risk_figures.awaiting_acceptance_q())


def _returned(user: User, m: Moment) -> QuerySet[Any]:
    return Assessment.objects.filter(status=Assessment.Status.RETURNED, author=user)


def _treatments(user: User, m: Moment) -> QuerySet[Any]:
    return risk_figures.open_risks_owned_by(user).filter(risk_figures.treatment_due_q(m.today))


def _evidence(user: User, m: Moment) -> QuerySet[Any]:
    return Evidence.objects.filter(
        compliance_figures.expiring_evidence_q(m.today), implementation__owner=user
    )


def _clocks(user: User, m: Moment) -> QuerySet[Any]:
    # next_due_at is the earliest duty not yet notified (stored by the incidents app).
    return incident_figures.open_incidents_owned_by(user).filter(next_due_at__isnull=False)


def _reports(user: User, m: Moment) -> QuerySet[Any]:
    since = m.now - dt.timedelta(days=int(settings.REPORT_READY_DAYS))
    return Report.objects.filter(
        requested_by=user,
        status=Report.Status.SUCCEEDED,
        finished_at__gte=since,
        file_deleted_at__isnull=True,
    )


# --- the items shown ---------------------------------------------------------------------


def _review_items(user: User, m: Moment) -> list[Item]:
    rows = risk_figures.review_queue(viewer=user)[:SHOWN]
    return [
        Item(
            f"{a.asset.name}, version {a.version}",
            f"Submitted {timezone.localtime(a.submitted_at):%Y-%m-%d}" if a.submitted_at else "",
            reverse("risk:assessment", args=[a.uuid]),
            note=risk_rules.review_refusal(user, a, a.viewer_contributions) or "",
        )
        for a in rows
    ]


def _acceptance_items(user: User, m: Moment) -> list[Item]:
    mine = AssessmentContribution.objects.filter(user_id=user.pk)
    rows = (
        _acceptances(user, m)
        .select_related("assessment__asset")
        .prefetch_related(
            Prefetch("assessment__contributions", queryset=mine, to_attr="viewer_contributions")
        )
        .order_by(*risk_figures.REGISTER_SORTS["risk"])[:SHOWN]
    )
    return [
        Item(
            r.title,
            f"{r.assessment.asset.name} · residual {BAND_LABEL.get(r.residual_band, '')}",
            reverse("risk:assessment", args=[r.assessment.uuid]) + f"#risk-{r.uuid}",
            note=risk_rules.acceptance_refusal(user, r, r.assessment.viewer_contributions) or "",
        )
        for r in rows
    ]


def _returned_items(user: User, m: Moment) -> list[Item]:
    rows = _returned(user, m).select_related("asset").order_by("-returned_at", "-id")[:SHOWN]
    return [
        Item(
            f"{a.asset.name}, version {a.version}",
            f"Returned: {a.review_comments[:120]}" if a.review_comments else "Returned",
            reverse("risk:edit", args=[a.uuid]),
        )
        for a in rows
    ]


def _treatment_items(user: User, m: Moment) -> list[Item]:
    rows = (
        _treatments(user, m)
        .select_related("assessment__asset")
        .order_by(F("due_date").asc(nulls_last=True), "id")[:SHOWN]
    )
    items = []
    for r in rows:
        late = r.due_date < m.today
        items.append(
            Item(
                r.title,
                f"{r.assessment.asset.name} · {r.get_treatment_display()} "
                f"{'was due' if late else 'due'} {r.due_date:%Y-%m-%d}",
                reverse("risk:assessment", args=[r.assessment.uuid]) + f"#risk-{r.uuid}",
                urgent=late,
            )
        )
    return items


def _evidence_items(user: User, m: Moment) -> list[Item]:
    rows = (
        _evidence(user, m)
        .select_related("implementation__control", "implementation__asset")
        .order_by("valid_until", "id")[:SHOWN]
    )
    items = []
    for e in rows:
        impl = e.implementation
        where = impl.asset.name if impl.asset_id else impl.get_scope_display()
        items.append(
            Item(
                f"{impl.control.code} {impl.control.name}",
                f"{where} · “{e.description[:80]}” valid until {e.valid_until:%Y-%m-%d}",
                reverse("compliance:implementation_detail", args=[impl.uuid]),
            )
        )
    return items


def _clock_items(user: User, m: Moment) -> list[Item]:
    filters = incident_figures.IncidentFilters(owner=user.pk)
    rows = list(incident_figures.incidents(filters).filter(next_due_at__isnull=False)[:SHOWN])
    items = []
    for row in incident_figures.with_clocks(rows, incident_figures.organisation(), m.now):
        pending = [c for c in row.clocks if c.notified_at is None]
        items.append(
            Item(
                row.incident.title,
                "; ".join(f"{c.ref}: {c.title}, {humanise(c.time_left(m.now))}" for c in pending),
                reverse("incidents:detail", args=[row.incident.uuid]),
                urgent=any(c.due < m.now for c in pending),
            )
        )
    return items


def _report_items(user: User, m: Moment) -> list[Item]:
    rows = _reports(user, m).order_by("-finished_at", "-id")[:SHOWN]
    return [
        Item(
            r.title or r.get_kind_display(),
            f"Ready {timezone.localtime(r.finished_at):%Y-%m-%d %H:%M}" if r.finished_at else "",
            reverse("reports:detail", args=[r.uuid]),
        )
        for r in rows
    ]


KINDS: tuple[Kind, ...] = (
    Kind(
        "clocks",
        "Legal clocks on your incidents",
        "Record the notification",
        None,
        _clocks,
        _clock_items,
        lambda u: _url("incidents:index", owner=u.pk),
    ),
    Kind(
        "reviews",
        "Assessments waiting for review",
        "Approve or return",
        "risk.review",
        _reviews,
        _review_items,
        lambda u: reverse("risk:review_queue"),
    ),
    Kind(
        "acceptances",
        "Residual risks waiting for acceptance",
        "Accept or refuse",
        "risk.accept",
        _acceptances,
        _acceptance_items,
        lambda u: _url("risk:register", treatment="accept", status="open"),
    ),
    Kind(
        "returned",
        "Your drafts returned by a reviewer",
        "Revise and resubmit",
        "risk.edit",
        _returned,
        _returned_items,
        lambda u: _url("risk:index", status=Assessment.Status.RETURNED),
    ),
    Kind(
        "treatments",
        "Treatments due on your risks",
        "Treat the risk",
        None,
        _treatments,
        _treatment_items,
        lambda u: _url("risk:register", owner=u.pk, sort="due"),
    ),
    Kind(
        "evidence",
        "Evidence expiring on your controls",
        "Upload fresh evidence",
        None,
        _evidence,
        _evidence_items,
        lambda u: _url("compliance:implementations"),
    ),
    Kind(
        "reports",
        "Your reports ready",
        "Download",
        None,
        _reports,
        _report_items,
        lambda u: reverse("reports:index"),
    ),
)


def kinds_for(user: User) -> list[Kind]:
    return [k for k in KINDS if k.permission is None or has_perm(user, k.permission)]


def _moment(now: dt.datetime | None) -> Moment:
    now = now or timezone.now()
    return Moment(now, timezone.localdate(now))


# The navigation badge counts at most this many items, and then reads "99+": on every
# page it must cost the same at 100,000 assets as at 100 (counting 150,000 risks that
# wait for acceptance took about 130 ms a page). The dashboard's queue counts exactly.
BADGE_CAP = 99


class _CappedCount(Subquery):
    """COUNT over at most the first rows of a subquery (which carries its LIMIT)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped)"
    output_field = IntegerField()


def _count_of(rows: QuerySet[Any], cap: int | None = None) -> Coalesce:
    """The number of rows as a scalar subquery (COUNT without a GROUP BY); with a cap,
    at most cap + 1 rows are read."""
    if cap is not None:
        return Coalesce(_CappedCount(rows.order_by().values("pk")[: cap + 1]), 0)
    counted = rows.order_by().annotate(n=Func(Value(1), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def counts(user: User, now: dt.datetime | None = None, *, cap: int | None = None) -> dict[str, int]:
    """How many items of each kind wait for the person (each at most cap + 1, if
    given): one query."""
    if not getattr(user, "is_authenticated", False):
        return {}
    kinds = kinds_for(user)
    if not kinds:
        return {}
    m = _moment(now)
    annotations = {f"q_{k.key}": _count_of(k.rows(user, m), cap) for k in kinds}
    row = User.objects.filter(pk=user.pk).annotate(**annotations).values(*annotations).first()
    if row is None:
        return {}
    return {k.key: int(row[f"q_{k.key}"]) for k in kinds}


# The dashboard's sections count at most this many items each (the acceptances of an
# inventory of 100,000 assets are 150,000 risks: 70 ms to count exactly on each view).
SECTION_CAP = 1000


def count_label(n: int, cap: int) -> str:
    """A count of at most cap + 1 as it is shown: "1,234", or "1,000+" past the cap."""
    return f"{cap:,}+" if n > cap else f"{n:,}"


def badge_label(waiting: int) -> str:
    """The navigation's count: "" when nothing waits, the number, or "99+"."""
    return count_label(waiting, BADGE_CAP) if waiting else ""


def badge(user: User, now: dt.datetime | None = None) -> str:
    return badge_label(sum(counts(user, now, cap=BADGE_CAP).values()))


def queue(user: User, now: dt.datetime | None = None) -> list[Section]:
    """The sections with something in them, in order of urgency, each with its first
    items and the page listing them all."""
    m = _moment(now)
    found = counts(user, m.now, cap=SECTION_CAP)
    return [
        Section(
            key=k.key,
            title=k.title,
            action=k.action,
            count=found[k.key],
            items=k.items(user, m),
            more_url=k.more_url(user),
        )
        for k in kinds_for(user)
        if found.get(k.key)
    ]
