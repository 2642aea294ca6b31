from django import forms
from django.utils.translation import gettext_lazy as _

from registry import standard
from registry.models import AlgorithmVersion

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


class AlgorithmVersionForm(forms.ModelForm):
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

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # Labels are sentence case; the model's verbose names are lower case.
            field.label = str(field.label)[:1].upper() + str(field.label)[1:]

    def fieldsets(self):
        return [(title, [self[name] for name in names]) for title, names in FIELDSETS]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AlgorithmFilterForm(forms.Form):
    """The search and filters of the public list (GET). Unknown values are ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.ChoiceField(
        label=_("Theme"), required=False,
        choices=[("", _("All themes"))] + [(v, v) for v in standard.THEME_VALUES],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("All statuses"))] + [(v, v) for v in standard.STATUS_VALUES],
    )
    publication_category = forms.ChoiceField(
        label=_("Publication category"), required=False,
        choices=[("", _("All categories"))]
        + [(v, v) for v in standard.PUBLICATION_CATEGORY_VALUES],
    )

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

