"""API views of portal/accounts under /api/v1/."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts import roles
from portal.accounts import rules as role_rules

# Role name -> predicate, in the order of roles.ALL_ROLES (visitor is never "me").
_ROLE_PREDICATES = {
    roles.RESIDENT: role_rules.is_resident,
    roles.VERIFIED_RESIDENT: role_rules.is_verified_resident,
    roles.ORGANISATION_MEMBER: role_rules.is_organisation_member,
    roles.MODERATOR: role_rules.is_moderator,
    roles.CIVIL_SERVANT: role_rules.is_civil_servant,
    roles.JURY_MEMBER: role_rules.is_jury_member,
    roles.COUNCIL_MEMBER: role_rules.is_council_member,
    roles.ADMIN: role_rules.is_admin,
}


def user_roles(user) -> list[str]:
    return [name for name in roles.ALL_ROLES if name in _ROLE_PREDICATES
            and _ROLE_PREDICATES[name](user)]


class MeSerializer(serializers.Serializer):
    display_name = serializers.CharField(help_text=_("The name the portal shows for you."))
    email = serializers.EmailField(allow_null=True)
    is_resident = serializers.BooleanField(help_text=_("Logged in with DigiD."))
    roles = serializers.ListField(child=serializers.CharField())


class MeView(APIView):
    """The current user. Never includes the DigiD pseudonym."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        data = {
            "display_name": str(user),
            "email": user.email or None,
            "is_resident": user.is_resident,
            "roles": user_roles(user),
        }
        return Response(MeSerializer(data).data)
