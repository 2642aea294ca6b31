"""Challenges to the knowledge community: a stated problem, public Q&A, confidential proposals,
a jury with conflict declarations and scores, and the award that creates a pilot (issue 7).

State changes happen only in challenges/services.py, which writes a `ChallengeEvent` per
transition. A published challenge's content changes only through a dated, public `Amendment`
(`challenge_amend`): `save()` and `QuerySet.update()` refuse other changes of its content
fields, and the criteria of a published challenge are guarded the same way.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    URLValidator,
)
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.accounts.models import Organisation
from portal.consent.models import private_storage
from registry import standard
from registry.models import TransitionEvent, UnicodeJSONEncoder

# --- validators of the JSON fields ------------------------------------------------------------

SDG_GOALS = range(1, 18)
MAX_REQUIRED_ATTACHMENTS = 10
ATTACHMENT_LABEL_MAX = 120
DATA_SOURCE_TITLE_MAX = 200


def validate_sdg_goals(value):
    if not isinstance(value, list) or not all(
        isinstance(goal, int) and not isinstance(goal, bool) for goal in value
    ):
        raise ValidationError(_("Give the SDG goals as a list of numbers."), code="invalid_sdg")
    wrong = [goal for goal in value if goal not in SDG_GOALS]
    if wrong:
        raise ValidationError(
            _("SDG goals are numbered 1 to 17; %(value)s is not one."),
            params={"value": ", ".join(str(goal) for goal in wrong)}, code="invalid_sdg",
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("Choose each SDG goal only once."), code="duplicate_sdg")


def validate_eligible_kinds(value):
    if not isinstance(value, list) or not all(isinstance(kind, str) for kind in value):
        raise ValidationError(_("Give the organisation types as a list."), code="invalid_kind")
    unknown = [kind for kind in value if kind not in Organisation.Kind.values]
    if unknown:
        raise ValidationError(
            _("Unknown organisation type: %(value)s."), params={"value": ", ".join(unknown)},
            code="invalid_kind",
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("Choose each organisation type only once."),
                              code="duplicate_kind")


def validate_required_attachments(value):
    if not isinstance(value, list) or not all(isinstance(label, str) for label in value):
        raise ValidationError(_("Give the required attachments as a list of labels."),
                              code="invalid_attachments")
    labels = [label.strip() for label in value]
    if any(not label for label in labels):
        raise ValidationError(_("An attachment label cannot be empty."), code="empty_label")
    if any(len(label) > ATTACHMENT_LABEL_MAX for label in labels):
        raise ValidationError(
            _("An attachment label has at most %(max)d characters."),
            params={"max": ATTACHMENT_LABEL_MAX}, code="label_too_long",
        )
    if len(labels) > MAX_REQUIRED_ATTACHMENTS:
        raise ValidationError(
            _("Ask for at most %(max)d attachments."), params={"max": MAX_REQUIRED_ATTACHMENTS},
            code="too_many_attachments",
        )
    if len({label.casefold() for label in labels}) != len(labels):
        raise ValidationError(_("Name each required attachment only once."),
                              code="duplicate_label")
    if any(label.casefold() == OTHER_ATTACHMENT for label in labels):
        raise ValidationError(_("\"other\" is reserved for extra attachments."),
                              code="reserved_label")


_http_url = URLValidator(schemes=["http", "https"])


def validate_data_sources(value):
    """[{"title": "...", "url": "https://..."}]: data sets or sensor projects bidders may use."""
    if not isinstance(value, list):
        raise ValidationError(_("Give the data sources as a list."), code="invalid_sources")
    for source in value:
        if not isinstance(source, dict) or set(source) != {"title", "url"}:
            raise ValidationError(_("Every data source needs a title and a link."),
                                  code="invalid_source")
        title, url = source["title"], source["url"]
        if not isinstance(title, str) or not title.strip():
            raise ValidationError(_("Every data source needs a title."), code="invalid_source")
        if len(title) > DATA_SOURCE_TITLE_MAX:
            raise ValidationError(
                _("A data source's title has at most %(max)d characters."),
                params={"max": DATA_SOURCE_TITLE_MAX}, code="invalid_source",
            )
        try:
            _http_url(url if isinstance(url, str) else "")
        except ValidationError:
            raise ValidationError(
                _("%(url)s is not a valid web address (http:// or https://)."),
                params={"url": url}, code="invalid_url",
            ) from None


def _text(verbose_name, max_length=5000, help_text="", blank=True):
    return models.TextField(
        verbose_name, max_length=max_length, blank=blank, help_text=help_text,
        validators=[MaxLengthValidator(max_length)],
    )


def _euros(verbose_name, help_text=""):
    return models.DecimalField(
        verbose_name, max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))], help_text=help_text,
    )


# The label of an attachment that is not one of the challenge's required ones.
OTHER_ATTACHMENT = "other"


# --- the challenge -----------------------------------------------------------------------------


class ContentFrozen(Exception):
    """Raised when code changes the content of a published challenge outside an amendment."""


class ChallengeQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if set(kwargs) & set(Challenge.CONTENT_FIELDS) and self.exclude(
            status=Challenge.Status.DRAFT
        ).exists():
            raise ContentFrozen("A published challenge changes only through an amendment.")
        return super().update(**kwargs)

    def public(self):
        return self.exclude(status=Challenge.Status.DRAFT)


class Challenge(models.Model):
    """A societal problem the municipality puts to startups, SMEs and knowledge institutions.

    "Ask for the need, not the solution": `problem`, `for_whom` and `not_asked` say what is
    needed and what is explicitly not prescribed.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", pgettext_lazy("challenge status", "Open")
        CLOSED = "closed", pgettext_lazy("challenge status", "Closed")
        IN_ASSESSMENT = "in_assessment", _("In assessment")
        AWARDED = "awarded", _("Awarded")
        NOT_AWARDED = "not_awarded", _("Not awarded")

    # The timeline in the order it must have (publish checks it).
    TIMELINE_FIELDS = (
        "opens_at", "questions_deadline", "submission_deadline", "jury_date", "award_date",
    )

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    title = models.CharField(_("title"), max_length=200)
    problem = _text(
        _("the problem"),
        help_text=_("The societal problem, in plain language (B1). Ask for the need, not the "
                    "solution."),
    )
    for_whom = _text(_("for whom"), 2000, _("Who has the problem; whom should a solution help?"))
    not_asked = _text(
        _("what is not asked"), 2000,
        _("What you do not ask for: no solution is prescribed, and what is out of scope."),
    )
    theme = models.CharField(
        _("theme"), max_length=64, blank=True,
        choices=[(value, value) for value in standard.THEME_VALUES],
    )
    sdg_goals = models.JSONField(
        _("SDG goals"), default=list, blank=True, validators=[validate_sdg_goals],
        help_text=_("The UN Sustainable Development Goals (1–17) the challenge contributes to."),
    )
    department = models.CharField(_("department"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail address"), blank=True)
    budget = _euros(_("budget (euros)"), _("The budget available for the pilot, if any."))
    prize_description = _text(_("budget or prize"), 2000)
    winner_gets = _text(
        _("what the winner gets"), 2000,
        _("For example: a paid pilot, a launching-customer contract."),
    )
    eligible_kinds = models.JSONField(
        _("who may take part"), default=list, blank=True, validators=[validate_eligible_kinds],
        encoder=UnicodeJSONEncoder,
        help_text=_("The types of organisation that may submit a proposal. Empty: all."),
    )
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    questions_deadline = models.DateTimeField(_("deadline for questions"), null=True, blank=True)
    submission_deadline = models.DateTimeField(_("deadline for proposals"), null=True,
                                               blank=True)
    jury_date = models.DateTimeField(_("jury assessment"), null=True, blank=True)
    award_date = models.DateTimeField(_("award"), null=True, blank=True)
    required_attachments = models.JSONField(
        _("required attachments"), default=list, blank=True,
        validators=[validate_required_attachments], encoder=UnicodeJSONEncoder,
        help_text=_("Short labels, for example \"Plan van aanpak (PDF)\"."),
    )
    data_sources = models.JSONField(
        _("data and sensor projects"), default=list, blank=True,
        validators=[validate_data_sources], encoder=UnicodeJSONEncoder,
        help_text=_("Data sets or sensor projects bidders may use: a title and a link each."),
    )

    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    ranking_finalised_at = models.DateTimeField(_("ranking finalised at"), null=True, blank=True)
    ranking_finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ranking finalised by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    awarded_proposal = models.ForeignKey(
        "Proposal", verbose_name=_("winning proposal"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    award_motivation = _text(_("motivation of the decision"))
    awarded_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    pilot = models.ForeignKey(
        "registry.Pilot", verbose_name=_("pilot"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="challenges",
    )

    objects = ChallengeQuerySet.as_manager()

    # What the public reads and bidders rely on: frozen once published, except by amendment.
    CONTENT_FIELDS = (
        "title", "problem", "for_whom", "not_asked", "theme", "sdg_goals", "department",
        "contact_name", "contact_email", "budget", "prize_description", "winner_gets",
        "eligible_kinds", "opens_at", "questions_deadline", "submission_deadline",
        "jury_date", "award_date", "required_attachments", "data_sources",
    )
    # Needed before publication (besides the timeline, criteria and their weights).
    REQUIRED_FOR_PUBLICATION = (
        "title", "problem", "for_whom", "not_asked", "theme", "department", "contact_name",
        "contact_email", "prize_description", "winner_gets",
    )

    class Meta:
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "submission_deadline"],
                                name="challenges_status_deadline")]

    def __str__(self):
        return self.title

    # Set by challenge_amend only, on the instance it saves: the one way content may change.
    _amending = False

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._amending:
            stored = Challenge.objects.filter(pk=self.pk).values("status",
                                                                 *self.CONTENT_FIELDS).first()
            if stored and stored["status"] != self.Status.DRAFT:
                changed = [f for f in self.CONTENT_FIELDS if stored[f] != getattr(self, f)]
                if changed:
                    raise ContentFrozen(
                        "A published challenge changes only through an amendment "
                        f"({', '.join(changed)})."
                    )
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("challenges:detail", kwargs={"slug": self.slug})

    def clean(self):
        super().clean()
        errors = self.timeline_errors()
        if errors:
            raise ValidationError(errors)

    def timeline_errors(self, *, complete=False) -> dict[str, list[str]]:
        """Dates out of order (each must be on or after the one before); with `complete`,
        also the dates that are missing."""
        errors: dict[str, list[str]] = {}
        previous = None
        for field in self.TIMELINE_FIELDS:
            value = getattr(self, field)
            if value is None:
                if complete:
                    errors[field] = [_("Fill in this date before the challenge can be "
                                       "published.")]
                continue
            if previous is not None and value < getattr(self, previous):
                errors[field] = [_("This date cannot be before “%(previous)s”.") % {
                    "previous": self._meta.get_field(previous).verbose_name,
                }]
            previous = field
        return errors

    def publication_errors(self) -> dict[str, list[str]]:
        """What is missing or wrong before this challenge may be published."""
        errors = {
            field: [_("Fill in this field before the challenge can be published.")]
            for field in self.REQUIRED_FOR_PUBLICATION
            if not str(getattr(self, field) or "").strip()
        }
        errors.update(self.timeline_errors(complete=True))
        criteria = list(self.criteria.all()) if self.pk else []
        if not criteria:
            errors["criteria"] = [_("Add at least one assessment criterion.")]
        else:
            total = sum(criterion.weight for criterion in criteria)
            if total != 100:
                errors["criteria"] = [
                    _("The weights of the criteria must add up to 100%%; now they add up to "
                      "%(total)d%%.") % {"total": total}
                ]
        return errors

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def is_decided(self) -> bool:
        return self.status in (self.Status.AWARDED, self.Status.NOT_AWARDED)

    @property
    def ranking_is_final(self) -> bool:
        return self.ranking_finalised_at is not None

    def has_opened(self, now=None) -> bool:
        """Published and past its opening moment (a challenge may be announced in advance)."""
        now = now or timezone.now()
        return (self.status == self.Status.OPEN and self.opens_at is not None
                and self.opens_at <= now)

    def accepts_questions(self, now=None) -> bool:
        """Open, and the questions deadline has not passed (to the second)."""
        now = now or timezone.now()
        return self.has_opened(now) and now <= self.questions_deadline

    def accepts_proposals(self, now=None) -> bool:
        """Open, and the submission deadline has not passed (to the second)."""
        now = now or timezone.now()
        return self.has_opened(now) and now <= self.submission_deadline

    def is_eligible(self, organisation) -> bool:
        return not self.eligible_kinds or organisation.kind in self.eligible_kinds

    def eligible_kind_labels(self) -> list[str]:
        return [str(Organisation.Kind(kind).label) for kind in self.eligible_kinds]


class Criterion(models.Model):
    """An assessment criterion with its weight (percent); a challenge's weights sum to 100."""

    challenge = models.ForeignKey(
        Challenge, verbose_name=_("challenge"), on_delete=models.CASCADE, related_name="criteria"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    title = models.CharField(_("title"), max_length=200)
    description = _text(_("description"), 2000)
    weight = models.PositiveSmallIntegerField(
        _("weight (%)"), validators=[MinValueValidator(1), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["challenge", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weight__gte=1, weight__lte=100),
                                   name="challenges_criterion_weight_1_100"),
        ]

    def __str__(self):
        return f"{self.title} ({self.weight}%)"

    # Set by criteria_set / challenge_amend on the instances they write.
    _amending = False

    def save(self, *args, **kwargs):
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._guard()
        return super().delete(*args, **kwargs)

    def _guard(self):
        if not self._amending and Challenge.objects.filter(
            pk=self.challenge_id
        ).exclude(status=Challenge.Status.DRAFT).exists():
            raise ContentFrozen("The criteria of a published challenge change only through an "
                                "amendment.")


class ChallengeEvent(TransitionEvent):
    """One step on a challenge's timeline: who, when, from which status to which, and why."""

    class Action(models.TextChoices):
        CREATE = "create", _("Draft created")
        PUBLISH = "publish", _("Published")
        AMEND = "amend", _("Amended")
        CLOSE = "close", _("Closed for proposals")
        ASSESSMENT_START = "assessment_start", _("Assessment started")
        RANKING_FINALISE = "ranking_finalise", _("Ranking finalised")
        AWARD = "award", _("Awarded")
        NOT_AWARD = "not_award", _("Not awarded")

    # Events the public sees on the challenge page.
    PUBLIC_ACTIONS = (Action.PUBLISH, Action.AMEND, Action.CLOSE, Action.ASSESSMENT_START,
                      Action.AWARD, Action.NOT_AWARD)

    challenge = models.ForeignKey(
        Challenge, verbose_name=_("challenge"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=16, choices=Challenge.Status.choices,
                                   blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Challenge.Status.choices,
                                 blank=True)

    class Meta(TransitionEvent.Meta):
        verbose_name = _("challenge event")
        verbose_name_plural = _("challenge events")

    def __str__(self):
        return f"{self.get_action_display()} {self.from_status} → {self.to_status}"

    @property
    def from_label(self) -> str:
        return self.get_from_status_display()

    @property
    def to_label(self) -> str:
        return self.get_to_status_display()


class Amendment(models.Model):
    """A dated, public change of a published challenge, with its reason and what changed."""

    challenge = models.ForeignKey(
        Challenge, verbose_name=_("challenge"), on_delete=models.CASCADE,
        related_name="amendments",
    )
    number = models.PositiveIntegerField(_("number"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    reason = _text(_("reason"), 2000, blank=False)
    # field -> {"old": ..., "new": ...}; "criteria" holds the lists of criteria before and after.
    changes = models.JSONField(_("changes"), default=dict, encoder=UnicodeJSONEncoder)

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["challenge", "number"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "number"],
                                    name="challenges_amendment_number_unique"),
        ]

    def __str__(self):
        return f"{self.challenge_id} #{self.number}"

    def changed_fields(self) -> list[tuple[str, object, object]]:
        """(label, old, new) per change, labelled with the field's name for the page."""
        rows = []
        for field, change in self.changes.items():
            if field == "criteria":
                label = Criterion._meta.verbose_name_plural
            else:
                label = Challenge._meta.get_field(field).verbose_name
            rows.append((str(label), change.get("old"), change.get("new")))
        return rows


# --- questions and followers --------------------------------------------------------------------


class Question(models.Model):
    """A bidder's question; the answer is public, the asker never shown ("a bidder")."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting an answer")
        ANSWERED = "answered", _("Answered")
        DECLINED = "declined", _("Not answered")

    TEXT_MAX = 2000

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    challenge = models.ForeignKey(
        Challenge, verbose_name=_("challenge"), on_delete=models.CASCADE,
        related_name="questions",
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="challenge_questions",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="challenge_questions",
    )
    text = _text(_("question"), TEXT_MAX, blank=False)
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    answer = _text(_("answer"))
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decline_reason = _text(_("reason for not answering"), 2000)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["challenge", "asked_at", "pk"]
        indexes = [models.Index(fields=["challenge", "status"], name="challenges_question_st")]

    def __str__(self):
        return self.text[:60]


class ChallengeFollow(models.Model):
    """Someone follows a challenge: notified of public answers and amendments."""

    challenge = models.ForeignKey(
        Challenge, verbose_name=_("challenge"), on_delete=models.CASCADE, related_name="follows"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="challenge_follows",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [
            models.UniqueConstraint(fields=["challenge", "user"],
                                    name="challenges_follow_once"),
        ]

    def __str__(self):
        return f"{self.user_id} → {self.challenge_id}"


# --- proposals ---------------------------------------------------------------------------------


class Proposal(models.Model):
    """One organisation's proposal for a challenge. Confidential: only the organisation, the
    civil servants and the challenge's non-conflicted jury see it; after award only the
    winner's summary becomes public."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        AWARDED = "awarded", _("Awarded")
        NOT_AWARDED = "not_awarded", _("Not awarded")

    CONTENT_FIELDS = ("summary", "approach", "team", "planning", "budget", "success_measures")
    REQUIRED_FOR_SUBMISSION = ("summary", "approach", "team", "planning", "budget",
                               "success_measures")
    SUMMARY_MAX = 1500

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    challenge = models.ForeignKey(
        Challenge, verbose_name=_("challenge"), on_delete=models.CASCADE,
        related_name="proposals",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT,
        related_name="challenge_proposals",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="challenge_proposals",
    )
    summary = _text(
        _("summary"), SUMMARY_MAX,
        _("What you propose, in a few sentences. After the award the winner's summary is "
          "published."),
    )
    approach = _text(_("approach"), 10000)
    team = _text(_("team"), 5000)
    planning = _text(_("planning"), 5000)
    budget = _euros(_("budget (euros)"))
    success_measures = _text(_("how success is measured"), 5000)

    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    receipt_code = models.CharField(_("receipt code"), max_length=16, blank=True)
    content_hash = models.CharField(_("fingerprint (SHA-256)"), max_length=64, blank=True)

    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices,
                               default=Outcome.PENDING)
    outcome_letter = models.TextField(_("outcome letter"), blank=True)
    outcome_sent_at = models.DateTimeField(_("outcome sent at"), null=True, blank=True)
    # The place and weighted score (0–10) in the finalised ranking, kept with the letter.
    final_rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)
    final_score = models.DecimalField(_("weighted score"), max_digits=5, decimal_places=2,
                                      null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # Members co-edit one record: the page says who changed it last.
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("last changed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["challenge", "-submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "organisation"],
                                    name="challenges_one_proposal_per_organisation"),
        ]
        indexes = [models.Index(fields=["challenge", "status"], name="challenges_proposal_st")]

    def __str__(self):
        return f"{self.organisation} – {self.challenge}"

    def get_absolute_url(self):
        return reverse("challenges:proposal_detail", kwargs={"public_id": self.public_id})

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def is_winner(self) -> bool:
        return self.outcome == self.Outcome.AWARDED

    def submission_errors(self) -> dict[str, list[str]]:
        errors = {
            field: [_("Fill in this field before you submit.")]
            for field in self.REQUIRED_FOR_SUBMISSION
            if not str(getattr(self, field) if getattr(self, field) is not None else "").strip()
        }
        present = {label.casefold() for label in self.attachments.values_list("label", flat=True)}
        missing = [label for label in self.challenge.required_attachments
                   if label.casefold() not in present]
        if missing:
            errors["attachments"] = [
                _("Add the required attachment “%(label)s”.") % {"label": label}
                for label in missing
            ]
        return errors


def attachment_upload_to(instance, filename):
    # An unguessable path; the original name is kept in the row, never in the path.
    return f"challenges/{instance.proposal.public_id.hex}/{uuid.uuid4().hex}"


class ProposalAttachment(models.Model):
    """A PDF, ODT or DOCX of a proposal, under PRIVATE_MEDIA_ROOT (challenges/storage.py checks
    type by extension and content, and size). Served only by a view that checks the rules."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE,
        related_name="attachments",
    )
    label = models.CharField(_("label"), max_length=ATTACHMENT_LABEL_MAX)
    file = models.FileField(_("file"), storage=private_storage, upload_to=attachment_upload_to,
                            max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["proposal", "uploaded_at", "pk"]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("challenges:attachment_download", kwargs={
            "public_id": self.proposal.public_id, "attachment_id": self.public_id,
        })

    @property
    def is_other(self) -> bool:
        return self.label == OTHER_ATTACHMENT


# --- the jury ----------------------------------------------------------------------------------


class JuryMember(models.Model):
    """A person appointed to a challenge's jury; at most one chair per challenge."""

    challenge = models.ForeignKey(
        Challenge, verbose_name=_("challenge"), on_delete=models.CASCADE, related_name="jury"
    )
    # Kept (without the person) when the account is deleted: the scores stay part of the record.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="jury_memberships",
    )
    is_chair = models.BooleanField(_("chair"), default=False)
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("appointed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    appointed_at = models.DateTimeField(_("appointed at"), default=timezone.now)

    class Meta:
        verbose_name = _("jury member")
        verbose_name_plural = _("jury members")
        ordering = ["challenge", "-is_chair", "appointed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "user"],
                                    name="challenges_jury_member_once"),
            models.UniqueConstraint(fields=["challenge"], condition=models.Q(is_chair=True),
                                    name="challenges_one_chair"),
        ]

    def __str__(self):
        return f"{self.user} ({self.challenge_id})"


class ConflictDeclaration(models.Model):
    """A jury member's declaration for one proposal, made before seeing it. With a conflict the
    proposal stays hidden from them and they do not score it."""

    jury_member = models.ForeignKey(
        JuryMember, verbose_name=_("jury member"), on_delete=models.CASCADE,
        related_name="declarations",
    )
    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE,
        related_name="declarations",
    )
    has_conflict = models.BooleanField(_("conflict of interest"))
    explanation = _text(_("explanation"), 2000)
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)

    class Meta:
        verbose_name = _("conflict declaration")
        verbose_name_plural = _("conflict declarations")
        ordering = ["jury_member", "proposal"]
        constraints = [
            models.UniqueConstraint(fields=["jury_member", "proposal"],
                                    name="challenges_declare_once"),
        ]

    def __str__(self):
        return f"{self.jury_member_id}/{self.proposal_id}: {self.has_conflict}"


class Score(models.Model):
    """A jury member's score (0–10) with motivation for one criterion of one proposal."""

    MIN, MAX = 0, 10

    jury_member = models.ForeignKey(
        JuryMember, verbose_name=_("jury member"), on_delete=models.CASCADE,
        related_name="scores",
    )
    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.CASCADE, related_name="scores"
    )
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(MIN), MaxValueValidator(MAX)]
    )
    motivation = _text(_("motivation"), 3000, blank=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["proposal", "criterion", "jury_member"]
        constraints = [
            models.UniqueConstraint(fields=["jury_member", "proposal", "criterion"],
                                    name="challenges_score_once"),
            models.CheckConstraint(condition=models.Q(score__gte=0, score__lte=10),
                                   name="challenges_score_0_10"),
        ]

    def __str__(self):
        return f"{self.score}"
