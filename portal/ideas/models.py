"""Ideas from residents: moderation, discussion, support, official answers, the trail to what
the municipality did.

Two independent state fields on an idea:

- `moderation`: may the public see it? draft -> pending -> published, or changes requested,
  or rejected (-> appealed once -> published / rejected for good). A published idea that a
  moderator hides after reports is `rejected` too: it stays visible to its author with the
  reason.
- `status`: the municipality's answer, meaningful once published: published -> under
  consideration -> accepted / not feasible / already planned -> realised. Each change carries an
  official answer.

Every change of either is made in portal/ideas/services.py and writes an `IdeaEvent`: the
idea's timeline and the source of the public moderation statistics.
"""

import uuid

from django.conf import settings
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinLengthValidator,
    MinValueValidator,
)
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Theme(models.TextChoices):
    """The six smart-city domains (Giffinger; used in the source documents)."""

    MOBILITY = "mobility", _("Mobility")
    LIVING = "living", _("Living")
    ECONOMY = "economy", _("Economy")
    ENVIRONMENT = "environment", _("Environment")
    GOVERNANCE = "governance", _("Governance")
    PEOPLE = "people", _("People")


class ModerationMode(models.TextChoices):
    PRE = "pre", _("Pre-moderation: a moderator publishes it first")
    POST = "post", _("Post-moderation: published at once, moderated afterwards")


class ReasonCode(models.TextChoices):
    """The fixed list of reasons for rejecting or reporting content."""

    OFF_TOPIC = "off_topic", _("Off-topic")
    PERSONAL_DATA = "personal_data", _("Contains personal data")
    INSULTING = "insulting", _("Insulting or discriminating")
    COMMERCIAL = "commercial", _("Commercial")
    DUPLICATE = "duplicate", _("Duplicate of another idea")
    ILLEGAL = "illegal", _("Illegal")


class ThemeSettings(models.Model):
    """Per theme: pre- or post-moderation of ideas and of comments. A theme without a row uses
    the defaults (ideas pre, comments post)."""

    theme = models.CharField(_("theme"), max_length=16, choices=Theme.choices, unique=True)
    idea_moderation = models.CharField(
        _("moderation of ideas"), max_length=4, choices=ModerationMode.choices,
        default=ModerationMode.PRE,
    )
    comment_moderation = models.CharField(
        _("moderation of comments"), max_length=4, choices=ModerationMode.choices,
        default=ModerationMode.POST,
    )

    class Meta:
        verbose_name = _("theme settings")
        verbose_name_plural = _("theme settings")

    def __str__(self):
        return self.get_theme_display()


class Neighbourhood(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("neighbourhood")
        verbose_name_plural = _("neighbourhoods")

    def __str__(self):
        return self.name


class Moderation(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Awaiting moderation")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    PUBLISHED = "published", pgettext_lazy("moderation", "Published")
    REJECTED = "rejected", _("Rejected")
    APPEALED = "appealed", _("Appeal pending")


class Status(models.TextChoices):
    PUBLISHED = "published", pgettext_lazy("idea status", "New")
    UNDER_CONSIDERATION = "under_consideration", _("Under consideration")
    ACCEPTED = "accepted", _("Accepted")
    NOT_FEASIBLE = "not_feasible", _("Not feasible")
    ALREADY_PLANNED = "already_planned", _("Already planned")
    REALISED = "realised", _("Realised")


TITLE_MAX = 120
BODY_MAX = 5000
COMMENT_MAX = 2000
STATEMENT_MAX = 2000


class IdeaQuerySet(models.QuerySet):
    def public(self):
        return self.filter(moderation=Moderation.PUBLISHED)


class Idea(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="ideas", verbose_name=_("author"),
    )
    # The author's choice, made with consent for the purpose `idea-author-name`; withdrawing
    # that consent sets it to False on all their ideas (the page then shows "anonieme inwoner").
    show_author_name = models.BooleanField(_("show my name"), default=False)
    title = models.CharField(
        _("title"), max_length=TITLE_MAX, validators=[MinLengthValidator(5)],
    )
    body = models.TextField(
        _("description"), max_length=BODY_MAX,
        validators=[MinLengthValidator(20), MaxLengthValidator(BODY_MAX)],
        help_text=_("Plain text. An empty line starts a new paragraph; **bold**, *italic* and "
                    "lists with \"- \" at the start of a line work."),
    )
    theme = models.CharField(_("theme"), max_length=16, choices=Theme.choices)
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.PROTECT, null=True, blank=True,
        related_name="ideas", verbose_name=_("neighbourhood"),
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=5, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=8, decimal_places=5, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    moderation = models.CharField(
        _("moderation"), max_length=20, choices=Moderation.choices, default=Moderation.DRAFT,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PUBLISHED,
    )
    # Counters kept by the services in the same transaction as the row they count, so that
    # lists of 10,000 ideas sort by support or discussion without counting joins.
    support_count = models.PositiveIntegerField(_("supports"), default=0)
    comment_count = models.PositiveIntegerField(_("comments"), default=0)
    open_report_count = models.PositiveIntegerField(_("open reports"), default=0)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)

    objects = IdeaQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")
        indexes = [
            models.Index(fields=["moderation", "-published_at"], name="ideas_public_newest"),
            models.Index(fields=["moderation", "-support_count"], name="ideas_public_support"),
            models.Index(fields=["moderation", "-comment_count"], name="ideas_public_comments"),
            models.Index(fields=["moderation", "theme"], name="ideas_public_theme"),
            models.Index(fields=["moderation", "status"], name="ideas_public_status"),
            models.Index(fields=["moderation", "submitted_at"], name="ideas_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(latitude__isnull=True) & models.Q(longitude__isnull=True))
                | (models.Q(latitude__isnull=False) & models.Q(longitude__isnull=False)),
                name="ideas_idea_location_both_or_none",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("ideas:detail", kwargs={"public_id": self.public_id})

    @property
    def is_public(self) -> bool:
        return self.moderation == Moderation.PUBLISHED

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def author_display_name(self) -> str:
        """The name shown with the idea: the author's name only with their consent."""
        if self.author_id and self.show_author_name and self.author.display_name.strip():
            # display_name only: get_short_name() falls back to the e-mail address.
            return self.author.display_name.strip()
        return str(ANONYMOUS_RESIDENT)

    @property
    def display_state(self) -> str:
        """One label for the public and the author: the moderation state until published."""
        if self.is_public:
            return self.get_status_display()
        return self.get_moderation_display()


ANONYMOUS_RESIDENT = _("anonymous resident")


def idea_image_path(instance, filename):
    return f"ideas/{instance.idea.public_id}/{uuid.uuid4().hex}.{instance.extension}"


class IdeaImage(models.Model):
    """An image of an idea. Re-encoded on upload (which drops EXIF, GPS included); served by a
    view that checks whether the viewer may see the idea."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(_("file"), upload_to=idea_image_path)
    extension = models.CharField(max_length=4)
    content_type = models.CharField(max_length=20)
    alt_text = models.CharField(
        _("description of the image"), max_length=200,
        help_text=_("For people who cannot see the image."),
    )
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self):
        return self.alt_text


class CommentQuerySet(models.QuerySet):
    def public(self):
        return self.filter(moderation=Moderation.PUBLISHED)


class Comment(models.Model):
    """A comment on an idea, or a reply to a comment (one level: a reply has no replies)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="idea_comments",
    )
    show_author_name = models.BooleanField(default=False)
    # A civil servant answering in the discussion is shown as "Gemeente".
    by_municipality = models.BooleanField(default=False)
    body = models.TextField(
        _("comment"), max_length=COMMENT_MAX, validators=[MaxLengthValidator(COMMENT_MAX)],
    )
    moderation = models.CharField(
        max_length=20, choices=Moderation.choices, default=Moderation.PUBLISHED,
    )
    open_report_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [
            models.Index(fields=["idea", "moderation", "created_at"], name="ideas_comment_list"),
            models.Index(fields=["moderation", "created_at"], name="ideas_comment_queue"),
        ]

    def __str__(self):
        return self.body[:60]

    @property
    def is_public(self) -> bool:
        return self.moderation == Moderation.PUBLISHED

    @property
    def author_display_name(self) -> str:
        if self.by_municipality:
            return str(MUNICIPALITY)
        if self.author_id and self.show_author_name and self.author.display_name.strip():
            # display_name only: get_short_name() falls back to the e-mail address.
            return self.author.display_name.strip()
        return str(ANONYMOUS_RESIDENT)


MUNICIPALITY = _("Municipality")


class IdeaEvent(models.Model):
    """One step on an idea's timeline: a moderation decision (on the idea or one of its
    comments), an appeal, a status change with its official answer, a link to what it led to."""

    class Action(models.TextChoices):
        CREATE = "create", _("Draft saved")
        SUBMIT = "submit", _("Submitted")
        PUBLISH = "publish", pgettext_lazy("action", "Published")
        REJECT = "reject", pgettext_lazy("action", "Rejected")
        REQUEST_CHANGES = "request_changes", _("Changes requested")
        APPEAL = "appeal", _("Appeal lodged")
        APPEAL_UPHELD = "appeal_upheld", _("Appeal upheld: published")
        APPEAL_DISMISSED = "appeal_dismissed", _("Appeal dismissed")
        REPORTS_DISMISSED = "reports_dismissed", _("Reports dismissed")
        STATUS = "status", _("Status changed")
        LINK = "link", _("Linked to what it led to")

    # Decisions counted on the public moderation statistics page.
    MODERATION_DECISIONS = (
        Action.PUBLISH, Action.REJECT, Action.REQUEST_CHANGES, Action.APPEAL_UPHELD,
        Action.APPEAL_DISMISSED, Action.REPORTS_DISMISSED,
    )

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="events")
    comment = models.ForeignKey(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="events",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    reason_code = models.CharField(
        _("reason"), max_length=16, choices=ReasonCode.choices, blank=True,
    )
    duplicate_of = models.ForeignKey(
        Idea, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )
    # The statement of reasons (moderation) or the official answer (status change).
    text = models.TextField(
        blank=True, max_length=STATEMENT_MAX, validators=[MaxLengthValidator(STATEMENT_MAX)],
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    by_role = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("idea event")
        verbose_name_plural = _("idea events")
        indexes = [models.Index(fields=["action", "created_at"], name="ideas_event_stats")]

    def __str__(self):
        return f"{self.idea_id} {self.action}"


class Report(models.Model):
    """A report of an idea or a comment. One per person per item; `resolved_at` is set when a
    moderator decides."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="reports")
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="reports",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="idea_reports",
    )
    reason_code = models.CharField(_("reason"), max_length=16, choices=ReasonCode.choices)
    explanation = models.TextField(
        _("explanation"), max_length=1000, blank=True, validators=[MaxLengthValidator(1000)],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "idea"], condition=models.Q(comment__isnull=True),
                name="ideas_report_idea_once",
            ),
            models.UniqueConstraint(
                fields=["reporter", "comment"], condition=models.Q(comment__isnull=False),
                name="ideas_report_comment_once",
            ),
        ]
        indexes = [models.Index(fields=["resolved_at", "created_at"], name="ideas_report_open")]

    def __str__(self):
        return f"{self.reason_code} ({self.idea_id})"


class Support(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_supports",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "user"], name="ideas_support_once"),
        ]

    def __str__(self):
        return f"{self.user_id} → {self.idea_id}"


class Follow(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_follows",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "user"], name="ideas_follow_once"),
        ]

    def __str__(self):
        return f"{self.user_id} → {self.idea_id}"


class Appeal(models.Model):
    """The author's one appeal against a rejection; decided by a moderator other than the one
    who rejected."""

    idea = models.OneToOneField(Idea, on_delete=models.CASCADE, related_name="appeal")
    text = models.TextField(
        _("your appeal"), max_length=STATEMENT_MAX,
        validators=[MaxLengthValidator(STATEMENT_MAX)],
    )
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    upheld = models.BooleanField(null=True, blank=True)

    def __str__(self):
        return f"appeal {self.idea_id}"


def _exactly_one_of(*fields) -> models.Q:
    """A condition that holds when exactly one of the nullable foreign keys is set."""
    condition = models.Q()
    for chosen in fields:
        only_this = models.Q(**{f"{chosen}__isnull": False})
        for other in fields:
            if other != chosen:
                only_this &= models.Q(**{f"{other}__isnull": True})
        condition |= only_this
    return condition


class IdeaLink(models.Model):
    """"You said, we did": what an idea led to: a pilot, an algorithm or a challenge to the
    knowledge community. Exactly one target is set. The registers and challenges read these
    rows through their reverse relation `idea_links` and never import ideas."""

    TARGETS = ("pilot", "algorithm", "challenge")

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="links")
    pilot = models.ForeignKey(
        "registry.Pilot", on_delete=models.CASCADE, null=True, blank=True,
        related_name="idea_links",
    )
    algorithm = models.ForeignKey(
        "registry.Algorithm", on_delete=models.CASCADE, null=True, blank=True,
        related_name="idea_links",
    )
    challenge = models.ForeignKey(
        "challenges.Challenge", on_delete=models.CASCADE, null=True, blank=True,
        related_name="idea_links",
    )
    note = models.CharField(_("what happened"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=_exactly_one_of("pilot", "algorithm", "challenge"),
                name="ideas_link_one_target",
            ),
            models.UniqueConstraint(
                fields=["idea", "pilot"], condition=models.Q(pilot__isnull=False),
                name="ideas_link_pilot_once",
            ),
            models.UniqueConstraint(
                fields=["idea", "algorithm"], condition=models.Q(algorithm__isnull=False),
                name="ideas_link_algorithm_once",
            ),
            models.UniqueConstraint(
                fields=["idea", "challenge"], condition=models.Q(challenge__isnull=False),
                name="ideas_link_challenge_once",
            ),
        ]

    def __str__(self):
        kind = self.target_kind
        return f"{self.idea_id} → {kind} {getattr(self, f'{kind}_id') if kind else ''}".rstrip()

    @property
    def target_kind(self) -> str:
        """"pilot", "algorithm" or "challenge": the one target that is set."""
        return next((kind for kind in self.TARGETS if getattr(self, f"{kind}_id")), "")

    @property
    def target(self):
        return getattr(self, self.target_kind) if self.target_kind else None
