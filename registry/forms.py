from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from registry import standard
from registry.models import (
    KPI_DEFINITION_FIELDS,
    Algorithm,
    AlgorithmVersion,
    Evaluation,
    Kpi,
    KpiResult,
    Pilot,
)

# The form's sections follow the standard's tabs, plus the municipality's own fields.
FIELDSETS = [
    (_("General information"), [
        "name", "description_short", "organization", "category", "status", "begin_date",
        "end_date", "contact_email", "website", "publication_category", "url",
    ]),
    (_("Responsible use"), [
        "goal", "proportionality", "human_intervention", "risks", "lawful_basis",
        "lawful_basis_grouping", "process_index_url", "impacttoetsen_grouping", "impacttoetsen",
    ]),
    (_("How it works"), [
        "source_data", "source_data_grouping", "methods_and_models", "provider", "publiccode",
    ]),
    (_("Municipal additions"), [
        "department", "accountable_role", "objection_procedure", "monitoring",
        "next_review_date", "tags",
    ]),
]

LONG_TEXT_FIELDS = (
    "goal", "proportionality", "human_intervention", "risks", "lawful_basis", "impacttoetsen",
    "source_data", "methods_and_models", "objection_procedure", "monitoring",
)

FORM_FIELDS = [field for _title, fields in FIELDSETS for field in fields]

GROUPING_HELP = {
    "lawful_basis_grouping": _(
        "One law per line: title | link. For example: Wegenverkeerswet 1994 | "
        "https://wetten.overheid.nl/BWBR0006622"
    ),
    "impacttoetsen_grouping": _(
        "One assessment per line: title | link (the link is optional). For example: "
        "Data Protection Impact Assessment (DPIA) | https://example.org/dpia.pdf"
    ),
    "source_data_grouping": _(
        "One data source per line: title | link. For example: Basisregistratie Personen (BRP) "
        "| https://www.rvig.nl/brp"
    ),
}


class GroupingField(forms.CharField):
    """A [{title, link}] list, typed as one "title | link" per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *, key, **kwargs):
        self.key = key
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20000)
        kwargs.setdefault("help_text", GROUPING_HELP[key])
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(
                f"{item.get('title', '')} | {item['link']}" if item.get("link")
                else item.get("title", "")
                for item in value if isinstance(item, dict)
            )
        return value

    def to_python(self, value):
        text = super().to_python(value)
        items = []
        for line in text.splitlines():
            if not line.strip():
                continue
            title, _sep, link = line.partition("|")
            items.append({"title": title.strip(), "link": link.strip()})
        return items

    def validate(self, value):
        standard.GroupingValidator(self.key)(value)


class SentenceCaseLabelsMixin:
    """Labels above inputs, in sentence case (the models' verbose names are lower case)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.label = str(field.label)[:1].upper() + str(field.label)[1:]


class AlgorithmVersionForm(SentenceCaseLabelsMixin, forms.ModelForm):
    """The content of an algorithm record. Always bound to a fresh, unsaved version."""

    category = forms.MultipleChoiceField(
        label=_("themes"),
        required=False,
        choices=[(value, value) for value in standard.THEME_VALUES],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The policy areas the algorithm is used for."),
    )
    lawful_basis_grouping = GroupingField(key="lawful_basis_grouping",
                                          label=_("links to legal basis"))
    impacttoetsen_grouping = GroupingField(key="impacttoetsen_grouping",
                                           label=_("impact assessments"))
    source_data_grouping = GroupingField(key="source_data_grouping",
                                         label=_("links to data sources"))

    class Meta:
        model = AlgorithmVersion
        fields = FORM_FIELDS
        widgets = {
            "description_short": forms.Textarea(attrs={"rows": 3}),
            "next_review_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "begin_date": forms.TextInput(attrs={"placeholder": "2024-03", "inputmode": "numeric"}),
            "end_date": forms.TextInput(attrs={"placeholder": "2026-12", "inputmode": "numeric"}),
            "contact_email": forms.TextInput(attrs={"autocomplete": "off"}),
            "website": forms.URLInput(attrs={"placeholder": "https://"}),
            "url": forms.URLInput(attrs={"placeholder": "https://"}),
            "process_index_url": forms.URLInput(attrs={"placeholder": "https://"}),
            "publiccode": forms.URLInput(attrs={"placeholder": "https://"}),
            "tags": forms.Textarea(attrs={"rows": 2}),
            **{name: forms.Textarea(attrs={"rows": 5}) for name in LONG_TEXT_FIELDS},
        }

    def fieldsets(self):
        return [(title, [self[name] for name in names]) for title, names in FIELDSETS]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _theme_filter(**kwargs):
    return forms.ChoiceField(
        label=_("Theme"), required=False,
        choices=[("", _("All themes"))] + [(v, v) for v in standard.THEME_VALUES], **kwargs
    )


class RegisterFilterForm(forms.Form):
    """The search and filters of a register's public list (GET). Unknown values are ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def filters(self) -> dict:
        if not self.is_bound:
            return {}
        if not self.is_valid():
            # Keep what is valid, drop the rest: a bad filter value never breaks the page.
            return {
                name: self.cleaned_data.get(name, "")
                for name in self.fields
                if name not in self.errors
            }
        return dict(self.cleaned_data)


class AlgorithmFilterForm(RegisterFilterForm):
    category = _theme_filter()
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("All statuses"))] + [(v, v) for v in standard.STATUS_VALUES],
    )
    publication_category = forms.ChoiceField(
        label=_("Publication category"), required=False,
        choices=[("", _("All categories"))]
        + [(v, v) for v in standard.PUBLICATION_CATEGORY_VALUES],
    )



# --- the pilot register ----------------------------------------------------------------------

PILOT_FIELDSETS = [
    (_("The pilot"), [
        "title", "summary", "theme", "start_date", "planned_end_date", "neighbourhood",
        "latitude", "longitude", "department", "alderman",
    ]),
    (_("Why and how"), [
        "problem", "goal", "hypothesis", "intervention", "evaluation_design", "partners",
        "budget",
    ]),
    (_("Data and privacy"), [
        "data_collected", "personal_data", "legal_basis", "dpia_link", "retention",
    ]),
    (_("Review and links"), ["next_review_date", "algorithms"]),
]
PILOT_FORM_FIELDS = [field for _title, fields in PILOT_FIELDSETS for field in fields]
PILOT_LONG_TEXT = ("problem", "goal", "hypothesis", "intervention", "evaluation_design",
                   "partners", "data_collected")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AlgorithmChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.current_version.name if obj.current_version_id else obj.slug


class PilotForm(SentenceCaseLabelsMixin, forms.ModelForm):
    algorithms = AlgorithmChoiceField(
        label=_("algorithms used"), required=False, widget=forms.CheckboxSelectMultiple,
        queryset=Algorithm.objects.filter(current_version__isnull=False)
        .select_related("current_version").order_by("current_version__name"),
        help_text=_("Published algorithms from the algorithm register that the pilot uses."),
    )

    class Meta:
        model = Pilot
        fields = PILOT_FORM_FIELDS
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "start_date": DATE_INPUT,
            "planned_end_date": DATE_INPUT,
            "next_review_date": DATE_INPUT,
            "dpia_link": forms.URLInput(attrs={"placeholder": "https://"}),
            **{name: forms.Textarea(attrs={"rows": 4}) for name in PILOT_LONG_TEXT},
        }

    def fieldsets(self):
        return [(title, [self[name] for name in names]) for title, names in PILOT_FIELDSETS]


KPI_FORM_FIELDS = [
    "name", "definition", "unit", "direction", "baseline_value", "baseline_date",
    "baseline_source", "target_value", "target_date", "result_value", "assessment",
]


class KpiForm(SentenceCaseLabelsMixin, forms.ModelForm):
    class Meta:
        model = Kpi
        fields = KPI_FORM_FIELDS
        widgets = {
            "definition": forms.Textarea(attrs={"rows": 3}),
            "baseline_date": DATE_INPUT,
            "target_date": DATE_INPUT,
        }

    def fieldsets(self):
        return [(_("KPI"), [self[name] for name in self._meta.fields])]


class KpiDefinitionForm(KpiForm):
    """A KPI's definition in a version of a published pilot: no result (evaluations set it)."""

    class Meta(KpiForm.Meta):
        fields = list(KPI_DEFINITION_FIELDS)


EVALUATION_FIELDSETS = [
    (_("The evaluation"), ["kind", "evaluated_on", "evaluator", "method", "council_summary"]),
    (_("Findings"), ["side_effects", "participant_feedback", "cost_benefit", "lessons_learned",
                     "recommendation"]),
    (_("Decision"), ["decision", "decision_by", "decision_date", "decision_link", "follow_up"]),
]
EVALUATION_FORM_FIELDS = [field for _title, fields in EVALUATION_FIELDSETS for field in fields]


class EvaluationForm(SentenceCaseLabelsMixin, forms.ModelForm):
    """An evaluation with one result (value, assessment, note) per KPI of the pilot."""

    class Meta:
        model = Evaluation
        fields = EVALUATION_FORM_FIELDS
        widgets = {
            "evaluated_on": DATE_INPUT,
            "decision_date": DATE_INPUT,
            "decision_link": forms.URLInput(attrs={"placeholder": "https://"}),
            "council_summary": forms.Textarea(attrs={"rows": 8}),
            **{name: forms.Textarea(attrs={"rows": 4}) for name in (
                "method", "side_effects", "participant_feedback", "cost_benefit",
                "lessons_learned", "follow_up",
            )},
        }

    def __init__(self, *args, kpis=(), **kwargs):
        self.kpis = list(kpis)
        super().__init__(*args, **kwargs)
        result = KpiResult
        for kpi in self.kpis:
            prefix = f"kpi_{kpi.pk}_"
            self.fields[prefix + "value"] = result._meta.get_field("value").formfield(
                label=_("Measured value"), required=False
            )
            self.fields[prefix + "assessment"] = forms.ChoiceField(
                label=_("Assessment"), required=False,
                choices=[("", "–")] + list(Kpi.Assessment.choices),
            )
            self.fields[prefix + "note"] = forms.CharField(
                label=_("Note"), required=False, max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def fieldsets(self):
        return [(title, [self[name] for name in names])
                for title, names in EVALUATION_FIELDSETS]

    def kpi_fieldsets(self):
        return [
            (kpi, [self[f"kpi_{kpi.pk}_{name}"] for name in ("value", "assessment", "note")])
            for kpi in self.kpis
        ]

    def content(self) -> dict:
        return {field: self.cleaned_data[field] for field in EVALUATION_FORM_FIELDS}

    def kpi_results(self) -> dict:
        return {
            kpi.pk: {name: self.cleaned_data[f"kpi_{kpi.pk}_{name}"]
                     for name in ("value", "assessment", "note")}
            for kpi in self.kpis
        }


class PilotFilterForm(RegisterFilterForm):
    theme = _theme_filter()
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("All statuses"))]
        + [(value, capfirst(label)) for value, label in Pilot.Status.choices],
    )
    department = forms.ChoiceField(label=_("Department"), required=False, choices=())
    # Filters the Raadsinformatie dashboard links to (selectors.pilot_public_list).
    overdue = forms.ChoiceField(
        label=_("Review"), required=False,
        choices=[("", _("All pilots")), ("1", _("Review overdue"))],
    )
    kpi = forms.ChoiceField(
        label=_("KPI result"), required=False,
        choices=[("", _("All KPI results"))] + list(Kpi.Assessment.choices),
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("All departments"))] + [
            (d, d) for d in departments
        ]


class StatusChangeForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=Pilot.Status.choices)
    reason = forms.CharField(
        label=_("Explanation"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
