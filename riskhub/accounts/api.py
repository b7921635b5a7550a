from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from riskhub.api.permissions import policy


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    email = serializers.EmailField()
    full_name = serializers.CharField()
    role = serializers.CharField(allow_null=True)


@policy("account.self")
@extend_schema(responses=MeSerializer, tags=["accounts"])
@api_view(["GET"])
def me(request: Request) -> Response:
    user = request.user
    return Response(
        MeSerializer(
            {
                "uuid": user.uuid,
                "email": user.email,
                "full_name": user.full_name,
                "role": user.role.value if user.role else None,
            }
        ).data
    )
