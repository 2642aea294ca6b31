"""API of portal/consent: my consents under /api/v1/me/consents/ (list, grant, withdraw)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts.middleware import current_assurance_level
from portal.consent import selectors, services
from portal.consent.models import ConsentEvent, DataExport
from portal.core.drf import StandardPagination


class ConsentEventSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    action = serializers.ChoiceField(choices=ConsentEvent.Action.choices)
    method = serializers.ChoiceField(choices=ConsentEvent.Method.choices)
    text_version = serializers.IntegerField(source="text.version")
    created_at = serializers.DateTimeField()
    receipt_url = serializers.SerializerMethodField(
        help_text=_("The consent receipt (JSON) of this event.")
    )

    def get_receipt_url(self, event) -> str:
        return reverse("consent:receipt", kwargs={"public_id": event.public_id})


class ConsentStateSerializer(serializers.Serializer):
    purpose = serializers.SlugField(source="purpose.code")
    title = serializers.CharField(source="purpose.title")
    description = serializers.CharField(source="purpose.description")
    status = serializers.ChoiceField(
        choices=[selectors.GRANTED, selectors.WITHDRAWN, selectors.NEVER]
    )
    text_version = serializers.IntegerField(
        source="text.version", allow_null=True, default=None,
        help_text=_("The text version of your latest grant or withdrawal."),
    )
    current_text_version = serializers.IntegerField(source="current_text.version",
                                                    allow_null=True, default=None)
    current_text_sha256 = serializers.CharField(source="current_text.sha256", allow_null=True,
                                                default=None)
    needs_asking = serializers.BooleanField(
        help_text=_("True when you have not (or no longer) given consent for the current text.")
    )
    text_changed = serializers.BooleanField()
    latest_event = ConsentEventSerializer(source="event", allow_null=True)


class ConsentGrantSerializer(serializers.Serializer):
    purpose = serializers.SlugField(max_length=80)
    text_version = serializers.IntegerField(min_value=1)


def _check(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


class MyConsentsView(APIView):
    """My consents: every active purpose with my state. POST gives consent for the current text."""

    permission_classes = [IsAuthenticated]
    pagination_class = StandardPagination

    @extend_schema(responses=ConsentStateSerializer(many=True))
    def get(self, request):
        _check(request, "consent.view_own_consents")
        paginator = self.pagination_class()
        states = paginator.paginate_queryset(
            selectors.consent_overview(user=request.user), request, view=self
        )
        return paginator.get_paginated_response(ConsentStateSerializer(states, many=True).data)

    @extend_schema(request=ConsentGrantSerializer,
                   responses={201: ConsentStateSerializer, 200: ConsentStateSerializer})
    def post(self, request):
        """Give consent for the current text version of a purpose (`text_version` must match)."""
        _check(request, "consent.give_consent")
        serializer = ConsentGrantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        purpose = selectors.purpose_get(code=serializer.validated_data["purpose"])
        if purpose is None:
            raise serializers.ValidationError(
                {"purpose": [_("There is no active purpose with this code.")]},
                code="unknown_purpose",
            )
        text = selectors.current_text(purpose=purpose)
        if text is None or text.version != serializer.validated_data["text_version"]:
            raise serializers.ValidationError(
                {"text_version": [
                    _("This is not the current text version. Read the current text and try "
                      "again.")
                ]},
                code="stale_text",
            )
        before = selectors.consent_state(user=request.user, purpose=purpose).event
        event = services.consent_grant(
            user=request.user, text=text, method=ConsentEvent.Method.API,
            assurance_level=current_assurance_level(request),
        )
        state = selectors.consent_state(user=request.user, purpose=purpose)
        created = before is None or event.pk != before.pk
        return Response(ConsentStateSerializer(state).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class MyConsentWithdrawView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=ConsentStateSerializer)
    def post(self, request, purpose_code):
        """Withdraw my consent for a purpose. Its effects run in the background."""
        _check(request, "consent.withdraw_consent")
        purpose = selectors.purpose_get(code=purpose_code)
        if purpose is None:
            raise Http404
        services.consent_withdraw(
            user=request.user, purpose=purpose, method=ConsentEvent.Method.API,
            assurance_level=current_assurance_level(request),
        )
        state = selectors.consent_state(user=request.user, purpose=purpose)
        return Response(ConsentStateSerializer(state).data)


# --- Mijn gegevens: /api/v1/me/data/ and /api/v1/me/exports/ -----------------------------------


class PersonalDataSectionSerializer(serializers.Serializer):
    title = serializers.CharField()
    data = serializers.DictField(
        child=serializers.ListField(child=serializers.DictField()),
        help_text=_("Lists of rows, by list name; a row is a flat object of plain values."),
    )


class PersonalDataDocumentSerializer(serializers.Serializer):
    generated_at = serializers.CharField(help_text=_("ISO 8601 time."))
    portal = serializers.CharField()
    subject = serializers.CharField(help_text=_("Your consent pseudonym (never a BSN)."))
    sections = serializers.DictField(child=PersonalDataSectionSerializer())


class DataExportSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.ChoiceField(choices=DataExport.Status.choices)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField(
        help_text=_("The ZIP (same login session) when the status is ready and it has not "
                    "expired; otherwise null.")
    )

    def get_download_url(self, export) -> str | None:
        if export.status != DataExport.Status.READY or export.is_expired():
            return None
        return reverse("consent:export-download", kwargs={"public_id": export.public_id})


class MyDataView(APIView):
    """Everything the portal holds about me, per section (the same as in the export)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PersonalDataDocumentSerializer)
    def get(self, request):
        _check(request, "consent.view_own_personal_data")
        return Response(selectors.personal_data_document(user=request.user))


class MyExportsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None,
                   responses={202: DataExportSerializer, 200: DataExportSerializer})
    def post(self, request):
        """Request a ZIP of all my data. 202 when queued; 200 with the export that is already
        being made (one at a time)."""
        _check(request, "consent.export_own_data")
        export, created = services.data_export_request(user=request.user)
        return Response(DataExportSerializer(export).data,
                        status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


class MyExportDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=DataExportSerializer)
    def get(self, request, public_id):
        """The status of one of my exports; someone else's is a 404."""
        _check(request, "consent.export_own_data")
        export = DataExport.objects.filter(public_id=public_id, user=request.user).first()
        if export is None:
            raise Http404
        return Response(DataExportSerializer(export).data)
