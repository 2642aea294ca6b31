"""Forms of the challenge pages: the list's filters, a bidder's question, and the civil
servant's forms (the challenge with its criteria, an amendment, answers, the jury, closing).

Forms parse and check the input; the rules of a challenge (dates in order, weights adding up to
100 to publish, what may change when) are the services', whose errors land on these forms via
`portal.core.forms.apply_validation_error`.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from challenges.models import ATTACHMENT_LABEL_MAX, Challenge, Question
from portal.accounts import roles
from portal.accounts.models import Organisation, User
from portal.core.forms import PortalForm

DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_FORMATS = [DATETIME_INPUT_FORMAT, "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M", "%Y-%m-%d"]
WEIGHT_TOTAL = 100


def _max(name: str) -> int:
    """The model's maximum length of a challenge field, so the form says it first."""
    return Challenge._meta.get_field(name).max_length

# The 17 Sustainable Development Goals of the United Nations, by number.
SDG_GOALS = [
    (1, _("No poverty")),
    (2, _("Zero hunger")),
    (3, _("Good health and well-being")),
    (4, _("Quality education")),
    (5, _("Gender equality")),
    (6, _("Clean water and sanitation")),
    (7, _("Affordable and clean energy")),
    (8, _("Decent work and economic growth")),
    (9, _("Industry, innovation and infrastructure")),
    (10, _("Reduced inequalities")),
    (11, _("Sustainable cities and communities")),
    (12, _("Responsible consumption and production")),
    (13, _("Climate action")),
    (14, _("Life below water")),
    (15, _("Life on land")),
    (16, _("Peace, justice and strong institutions")),
    (17, _("Partnerships for the goals")),
]
SDG_LABELS = dict(SDG_GOALS)


def sdg_label(number: int) -> str:
    return _("Goal %(number)s: %(name)s") % {
        "number": number, "name": SDG_LABELS.get(number, "")}


# --- the list -------------------------------------------------------------------------------------


class ChallengeFilterForm(PortalForm):
    """The list's filters (GET). An unknown value is ignored rather than breaking the page."""

    theme = forms.ChoiceField(label=_("Theme"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, status_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = [("", _("All themes")), *_theme_choices()]
        self.fields["status"].choices = [("", _("All statuses")), *status_choices]

    def filters(self) -> dict:
        if not self.is_bound:
            return {"theme": "", "status": ""}
        self.is_valid()
        return {name: self.cleaned_data.get(name, "") if name not in self.errors else ""
                for name in ("theme", "status")}


def _theme_choices():
    return list(Challenge._meta.get_field("theme").choices or [])


# --- list fields typed as lines -------------------------------------------------------------------


class LinesField(forms.CharField):
    """A list of short texts, typed one per line (e.g. the required attachments)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *, item_max_length=200, **kwargs):
        self.item_max_length = item_max_length
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def validate(self, value):
        super().validate(value)
        for line in value:
            if len(line) > self.item_max_length:
                raise ValidationError(
                    _("“%(line)s…” is too long: at most %(max)s characters per line."),
                    params={"line": line[:30], "max": self.item_max_length},
                    code="line_too_long",
                )


class DataSourcesField(forms.CharField):
    """[{"title", "url"}], typed as one "title | https://…" per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(f"{item.get('title', '')} | {item.get('url', '')}"
                             for item in value if isinstance(item, dict))
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        items = []
        for line in text.splitlines():
            if not line.strip():
                continue
            title, _separator, url = line.partition("|")
            items.append({"title": title.strip(), "url": url.strip()})
        return items

    def validate(self, value):
        super().validate(value)
        check_url = URLValidator(schemes=["http", "https"])
        for number, item in enumerate(value, start=1):
            if not item["title"] or not item["url"]:
                raise ValidationError(
                    _("Line %(number)s: write a title, a “|” and a web address."),
                    params={"number": number}, code="data_source_incomplete",
                )
            try:
                check_url(item["url"])
            except ValidationError:
                raise ValidationError(
                    _("Line %(number)s: “%(url)s” is not a web address starting with "
                      "https:// or http://."),
                    params={"number": number, "url": item["url"]}, code="data_source_url",
                ) from None


class LocalDateTimeField(forms.DateTimeField):
    """A date and time as typed in the Netherlands (Europe/Amsterdam, the site's time zone)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATETIME_FORMATS)
        kwargs.setdefault("widget", forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format=DATETIME_INPUT_FORMAT))
        super().__init__(**kwargs)


# --- the challenge (civil servants) ---------------------------------------------------------------

CONTENT_FIELDS = (
    "title", "problem", "for_whom", "not_asked", "theme", "sdg_goals", "department",
    "contact_name", "contact_email", "budget", "prize_description", "winner_gets",
    "eligible_kinds", "opens_at", "questions_deadline", "submission_deadline", "jury_date",
    "award_date", "required_attachments", "data_sources",
)

FIELDSETS = [
    (_("The problem"), ["title", "problem", "for_whom", "not_asked", "theme", "sdg_goals"]),
    (_("Who asks"), ["department", "contact_name", "contact_email"]),
    (_("What the winner gets"), ["budget", "prize_description", "winner_gets"]),
    (_("Who may take part, and what to send in"), [
        "eligible_kinds", "required_attachments", "data_sources"]),
    (_("Timeline"), ["opens_at", "questions_deadline", "submission_deadline", "jury_date",
                     "award_date"]),
]
TIMELINE_FIELDS = ("opens_at", "questions_deadline", "submission_deadline", "jury_date",
                   "award_date")


class ChallengeForm(PortalForm):
    """The content of a challenge. Everything may stay empty in a draft except the title;
    publishing checks that everything is there (the service says what is missing)."""

    title = forms.CharField(
        label=_("Title"), max_length=_max("title"),
        help_text=_("The problem in a few words, for example “Cooler streets in hot "
                    "summers”."),
        error_messages={"required": _("Give the challenge a title.")},
    )
    problem = forms.CharField(
        label=_("The societal problem"), max_length=_max("problem"), required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What goes wrong, where and how often. Plain text: an empty line starts a "
                    "new paragraph; **bold**, *italic* and lists with “- ” work."),
    )
    for_whom = forms.CharField(
        label=_("For whom"), max_length=_max("for_whom"), required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Who suffers from the problem, and who will use the solution?"),
    )
    not_asked = forms.CharField(
        label=_("What we do not ask"), max_length=_max("not_asked"), required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Ask for the need, not the solution: say which solutions you do not "
                    "prescribe, so bidders feel free to propose their own."),
    )
    theme = forms.ChoiceField(
        label=_("Theme"), required=False,
        error_messages={"invalid_choice": _("Choose one of the themes in the list.")},
    )
    sdg_goals = forms.TypedMultipleChoiceField(
        label=_("Sustainable Development Goals (optional)"), required=False, coerce=int,
        # Lazy: an f-string would fix the language at import time.
        choices=[(number, format_lazy("{}. {}", number, name)) for number, name in SDG_GOALS],
        widget=forms.CheckboxSelectMultiple,
    )
    department = forms.CharField(label=_("Department"), max_length=_max("department"),
                                 required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=_max("contact_name"),
                                   required=False)
    contact_email = forms.EmailField(
        label=_("E-mail address of the contact person"), required=False,
        error_messages={"invalid": _("Enter an e-mail address such as naam@gemeente.nl.")},
    )
    budget = forms.DecimalField(
        label=_("Budget in euros (optional)"), required=False, min_value=0, max_digits=12,
        decimal_places=2, widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("For example 25000. Leave empty when the winner gets a prize or "
                    "contract instead."),
    )
    prize_description = forms.CharField(
        label=_("Budget or prize"), max_length=_max("prize_description"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the budget pays for, or what the prize is."),
    )
    winner_gets = forms.CharField(
        label=_("What the winner gets"), max_length=_max("winner_gets"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example a paid pilot of six months, then a contract as launching "
                    "customer."),
    )
    eligible_kinds = forms.MultipleChoiceField(
        label=_("Who may send in a proposal"), required=False,
        choices=Organisation.Kind.choices, widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick nothing to let every kind of organisation take part."),
    )
    required_attachments = LinesField(
        label=_("Required attachments"), item_max_length=ATTACHMENT_LABEL_MAX,
        help_text=_("One per line, for example “Plan of approach (PDF)”. Bidders upload PDF, "
                    "ODT or DOCX files."),
    )
    data_sources = DataSourcesField(
        label=_("Data and sensor projects bidders may use"), max_length=20000,
        help_text=_("One per line: title | web address. For example: Heat map Stadhagen | "
                    "https://data.example.nl/hittekaart"),
    )
    opens_at = LocalDateTimeField(label=_("Opens on"), required=False)
    questions_deadline = LocalDateTimeField(label=_("Deadline for questions"), required=False)
    submission_deadline = LocalDateTimeField(
        label=_("Deadline for proposals"), required=False,
        help_text=_("Proposals are refused from this second on (Dutch time)."),
    )
    jury_date = LocalDateTimeField(label=_("Jury meets on"), required=False)
    award_date = LocalDateTimeField(label=_("Award on"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = [("", _("Choose a theme")), *_theme_choices()]

    def fieldsets(self):
        return [(title, [self[name] for name in names if name in self.fields])
                for title, names in FIELDSETS]

    def clean(self):
        cleaned = super().clean()
        dates = [(name, cleaned.get(name)) for name in TIMELINE_FIELDS]
        filled = [(name, value) for name, value in dates if value is not None]
        for (earlier_name, earlier), (later_name, later) in zip(filled, filled[1:],
                                                                   strict=False):
            if later < earlier and later_name not in self.errors:
                self.add_error(later_name, _("This date must not be before “%(earlier)s”.")
                               % {"earlier": self.fields[earlier_name].label})
        return cleaned

    def challenge_fields(self) -> dict:
        """The challenge's fields, as the services take them."""
        data = {name: self.cleaned_data.get(name) for name in CONTENT_FIELDS
                if name in self.fields}
        for name in ("problem", "for_whom", "not_asked", "theme", "department", "contact_name",
                     "contact_email", "prize_description", "winner_gets"):
            if name in data and data[name] is None:
                data[name] = ""
        return data

    @staticmethod
    def initial_for(challenge) -> dict:
        return {name: getattr(challenge, name) for name in CONTENT_FIELDS}


class CriterionForm(PortalForm):
    title = forms.CharField(label=_("Criterion"), max_length=200, required=False)
    description = forms.CharField(
        label=_("What the jury looks at"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    weight = forms.IntegerField(
        label=_("Weight (%)"), required=False, min_value=1, max_value=100,
        widget=forms.NumberInput(attrs={"data-criterion-weight": "", "inputmode": "numeric"}),
        error_messages={"min_value": _("A weight is at least 1%%."),
                        "max_value": _("A weight is at most 100%%."),
                        "invalid": _("Write the weight as a whole number, such as 25.")},
    )

    def clean(self):
        cleaned = super().clean()
        title, weight = cleaned.get("title"), cleaned.get("weight")
        has_description = bool(cleaned.get("description"))
        if (weight is not None or has_description) and not title and "title" not in self.errors:
            self.add_error("title", _("Give this criterion a name, or empty the row."))
        if title and weight is None and "weight" not in self.errors:
            self.add_error("weight", _("Give this criterion a weight."))
        return cleaned

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("title") or data.get("description") or data.get("weight"))


class BaseCriterionFormSet(forms.BaseFormSet):
    """The criteria with their weights, which must add up to exactly 100% once there are
    any. Empty rows are ignored."""

    def clean(self):
        if any(self.errors):
            return
        total = sum(form.cleaned_data["weight"] for form in self.filled_forms())
        if self.filled_forms() and total != WEIGHT_TOTAL:
            raise ValidationError(
                _("The weights add up to %(total)s%%. They must add up to exactly 100%%."),
                params={"total": total}, code="weights_total",
            )

    def filled_forms(self) -> list:
        return [form for form in self.forms
                if getattr(form, "cleaned_data", None) and not form.is_blank]

    def criteria(self) -> list[dict]:
        return [{"title": form.cleaned_data["title"],
                 "description": form.cleaned_data.get("description") or "",
                 "weight": form.cleaned_data["weight"]}
                for form in self.filled_forms()]

    def weight_total(self) -> int:
        """The sum of the weights as typed (for the live total shown under the table)."""
        total = 0
        for form in self.forms:
            value = form["weight"].value()
            try:
                total += int(value)
            except (TypeError, ValueError):
                continue
        return total


CRITERIA_EXTRA_ROWS = 3
CRITERIA_MAX = 12


def criterion_formset(*, data=None, initial=None):
    """The criteria formset: the existing criteria plus a few empty rows."""
    initial = list(initial or [])
    extra = max(0, min(CRITERIA_EXTRA_ROWS, CRITERIA_MAX - len(initial)))
    formset_class = forms.formset_factory(
        CriterionForm, formset=BaseCriterionFormSet, extra=extra, max_num=CRITERIA_MAX,
        validate_max=True,
    )
    # A bound formset gets no initial: Django skips cleaning extra rows equal to their initial
    # value, and the rows are the whole list of criteria, as submitted.
    return formset_class(data=data, initial=None if data is not None else initial,
                         prefix="criteria")


def criteria_initial(challenge) -> list[dict]:
    return [{"title": criterion.title, "description": criterion.description,
             "weight": criterion.weight}
            for criterion in challenge.criteria.all().order_by("position", "pk")]


class AmendmentForm(ChallengeForm):
    """A published challenge changes only through a dated, public amendment with a reason."""

    reason = forms.CharField(
        label=_("Reason for the amendment"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the challenge page with the date and what changed, so every "
                    "bidder knows."),
        error_messages={"required": _("Explain why the challenge changes.")},
    )


# --- questions ------------------------------------------------------------------------------------


class QuestionForm(PortalForm):
    text = forms.CharField(
        label=_("Your question"), max_length=Question.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The answer is published on the challenge page for every bidder, without "
                    "your name or your organisation's name."),
        error_messages={"required": _("Write your question first.")},
    )


class AnswerForm(PortalForm):
    answer = forms.CharField(
        label=_("Answer"), max_length=Question._meta.get_field("answer").max_length,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Published on the challenge page; followers get an e-mail. Do not name "
                    "the asker."),
        error_messages={"required": _("Write the answer first.")},
    )


class DeclineForm(PortalForm):
    reason = forms.CharField(
        label=_("Why this question is not answered"),
        max_length=Question._meta.get_field("decline_reason").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The asker reads this reason, for example: already answered above."),
        error_messages={"required": _("Give the reason.")},
    )


# --- jury and closing -----------------------------------------------------------------------------


class JuryAppointForm(PortalForm):
    user = forms.ModelChoiceField(
        label=_("Jury member"), queryset=User.objects.none(),
        empty_label=_("Choose a person"),
        help_text=_("People with the jury member role who are not on this jury yet."),
        error_messages={"required": _("Choose who joins the jury."),
                        "invalid_choice": _("Choose a person from the list.")},
    )
    is_chair = forms.BooleanField(
        label=_("Chair of the jury"), required=False,
        help_text=_("The chair finalises the ranking and awards. One chair per challenge."),
    )

    def __init__(self, *args, challenge, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            User.objects.filter(groups__name=roles.JURY_MEMBER, is_active=True)
            .exclude(pk__in=challenge.jury.values("user_id"))
            .order_by("display_name", "email")
        )
        self.fields["user"].label_from_instance = _person_label


def _person_label(user) -> str:
    name = getattr(user, "display_name", "") or ""
    return f"{name} ({user.email})" if name and user.email else (name or user.email or str(user))


class NotAwardForm(PortalForm):
    motivation = forms.CharField(
        label=_("Why no proposal is awarded"), max_length=_max("award_motivation"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Every bidder gets a letter with this motivation; it is also shown on the "
                    "challenge page."),
        error_messages={"required": _("Give the motivation.")},
    )
