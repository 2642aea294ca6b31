"""Every write to the algorithm register. Keyword-only functions; each transition writes an event.

The workflow of a version (four-eyes, after the national register's SELF_PUBLISH_TWO flow):

    draft --submit--> submitted --publish--> published --withdraw--> withdrawn
                          |
                          +--reject (reason)--> draft

A civil servant drafts and submits; a *different* civil servant (or an admin who did not submit
it) publishes or sends it back. A published version is never changed: editing a published
algorithm makes a new draft version (a copy), and the old version stays in the history.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from registry.models import Algorithm, AlgorithmEvent, AlgorithmVersion

State = AlgorithmVersion.State
Action = AlgorithmEvent.Action

# The fields a person may write. `lang` and `standard_version` have one permitted value each.
EDITABLE_FIELDS = AlgorithmVersion.CONTENT_FIELDS

# action -> (allowed from-state, to-state, permission). The one table of allowed transitions.
TRANSITIONS = {
    Action.SUBMIT: (State.DRAFT, State.SUBMITTED, "registry.submit_algorithm"),
    Action.PUBLISH: (State.SUBMITTED, State.PUBLISHED, "registry.publish_algorithm"),
    Action.REJECT: (State.SUBMITTED, State.DRAFT, "registry.publish_algorithm"),
    Action.WITHDRAW: (State.PUBLISHED, State.WITHDRAWN, "registry.withdraw_algorithm"),
}

# Transitions that need a reason.
REASON_REQUIRED = {Action.REJECT, Action.WITHDRAW}


def _require(user, perm: str, obj=None) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied(_("You are not allowed to do this."))


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")


def _clean_value(value):
    return value.strip() if isinstance(value, str) else value


# Paths under /registers/algoritmes/ that a slug must not shadow.
RESERVED_SLUGS = {"nieuw"}


def _unique_slug(name: str) -> str:
    base = slugify(name)[:100].strip("-") or "algoritme"
    slug, counter = base, 2
    while slug in RESERVED_SLUGS or Algorithm.objects.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


def _event(*, version, action, from_state, to_state, by, reason="") -> AlgorithmEvent:
    return AlgorithmEvent.objects.create(
        algorithm_id=version.algorithm_id, version=version, action=action,
        from_state=from_state, to_state=to_state, by=by, reason=reason,
    )


def _locked(version: AlgorithmVersion) -> AlgorithmVersion:
    return AlgorithmVersion.objects.select_for_update().select_related("algorithm").get(
        pk=version.pk
    )


def _save_version(version: AlgorithmVersion) -> None:
    try:
        with transaction.atomic():
            version.save()
    except IntegrityError as error:
        raise ValidationError(
            _("This algorithm already has a version in progress."), code="open_version_exists"
        ) from error


@transaction.atomic
def algorithm_create(*, by, slug: str | None = None, **fields) -> Algorithm:
    """A new algorithm with its first version as a draft. Only the name is needed for a draft.

    The slug is made from the name unless given (demo data, imports); it never changes after.
    """
    _require(by, "registry.add_algorithm")
    _check_fields(fields)
    fields = {key: _clean_value(value) for key, value in fields.items()}
    version = AlgorithmVersion(number=1, state=State.DRAFT, created_by=by, **fields)
    # Validate before anything is written (the algorithm is excluded: it does not exist yet).
    version.full_clean(exclude=["algorithm"], validate_constraints=False)
    taken = slug in RESERVED_SLUGS or Algorithm.objects.filter(slug=slug).exists()
    if slug is not None and taken:
        raise ValidationError(_("This slug is already in use."), code="slug_taken")
    algorithm = Algorithm(slug=slug or _unique_slug(version.name), created_by=by)
    algorithm.full_clean(exclude=["current_version"])
    algorithm.save()
    version.algorithm = algorithm
    _save_version(version)
    _event(version=version, action=Action.CREATE, from_state="", to_state=State.DRAFT, by=by)
    return algorithm


@transaction.atomic
def algorithm_version_update(*, version: AlgorithmVersion, by, **fields) -> AlgorithmVersion:
    """Change a draft. Versions awaiting approval, published or withdrawn cannot change."""
    _require(by, "registry.change_algorithm_draft", version)
    _check_fields(fields)
    version = _locked(version)
    if version.state != State.DRAFT:
        raise ValidationError(
            _("Only a draft can be changed. This version is: %(state)s."),
            params={"state": version.get_state_display()}, code="not_a_draft",
        )
    for field, value in fields.items():
        setattr(version, field, _clean_value(value))
    version.updated_at = timezone.now()
    version.full_clean()
    version.save()
    return version


def _transition(*, version: AlgorithmVersion, action, by, reason: str = ""):
    """Lock the version and check the table, the permission and the reason."""
    from_state, to_state, permission = TRANSITIONS[action]
    version = _locked(version)
    _require(by, permission, version)
    if version.state != from_state:
        raise ValidationError(
            _("This is not possible now: the version is %(state)s."),
            params={"state": version.get_state_display()}, code="invalid_transition",
        )
    reason = (reason or "").strip()
    if action in REASON_REQUIRED and not reason:
        raise ValidationError({"reason": [_("Give a reason.")]}, code="reason_required")
    return version, from_state, to_state, reason


@transaction.atomic
def algorithm_version_submit(*, version: AlgorithmVersion, by) -> AlgorithmVersion:
    """Hand a complete draft over for approval by a colleague."""
    version, from_state, to_state, _reason = _transition(
        version=version, action=Action.SUBMIT, by=by
    )
    version.full_clean()
    errors = version.publication_errors()
    if errors:
        raise ValidationError(errors)
    version.state = to_state
    version.submitted_by = by
    version.submitted_at = timezone.now()
    version.save()
    _event(version=version, action=Action.SUBMIT, from_state=from_state, to_state=to_state, by=by)
    return version


def _check_four_eyes(version: AlgorithmVersion, by) -> None:
    # Explicit, not only in rules.py: Django lets a superuser pass every has_perm check.
    if version.submitted_by_id is not None and version.submitted_by_id == by.pk:
        raise PermissionDenied(
            _("Someone other than the person who submitted it must approve this version.")
        )


@transaction.atomic
def algorithm_version_publish(*, version: AlgorithmVersion, by) -> AlgorithmVersion:
    """Approve and publish a submitted version (four-eyes: not by the one who submitted it)."""
    version, from_state, to_state, _reason = _transition(
        version=version, action=Action.PUBLISH, by=by
    )
    _check_four_eyes(version, by)
    version.full_clean()
    errors = version.publication_errors()
    if errors:
        raise ValidationError(errors)
    version.state = to_state
    version.published_by = by
    version.published_at = timezone.now()
    version.save()
    algorithm = version.algorithm
    algorithm.current_version = version
    algorithm.save(update_fields=["current_version"])
    _event(version=version, action=Action.PUBLISH, from_state=from_state, to_state=to_state,
           by=by)
    return version


@transaction.atomic
def algorithm_version_reject(*, version: AlgorithmVersion, by, reason: str) -> AlgorithmVersion:
    """Send a submitted version back to draft, with the reason (four-eyes, like publishing)."""
    version, from_state, to_state, reason = _transition(
        version=version, action=Action.REJECT, by=by, reason=reason
    )
    _check_four_eyes(version, by)
    version.state = to_state
    version.submitted_by = None
    version.submitted_at = None
    version.save()
    _event(version=version, action=Action.REJECT, from_state=from_state, to_state=to_state,
           by=by, reason=reason)
    return version


@transaction.atomic
def algorithm_withdraw(*, algorithm: Algorithm, by, reason: str) -> AlgorithmVersion:
    """Withdraw the publication. It stays visible, marked as withdrawn with the reason."""
    algorithm = Algorithm.objects.select_for_update().get(pk=algorithm.pk)
    current = algorithm.current_version
    if current is None:
        raise ValidationError(
            _("This algorithm has not been published."), code="invalid_transition"
        )
    version, from_state, to_state, reason = _transition(
        version=current, action=Action.WITHDRAW, by=by, reason=reason
    )
    version.state = to_state
    version.withdrawn_at = timezone.now()
    version.withdrawn_reason = reason
    version.save()
    _event(version=version, action=Action.WITHDRAW, from_state=from_state, to_state=to_state,
           by=by, reason=reason)
    return version


@transaction.atomic
def algorithm_new_draft(*, algorithm: Algorithm, by, **fields) -> AlgorithmVersion:
    """A new draft version: a copy of the current public version, with `fields` changed.

    The published version itself is not touched and stays in the history.
    """
    _require(by, "registry.change_algorithm_draft", algorithm)
    _check_fields(fields)
    algorithm = Algorithm.objects.select_for_update().get(pk=algorithm.pk)
    source = algorithm.current_version
    if source is None:
        raise ValidationError(
            _("This algorithm has not been published yet; change its draft instead."),
            code="not_published",
        )
    if algorithm.versions.filter(state__in=AlgorithmVersion.OPEN_STATES).exists():
        raise ValidationError(
            _("This algorithm already has a version in progress."), code="open_version_exists"
        )
    content = {field: getattr(source, field) for field in AlgorithmVersion.CONTENT_FIELDS}
    content.update({key: _clean_value(value) for key, value in fields.items()})
    number = (algorithm.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = AlgorithmVersion(
        algorithm=algorithm, number=number, state=State.DRAFT, created_by=by, **content
    )
    version.full_clean()
    _save_version(version)
    _event(version=version, action=Action.CREATE, from_state="", to_state=State.DRAFT, by=by)
    return version
