"""The dashboard as JSON: the same figures and figures' numbers the page draws."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from riskhub.api.permissions import policy
from riskhub.dashboard import charts, selectors
from riskhub.dashboard.forms import FilterForm

FILTER_PARAMETERS = [
    OpenApiParameter("business_unit", OpenApiTypes.INT, description="Business unit id"),
    OpenApiParameter("kind", OpenApiTypes.STR, description="Asset kind"),
    OpenApiParameter("tier", OpenApiTypes.STR, description="EU AI Act tier"),
    OpenApiParameter("framework", OpenApiTypes.STR, description="Framework slug"),
    OpenApiParameter("as_of", OpenApiTypes.DATE, description="State at the end of this day"),
]


def summary(board: selectors.Dashboard) -> dict[str, Any]:
    return {
        "as_of": board.day,
        "historical": board.historical,
        "assets": {
            "total": board.assets.total,
            "by_kind": board.assets.by_kind,
            "by_tier": board.assets.by_tier,
            "not_yet_classified": board.assets.not_yet_classified,
            "not_applicable": board.assets.not_applicable,
            "unassessed": board.assets.unassessed,
            "unassessed_by_kind": board.assets.unassessed_by_kind,
        },
        "risks": {
            "open_by_band": board.risks.open_by_band,
            "open": board.risks.open_total,
            "accepted": board.risks.accepted,
            "overdue_treatments": board.risks.overdue,
        },
        # Each count with the window it was taken over (settings, one per figure).
        "deadlines": asdict(board.deadlines),
        "coverage": [
            {
                "framework": f.slug,
                "met": f.met,
                "partial": f.partial,
                "gap": f.gap,
                "recorded": f.recorded,
            }
            for f in board.coverage
        ],
    }


@policy("dashboard.view")
@extend_schema(
    tags=["dashboard"],
    parameters=FILTER_PARAMETERS,
    responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    description="The dashboard's numbers and its Plotly figures (figure JSON).",
)
@api_view(["GET"])
def dashboard(request: Request) -> Response:
    units, fws = selectors.filter_options()
    form = FilterForm(request.query_params or None, business_units=units, frameworks=fws)
    if request.query_params and not form.is_valid():
        raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
    board = selectors.dashboard(form.filters(), options=(units, fws))
    return Response({"summary": summary(board), "figures": charts.figures(board)})
