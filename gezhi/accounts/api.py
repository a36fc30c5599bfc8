from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from gezhi.accounts.choices import Role


@extend_schema(
    responses=inline_serializer(
        "Me",
        {
            "username": serializers.CharField(),
            "display_name": serializers.CharField(),
            "memberships": serializers.ListField(child=serializers.DictField()),
        },
    )
)
@api_view(["GET"])
def me(request):
    """The logged-in user and their roles."""
    user = request.user
    memberships = user.memberships.current().select_related("region", "department")
    return Response(
        {
            "username": user.username,
            "display_name": str(user),
            "memberships": [
                {
                    "role": m.role,
                    "role_display": Role(m.role).label,
                    "region": m.region.code if m.region_id else None,
                    "department": m.department.code if m.department_id else None,
                }
                for m in memberships
            ],
        }
    )
