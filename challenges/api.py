"""Read-only API of challenges: /api/v1/challenges/ (list) and /api/v1/challenges/<slug>/.

Public data only: published challenges (drafts are a 404), their criteria, timeline, answered
questions (never who asked) and amendments. Proposals never appear, except the winner's summary
(with its organisation's name) once the challenge has been awarded; that is public on the site
too.
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, generics, serializers
from rest_framework.permissions import AllowAny

from challenges import selectors
from challenges.models import Challenge, ChallengeEvent
from portal.core.text import plain_excerpt
from registry import standard

Status = Challenge.Status
PUBLIC_STATUSES = [value for value in Status.values if value != Status.DRAFT]
SUMMARY_LENGTH = 300


def _absolute(context, path: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


# --- fields with an inline enum (no shared component: `status` is a name other apps use) -----


@extend_schema_field({"type": "string", "enum": PUBLIC_STATUSES})
class ChallengeStatusCodeField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "enum": [value for value, _label
                                                 in ChallengeEvent.Action.choices
                                                 if value in ChallengeEvent.PUBLIC_ACTIONS]})
class ChallengeEventActionField(serializers.CharField):
    pass


class ChallengeStatusSerializer(serializers.Serializer):
    code = ChallengeStatusCodeField(source="status")
    label = serializers.CharField(source="get_status_display")


class CriterionSerializer(serializers.Serializer):
    title = serializers.CharField()
    description = serializers.CharField()
    weight = serializers.IntegerField(help_text=_("Percent; the weights add up to 100."))


class DataSourceSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.URLField()


class ChallengeEventSerializer(serializers.Serializer):
    action = ChallengeEventActionField()
    label = serializers.CharField(source="get_action_display")
    from_status = serializers.CharField(help_text=_("Empty when the status did not change."))
    to_status = serializers.CharField()
    at = serializers.DateTimeField()
    reason = serializers.CharField(help_text=_("The published reason or motivation, if any."))


class QuestionSerializer(serializers.Serializer):
    """An answered question. Who asked is never published."""

    id = serializers.UUIDField(source="public_id")
    question = serializers.CharField(source="text")
    answer = serializers.CharField()
    asked_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField()


class ChangeSerializer(serializers.Serializer):
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class AmendmentSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    reason = serializers.CharField()
    changes = serializers.DictField(
        child=ChangeSerializer(),
        help_text=_("Per changed field its value before and after; \"criteria\" holds the "
                    "lists of criteria before and after."),
    )


class PilotLinkSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.CharField(help_text=_("The pilot's page in the pilot register."))
    api_url = serializers.CharField()


class ResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["awarded", "not_awarded"])
    decided_at = serializers.DateTimeField(allow_null=True)
    motivation = serializers.CharField()
    winner_organisation = serializers.CharField(allow_null=True)
    winner_summary = serializers.CharField(
        allow_null=True,
        help_text=_("The summary of the winning proposal: the only part of any proposal that "
                    "is published."),
    )
    pilot = PilotLinkSerializer(allow_null=True, help_text=_(
        "The pilot created for the winner, once it is published in the register."))


class ChallengeSerializer(serializers.Serializer):
    """A published challenge, as in the list."""

    id = serializers.UUIDField(source="public_id")
    slug = serializers.SlugField()
    url = serializers.SerializerMethodField(help_text=_("The challenge's page on the site."))
    api_url = serializers.SerializerMethodField()
    title = serializers.CharField()
    summary = serializers.SerializerMethodField(help_text=_("The start of the problem, as "
                                                            "plain text."))
    status = ChallengeStatusSerializer(source="*")
    theme = serializers.CharField(help_text=_("One of the themes of the registers, or empty."))
    department = serializers.CharField()
    budget = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True,
                                      help_text=_("In euros; null when none is given."))
    opens_at = serializers.DateTimeField(allow_null=True)
    questions_deadline = serializers.DateTimeField(allow_null=True)
    submission_deadline = serializers.DateTimeField(allow_null=True)
    jury_date = serializers.DateTimeField(allow_null=True)
    award_date = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, challenge) -> str:
        return _absolute(self.context, challenge.get_absolute_url())

    def get_api_url(self, challenge) -> str:
        return _absolute(self.context, reverse("api-challenge-detail",
                                               kwargs={"slug": challenge.slug}))

    def get_summary(self, challenge) -> str:
        return plain_excerpt(challenge.problem, SUMMARY_LENGTH)


class ChallengeDetailSerializer(ChallengeSerializer):
    """A published challenge with everything a bidder reads on its page."""

    problem = serializers.CharField(help_text=_("As written (simple formatting)."))
    for_whom = serializers.CharField()
    not_asked = serializers.CharField(help_text=_("What is not asked: no solution is "
                                                  "prescribed."))
    sdg_goals = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=17))
    contact_name = serializers.CharField()
    contact_email = serializers.EmailField()
    prize_description = serializers.CharField()
    winner_gets = serializers.CharField()
    eligible_kinds = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("The kinds of organisation that may take part (startup, mkb, "
                    "knowledge_institution, ngo); empty: all."),
    )
    required_attachments = serializers.ListField(child=serializers.CharField())
    data_sources = DataSourceSerializer(many=True)
    criteria = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField(help_text=_("What happened, oldest first."))
    questions = serializers.SerializerMethodField(help_text=_("Answered questions, without "
                                                              "who asked."))
    amendments = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField(help_text=_("Null until the challenge has been "
                                                           "decided."))

    @extend_schema_field(CriterionSerializer(many=True))
    def get_criteria(self, challenge):
        return CriterionSerializer(challenge.criteria.all(), many=True).data

    @extend_schema_field(ChallengeEventSerializer(many=True))
    def get_timeline(self, challenge):
        events = challenge.events.filter(action__in=ChallengeEvent.PUBLIC_ACTIONS).order_by(
            "at", "pk")
        rows = []
        for event in events:
            row = ChallengeEventSerializer(event).data
            if event.from_status == event.to_status:
                row["from_status"] = ""
            rows.append(row)
        return rows

    @extend_schema_field(QuestionSerializer(many=True))
    def get_questions(self, challenge):
        return QuestionSerializer(selectors.questions_public(challenge), many=True).data

    @extend_schema_field(AmendmentSerializer(many=True))
    def get_amendments(self, challenge):
        return AmendmentSerializer(challenge.amendments.order_by("number"), many=True).data

    @extend_schema_field(ResultSerializer(allow_null=True))
    def get_result(self, challenge):
        if challenge.status == Status.NOT_AWARDED:
            return {"outcome": "not_awarded", "decided_at": challenge.awarded_at,
                    "motivation": challenge.award_motivation, "winner_organisation": None,
                    "winner_summary": None, "pilot": None}
        if challenge.status != Status.AWARDED:
            return None
        winner = challenge.awarded_proposal
        return ResultSerializer({
            "outcome": "awarded", "decided_at": challenge.awarded_at,
            "motivation": challenge.award_motivation,
            "winner_organisation": winner.organisation.name if winner else None,
            "winner_summary": winner.summary if winner else None,
            "pilot": self._pilot(challenge.pilot),
        }).data

    def _pilot(self, pilot):
        if pilot is None or not pilot.is_public:
            return None
        return {"title": pilot.title,
                "url": _absolute(self.context, pilot.get_absolute_url()),
                "api_url": _absolute(self.context, reverse("api-pilot-detail",
                                                           kwargs={"slug": pilot.slug}))}


FILTER_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=PUBLIC_STATUSES,
                     description="Only challenges with this status."),
    OpenApiParameter("theme", OpenApiTypes.STR, enum=list(standard.THEME_VALUES),
                     description="Only challenges with this theme."),
]


def _filter_value(params, name: str, allowed) -> str:
    value = params.get(name, "")
    if value and value not in allowed:
        raise exceptions.ValidationError({name: [
            _("Unknown value “%(value)s”. Use one of: %(allowed)s.")
            % {"value": value, "allowed": ", ".join(allowed)}]})
    return value


@extend_schema_view(get=extend_schema(parameters=FILTER_PARAMETERS))
class ChallengeListView(generics.ListAPIView):
    """Published challenges: the open ones first (nearest deadline first), then the rest."""

    serializer_class = ChallengeSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        params = self.request.query_params
        challenges = selectors.challenges_public()
        status = _filter_value(params, "status", PUBLIC_STATUSES)
        theme = _filter_value(params, "theme", standard.THEME_VALUES)
        if status:
            challenges = challenges.filter(status=status)
        if theme:
            challenges = challenges.filter(theme=theme)
        return challenges


class ChallengeDetailView(generics.RetrieveAPIView):
    """One published challenge, by slug, with criteria, timeline, answered questions,
    amendments and (once decided) the result. A draft is a 404."""

    serializer_class = ChallengeDetailSerializer
    permission_classes = [AllowAny]
    lookup_field = "slug"

    def get_object(self):
        return get_object_or_404(
            Challenge.objects.public().select_related("pilot", "awarded_proposal__organisation")
            .prefetch_related("criteria"),
            slug=self.kwargs["slug"],
        )
