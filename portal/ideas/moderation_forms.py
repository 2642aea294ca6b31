"""Forms of the moderators' and civil servants' pages. They only parse input: whether a reason
or a statement is required for a decision is checked by the services, whose errors land on
these fields (same names) through `apply_validation_error`."""

import re
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.forms import PortalForm
from portal.ideas.models import STATEMENT_MAX, Idea, IdeaLink, ReasonCode

# Decisions offered on the pages (values posted by the forms).
PUBLISH = "publish"
REQUEST_CHANGES = "request_changes"
REJECT = "reject"
DISMISS_REPORTS = "dismiss_reports"
UPHOLD = "uphold"
DISMISS = "dismiss"

DECISION_LABELS = {
    PUBLISH: _("Publish"),
    REQUEST_CHANGES: _("Request changes from the author"),
    REJECT: _("Reject"),
    DISMISS_REPORTS: _("Keep online (dismiss the reports)"),
    UPHOLD: _("Uphold the appeal: publish the idea"),
    DISMISS: _("Dismiss the appeal: the rejection stands"),
}
# A published idea or comment is hidden by rejecting it: say so.
HIDE_LABEL = _("Hide (reject)")

UUID_PATTERN = re.compile(
    r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE,
)

STATEMENT_HELP = _(
    "The author reads this. Explain the decision in plain words. Required when you reject, "
    "hide, request changes or dismiss an appeal."
)


def _reason_choices(*, with_duplicate: bool = True):
    choices = [("", _("Choose a reason"))]
    choices += [(value, label) for value, label in ReasonCode.choices
                if with_duplicate or value != ReasonCode.DUPLICATE]
    return choices


class DecisionForm(PortalForm):
    """A moderator's decision: one of `decisions` (value -> label), with a reason code and a
    statement of reasons when the decision needs them."""

    decision = forms.ChoiceField(
        label=_("Decision"), widget=forms.RadioSelect,
        error_messages={"required": _("Choose a decision."),
                        "invalid_choice": _("This decision is not possible now.")},
    )
    reason_code = forms.ChoiceField(
        label=_("Reason"), required=False,
        help_text=_("Required when you reject, hide or dismiss an appeal."),
        error_messages={"invalid_choice": _("Choose a reason from the list.")},
    )
    statement = forms.CharField(
        label=_("Statement of reasons"), required=False, max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}), help_text=STATEMENT_HELP,
    )

    def __init__(self, *args, decisions: dict, with_duplicate: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = list(decisions.items())
        self.fields["reason_code"].choices = _reason_choices(with_duplicate=with_duplicate)
        if not with_duplicate:
            self.fields.pop("duplicate_of", None)


class IdeaDecisionForm(DecisionForm):
    """Decisions on an idea, including "duplicate of" another (published) idea."""

    duplicate_of = forms.CharField(
        label=_("Duplicate of which idea?"), required=False, max_length=300,
        help_text=_("Only when the reason is \"duplicate\": paste the web address of the "
                    "published idea, or its code."),
    )

    field_order = ["decision", "reason_code", "duplicate_of", "statement"]

    def clean_duplicate_of(self) -> Idea | None:
        value = self.cleaned_data.get("duplicate_of", "").strip()
        if not value:
            return None
        match = UUID_PATTERN.search(value)
        if match is None:
            raise forms.ValidationError(
                _("We do not recognise an idea in this. Paste the web address of the idea, "
                  "for example …/ideeen/1b4e28ba-2fa1-11d2-883f-0016d3cca427/."),
                code="invalid",
            )
        idea = Idea.objects.public().filter(public_id=uuid.UUID(match.group(0))).first()
        if idea is None:
            raise forms.ValidationError(
                _("There is no published idea with this address."), code="not_found",
            )
        return idea


class StatusForm(PortalForm):
    """A civil servant's next status for a published idea, with the official answer."""

    status = forms.ChoiceField(
        label=_("New status"), widget=forms.RadioSelect,
        error_messages={"required": _("Choose the new status."),
                        "invalid_choice": _("This status is not possible from the current "
                                            "one.")},
    )
    answer = forms.CharField(
        label=_("Official answer"), max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Shown on the idea and sent to the author, the supporters and the "
                    "followers. Write in plain language: what did the municipality decide, "
                    "and why?"),
        error_messages={"required": _("Write the official answer.")},
    )

    def __init__(self, *args, statuses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = list(statuses)


class LinkForm(PortalForm):
    """"You said, we did": the published pilot, algorithm or challenge an idea led to."""

    target = forms.ChoiceField(
        label=_("What did the idea lead to?"),
        error_messages={"required": _("Choose a pilot, an algorithm or a challenge."),
                        "invalid_choice": _("Choose a published pilot, algorithm or challenge "
                                            "from the list.")},
    )
    note = forms.CharField(
        label=_("What happened (optional)"), required=False,
        max_length=IdeaLink._meta.get_field("note").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or two sentences shown with the link on the idea, for example "
                    "\"This idea became the pilot with the self-driving bus.\""),
    )

    def __init__(self, *args, pilots, algorithms, challenges=(), **kwargs):
        super().__init__(*args, **kwargs)
        groups = [("pilot", _("Pilots"), pilots), ("algorithm", _("Algorithms"), algorithms),
                  ("challenge", _("Challenges"), challenges)]
        self._targets = {}
        choices = [("", _("Choose"))]
        for kind, label, targets in groups:
            if not targets:
                continue
            keyed = {f"{kind}:{target.pk}": (kind, target) for target in targets}
            self._targets.update(keyed)
            choices.append((label, [(key, str(target)) for key, (_kind, target)
                                    in keyed.items()]))
        self.fields["target"].choices = choices

    def clean_target(self):
        return self._targets[self.cleaned_data["target"]]
