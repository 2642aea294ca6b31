"""Forms of the proposal pages (organisation side) and the jury pages.

Forms parse and check the input; the rules (deadlines, file content, who may do what) are
checked again by challenges/services.py, whose errors land on these forms via
`portal.core.forms.apply_validation_error`.
"""

import re
from decimal import Decimal
from pathlib import PurePath

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from challenges.models import OTHER_ATTACHMENT, Challenge, ConflictDeclaration, Proposal, Score
from portal.core.forms import PortalForm

ATTACHMENT_EXTENSIONS = (".pdf", ".odt", ".docx")
ATTACHMENT_ACCEPT = ",".join((
    ".pdf", ".odt", ".docx", "application/pdf", "application/vnd.oasis.opendocument.text",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
))
OTHER_LABEL = OTHER_ATTACHMENT
CONTENT_FIELDS = ("summary", "approach", "team", "planning", "budget", "success_measures")
BUDGET_MAX = Decimal("9999999999.99")
THOUSANDS_WITH_DOTS = re.compile(r"\d{1,3}(\.\d{3})+")
AWARD_MOTIVATION_MAX = Challenge._meta.get_field("award_motivation").max_length
MOTIVATION_MAX = Score._meta.get_field("motivation").max_length
SCORE_CHOICES = [("", _("Choose a score")),
                 *((str(n), str(n)) for n in range(Score.MIN, Score.MAX + 1))]


def _max_length(field: str) -> int:
    return Proposal._meta.get_field(field).max_length


def attachment_max_bytes() -> int:
    """Read at use time, so tests (and operators) can change the setting."""
    return getattr(settings, "CHALLENGES_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"


class EuroField(forms.DecimalField):
    """An amount in euros: "12.500,50", "12.500", "12500.50" and "€ 12 500" all work."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, min_value=Decimal("0"),
                         max_value=BUDGET_MAX, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = _normalised_amount(value)
        return super().to_python(value)


def _normalised_amount(text: str) -> str:
    text = re.sub(r"[\s\u00a0€]", "", text)
    if "," in text:
        # Dutch notation: dots group thousands, the comma is the decimal separator.
        return text.replace(".", "").replace(",", ".")
    if THOUSANDS_WITH_DOTS.fullmatch(text):
        # "45.000" is forty-five thousand to a Dutch reader, never forty-five.
        return text.replace(".", "")
    return text


class AttachmentField(forms.FileField):
    """A PDF, ODT or DOCX file within the size limit. The file's content is checked by the
    service (`attachment_add`); here only what can be told from the name and the size."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.FileInput(attrs={"accept": ATTACHMENT_ACCEPT}))
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if not value:
            return
        if PurePath(value.name).suffix.lower() not in ATTACHMENT_EXTENSIONS:
            raise forms.ValidationError(
                _("“%(name)s” is not a PDF, ODT or DOCX file. Save your document in one of "
                  "these formats and choose it again."),
                code="attachment_type", params={"name": value.name})
        limit = attachment_max_bytes()
        if value.size > limit:
            raise forms.ValidationError(
                _("“%(name)s” is larger than %(mb)s MB. Make the file smaller (for example "
                  "by compressing the images in it) and choose it again."),
                code="attachment_size", params={"name": value.name, "mb": megabytes(limit)})


class ProposalForm(PortalForm):
    """The proposal's text fields, new attachments (one per required label plus "other"), and
    the moment the page was loaded (to notice a co-editor's change in between).

    Every field is optional for a draft: submitting checks that nothing is missing.
    """

    summary = forms.CharField(
        label=_("Summary"), required=False, max_length=_max_length("summary"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Your proposal in a few sentences. If your proposal wins, this summary "
                    "becomes public; the rest stays confidential."))
    approach = forms.CharField(
        label=_("Approach"), required=False, max_length=_max_length("approach"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("How will you tackle the problem? What will you do, and why will it work?"))
    team = forms.CharField(
        label=_("Team"), required=False, max_length=_max_length("team"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Who works on this, and what experience do they bring?"))
    planning = forms.CharField(
        label=_("Planning"), required=False, max_length=_max_length("planning"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The steps and when you take them."))
    budget = EuroField(
        label=_("Budget in euros"), required=False,
        help_text=_("The total cost of your proposal in euros, for example 45.000 or 45000,50."),
        error_messages={"invalid": _("Write the budget as an amount in euros, for example "
                                     "45.000 or 45000,50."),
                        "min_value": _("The budget cannot be negative."),
                        "max_value": _("That budget is too large to be real. Check the "
                                       "amount.")})
    success_measures = forms.CharField(
        label=_("How success is measured"), required=False,
        max_length=_max_length("success_measures"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("How will you and the municipality know that the pilot worked?"))
    loaded_at = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, attachment_labels=(), present=None, other_slot=True, **kwargs):
        """`attachment_labels`: the challenge's required attachments; `present`: label ->
        the file name already added for it (a new file replaces it); `other_slot`: whether
        one more "other" attachment fits."""
        super().__init__(*args, **kwargs)
        present = present or {}
        limit = _("PDF, ODT or DOCX, at most %(mb)s MB.") % {
            "mb": megabytes(attachment_max_bytes())}
        labels = [*attachment_labels, *([OTHER_LABEL] if other_slot else [])]
        self.attachment_labels = []
        for number, label in enumerate(labels, start=1):
            name = f"attachment_{number}"
            help_text = limit
            if label in present:
                help_text = _("%(limit)s A new file replaces “%(name)s”.") % {
                    "limit": limit, "name": present[label]}
            shown = _("Other attachment (optional)") if label == OTHER_LABEL else label
            self.fields[name] = AttachmentField(label=shown, help_text=help_text)
            self.attachment_labels.append((name, label))

    def text_fields(self):
        return [self[name] for name in CONTENT_FIELDS]

    def attachment_fields(self):
        return [self[name] for name, _label in self.attachment_labels]

    def proposal_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in CONTENT_FIELDS}

    def uploads(self) -> list[tuple[str, str, object]]:
        """[(field name, attachment label, uploaded file)] of the files chosen."""
        return [(name, label, self.cleaned_data[name])
                for name, label in self.attachment_labels if self.cleaned_data.get(name)]

    @staticmethod
    def initial_for(proposal) -> dict:
        initial = {name: getattr(proposal, name) for name in CONTENT_FIELDS}
        initial["loaded_at"] = proposal.updated_at.isoformat() if proposal.updated_at else ""
        return initial


class ConflictDeclarationForm(PortalForm):
    has_conflict = forms.TypedChoiceField(
        label=_("Do you have a conflict of interest with this organisation?"),
        choices=[("no", _("No, I have no conflict of interest")),
                 ("yes", _("Yes, I have a conflict of interest"))],
        coerce=lambda value: value == "yes", widget=forms.RadioSelect,
        help_text=_("For example: you work for it, advise it, own part of it, or a family "
                    "member or close friend works there. If you declare a conflict, you do not "
                    "see this proposal and do not score it."),
        error_messages={"required": _("Choose whether you have a conflict of interest.")},
    )
    explanation = forms.CharField(
        label=_("Explanation (optional)"), required=False,
        max_length=ConflictDeclaration._meta.get_field("explanation").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only the civil servants of the challenge and the jury chair read this."),
    )


class ScoreForm(PortalForm):
    """A score (0 to 10) and a written motivation per criterion of the challenge."""

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"score_{criterion.pk}"] = forms.TypedChoiceField(
                label=_("Score for “%(title)s”") % {"title": criterion.title},
                choices=SCORE_CHOICES, coerce=int,
                help_text=_("0 is very poor, 10 is excellent."),
                error_messages={"required": _("Choose a score from 0 to 10."),
                                "invalid_choice": _("Choose a score from 0 to 10.")},
            )
            self.fields[f"motivation_{criterion.pk}"] = forms.CharField(
                label=_("Motivation for “%(title)s”") % {"title": criterion.title},
                max_length=MOTIVATION_MAX, widget=forms.Textarea(attrs={"rows": 4}),
                help_text=_("Why this score? The organisation reads the jury's motivations "
                            "in its outcome letter."),
                error_messages={"required": _("Write why you give this score.")},
            )

    def criterion_rows(self):
        """[(criterion, score field, motivation field)] for the template."""
        return [(criterion, self[f"score_{criterion.pk}"], self[f"motivation_{criterion.pk}"])
                for criterion in self.criteria]

    def scores(self):
        """[(criterion, score, motivation)] once valid."""
        return [(criterion, self.cleaned_data[f"score_{criterion.pk}"],
                 self.cleaned_data[f"motivation_{criterion.pk}"].strip())
                for criterion in self.criteria]

    def clean(self):
        cleaned = super().clean()
        for criterion in self.criteria:
            name = f"motivation_{criterion.pk}"
            if name in cleaned and not cleaned[name].strip():
                self.add_error(name, _("Write why you give this score."))
        return cleaned

    @staticmethod
    def initial_for(scores) -> dict:
        initial = {}
        for score in scores:
            initial[f"score_{score.criterion_id}"] = str(score.score)
            initial[f"motivation_{score.criterion_id}"] = score.motivation
        return initial


class AwardForm(PortalForm):
    proposal = forms.ChoiceField(
        label=_("Winning proposal"), widget=forms.RadioSelect,
        error_messages={"required": _("Choose the winning proposal."),
                        "invalid_choice": _("Choose one of the proposals in the list.")},
    )
    motivation = forms.CharField(
        label=_("Motivation of the award"), max_length=AWARD_MOTIVATION_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Public: shown with the result on the challenge page and in every "
                    "outcome letter."),
        error_messages={"required": _("Explain why this proposal wins.")},
    )

    def __init__(self, *args, proposals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.proposals = {str(proposal.public_id): proposal for proposal in proposals}
        self.fields["proposal"].choices = [
            (key, proposal.organisation.name) for key, proposal in self.proposals.items()]

    def chosen_proposal(self):
        return self.proposals[self.cleaned_data["proposal"]]


class NotAwardForm(PortalForm):
    motivation = forms.CharField(
        label=_("Why is the challenge not awarded?"), max_length=AWARD_MOTIVATION_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Public, and part of every outcome letter."),
        error_messages={"required": _("Explain why no proposal wins.")},
    )
