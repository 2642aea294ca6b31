"""API views of portal/core under /api/v1/ (plumbing such as pagination lives in drf.py)."""

from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from portal.core import services
from portal.core.models import Notification


@extend_schema(exclude=True)
class ApiRootView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        return Response(
            {
                "schema": reverse("api-schema", request=request),
                "docs": reverse("api-docs", request=request),
            },
            status=status.HTTP_200_OK,
        )


# --- notifications (/api/v1/notifications/) and tokens (/api/v1/auth/token/) ------------------

class NotificationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at", "is_read"]
        read_only_fields = fields


class NotificationListView(generics.ListAPIView):
    """My notifications, newest first."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Notification.objects.filter(recipient=self.request.user).order_by(
            "-created_at", "-id"
        )


class NotificationReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request, public_id):
        """Mark one of my notifications read. Someone else's notification is a 404."""
        notification = get_object_or_404(
            Notification, public_id=public_id, recipient=request.user
        )
        services.notification_mark_read(notification=notification, user=request.user)
        return Response(NotificationSerializer(notification).data)


class TokenObtainThrottle(ScopedRateThrottle):
    """Scoped throttle that reads its rate when called, so a settings override takes effect."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class TokenObtainSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False,
                                     write_only=True)

    def validate(self, attrs):
        request = self.context["request"]
        user = authenticate(request._request, email=attrs["email"], password=attrs["password"])
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                _("The e-mail address or password is not correct."), code="invalid_credentials"
            )
        if not EmailAddress.objects.filter(user=user, email__iexact=user.email,
                                           verified=True).exists():
            raise serializers.ValidationError(
                _("Verify your e-mail address before you request an API token."),
                code="email_not_verified",
            )
        attrs["user"] = user
        return attrs


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenObtainView(APIView):
    """Exchange a verified e-mail address and password for an API token (organisations, staff).

    Send the token as `Authorization: Token <token>`.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenObtainThrottle]
    throttle_scope = "auth_token"

    @extend_schema(request=TokenObtainSerializer, responses=TokenResponseSerializer)
    def post(self, request):
        serializer = TokenObtainSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
