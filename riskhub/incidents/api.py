"""Thin DRF views over the incidents services and selectors (same rules as the UI), and
the Prometheus Alertmanager webhook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from riskhub.accounts.models import ApiToken, User
from riskhub.api.filters import MomentFilter
from riskhub.compliance.models import Control
from riskhub.incidents import clocks as legal
from riskhub.incidents import selectors, services
from riskhub.incidents.forms import writers
from riskhub.incidents.models import Incident, TimelineEntry
from riskhub.inventory.models import Asset
from riskhub.risk.models import Risk, Threat


class OffsetDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset: a bare local time is ambiguous for a clock."""

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            parsed = parse_datetime(value.strip())
            if parsed is not None and parsed.tzinfo is None:
                self.fail(
                    "invalid", format="ISO 8601 with a UTC offset, e.g. 2026-03-27T09:30+01:00"
                )
        result: datetime = super().to_internal_value(value)
        return result


# --- output --------------------------------------------------------------------------


class DeadlineSerializer(serializers.Serializer):
    framework = serializers.CharField()
    ref = serializers.CharField()
    due = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=[s.value for s in legal.Status])
    code = serializers.CharField()
    title = serializers.CharField()
    recipient = serializers.CharField()
    statutory = serializers.BooleanField()
    notified_at = serializers.DateTimeField(allow_null=True)
    in_force_from = serializers.DateField(
        allow_null=True,
        help_text="Set while the duty is not yet law for the affected systems (the clock is "
        "then a RiskHub target): the date it becomes law, from the catalog.",
    )


class AssetRefSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()
    kind = serializers.CharField()


class TimelineEntrySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    recorded_by = serializers.EmailField(
        source="actor.email", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = TimelineEntry
        fields = [
            "id",
            "kind",
            "at",
            "summary",
            "clock",
            "notified_by",
            "recipient",
            "reference",
            "recorded_by",
            "recorded_at",
        ]


class IncidentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    assets = AssetRefSerializer(many=True, read_only=True)
    possibly_affected = serializers.SerializerMethodField()
    owner = serializers.EmailField(
        source="owner.email", default=None, read_only=True, allow_null=True
    )
    threat = serializers.CharField(
        source="threat.code", default=None, read_only=True, allow_null=True
    )
    serious_incident = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "description",
            "status",
            "severity",
            "categories",
            "occurred_at",
            "aware_at",
            "assets",
            "possibly_affected",
            "threat",
            "personal_data_breach",
            "breach_risk_unlikely",
            "high_risk_to_individuals",
            "serious_incident",
            "california_residents",
            "owner",
            "alert_fingerprint",
            "deadlines",
            "review_what_failed",
            "review_changes",
            "closed_at",
            "created_at",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(AssetRefSerializer(many=True))
    def get_possibly_affected(self, obj: Incident) -> list[dict[str, Any]]:
        return [
            {"id": a["uuid"], "name": a["name"], "kind": a["kind"]}
            for a in (obj.facts_snapshot or {}).get("possibly_affected", [])
        ]

    def get_serious_incident(self, obj: Incident) -> str | None:
        return obj.serious_incident or None

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, obj: Incident) -> list[dict[str, Any]]:
        org = self.context.get("organisation") or services.organisation()
        now = self.context.get("now") or timezone.now()
        entries = getattr(obj, "notification_entries", None)
        if entries is None:
            entries = list(obj.timeline.all())
        found, _ = services.evaluate(obj, org, entries, now)
        return [c.as_dict() for c in found]


class IncidentDetailSerializer(IncidentSerializer):
    timeline = TimelineEntrySerializer(many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "timeline"]
        read_only_fields = fields


# --- input ---------------------------------------------------------------------------


class IncidentInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    aware_at = OffsetDateTimeField()
    occurred_at = OffsetDateTimeField(required=False, allow_null=True, default=None)
    assets = serializers.SlugRelatedField(
        slug_field="uuid",
        many=True,
        queryset=Asset.objects.filter(archived_at__isnull=True),
        required=False,
        default=list,
    )
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Incident.Category.choices),
        required=False,
        default=list,
    )
    threat = serializers.SlugRelatedField(
        slug_field="code", queryset=Threat.objects.all(), required=False, allow_null=True
    )
    personal_data_breach = serializers.BooleanField(required=False, default=False)
    breach_risk_unlikely = serializers.BooleanField(required=False, default=False)
    high_risk_to_individuals = serializers.BooleanField(required=False, default=False)
    serious_incident = serializers.ChoiceField(
        choices=Incident.SeriousIncident.choices,
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
    )
    california_residents = serializers.IntegerField(
        required=False, min_value=0, max_value=2_000_000_000, default=0
    )
    severity = serializers.ChoiceField(
        choices=Incident.Severity.choices, required=False, default=Incident.Severity.MEDIUM
    )
    owner = serializers.SlugRelatedField(
        slug_field="email", queryset=User.objects.none(), required=False, allow_null=True
    )
    risks = serializers.SlugRelatedField(
        slug_field="uuid", many=True, queryset=Risk.objects.all(), required=False
    )
    controls = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Control.objects.all(), required=False
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="On a change: the version the edit started from; a later save by "
        "someone else answers 409 and nothing is written.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = writers()  # type: ignore[attr-defined]


class NotificationInputSerializer(serializers.Serializer):
    clock = serializers.ChoiceField(choices=[c.value for c in legal.Code])
    recipient = serializers.CharField(max_length=200)
    at = OffsetDateTimeField()
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notified_by = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class ActionInputSerializer(serializers.Serializer):
    summary = serializers.CharField()
    at = OffsetDateTimeField(required=False, allow_null=True, default=None)


class StatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[c for c in Incident.Status.choices if c[0] != Incident.Status.CLOSED]
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CloseInputSerializer(serializers.Serializer):
    what_failed = serializers.CharField()
    what_changes = serializers.CharField()


class IncidentFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Incident.Status.choices)
    severity = filters.ChoiceFilter(choices=Incident.Severity.choices)
    category = filters.ChoiceFilter(choices=Incident.Category.choices, method="filter_category")
    asset = filters.UUIDFilter(field_name="assets__uuid")
    aware_since = MomentFilter(field_name="aware_at", lookup_expr="gte")

    class Meta:
        model = Incident
        fields = ["status", "severity"]

    def filter_category(self, qs: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        return qs.filter(categories__icontains=f'"{value}"')


@extend_schema(tags=["incidents"])
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Incidents and their legal clocks (`deadlines`). Risk officers and admins write;
    every role reads. The timeline is append-only: add actions and notifications."""

    lookup_field = "uuid"
    read_permission = "incidents.view"
    write_permission = "incidents.edit"
    # An incident's owner edits it whatever their role: the service checks who.
    action_permissions = {"partial_update": "incidents.view"}
    filterset_class = IncidentFilter

    def get_queryset(self) -> QuerySet[Incident]:
        qs = selectors.incidents(selectors.IncidentFilters(status="all"))
        if self.action == "retrieve":
            return Incident.objects.select_related("owner", "threat").prefetch_related(
                "assets", "timeline__actor"
            )
        return qs.select_related("threat")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return IncidentDetailSerializer if self.action == "retrieve" else IncidentSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["organisation"] = services.organisation()
        context["now"] = timezone.now()
        return context

    def _detail(self, incident: Incident, code: int = status.HTTP_200_OK) -> Response:
        fresh = (
            Incident.objects.select_related("owner", "threat")
            .prefetch_related("assets", "timeline__actor")
            .get(pk=incident.pk)
        )
        context = self.get_serializer_context()
        return Response(IncidentDetailSerializer(fresh, context=context).data, status=code)

    @extend_schema(request=IncidentInputSerializer, responses={201: IncidentDetailSerializer})
    def create(self, request: Request) -> Response:
        data = IncidentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("version", None)
        incident = services.incident_create(actor=request.user, **fields)
        return self._detail(incident, status.HTTP_201_CREATED)

    @extend_schema(request=IncidentInputSerializer, responses={200: IncidentDetailSerializer})
    def partial_update(self, request: Request, uuid: str) -> Response:
        incident = self.get_object()
        data = IncidentInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if k in request.data}
        assets = fields.pop("assets", None)
        version = fields.pop("version", None)
        for name in ("risks", "controls"):
            fields.pop(name, None)
        incident = services.incident_update(
            actor=request.user,
            incident=incident,
            assets=assets,
            expected_version=version,
            **fields,
        )
        return self._detail(incident)

    @extend_schema(request=NotificationInputSerializer, responses={201: IncidentDetailSerializer})
    @action(detail=True, methods=["post"])
    def notifications(self, request: Request, uuid: str) -> Response:
        incident = self.get_object()
        data = NotificationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.notification_record(actor=request.user, incident=incident, **data.validated_data)  # type: ignore[arg-type]
        return self._detail(incident, status.HTTP_201_CREATED)

    @extend_schema(request=ActionInputSerializer, responses={201: IncidentDetailSerializer})
    @action(detail=True, methods=["post"])
    def actions(self, request: Request, uuid: str) -> Response:
        incident = self.get_object()
        data = ActionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.timeline_add_action(actor=request.user, incident=incident, **data.validated_data)  # type: ignore[arg-type]
        return self._detail(incident, status.HTTP_201_CREATED)

    @extend_schema(request=StatusInputSerializer, responses={200: IncidentDetailSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, uuid: str) -> Response:
        incident = self.get_object()
        data = StatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.incident_set_status(actor=request.user, incident=incident, **data.validated_data)  # type: ignore[arg-type]
        return self._detail(incident)

    @extend_schema(request=CloseInputSerializer, responses={200: IncidentDetailSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, uuid: str) -> Response:
        incident = self.get_object()
        data = CloseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.incident_close(actor=request.user, incident=incident, **data.validated_data)  # type: ignore[arg-type]
        return self._detail(incident)


# --- Alertmanager ----------------------------------------------------------------------


class AlertSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["firing", "resolved"])
    labels = serializers.DictField(child=serializers.CharField(allow_blank=True))
    annotations = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, default=dict
    )
    startsAt = serializers.DateTimeField()  # noqa: N815 (Alertmanager's field names)
    endsAt = serializers.DateTimeField(required=False, allow_null=True)  # noqa: N815
    generatorURL = serializers.CharField(required=False, allow_blank=True, default="")  # noqa: N815
    fingerprint = serializers.CharField(max_length=100)


class AlertmanagerPayloadSerializer(serializers.Serializer):
    version = serializers.ChoiceField(choices=["4"])
    receiver = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=["firing", "resolved"])
    alerts = AlertSerializer(many=True, allow_empty=True, max_length=1000)
    groupLabels = serializers.DictField(  # noqa: N815
        child=serializers.CharField(allow_blank=True), required=False, default=dict
    )
    commonLabels = serializers.DictField(  # noqa: N815
        child=serializers.CharField(allow_blank=True), required=False, default=dict
    )
    commonAnnotations = serializers.DictField(  # noqa: N815
        child=serializers.CharField(allow_blank=True), required=False, default=dict
    )
    externalURL = serializers.CharField(required=False, allow_blank=True, default="")  # noqa: N815
    groupKey = serializers.CharField(required=False, allow_blank=True, default="")  # noqa: N815
    truncatedAlerts = serializers.IntegerField(required=False, min_value=0, default=0)  # noqa: N815


@extend_schema(tags=["incidents"])
class AlertmanagerWebhook(APIView):
    """Prometheus Alertmanager webhook (payload version 4). Authenticate with an API
    token of scope “alerts” whose user may edit incidents. An alert labelled
    `riskhub_asset` (UUID or name) opens an incident, or adds to the one with the same
    fingerprint; a resolved alert adds a timeline entry and never closes the incident."""

    token_scopes = (ApiToken.Scope.ALERTS,)
    read_permission = "incidents.edit"
    write_permission = "incidents.edit"

    @extend_schema(
        request=AlertmanagerPayloadSerializer,
        responses={
            200: inline_serializer(
                "AlertmanagerResult",
                {
                    "alerts": inline_serializer(
                        "AlertOutcome",
                        {
                            "fingerprint": serializers.CharField(),
                            "result": serializers.ChoiceField(
                                choices=["opened", "updated", "resolved", "ignored"]
                            ),
                            "incident": serializers.UUIDField(allow_null=True),
                            "reason": serializers.CharField(),
                        },
                        many=True,
                    )
                },
            )
        },
    )
    def post(self, request: Request) -> Response:
        payload = AlertmanagerPayloadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        outcomes = services.alertmanager_ingest(
            actor=request.user,  # type: ignore[arg-type]
            payload=payload.validated_data,
        )
        return Response({"alerts": [o.as_dict() for o in outcomes]})
