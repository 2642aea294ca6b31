"""The algorithm register: an Algorithm (stable identity) with immutable published versions.

An `AlgorithmVersion` holds the record's content under the national publication standard's v1.0
key names (see registry/standard.py and docs/registers.md), plus the municipality's own fields.
State changes happen only in registry/services.py, which writes an `AlgorithmEvent` per
transition. A published (or withdrawn) version's content can never change: `save()` and
`QuerySet.update()` refuse it, and such a version cannot be deleted.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxLengthValidator
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


class AlgorithmVersionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if set(kwargs) & set(AlgorithmVersion.CONTENT_FIELDS) and self.filter(
            state__in=AlgorithmVersion.FROZEN_STATES
        ).exists():
            raise PublishedVersionImmutable("A published version cannot be changed.")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(state__in=AlgorithmVersion.FROZEN_STATES).exists():
            raise PublishedVersionImmutable("A published version cannot be deleted.")
        return super().delete()


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


class AlgorithmVersion(models.Model):
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

    # --- bookkeeping ---
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

    objects = AlgorithmVersionQuerySet.as_manager()

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

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = (
                type(self).objects.filter(pk=self.pk).values("state", *self.CONTENT_FIELDS).first()
            )
            if stored and stored["state"] in self.FROZEN_STATES:
                changed = [f for f in self.CONTENT_FIELDS if stored[f] != getattr(self, f)]
                if changed:
                    raise PublishedVersionImmutable(
                        f"A published version cannot be changed ({', '.join(changed)})."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_frozen:
            raise PublishedVersionImmutable("A published version cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.state in self.FROZEN_STATES

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


class AlgorithmEvent(models.Model):
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
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("algorithm event")
        verbose_name_plural = _("algorithm events")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.from_state} → {self.to_state}"
