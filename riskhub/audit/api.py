from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets

from riskhub.accounts.selectors import user_id_by_email
from riskhub.api.filters import MomentFilter
from riskhub.audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "seq",
            "timestamp",
            "actor_id",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "request_id",
            "ip_address",
            "prev_hash",
            "hash",
        ]


class AuditEventFilter(filters.FilterSet):
    action = filters.CharFilter(field_name="action", lookup_expr="startswith")
    since = MomentFilter(field_name="timestamp", lookup_expr="gte")
    until = MomentFilter(field_name="timestamp", lookup_expr="lte")

    actor_email = filters.CharFilter(
        method="filter_actor_email", label="The actor's email address (any case)"
    )

    class Meta:
        model = AuditEvent
        fields = ["action", "object_type", "object_id", "actor_id"]

    def filter_actor_email(
        self, queryset: QuerySet[AuditEvent], name: str, value: str
    ) -> QuerySet[AuditEvent]:
        # An unknown email matches no event (an API client gets an empty page).
        return queryset.filter(actor_id=user_id_by_email(value)) if value.strip() else queryset


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail, newest first (executives, auditors and admins)."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    lookup_field = "uuid"
    read_permission = "audit.view"
    write_permission = "audit.view"
    search_fields: list[str] = []
    ordering_fields = ["seq", "timestamp"]

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.order_by("-seq")
