"""API of ideas under /api/v1/ideas/: read published ideas; residents write, support, comment.

Same permissions as the site (portal/ideas/rules.py), every write through portal/ideas/services.py,
the abuse limits of portal/core/ratelimit.py (429 with the same sentence the site shows).

Supporting needs a verified resident: a DigiD login of level midden or higher. The level exists
only in a DigiD browser session (`portal.accounts.middleware.current_assurance_level`); a request
authenticated with an API token carries no level, so it can never support. Residents have no
API tokens anyway (they log in with DigiD only): a resident's app uses the session.
"""

from decimal import Decimal

import rules
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import _split_rate
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from portal.accounts.middleware import current_assurance_level
from portal.core.drf import StandardPagination
from portal.core.ratelimit import RateLimited, rate_limit_check
from portal.core.text import render_simple_text
from portal.ideas import selectors, services
from portal.ideas.models import (
    BODY_MAX,
    COMMENT_MAX,
    TITLE_MAX,
    Comment,
    Idea,
    IdeaEvent,
    IdeaLink,
    Moderation,
    Neighbourhood,
    ReasonCode,
    Status,
    Support,
    Theme,
)
from portal.ideas.selectors import SORTS, IdeaFilters

# --- helpers ----------------------------------------------------------------------------------


def _absolute(context, path: str | None) -> str | None:
    request = context.get("request")
    if path is None or request is None:
        return path
    return request.build_absolute_uri(path)


def _api_validation_error(error: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ValidationError as DRF's: field errors stay on their field, codes are kept."""
    if hasattr(error, "error_dict"):
        detail = {}
        for field, errors in error.error_dict.items():
            key = api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field
            detail[key] = [ErrorDetail(message, code=item.code or "invalid")
                           for item in errors for message in item.messages]
        return exceptions.ValidationError(detail)
    return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [
        ErrorDetail(message, code=item.code or "invalid")
        for item in error.error_list for message in item.messages
    ]})


def _permission_error(error: PermissionDenied) -> exceptions.PermissionDenied:
    return exceptions.PermissionDenied(str(error) or None)


def _rate_limit(request, action: str) -> None:
    """429 (JSON, with Retry-After: the longest wait) when the person is over the limit."""
    try:
        rate_limit_check(request, action)
    except RateLimited as limited:
        throttled = exceptions.Throttled(detail=limited.message, code="rate_limited")
        throttled.wait = _split_rate(settings.RATE_LIMITS[action])[1]
        raise throttled from None


def _acting_user(request):
    """request.user with its DigiD assurance level as the rules read it.

    The DigiD middleware sets `assurance_level` on the session's user. A user authenticated by
    an API token is a fresh object without it: `current_assurance_level` then trusts a DigiD
    session only if it belongs to that same user, and otherwise gives None (not verified).
    """
    user = request.user
    if user.is_authenticated and not hasattr(user, "assurance_level"):
        user.assurance_level = current_assurance_level(request)
    return user


def _image_url(idea: Idea, image) -> str | None:
    try:
        return reverse("ideas:image", kwargs={"public_id": idea.public_id, "pk": image.pk})
    except NoReverseMatch:  # the image route is not installed
        return None


def _with_details(ideas):
    """Everything the idea serializer shows, in a fixed number of queries per page."""
    return ideas.select_related("author", "neighbourhood").prefetch_related(
        "images",
        Prefetch(
            "links",
            queryset=IdeaLink.objects.select_related("pilot", "algorithm__current_version",
                                                     "challenge")
            .order_by("created_at", "pk"),
        ),
        Prefetch(
            "events",
            queryset=IdeaEvent.objects.filter(action=IdeaEvent.Action.STATUS)
            .order_by("-created_at", "-pk"),
            to_attr="status_events",
        ),
    )


def _idea_for(request, public_id, *, own=True) -> Idea:
    """A published idea, or (with `own`) one of the viewer's own ideas; otherwise 404."""
    idea = _with_details(Idea.objects.filter(public_id=public_id)).first()
    if idea is None:
        raise Http404
    if idea.is_public:
        return idea
    user = request.user
    if own and user.is_authenticated and idea.author_id == user.pk:
        return idea
    raise Http404


# --- serializers: reading ---------------------------------------------------------------------


class EnumChoiceField(serializers.ChoiceField):
    """A ChoiceField whose choices are one named enum in the OpenAPI schema (`enum_name`).

    drf-spectacular otherwise names enums after the field and renames them on a collision
    (`code`, `status` and `theme` are used by other apps too), which `--fail-on-warn` refuses.
    """

    def __init__(self, *, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(**kwargs)


class EnumChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumChoiceField

    def get_name(self):
        return self.target.enum_name

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "enum": list(self.target.choices)}


class IdeaThemeSerializer(serializers.Serializer):
    code = EnumChoiceField(source="theme", choices=Theme.choices, enum_name="IdeaThemeEnum")
    label = serializers.CharField(source="get_theme_display")


class IdeaStatusSerializer(serializers.Serializer):
    code = EnumChoiceField(source="status", choices=Status.choices, enum_name="IdeaStatusEnum")
    label = serializers.CharField(source="get_status_display")


class IdeaNeighbourhoodSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class IdeaLocationSerializer(serializers.Serializer):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()


class OfficialAnswerSerializer(serializers.Serializer):
    status = serializers.SerializerMethodField(help_text=_("The status this answer came with."))
    text = serializers.CharField(help_text=_("As written (simple formatting)."))
    text_html = serializers.SerializerMethodField(help_text=_("The text as sanitised HTML."))
    given_at = serializers.DateTimeField(source="created_at")

    @extend_schema_field(IdeaStatusSerializer)
    def get_status(self, event):
        return {"code": event.to_state, "label": str(Status(event.to_state).label)}

    def get_text_html(self, event) -> str:
        return str(render_simple_text(event.text))


class IdeaLinkSerializer(serializers.Serializer):
    kind = EnumChoiceField(choices=list(IdeaLink.TARGETS), enum_name="IdeaLinkKindEnum")
    title = serializers.CharField()
    url = serializers.CharField(
        help_text=_("The page in the public register, or the challenge's page."),
    )
    note = serializers.CharField(help_text=_("What happened, in a sentence; may be empty."))


class IdeaImageSerializer(serializers.Serializer):
    url = serializers.CharField(allow_null=True)
    alt_text = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class IdeaSerializer(serializers.Serializer):
    """A published idea. Names of people only with their consent; never ids or e-mail."""

    id = serializers.UUIDField(source="public_id")
    url = serializers.SerializerMethodField(help_text=_("The idea's page on the site."))
    api_url = serializers.SerializerMethodField()
    title = serializers.CharField(help_text=_("As the author typed it (plain text)."))
    body = serializers.CharField(help_text=_("As the author typed it (simple formatting)."))
    body_html = serializers.SerializerMethodField(help_text=_("The body as sanitised HTML."))
    theme = IdeaThemeSerializer(source="*")
    status = IdeaStatusSerializer(source="*", help_text=_("The municipality's answer so far."))
    neighbourhood = IdeaNeighbourhoodSerializer(allow_null=True)
    location = serializers.SerializerMethodField()
    author_name = serializers.CharField(
        source="author_display_name",
        help_text=_("The author's display name if they chose to show it, otherwise "
                    "\"anonymous resident\" (in the language of the request)."),
    )
    support_count = serializers.IntegerField()
    comment_count = serializers.IntegerField()
    published_at = serializers.DateTimeField(allow_null=True)
    status_changed_at = serializers.DateTimeField(allow_null=True)
    official_answer = serializers.SerializerMethodField(
        help_text=_("The official answer that came with the latest status change, or null."),
    )
    links = serializers.SerializerMethodField(
        help_text=_("\"You said, we did\": the pilots, algorithms and challenges the idea "
                    "led to."),
    )
    images = serializers.SerializerMethodField()

    def get_url(self, idea) -> str:
        return _absolute(self.context, idea.get_absolute_url())

    def get_api_url(self, idea) -> str:
        return _absolute(self.context, reverse("api-idea-detail",
                                               kwargs={"public_id": idea.public_id}))

    def get_body_html(self, idea) -> str:
        return str(render_simple_text(idea.body))

    @extend_schema_field(IdeaLocationSerializer(allow_null=True))
    def get_location(self, idea):
        if not idea.has_location:
            return None
        return {"latitude": float(idea.latitude), "longitude": float(idea.longitude)}

    @extend_schema_field(OfficialAnswerSerializer(allow_null=True))
    def get_official_answer(self, idea):
        events = getattr(idea, "status_events", None)
        event = events[0] if events else (
            None if events is not None else selectors.idea_official_answer(idea=idea)
        )
        return OfficialAnswerSerializer(event).data if event is not None else None

    @extend_schema_field(IdeaLinkSerializer(many=True))
    def get_links(self, idea):
        rows = []
        for link in idea.links.all():
            if link.pilot_id and link.pilot.is_public:
                kind, target, title = "pilot", link.pilot, link.pilot.title
            elif link.algorithm_id and link.algorithm.current_version_id:
                kind, target, title = "algorithm", link.algorithm, str(link.algorithm)
            elif link.challenge_id and link.challenge.is_public:
                kind, target, title = "challenge", link.challenge, link.challenge.title
            else:  # a register entry or challenge that is not (or no longer) public
                continue
            rows.append({"kind": kind, "title": title, "note": link.note,
                         "url": _absolute(self.context, target.get_absolute_url())})
        return IdeaLinkSerializer(rows, many=True).data

    @extend_schema_field(IdeaImageSerializer(many=True))
    def get_images(self, idea):
        return [
            {"url": _absolute(self.context, _image_url(idea, image)), "alt_text": image.alt_text,
             "width": image.width, "height": image.height}
            for image in idea.images.all()
        ]


class IdeaModerationSerializer(serializers.Serializer):
    code = EnumChoiceField(choices=Moderation.choices, enum_name="IdeaModerationEnum")
    label = serializers.CharField()
    reason_code = serializers.CharField(
        help_text=_("Why it was not published (one of the fixed reasons), or empty."),
    )
    reason = serializers.CharField(help_text=_("The reason in words, or empty."))
    statement = serializers.CharField(
        help_text=_("The moderator's statement of reasons or requested changes, or empty."),
    )


class IdeaDetailSerializer(IdeaSerializer):
    moderation = serializers.SerializerMethodField(
        help_text=_("Only for the author: where the idea stands in moderation, with the "
                    "moderator's reasons. Null for everyone else."),
    )
    supported = serializers.SerializerMethodField(
        help_text=_("Whether you support this idea (false when not logged in)."),
    )

    def _viewer(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    @extend_schema_field(IdeaModerationSerializer(allow_null=True))
    def get_moderation(self, idea):
        viewer = self._viewer()
        if viewer is None or not viewer.is_authenticated or idea.author_id != viewer.pk:
            return None
        decision = None
        if idea.moderation in (Moderation.REJECTED, Moderation.CHANGES_REQUESTED,
                               Moderation.APPEALED):
            decision = (
                idea.events.filter(
                    comment__isnull=True,
                    action__in=[IdeaEvent.Action.REJECT, IdeaEvent.Action.REQUEST_CHANGES,
                                IdeaEvent.Action.APPEAL_DISMISSED],
                ).order_by("-created_at", "-pk").first()
            )
        reason_code = decision.reason_code if decision else ""
        return {
            "code": idea.moderation,
            "label": str(idea.get_moderation_display()),
            "reason_code": reason_code,
            "reason": str(ReasonCode(reason_code).label) if reason_code else "",
            "statement": decision.text if decision else "",
        }

    def get_supported(self, idea) -> bool:
        viewer = self._viewer()
        if viewer is None or not viewer.is_authenticated:
            return False
        return Support.objects.filter(idea=idea, user=viewer).exists()


# --- serializers: writing ---------------------------------------------------------------------


class IdeaCreateSerializer(serializers.Serializer):
    """A new idea. Checks types only; the rules of an idea are the service's."""

    title = serializers.CharField(max_length=TITLE_MAX)
    body = serializers.CharField(
        max_length=BODY_MAX,
        help_text=_("Plain text. An empty line starts a new paragraph; **bold**, *italic* and "
                    "lists with \"- \" at the start of a line work."),
    )
    theme = EnumChoiceField(choices=Theme.choices, enum_name="IdeaThemeEnum")
    neighbourhood = serializers.SlugRelatedField(
        slug_field="slug", queryset=Neighbourhood.objects.all(), required=False,
        allow_null=True, help_text=_("The slug of a neighbourhood."),
    )
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90,
                                      max_value=90)
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180,
                                       max_value=180)
    show_author_name = serializers.BooleanField(
        default=False,
        help_text=_("Show your display name with the idea. Needs your consent for the purpose "
                    "\"idea-author-name\" (see /api/v1/me/consents/)."),
    )
    submit = serializers.BooleanField(
        default=True,
        help_text=_("Hand the idea in at once (true) or keep it as a draft (false)."),
    )

    def validate(self, attrs):
        for name in ("latitude", "longitude"):
            if attrs.get(name) is not None:
                attrs[name] = Decimal(f"{attrs[name]:.5f}")
        return attrs


class SupportStateSerializer(serializers.Serializer):
    supported = serializers.BooleanField()
    support_count = serializers.IntegerField()


# --- comments ---------------------------------------------------------------------------------


class CommentReplySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    body = serializers.CharField(help_text=_("As written (simple formatting)."))
    body_html = serializers.SerializerMethodField()
    author_name = serializers.CharField(
        source="author_display_name",
        help_text=_("Display name with consent, \"Municipality\" for a civil servant, "
                    "otherwise \"anonymous resident\"."),
    )
    by_municipality = serializers.BooleanField()
    published = serializers.SerializerMethodField(
        help_text=_("Always true in lists; a new comment on a pre-moderated theme is false "
                    "until a moderator publishes it."),
    )
    created_at = serializers.DateTimeField()

    def get_body_html(self, comment) -> str:
        return str(render_simple_text(comment.body))

    def get_published(self, comment) -> bool:
        return comment.is_public


class CommentSerializer(CommentReplySerializer):
    replies = CommentReplySerializer(many=True, read_only=True,
                                     help_text=_("Published replies, oldest first."))


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=COMMENT_MAX)
    parent = serializers.UUIDField(
        required=False, allow_null=True,
        help_text=_("The id of the comment this replies to (a top-level comment)."),
    )


# --- views ------------------------------------------------------------------------------------

LIST_PARAMETERS = [
    OpenApiParameter("theme", OpenApiTypes.STR, enum=list(Theme.values)),
    OpenApiParameter("status", OpenApiTypes.STR, enum=list(Status.values)),
    OpenApiParameter("neighbourhood", OpenApiTypes.STR, description="A neighbourhood's slug."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Words in the title or description."),
    OpenApiParameter("ordering", OpenApiTypes.STR, enum=list(SORTS),
                     description="newest (default), support (most supported) or discussed "
                                 "(most comments)."),
]


def _list_filters(params) -> IdeaFilters:
    """The selector's filters; a theme, status or ordering it does not know is a 400."""
    given = {name: (params.get(name) or "").strip()
             for name in ("theme", "status", "neighbourhood", "q", "ordering")}
    filters = IdeaFilters.from_params({**given, "sort": given["ordering"]})
    errors = {}
    for name, kept in (("theme", filters.theme), ("status", filters.status),
                       ("ordering", filters.sort)):
        if given[name] and given[name] != kept:
            errors[name] = [ErrorDetail(_("Unknown value. Choose one of: %(values)s.") % {
                "values": ", ".join(
                    {"theme": Theme.values, "status": Status.values, "ordering": list(SORTS)}[name]
                )}, code="invalid_choice")]
    if errors:
        raise exceptions.ValidationError(errors)
    return filters


@extend_schema_view(
    get=extend_schema(parameters=LIST_PARAMETERS),
    post=extend_schema(request=IdeaCreateSerializer, responses={201: IdeaDetailSerializer}),
)
class IdeaListView(generics.ListAPIView):
    """Published ideas (GET, everyone). POST: a resident submits an idea (or saves a draft)."""

    serializer_class = IdeaSerializer
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = StandardPagination

    def get_queryset(self):
        return _with_details(selectors.ideas_public(_list_filters(self.request.query_params)))

    def post(self, request):
        """Submit an idea as a resident (DigiD login). `submit: false` keeps it as a draft.

        Pre-moderated themes put it in the moderators' queue (`moderation.code` "pending");
        post-moderated themes publish it at once. Limited to a few per hour (429)."""
        if not rules.has_perm("ideas.add_idea", request.user):
            raise exceptions.PermissionDenied(
                _("Only residents logged in with DigiD can submit ideas."))
        _rate_limit(request, "ideas.submit")
        serializer = IdeaCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        submit = data.pop("submit")
        try:
            with transaction.atomic():
                idea = services.idea_create(author=request.user, **data)
                if submit:
                    idea = services.idea_submit(idea=idea, by=request.user)
        except DjangoValidationError as error:
            raise _api_validation_error(error) from None
        except PermissionDenied as error:
            raise _permission_error(error) from None
        idea = _with_details(Idea.objects.filter(pk=idea.pk)).get()
        body = IdeaDetailSerializer(idea, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED,
                        headers={"Location": body["api_url"]})


class IdeaDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=IdeaDetailSerializer)
    def get(self, request, public_id):
        """One published idea. Its author also gets their own unpublished idea (draft, pending,
        rejected...) with `moderation` filled in; for everyone else that is a 404."""
        idea = _idea_for(request, public_id)
        return Response(IdeaDetailSerializer(idea, context={"request": request}).data)


class IdeaSupportView(APIView):
    permission_classes = [IsAuthenticated]

    def _state(self, idea: Idea, supported: bool) -> dict:
        idea.refresh_from_db(fields=["support_count"])
        return SupportStateSerializer({"supported": supported,
                                       "support_count": idea.support_count}).data

    @extend_schema(request=None,
                   responses={201: SupportStateSerializer, 200: SupportStateSerializer})
    def post(self, request, public_id):
        """Support a published idea: verified residents only (DigiD level midden or higher, in
        a DigiD session). 201 when new, 200 when you already supported it (still one support).
        """
        idea = _idea_for(request, public_id, own=False)
        user = _acting_user(request)
        if not rules.has_perm("ideas.support_idea", user, idea):
            raise exceptions.PermissionDenied(_(
                "Supporting an idea is for residents logged in with DigiD at level midden or "
                "higher."))
        _rate_limit(request, "ideas.support")
        already = Support.objects.filter(idea=idea, user=user).exists()
        try:
            services.idea_support(idea=idea, user=user)
        except DjangoValidationError as error:
            raise _api_validation_error(error) from None
        except PermissionDenied as error:
            raise _permission_error(error) from None
        return Response(self._state(idea, True),
                        status=status.HTTP_200_OK if already else status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, public_id):
        """Withdraw your support (204, also when there was none). Works on an idea that was
        hidden after you supported it too."""
        idea = Idea.objects.filter(public_id=public_id).first()
        if idea is None or not (
            idea.is_public or Support.objects.filter(idea=idea, user=request.user).exists()
        ):
            raise Http404
        _rate_limit(request, "ideas.support")
        services.idea_support_withdraw(idea=idea, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IdeaCommentsView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = StandardPagination

    @extend_schema(responses=CommentSerializer(many=True))
    def get(self, request, public_id):
        """The published comments on a published idea, oldest first, each with its published
        replies (one level)."""
        idea = _idea_for(request, public_id, own=False)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.idea_comments(idea=idea), request, view=self)
        return paginator.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentSerializer})
    def post(self, request, public_id):
        """Comment on a published idea, or reply to a top-level comment (`parent`). Anyone logged
        in. Post-moderated themes publish it at once; otherwise `moderation` is "pending"."""
        idea = _idea_for(request, public_id, own=False)
        if not request.user.has_perm("ideas.comment_on_idea", idea):
            raise exceptions.PermissionDenied()
        _rate_limit(request, "ideas.comment")
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        parent = None
        parent_id = serializer.validated_data.get("parent")
        if parent_id is not None:
            parent = Comment.objects.filter(idea=idea, public_id=parent_id).first()
            if parent is None:
                raise exceptions.ValidationError({"parent": [ErrorDetail(
                    _("There is no such comment on this idea."), code="unknown_comment")]})
        try:
            comment = services.comment_create(idea=idea, author=request.user, parent=parent,
                                              body=serializer.validated_data["body"])
        except DjangoValidationError as error:
            raise _api_validation_error(error) from None
        except PermissionDenied as error:
            raise _permission_error(error) from None
        comment = Comment.objects.select_related("author").get(pk=comment.pk)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
