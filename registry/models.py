"""The algorithm register: an Algorithm (stable identity) with immutable published versions.

An `AlgorithmVersion` holds the record's content under the national publication standard's v1.0
key names (see registry/standard.py and docs/registers.md), plus the municipality's own fields.
State changes happen only in registry/services.py, which writes an `AlgorithmEvent` per
transition. A published (or withdrawn) version's content can never change: `save()` and
`QuerySet.update()` refuse it, and such a version cannot be deleted.

The pilot register (below): a `Pilot` with KPIs, evaluations and its frozen published versions
(`PilotVersion`), through the same four-eyes workflow.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from registry import standard


class UnicodeJSONEncoder(DjangoJSONEncoder):
    """Stores "Overheidsfinanciën" as is, so that a text search for a theme works on SQLite
    (which keeps JSON as text) and on PostgreSQL alike."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class PublishedVersionImmutable(Exception):
    """Raised when code tries to change or delete the content of a published version."""


class Algorithm(models.Model):
    """One algorithm in the register: its stable identity. The content lives in its versions."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    # The version the public sees: the latest published (or withdrawn) one. Kept by the services.
    current_version = models.OneToOneField(
        "AlgorithmVersion", verbose_name=_("current public version"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("algorithm")
        verbose_name_plural = _("algorithms")
        ordering = ["slug"]

    def __str__(self):
        if self.current_version_id:
            return self.current_version.name
        return self.slug

    def get_absolute_url(self):
        return reverse("registry:algorithm_detail", kwargs={"slug": self.slug})


class FrozenQuerySet(models.QuerySet):
    """Refuses to change or delete the content of published rows (see `FrozenWhenPublished`)."""

    def update(self, **kwargs):
        model = self.model
        if set(kwargs) & set(model.CONTENT_FIELDS) and self.filter(
            state__in=model.FROZEN_STATES
        ).exists():
            raise PublishedVersionImmutable(f"A published {model.FROZEN_NOUN} cannot be changed.")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(state__in=self.model.FROZEN_STATES).exists():
            raise PublishedVersionImmutable(
                f"A published {self.model.FROZEN_NOUN} cannot be deleted."
            )
        return super().delete()


class FrozenWhenPublished(models.Model):
    """A row whose CONTENT_FIELDS can never change once its `state` is in FROZEN_STATES.

    Used by algorithm versions, pilot versions and evaluations. Subclasses define `state`,
    CONTENT_FIELDS, FROZEN_STATES and FROZEN_NOUN, and use FrozenQuerySet as manager.
    """

    FROZEN_NOUN = "version"

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = (
                type(self).objects.filter(pk=self.pk).values("state", *self.CONTENT_FIELDS).first()
            )
            if stored and stored["state"] in self.FROZEN_STATES:
                changed = [f for f in self.CONTENT_FIELDS if stored[f] != getattr(self, f)]
                if changed:
                    raise PublishedVersionImmutable(
                        f"A published {self.FROZEN_NOUN} cannot be changed ({', '.join(changed)})."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_frozen:
            raise PublishedVersionImmutable(f"A published {self.FROZEN_NOUN} cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.state in self.FROZEN_STATES


class PublicationBookkeeping(models.Model):
    """Who created, submitted, published and withdrew a record, and when (four-eyes workflow).

    Shared by algorithm versions, pilots and pilot versions; written only by
    registry/services.py.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True)

    class Meta:
        abstract = True


def _rich_text(verbose_name, key, help_text=""):
    limit = standard.MAX_LENGTHS[key]
    return models.TextField(
        verbose_name, blank=True, max_length=limit, help_text=help_text,
        validators=[MaxLengthValidator(limit)],
    )


def _url(verbose_name, key, help_text=""):
    return models.CharField(
        verbose_name, max_length=standard.MAX_LENGTHS[key], blank=True, help_text=help_text,
        validators=[standard.validate_https_url],
    )


class AlgorithmVersion(FrozenWhenPublished, PublicationBookkeeping):
    """The content of one version of an algorithm record (publication standard v1.0)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting approval")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    FROZEN_STATES = (State.PUBLISHED, State.WITHDRAWN)
    OPEN_STATES = (State.DRAFT, State.SUBMITTED)

    # The standard's permitted values are Dutch data values: shown as they are, not translated.
    STATUS_CHOICES = [(value, value) for value in standard.STATUS_VALUES]
    PUBLICATION_CATEGORY_CHOICES = [(v, v) for v in standard.PUBLICATION_CATEGORY_VALUES]
    LANGUAGE_CHOICES = [(standard.LANGUAGE, "Nederlands")]
    STANDARD_VERSION_CHOICES = [(standard.STANDARD_VERSION, standard.STANDARD_VERSION)]

    algorithm = models.ForeignKey(
        Algorithm, verbose_name=_("algorithm"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version number"))
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.DRAFT
    )

    # --- tab "Algemene informatie" ---
    name = models.CharField(
        _("name"), max_length=standard.MAX_LENGTHS["name"],
        help_text=_("A name that says what the algorithm does, preferably with a verb."),
    )
    description_short = models.TextField(
        _("short description"), max_length=standard.MAX_LENGTHS["description_short"],
        blank=True,
        validators=[MaxLengthValidator(standard.MAX_LENGTHS["description_short"])],
        help_text=_(
            "Two or three sentences in plain language (B1): what does the algorithm do and "
            "why? Shown in search results. Preferably shorter than 350 characters."
        ),
    )
    organization = models.CharField(
        pgettext_lazy("algorithm standard", "organisation"),
        max_length=standard.MAX_LENGTHS["organization"], blank=True,
        help_text=_("The name of the one organisation responsible, e.g. Gemeente Zoetermeer."),
    )
    category = models.JSONField(
        _("themes"), default=list, blank=True, validators=[standard.validate_themes],
        encoder=UnicodeJSONEncoder,
        help_text=_("The policy areas the algorithm is used for."),
    )
    status = models.CharField(
        _("status"), max_length=32, choices=STATUS_CHOICES, blank=True,
    )
    begin_date = models.CharField(
        _("start date"), max_length=7, blank=True,
        validators=[standard.validate_year_month],
        help_text=_("The month the algorithm was taken into use, as YYYY-MM."),
    )
    end_date = models.CharField(
        _("end date"), max_length=7, blank=True, validators=[standard.validate_year_month],
        help_text=_("The month the algorithm stopped being used, as YYYY-MM. Empty while in use."),
    )
    contact_email = models.CharField(
        _("contact details"), max_length=standard.MAX_LENGTHS["contact_email"], blank=True,
        validators=[standard.validate_contact],
        help_text=_(
            "A general e-mail address or a web form (https://) where people can ask questions. "
            "Never a personal e-mail address."
        ),
    )
    website = _url(
        _("link to public page"), "website",
        _("The municipality's own page about the process the algorithm is used in."),
    )
    publication_category = models.CharField(
        _("publication category"), max_length=32, choices=PUBLICATION_CATEGORY_CHOICES,
        blank=True,
        help_text=_(
            "High-risk AI system (EU AI Act), impactful algorithm (affects residents or "
            "businesses), or other algorithm."
        ),
    )
    url = _url(
        _("link to source registration"), "url",
        _("Link to this record in the organisation's own register, if it has one elsewhere."),
    )

    # --- tab "Verantwoord gebruik" ---
    goal = _rich_text(
        _("goal and impact"), "goal",
        _("What is the algorithm for, and how do residents and businesses come into contact "
          "with it? Write in plain language (B1)."),
    )
    proportionality = _rich_text(
        _("considerations"), "proportionality",
        _("The pros and cons, the alternatives considered, and ethical considerations. You "
          "may reuse answers from the IAMA or DPIA."),
    )
    human_intervention = _rich_text(
        _("human intervention"), "human_intervention",
        _("How people check or take the decisions. Also say so when nobody is involved."),
    )
    risks = _rich_text(
        _("risk management"), "risks",
        _("The technical, legal, financial and ethical risks, and how they are managed."),
    )
    lawful_basis = _rich_text(
        pgettext_lazy("algorithm standard", "legal basis"), "lawful_basis",
        _("The laws and rules the use is based on, explained for non-lawyers."),
    )
    lawful_basis_grouping = models.JSONField(
        _("links to legal basis"), default=list, blank=True,
        validators=[standard.GroupingValidator("lawful_basis_grouping")],
    )
    process_index_url = _url(
        _("link to processing register"), "process_index_url",
        _("The public part of the register of processing activities (GDPR)."),
    )
    impacttoetsen_grouping = models.JSONField(
        _("impact assessments"), default=list, blank=True,
        validators=[standard.GroupingValidator("impacttoetsen_grouping")],
    )
    impacttoetsen = _rich_text(
        _("explanation of impact assessments"), "impacttoetsen",
        _("For example why a certain assessment was not done."),
    )

    # --- tab "Werking" ---
    source_data = _rich_text(
        _("data"), "source_data",
        _("Which data the algorithm uses. Be specific about personal data and sources "
          "(for example the BRP)."),
    )
    source_data_grouping = models.JSONField(
        _("links to data sources"), default=list, blank=True,
        validators=[standard.GroupingValidator("source_data_grouping")],
    )
    methods_and_models = _rich_text(
        _("technical operation"), "methods_and_models",
        _("Input, how it works, and output. State at least whether the algorithm is "
          "self-learning."),
    )
    provider = models.CharField(
        _("supplier"), max_length=standard.MAX_LENGTHS["provider"], blank=True,
        help_text=_("The company that supplies it, or \"Intern ontwikkeld\" if built in-house."),
    )
    publiccode = _url(_("link to source code"), "publiccode")

    # --- tab "Metadata" (never shown) ---
    lang = models.CharField(
        _("language"), max_length=3, choices=LANGUAGE_CHOICES, default=standard.LANGUAGE
    )
    standard_version = models.CharField(
        _("version of the publication standard"), max_length=8,
        choices=STANDARD_VERSION_CHOICES, default=standard.STANDARD_VERSION,
    )
    tags = models.TextField(
        _("search terms"), max_length=standard.MAX_LENGTHS["tags"], blank=True,
        validators=[MaxLengthValidator(standard.MAX_LENGTHS["tags"])],
        help_text=_("Words people may search for, separated by commas. Not shown."),
    )

    # --- the municipality's own fields (not in the national standard) ---
    department = models.CharField(
        _("department"), max_length=200, blank=True,
        help_text=_("The department or team that uses the algorithm."),
    )
    accountable_role = models.CharField(
        _("accountable role"), max_length=200, blank=True,
        help_text=_("The function that is accountable, for example \"Head of Parking\". "
                    "Not a person's name."),
    )
    objection_procedure = models.TextField(
        _("objection and appeal"), max_length=2500, blank=True,
        validators=[MaxLengthValidator(2500)],
        help_text=_("How a resident can object to or appeal a decision the algorithm helped "
                    "make."),
    )
    monitoring = models.TextField(
        _("monitoring"), max_length=2500, blank=True, validators=[MaxLengthValidator(2500)],
        help_text=_("How the municipality checks that the algorithm keeps working as intended."),
    )
    next_review_date = models.DateField(
        _("next review date"), null=True, blank=True,
        help_text=_("When the municipality will review the algorithm and this record again."),
    )


    objects = FrozenQuerySet.as_manager()

    # The record's content: frozen once published. Everything else is workflow bookkeeping.
    CONTENT_FIELDS = (
        "name", "description_short", "organization", "category", "status", "begin_date",
        "end_date", "contact_email", "website", "publication_category", "url", "goal",
        "proportionality", "human_intervention", "risks", "lawful_basis",
        "lawful_basis_grouping", "process_index_url", "impacttoetsen_grouping", "impacttoetsen",
        "source_data", "source_data_grouping", "methods_and_models", "provider", "publiccode",
        "lang", "standard_version", "tags", "department", "accountable_role",
        "objection_procedure", "monitoring", "next_review_date",
    )

    class Meta:
        verbose_name = _("algorithm version")
        verbose_name_plural = _("algorithm versions")
        ordering = ["algorithm", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["algorithm", "number"],
                                    name="registry_version_number_unique"),
            # At most one version in progress (draft or awaiting approval) per algorithm.
            models.UniqueConstraint(
                fields=["algorithm"], condition=models.Q(state__in=["draft", "submitted"]),
                name="registry_one_open_version",
            ),
        ]
        indexes = [models.Index(fields=["state", "-published_at"],
                                name="registry_version_state_pub")]

    def __str__(self):
        return f"{self.name} (v{self.number})"

    @property
    def source_id(self) -> str:
        """The standard's `source_id` (the organisation's own id): our public algorithm id."""
        return str(self.algorithm.public_id)

    def clean(self):
        super().clean()
        if self.begin_date and self.end_date and self.end_date < self.begin_date:
            raise ValidationError(
                {"end_date": _("The end date cannot be before the start date.")}
            )

    def publication_errors(self) -> dict[str, list[str]]:
        """What is missing before this version may be submitted or published."""
        errors: dict[str, list[str]] = {}
        for field in standard.REQUIRED_FOR_PUBLICATION:
            if not str(getattr(self, field) or "").strip():
                errors[field] = [_("Fill in this field before the record can be published.")]
        if self.status == "Buiten gebruik" and not self.end_date:
            errors["end_date"] = [
                _("An algorithm that is no longer in use needs an end date.")
            ]
        return errors


class TransitionEvent(models.Model):
    """One row of a timeline: who (`by`), when (`at`) and why (`reason`) something moved from
    `from_state` to `to_state` (fields of the concrete event model)."""

    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        abstract = True
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.from_state} → {self.to_state}"


class AlgorithmEvent(TransitionEvent):
    """One transition of a version: who, when, from which state to which, and why."""

    class Action(models.TextChoices):
        CREATE = "create", _("Draft created")
        SUBMIT = "submit", _("Submitted for approval")
        PUBLISH = "publish", _("Published")
        REJECT = "reject", _("Sent back to draft")
        WITHDRAW = "withdraw", _("Withdrawn")

    algorithm = models.ForeignKey(
        Algorithm, verbose_name=_("algorithm"), on_delete=models.CASCADE, related_name="events"
    )
    version = models.ForeignKey(
        AlgorithmVersion, verbose_name=_("version"), on_delete=models.CASCADE,
        related_name="events",
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    from_state = models.CharField(
        _("from"), max_length=16, choices=AlgorithmVersion.State.choices, blank=True
    )
    to_state = models.CharField(_("to"), max_length=16, choices=AlgorithmVersion.State.choices)

    class Meta(TransitionEvent.Meta):
        verbose_name = _("algorithm event")
        verbose_name_plural = _("algorithm events")

    # What the shared timeline template shows (registry/_timeline.html), as for PilotEvent.
    @property
    def from_label(self) -> str:
        return self.get_from_state_display()

    @property
    def to_label(self) -> str:
        return self.get_to_state_display()

    @property
    def version_number(self) -> int:
        return self.version.number


# --- the pilot register ----------------------------------------------------------------------
#
# A pilot goes through the same four-eyes publication workflow as an algorithm version, and
# through its own life cycle (status; registry/services.py). The `Pilot` row holds the content
# the public sees, so that lists, map, dashboard and API read one table; every published version
# of that content (with its KPI definitions and linked algorithms) is kept as a frozen
# `PilotVersion`, and a change to a published pilot is a new version, published four-eyes.
# Every change writes a PilotEvent. Evaluations are recorded as drafts and published four-eyes; a
# published evaluation (with its per-KPI results) can never change. Sensor projects, challenges
# and ideas hold their own links to a pilot (registry never imports them); the pilot holds its
# links to algorithms.


def _long_text(verbose_name, help_text=""):
    return models.TextField(
        verbose_name, max_length=5000, blank=True, help_text=help_text,
        validators=[MaxLengthValidator(5000)],
    )


def _measure(verbose_name):
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=3, null=True,
                               blank=True)


PublicationState = AlgorithmVersion.State


class PilotContent(models.Model):
    """The content of a pilot record: shared by the pilot (what the public sees) and its
    versions (PilotVersion: every published version, and the change in progress)."""

    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(
        _("summary"), max_length=400, blank=True, validators=[MaxLengthValidator(400)],
        help_text=_("Two or three sentences in plain language (B1): what is tried, and why? "
                    "At most 400 characters."),
    )
    theme = models.CharField(
        _("theme"), max_length=64, blank=True,
        choices=[(value, value) for value in standard.THEME_VALUES],
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    planned_end_date = models.DateField(_("planned end date"), null=True, blank=True)
    neighbourhood = models.CharField(
        _("neighbourhood"), max_length=200, blank=True,
        help_text=_("Where the pilot takes place, e.g. a neighbourhood or \"the whole city\"."),
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    department = models.CharField(_("department"), max_length=200, blank=True)
    alderman = models.CharField(
        _("responsible alderman"), max_length=200, blank=True,
        help_text=_("The alderman (wethouder) who is accountable for the pilot."),
    )
    problem = _long_text(_("problem"), _("Which problem or policy question is the pilot about?"))
    goal = _long_text(_("goal"))
    hypothesis = _long_text(
        _("hypothesis"),
        _("\"If we …, we expect …, measured by …\"."),
    )
    intervention = _long_text(_("intervention"), _("What is done or tried, with whom, where."))
    evaluation_design = _long_text(
        _("evaluation design"),
        _("How the effect is measured: before and after, a control group, interviews …"),
    )
    partners = _long_text(
        _("partners"), _("Companies, knowledge institutions, residents' initiatives and their "
                         "role."),
    )
    budget = models.DecimalField(
        _("budget (euros)"), max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    data_collected = _long_text(_("data collected"))
    personal_data = models.BooleanField(_("personal data is processed"), default=False)
    legal_basis = models.CharField(
        _("legal basis (GDPR)"), max_length=500, blank=True,
        help_text=_("Required when personal data is processed."),
    )
    dpia_link = models.CharField(
        _("link to the DPIA"), max_length=500, blank=True,
        validators=[standard.validate_https_url],
        help_text=_("Required when personal data is processed (https://)."),
    )
    retention = models.CharField(
        _("retention period"), max_length=500, blank=True,
        help_text=_("How long the data is kept. Required when personal data is processed."),
    )
    next_review_date = models.DateField(
        _("next review date"), null=True, blank=True,
        help_text=_("When the pilot must be evaluated or reviewed next."),
    )
    CONTENT_FIELDS = (
        "title", "summary", "theme", "start_date", "planned_end_date", "neighbourhood",
        "latitude", "longitude", "department", "alderman", "problem", "goal", "hypothesis",
        "intervention", "evaluation_design", "partners", "budget", "data_collected",
        "personal_data", "legal_basis", "dpia_link", "retention", "next_review_date",
    )
    REQUIRED_FOR_PUBLICATION = (
        "title", "summary", "theme", "start_date", "planned_end_date", "neighbourhood",
        "department", "alderman", "problem", "goal", "hypothesis", "intervention",
        "evaluation_design", "data_collected", "next_review_date",
    )

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        errors = {}
        if self.start_date and self.planned_end_date and self.planned_end_date < self.start_date:
            errors["planned_end_date"] = [_("The end date cannot be before the start date.")]
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude"] = [_("Give both latitude and longitude, or neither.")]
        if self.personal_data:
            for field in ("legal_basis", "dpia_link", "retention"):
                if not (getattr(self, field) or "").strip():
                    errors[field] = [_("Required when personal data is processed.")]
        if errors:
            raise ValidationError(errors)

    def publication_errors(self) -> dict[str, list[str]]:
        return {
            field: [_("Fill in this field before the pilot can be published.")]
            for field in self.REQUIRED_FOR_PUBLICATION
            if not str(getattr(self, field) or "").strip()
        }


class Pilot(PilotContent, PublicationBookkeeping):
    """One pilot (experiment) of the municipality, with its plan, KPIs and evaluations.

    Its content fields (PilotContent) are what the public sees: the current published
    version, or the draft before the first publication. Every published version is kept,
    frozen, as a PilotVersion; a change to a published pilot is proposed as a new version and
    copied here when a colleague publishes it (registry/services.py).
    """

    class Status(models.TextChoices):
        IDEA = "idea", _("idea")
        PREPARATION = "preparation", _("preparation")
        RUNNING = "running", _("running")
        EVALUATING = "evaluating", _("being evaluated")
        SCALED_UP = "scaled_up", _("scaled up")
        CONTINUED = "continued", _("continued")
        ADJUSTED = "adjusted", _("adjusted")
        STOPPED = "stopped", _("stopped")
        PROHIBITED = "prohibited", _("prohibited")

    State = PublicationState
    PUBLIC_STATES = (PublicationState.PUBLISHED, PublicationState.WITHDRAWN)

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    state = models.CharField(
        _("state"), max_length=16, choices=PublicationState.choices,
        default=PublicationState.DRAFT,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.IDEA,
    )

    algorithms = models.ManyToManyField(
        Algorithm, verbose_name=_("algorithms used"), blank=True, related_name="pilots",
    )

    # The version the public sees (the latest published one; None before the first
    # publication). Kept by the services.
    current_version = models.OneToOneField(
        "PilotVersion", verbose_name=_("current public version"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("pilot")
        verbose_name_plural = _("pilots")
        ordering = ["title"]
        indexes = [models.Index(fields=["state", "status"], name="registry_pilot_state_status")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("registry:pilot_detail", kwargs={"slug": self.slug})

    @property
    def is_public(self) -> bool:
        return self.state in self.PUBLIC_STATES

    # Life-cycle statuses after which no review is due any more.
    CLOSED_STATUSES = (Status.SCALED_UP, Status.STOPPED, Status.PROHIBITED)

    @property
    def review_overdue(self) -> bool:
        return (
            self.next_review_date is not None
            and self.status not in self.CLOSED_STATUSES
            and self.next_review_date < timezone.localdate()
        )


class Kpi(models.Model):
    """A key performance indicator of a pilot: how success is measured."""

    class Direction(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    class Assessment(models.TextChoices):
        MET = "met", _("Met")
        PARTLY = "partly", _("Partly met")
        NOT_MET = "not_met", _("Not met")

    pilot = models.ForeignKey(
        Pilot, verbose_name=_("pilot"), on_delete=models.CASCADE, related_name="kpis"
    )
    name = models.CharField(_("name"), max_length=200)
    definition = models.TextField(
        _("definition"), max_length=1000, blank=True, validators=[MaxLengthValidator(1000)],
    )
    unit = models.CharField(_("unit"), max_length=50, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    baseline_value = _measure(_("baseline value"))
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    baseline_source = models.CharField(_("baseline source"), max_length=300, blank=True)
    target_value = _measure(_("target value"))
    target_date = models.DateField(_("target date"), null=True, blank=True)
    result_value = _measure(_("measured result"))
    assessment = models.CharField(
        _("assessment"), max_length=8, choices=Assessment.choices, blank=True
    )

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["pilot", "pk"]

    def __str__(self):
        return self.name


# What a pilot version keeps of each KPI: its definition. The measured result and assessment
# are not versioned: a published final evaluation sets them (evaluation_publish).
KPI_DEFINITION_FIELDS = (
    "name", "definition", "unit", "direction", "baseline_value", "baseline_date",
    "baseline_source", "target_value", "target_date",
)


def _json_value(value):
    """A KPI value as JSON keeps it: decimals as text with the field's three decimals (so a
    value typed as "96.5" and one read back as 96.500 are the same), dates as YYYY-MM-DD."""
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.001")))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def kpi_definition(kpi, *, kpi_id=None) -> dict:
    """One KPI's definition as a pilot version stores it: {"id": the Kpi's pk (None for a KPI
    that a version in progress adds), name, definition, …}. Works on any object with the KPI
    fields (also the historical models of a data migration)."""
    return {"id": kpi_id if kpi_id is not None else kpi.pk,
            **{field: _json_value(getattr(kpi, field)) for field in KPI_DEFINITION_FIELDS}}


def algorithm_refs(algorithms) -> list[dict]:
    """The algorithms a pilot uses, as a version stores them: [{slug, name}] by slug, with the
    name the algorithm had then (so the history needs no extra query)."""
    return sorted(
        ({"slug": a.slug, "name": a.current_version.name if a.current_version_id else a.slug}
         for a in algorithms),
        key=lambda ref: ref["slug"],
    )


class PilotVersion(PilotContent, FrozenWhenPublished, PublicationBookkeeping):
    """One version of a pilot's record: the content fields, the linked algorithms and the KPI
    definitions. A published (or withdrawn) version is frozen like an algorithm version; at most
    one version per pilot is in progress (a change proposed for the published pilot)."""

    State = PublicationState
    FROZEN_STATES = (PublicationState.PUBLISHED, PublicationState.WITHDRAWN)
    OPEN_STATES = (PublicationState.DRAFT, PublicationState.SUBMITTED)
    FROZEN_NOUN = "pilot version"

    pilot = models.ForeignKey(
        Pilot, verbose_name=_("pilot"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version number"))
    state = models.CharField(
        _("state"), max_length=16, choices=PublicationState.choices,
        default=PublicationState.DRAFT,
    )
    # [{slug, name}] of the linked algorithms (algorithm_refs).
    algorithms = models.JSONField(
        _("algorithms used"), default=list, blank=True, encoder=UnicodeJSONEncoder,
    )
    # The KPI definitions (kpi_definition); "id" is None for a KPI that this version adds, until
    # the version is published.
    kpis = models.JSONField(_("KPIs"), default=list, blank=True, encoder=UnicodeJSONEncoder)

    objects = FrozenQuerySet.as_manager()

    CONTENT_FIELDS = PilotContent.CONTENT_FIELDS + ("algorithms", "kpis")

    class Meta:
        verbose_name = _("pilot version")
        verbose_name_plural = _("pilot versions")
        ordering = ["pilot", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["pilot", "number"],
                                    name="registry_pilot_version_number_unique"),
            models.UniqueConstraint(
                fields=["pilot"], condition=models.Q(state__in=["draft", "submitted"]),
                name="registry_one_open_pilot_version",
            ),
        ]

    def __str__(self):
        return f"{self.title} (v{self.number})"

    def kpi_objects(self) -> list[Kpi]:
        """The KPI definitions as unsaved Kpi objects (for the KPI table and the KPI form),
        each with `position` (1, 2, …: its place in this version, used in the edit link)."""
        kpis = []
        for position, entry in enumerate(self.kpis, start=1):
            kpi = Kpi(pilot_id=self.pilot_id, **{
                field: Kpi._meta.get_field(field).to_python(entry.get(field))
                for field in KPI_DEFINITION_FIELDS
            })
            kpi.position, kpi.kpi_id = position, entry.get("id")
            kpis.append(kpi)
        return kpis


class Evaluation(FrozenWhenPublished):
    """A mid-term or final evaluation of a pilot, with the decision taken on it."""

    class Kind(models.TextChoices):
        MID_TERM = "mid_term", _("Mid-term evaluation")
        FINAL = "final", _("Final evaluation")

    class Recommendation(models.TextChoices):
        SCALE_UP = "scale_up", _("Scale up")
        CONTINUE = "continue", _("Continue")
        ADJUST = "adjust", _("Adjust and test again")
        STOP = "stop", _("Stop")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RETURNED = "returned", _("Sent back")
        PUBLISHED = "published", _("Published")

    FROZEN_STATES = (State.PUBLISHED,)
    # A draft awaits publication; a colleague may send it back (with a reason), and changing
    # it makes it a draft again (evaluation_update, evaluation_return in registry/services.py).
    EDITABLE_STATES = (State.DRAFT, State.RETURNED)
    FROZEN_NOUN = "evaluation"

    pilot = models.ForeignKey(
        Pilot, verbose_name=_("pilot"), on_delete=models.CASCADE, related_name="evaluations"
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.DRAFT)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FINAL)
    evaluated_on = models.DateField(_("date of the evaluation"), null=True, blank=True)
    evaluator = models.CharField(
        _("evaluator"), max_length=200, blank=True,
        help_text=_("Who evaluated: internal team, or the name of an external party."),
    )
    method = _long_text(_("method"))
    council_summary = models.TextField(
        _("summary for the council"), max_length=3000, blank=True,
        validators=[MaxLengthValidator(3000)],
        help_text=_("About 300 words in plain language (B1)."),
    )
    side_effects = _long_text(_("side effects"))
    participant_feedback = _long_text(_("feedback from participants"))
    cost_benefit = _long_text(_("costs and benefits"))
    lessons_learned = _long_text(_("lessons learned"))
    recommendation = models.CharField(
        _("recommendation"), max_length=16, choices=Recommendation.choices, blank=True
    )
    decision = models.CharField(
        _("decision"), max_length=16, choices=Recommendation.choices, blank=True
    )
    decision_by = models.CharField(
        _("decided by"), max_length=200, blank=True,
        help_text=_("For example: the college of mayor and aldermen, or the council."),
    )
    decision_date = models.DateField(_("date of the decision"), null=True, blank=True)
    decision_link = models.CharField(
        _("link to council letter or proposal"), max_length=500, blank=True,
        validators=[standard.validate_https_url],
    )
    follow_up = _long_text(_("follow-up"))

    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    objects = FrozenQuerySet.as_manager()

    CONTENT_FIELDS = (
        "kind", "evaluated_on", "evaluator", "method", "council_summary", "side_effects",
        "participant_feedback", "cost_benefit", "lessons_learned", "recommendation",
        "decision", "decision_by", "decision_date", "decision_link", "follow_up",
    )
    REQUIRED_FOR_PUBLICATION = (
        "evaluated_on", "evaluator", "method", "council_summary", "lessons_learned",
        "recommendation",
    )
    REQUIRED_FOR_FINAL = ("decision", "decision_by", "decision_date")

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["pilot", "-evaluated_on", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.pilot_id}"

    def publication_errors(self) -> dict[str, list[str]]:
        required = self.REQUIRED_FOR_PUBLICATION
        if self.kind == self.Kind.FINAL:
            required += self.REQUIRED_FOR_FINAL
        return {
            field: [_("Fill in this field before the evaluation can be published.")]
            for field in required
            if not str(getattr(self, field) or "").strip()
        }


class KpiResult(models.Model):
    """The result of one KPI in one evaluation. Frozen with its published evaluation."""

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE,
        related_name="kpi_results",
    )
    kpi = models.ForeignKey(
        Kpi, verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="results"
    )
    value = _measure(_("measured value"))
    assessment = models.CharField(
        _("assessment"), max_length=8, choices=Kpi.Assessment.choices, blank=True
    )
    note = models.TextField(_("note"), max_length=1000, blank=True,
                            validators=[MaxLengthValidator(1000)])

    class Meta:
        verbose_name = _("KPI result")
        verbose_name_plural = _("KPI results")
        ordering = ["evaluation", "kpi_id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "kpi"],
                                    name="registry_one_result_per_kpi"),
        ]

    def __str__(self):
        return f"{self.kpi_id}: {self.value}"

    def save(self, *args, **kwargs):
        if self.pk is not None and Evaluation.objects.filter(
            pk=self.evaluation_id, state__in=Evaluation.FROZEN_STATES
        ).exists():
            raise PublishedVersionImmutable("A published evaluation cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.evaluation.is_frozen:
            raise PublishedVersionImmutable("A published evaluation cannot be deleted.")
        return super().delete(*args, **kwargs)


class PilotEvent(TransitionEvent):
    """One change of a pilot's publication state or life-cycle status: the timeline."""

    class Action(models.TextChoices):
        CREATE = "create", _("Draft created")
        SUBMIT = "submit", _("Submitted for approval")
        PUBLISH = "publish", _("Published")
        REJECT = "reject", _("Sent back to draft")
        WITHDRAW = "withdraw", _("Withdrawn")
        STATUS = "status", _("Status changed")
        EVALUATION_RECORD = "evaluation_record", _("Evaluation recorded")
        EVALUATION_UPDATE = "evaluation_update", _("Evaluation changed")
        EVALUATION_RETURN = "evaluation_return", _("Evaluation sent back")
        EVALUATION_PUBLISH = "evaluation_publish", _("Evaluation published")

    # Events the public sees in the timeline; civil servants see all.
    PUBLIC_ACTIONS = (Action.PUBLISH, Action.WITHDRAW, Action.STATUS, Action.EVALUATION_PUBLISH)

    pilot = models.ForeignKey(
        Pilot, verbose_name=_("pilot"), on_delete=models.CASCADE, related_name="events"
    )
    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="events",
    )
    # The version a publication step was about: every version of a published pilot; the
    # first publication (the pilot's own draft) is version 1 once published.
    version = models.ForeignKey(
        PilotVersion, verbose_name=_("version"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="events",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16, blank=True)

    class Meta(TransitionEvent.Meta):
        verbose_name = _("pilot event")
        verbose_name_plural = _("pilot events")

    def _label(self, value: str) -> str:
        if self.action == self.Action.STATUS:
            choices = Pilot.Status
        elif self.evaluation_id is not None:
            choices = Evaluation.State
        else:
            choices = PublicationState
        try:
            return choices(value).label
        except ValueError:
            return value

    @property
    def from_label(self) -> str:
        return self._label(self.from_state) if self.from_state else ""

    @property
    def to_label(self) -> str:
        return self._label(self.to_state) if self.to_state else ""


class PilotSubscription(models.Model):
    """Someone follows one pilot or one theme, and is notified when an evaluation of it (or of
    a pilot with that theme) is published. Exactly one of `pilot` and `theme` is set."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="pilot_subscriptions",
    )
    pilot = models.ForeignKey(
        Pilot, verbose_name=_("pilot"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    theme = models.CharField(
        _("theme"), max_length=64, blank=True,
        choices=[(value, value) for value in standard.THEME_VALUES],
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("pilot subscription")
        verbose_name_plural = _("pilot subscriptions")
        ordering = ["user", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(pilot__isnull=False) & models.Q(theme=""))
                | (models.Q(pilot__isnull=True) & ~models.Q(theme="")),
                name="registry_subscription_pilot_xor_theme",
            ),
            models.UniqueConstraint(
                fields=["user", "pilot"], condition=models.Q(pilot__isnull=False),
                name="registry_subscription_unique_pilot",
            ),
            models.UniqueConstraint(
                fields=["user", "theme"], condition=~models.Q(theme=""),
                name="registry_subscription_unique_theme",
            ),
        ]

    def __str__(self):
        return f"{self.user_id} → {self.pilot_id or self.theme}"
