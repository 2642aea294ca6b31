"""Read-only API of the registers: /api/v1/algorithms/ and /api/v1/pilots/.

The records use exactly the key names of the national publication standard v1.0, so that a record
can be sent unchanged to the national Algoritmeregister. `source_id` is our public id of the
algorithm; the detail endpoint accepts it as well as the slug.
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from registry import selectors, standard
from registry.models import AlgorithmVersion, Evaluation, Kpi, KpiResult, Pilot


class ReferenceSerializer(serializers.Serializer):
    """One item of a *_grouping list: {title, link}; `link` is "" where the standard allows it."""

    title = serializers.CharField()
    link = serializers.CharField(allow_blank=True, default="")


class AlgorithmRecordSerializer(serializers.Serializer):
    """One algorithm record in the publication standard v1.0 (key names as the standard)."""

    name = serializers.CharField()
    description_short = serializers.CharField()
    organization = serializers.CharField()
    category = serializers.ListField(
        child=serializers.ChoiceField(choices=list(standard.THEME_VALUES))
    )
    status = serializers.ChoiceField(choices=list(standard.STATUS_VALUES))
    begin_date = serializers.CharField(help_text=_("YYYY-MM, or empty."))
    end_date = serializers.CharField(help_text=_("YYYY-MM, or empty."))
    contact_email = serializers.CharField()
    website = serializers.CharField()
    publication_category = serializers.ChoiceField(
        choices=list(standard.PUBLICATION_CATEGORY_VALUES)
    )
    url = serializers.CharField()
    goal = serializers.CharField()
    proportionality = serializers.CharField()
    human_intervention = serializers.CharField()
    risks = serializers.CharField()
    lawful_basis = serializers.CharField()
    lawful_basis_grouping = ReferenceSerializer(many=True)
    process_index_url = serializers.CharField()
    impacttoetsen_grouping = ReferenceSerializer(many=True)
    impacttoetsen = serializers.CharField()
    source_data = serializers.CharField()
    source_data_grouping = ReferenceSerializer(many=True)
    methods_and_models = serializers.CharField()
    provider = serializers.CharField()
    publiccode = serializers.CharField()
    lang = serializers.CharField()
    standard_version = serializers.CharField()
    source_id = serializers.CharField(help_text=_("Our public id of the algorithm."))
    tags = serializers.CharField()


FILTER_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=list(standard.STATUS_VALUES),
                     description="Status, e.g. \"In gebruik\"."),
    OpenApiParameter("category", OpenApiTypes.STR, enum=list(standard.THEME_VALUES),
                     description="Theme (one of the standard's themes)."),
    OpenApiParameter("publication_category", OpenApiTypes.STR,
                     enum=list(standard.PUBLICATION_CATEGORY_VALUES)),
    OpenApiParameter("q", OpenApiTypes.STR, description="Text in name or short description."),
]


@extend_schema_view(get=extend_schema(parameters=FILTER_PARAMETERS))
class AlgorithmListView(generics.ListAPIView):
    """Published algorithm records (withdrawn ones are left out), by name."""

    serializer_class = AlgorithmRecordSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        params = self.request.query_params
        return selectors.published_versions_for_api(
            q=params.get("q", ""),
            category=params.get("category", ""),
            status=params.get("status", ""),
            publication_category=params.get("publication_category", ""),
        )


class AlgorithmDetailView(generics.RetrieveAPIView):
    """The current published record of one algorithm, by slug or by `source_id`."""

    serializer_class = AlgorithmRecordSerializer
    permission_classes = [AllowAny]
    lookup_url_kwarg = "key"

    def get_object(self) -> AlgorithmVersion:
        algorithm = get_object_or_404(
            selectors.algorithm_by_public_key(self.kwargs["key"]).filter(
                current_version__state=AlgorithmVersion.State.PUBLISHED
            ).select_related("current_version")
        )
        version = algorithm.current_version
        version.algorithm = algorithm
        return version


# --- pilots: /api/v1/pilots/ -----------------------------------------------------------------


class KpiSerializer(serializers.ModelSerializer):
    class Meta:
        model = Kpi
        fields = [
            "name", "definition", "unit", "direction", "baseline_value", "baseline_date",
            "baseline_source", "target_value", "target_date", "result_value", "assessment",
        ]


class KpiResultSerializer(serializers.ModelSerializer):
    kpi = serializers.CharField(source="kpi.name", help_text=_("The KPI's name."))

    class Meta:
        model = KpiResult
        fields = ["kpi", "value", "assessment", "note"]


class EvaluationSerializer(serializers.ModelSerializer):
    kpi_results = KpiResultSerializer(many=True)

    class Meta:
        model = Evaluation
        fields = [
            "id", "kind", "evaluated_on", "evaluator", "method", "council_summary",
            "kpi_results", "side_effects", "participant_feedback", "cost_benefit",
            "lessons_learned", "recommendation", "decision", "decision_by", "decision_date",
            "decision_link", "follow_up", "published_at",
        ]


class PilotSerializer(serializers.ModelSerializer):
    """A published pilot with its KPIs and published evaluations. Personal data of people is
    never included: only the pilot's own fields."""

    id = serializers.UUIDField(source="public_id")
    algorithms = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True,
        help_text=_("Slugs of the published algorithms the pilot uses (/api/v1/algorithms/)."),
    )
    kpis = KpiSerializer(many=True)
    evaluations = EvaluationSerializer(many=True)
    version = serializers.IntegerField(
        read_only=True, allow_null=True,
        help_text=_("The number of the published version of the pilot's record (1, 2, …); "
                    "its history is on the pilot's page."),
    )

    class Meta:
        model = Pilot
        fields = [
            "id", "slug", "title", "summary", "theme", "status", "start_date",
            "planned_end_date", "neighbourhood", "latitude", "longitude", "department",
            "alderman", "problem", "goal", "hypothesis", "intervention", "evaluation_design",
            "partners", "budget", "data_collected", "personal_data", "legal_basis", "dpia_link",
            "retention", "next_review_date", "algorithms", "published_at", "version", "kpis",
            "evaluations",
        ]


PILOT_FILTER_PARAMETERS = [
    OpenApiParameter("theme", OpenApiTypes.STR, enum=list(standard.THEME_VALUES)),
    OpenApiParameter("status", OpenApiTypes.STR, enum=list(Pilot.Status.values)),
    OpenApiParameter("department", OpenApiTypes.STR),
    OpenApiParameter("q", OpenApiTypes.STR, description="Text in title, summary or "
                                                        "neighbourhood."),
]


@extend_schema_view(get=extend_schema(parameters=PILOT_FILTER_PARAMETERS))
class PilotListView(generics.ListAPIView):
    """Published pilots (withdrawn ones are left out), by title, with KPIs and evaluations."""

    serializer_class = PilotSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        params = self.request.query_params
        return selectors.published_pilots_for_api(
            **{key: params.get(key, "") for key in ("q", "theme", "status", "department")}
        )


class PilotDetailView(generics.RetrieveAPIView):
    """One published pilot, by slug."""

    serializer_class = PilotSerializer
    permission_classes = [AllowAny]
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.published_pilots_for_api()
