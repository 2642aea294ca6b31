"""Every write to the algorithm register. Keyword-only functions; each transition writes an event.

The workflow of a version (four-eyes, after the national register's SELF_PUBLISH_TWO flow):

    draft --submit--> submitted --publish--> published --withdraw--> withdrawn
                          |
                          +--reject (reason)--> draft

A civil servant drafts and submits; a *different* civil servant (or an admin who did not submit
it) publishes or sends it back. A published version is never changed: editing a published
algorithm makes a new draft version (a copy), and the old version stays in the history.

The pilot register (second half) uses the same workflow for a pilot's first publication and then
for the versions of a published pilot (pilot_new_draft … pilot_version_publish).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from portal.core.models import Notification
from portal.core.services import notification_send
from registry import standard
from registry.models import (
    KPI_DEFINITION_FIELDS,
    Algorithm,
    AlgorithmEvent,
    AlgorithmVersion,
    Evaluation,
    Kpi,
    KpiResult,
    Pilot,
    PilotEvent,
    PilotSubscription,
    PilotVersion,
    algorithm_refs,
    kpi_definition,
)

State = AlgorithmVersion.State
Action = AlgorithmEvent.Action

# The fields a person may write. `lang` and `standard_version` have one permitted value each.
EDITABLE_FIELDS = AlgorithmVersion.CONTENT_FIELDS


def publication_transitions(actions, thing: str) -> dict:
    """action -> (allowed from-state, to-state, permission): the four-eyes publication workflow
    of the registers' records ("algorithm", "pilot")."""
    return {
        actions.SUBMIT: (State.DRAFT, State.SUBMITTED, f"registry.submit_{thing}"),
        actions.PUBLISH: (State.SUBMITTED, State.PUBLISHED, f"registry.publish_{thing}"),
        actions.REJECT: (State.SUBMITTED, State.DRAFT, f"registry.publish_{thing}"),
        actions.WITHDRAW: (State.PUBLISHED, State.WITHDRAWN, f"registry.withdraw_{thing}"),
    }


# The one table of allowed transitions of an algorithm version.
TRANSITIONS = publication_transitions(Action, "algorithm")

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


# Paths under /registers/algoritmes/ and /registers/pilots/ that a slug must not shadow
# ("kaart": the map of pilots). Both registers share the set.
RESERVED_SLUGS = {"nieuw", "importeren", "kaart"}


def _unique_slug(name: str, *, model=Algorithm, fallback="algoritme") -> str:
    base = slugify(name)[:100].strip("-") or fallback
    slug, counter = base, 2
    while slug in RESERVED_SLUGS or model.objects.filter(slug=slug).exists():
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


def _open_version_exists(thing) -> ValidationError:
    message = (_("This pilot already has a version in progress.") if isinstance(thing, Pilot)
               else _("This algorithm already has a version in progress."))
    return ValidationError(message, code="open_version_exists")


def _save_version(version) -> None:
    """Save a new version in progress (algorithm or pilot version); the database allows one
    per record."""
    try:
        with transaction.atomic():
            version.save()
    except IntegrityError as error:
        parent = version.pilot if isinstance(version, PilotVersion) else version.algorithm
        raise _open_version_exists(parent) from error


def _next_number(versions) -> int:
    return (versions.aggregate(n=Max("number"))["n"] or 0) + 1


def _update_draft(version, fields: dict):
    """Change the content of a draft version (algorithm or pilot version). A version awaiting
    approval, published or withdrawn cannot change."""
    if version.state != State.DRAFT:
        raise ValidationError(
            _("Only a draft can be changed. This version is: %(state)s."),
            params={"state": version.get_state_display()}, code="not_a_draft",
        )
    for field, value in fields.items():
        setattr(version, field, value)
    version.updated_at = timezone.now()
    version.full_clean()
    version.save()
    return version


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
    return _update_draft(
        _locked(version), {key: _clean_value(value) for key, value in fields.items()}
    )


def _check_transition(*, obj, table: dict, action, by, reason: str = ""):
    """Check the table, the permission and the reason for `action` on a locked object.

    Shared by algorithm versions, pilots and pilot versions (the same publication workflow).
    """
    from_state, to_state, permission = table[action]
    _require(by, permission, obj)
    if obj.state != from_state:
        raise ValidationError(
            _("This is not possible now: the version is %(state)s."),
            params={"state": obj.get_state_display()}, code="invalid_transition",
        )
    reason = (reason or "").strip()
    if action in REASON_REQUIRED and not reason:
        raise ValidationError({"reason": [_("Give a reason.")]}, code="reason_required")
    return from_state, to_state, reason


def _transition(*, version: AlgorithmVersion, action, by, reason: str = ""):
    """Lock the version and check the table, the permission and the reason."""
    version = _locked(version)
    from_state, to_state, reason = _check_transition(
        obj=version, table=TRANSITIONS, action=action, by=by, reason=reason
    )
    return version, from_state, to_state, reason


def _check_publishable(obj) -> None:
    obj.full_clean()
    errors = obj.publication_errors()
    if errors:
        raise ValidationError(errors)


# The steps of the four-eyes workflow, on an object already locked and checked against the table
# (_check_transition): an algorithm version, a pilot or a pilot version. The caller saves it.

def _mark_submitted(obj, *, by, to_state) -> None:
    _check_publishable(obj)
    obj.state, obj.submitted_by, obj.submitted_at = to_state, by, timezone.now()


def _mark_published(obj, *, by, to_state) -> None:
    _check_four_eyes(obj, by)
    _check_publishable(obj)
    obj.state, obj.published_by, obj.published_at = to_state, by, timezone.now()


def _mark_rejected(obj, *, by, to_state) -> None:
    _check_four_eyes(obj, by)
    obj.state, obj.submitted_by, obj.submitted_at = to_state, None, None


@transaction.atomic
def algorithm_version_submit(*, version: AlgorithmVersion, by) -> AlgorithmVersion:
    """Hand a complete draft over for approval by a colleague."""
    version, from_state, to_state, _reason = _transition(
        version=version, action=Action.SUBMIT, by=by
    )
    _mark_submitted(version, by=by, to_state=to_state)
    version.save()
    _event(version=version, action=Action.SUBMIT, from_state=from_state, to_state=to_state, by=by)
    return version


def _check_four_eyes(obj, by) -> None:
    """The one who submitted (or recorded) `obj` may not approve it.

    Explicit, not only in rules.py: Django lets a superuser pass every has_perm check.
    """
    if obj.submitted_by_id is not None and obj.submitted_by_id == by.pk:
        raise PermissionDenied(
            _("Someone other than the person who submitted it must approve this version.")
        )


@transaction.atomic
def algorithm_version_publish(*, version: AlgorithmVersion, by) -> AlgorithmVersion:
    """Approve and publish a submitted version (four-eyes: not by the one who submitted it)."""
    version, from_state, to_state, _reason = _transition(
        version=version, action=Action.PUBLISH, by=by
    )
    _mark_published(version, by=by, to_state=to_state)
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
    _mark_rejected(version, by=by, to_state=to_state)
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
        raise _open_version_exists(algorithm)
    content = {field: getattr(source, field) for field in AlgorithmVersion.CONTENT_FIELDS}
    content.update({key: _clean_value(value) for key, value in fields.items()})
    version = AlgorithmVersion(
        algorithm=algorithm, number=_next_number(algorithm.versions), state=State.DRAFT,
        created_by=by, **content
    )
    version.full_clean()
    _save_version(version)
    _event(version=version, action=Action.CREATE, from_state="", to_state=State.DRAFT, by=by)
    return version


# --- the pilot register ----------------------------------------------------------------------
#
# A pilot's publication uses the same four-eyes workflow as an algorithm version
# (PILOT_TRANSITIONS, checked by _check_transition): the pilot itself until its first
# publication (only a draft can be edited), then its versions (a change to the published pilot
# is a new PilotVersion, below). Its life-cycle status has its own table (STATUS_TRANSITIONS).
# Every change writes a PilotEvent.

PilotStatus = Pilot.Status
PilotAction = PilotEvent.Action

PILOT_TRANSITIONS = publication_transitions(PilotAction, "pilot")

# The pilot's life cycle: from-status -> the statuses it may move to. "adjusted" means: changed
# and tested again, so it may run (and be evaluated) again; the others after an evaluation end it.
STATUS_TRANSITIONS = {
    PilotStatus.IDEA: {PilotStatus.PREPARATION, PilotStatus.STOPPED},
    PilotStatus.PREPARATION: {PilotStatus.RUNNING, PilotStatus.STOPPED, PilotStatus.PROHIBITED},
    PilotStatus.RUNNING: {PilotStatus.EVALUATING, PilotStatus.STOPPED, PilotStatus.PROHIBITED},
    PilotStatus.EVALUATING: {
        PilotStatus.RUNNING, PilotStatus.SCALED_UP, PilotStatus.CONTINUED, PilotStatus.ADJUSTED,
        PilotStatus.STOPPED, PilotStatus.PROHIBITED,
    },
    PilotStatus.ADJUSTED: {PilotStatus.RUNNING, PilotStatus.EVALUATING, PilotStatus.STOPPED},
    PilotStatus.CONTINUED: {PilotStatus.EVALUATING, PilotStatus.STOPPED},
    PilotStatus.SCALED_UP: set(),
    PilotStatus.STOPPED: set(),
    PilotStatus.PROHIBITED: set(),
}

# What a published *final* evaluation's decision does to the pilot's status.
DECISION_STATUS = {
    Evaluation.Recommendation.SCALE_UP: PilotStatus.SCALED_UP,
    Evaluation.Recommendation.CONTINUE: PilotStatus.CONTINUED,
    Evaluation.Recommendation.ADJUST: PilotStatus.ADJUSTED,
    Evaluation.Recommendation.STOP: PilotStatus.STOPPED,
}

PILOT_EDITABLE_FIELDS = Pilot.CONTENT_FIELDS + ("algorithms",)
KPI_FIELDS = (
    "name", "definition", "unit", "direction", "baseline_value", "baseline_date",
    "baseline_source", "target_value", "target_date", "result_value", "assessment",
)
KPI_RESULT_FIELDS = ("value", "assessment", "note")


def _only(fields: dict, allowed) -> dict:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    return {key: _clean_value(value) for key, value in fields.items()}


def _pilot_event(*, pilot, action, by, from_state="", to_state="", reason="",
                 evaluation=None, version=None) -> PilotEvent:
    return PilotEvent.objects.create(
        pilot=pilot, evaluation=evaluation, version=version, action=action,
        from_state=from_state, to_state=to_state, by=by, reason=reason,
    )


def _locked_pilot(pilot: Pilot) -> Pilot:
    return Pilot.objects.select_for_update().get(pk=pilot.pk)


def _require_draft(pilot: Pilot) -> None:
    if pilot.state != State.DRAFT:
        raise ValidationError(
            _("Only a draft can be changed. This pilot is: %(state)s."),
            params={"state": pilot.get_state_display()}, code="not_a_draft",
        )


def _set_pilot_fields(pilot: Pilot, fields: dict) -> list | None:
    algorithms = fields.pop("algorithms", None)
    for field, value in fields.items():
        setattr(pilot, field, value)
    return algorithms


@transaction.atomic
def pilot_create(*, by, slug: str | None = None, **fields) -> Pilot:
    """A new pilot as a draft. Only the title is needed for a draft."""
    _require(by, "registry.add_pilot")
    pilot = Pilot(created_by=by)
    algorithms = _set_pilot_fields(pilot, _only(fields, PILOT_EDITABLE_FIELDS))
    if slug is not None and (slug in RESERVED_SLUGS or Pilot.objects.filter(slug=slug).exists()):
        raise ValidationError(_("This slug is already in use."), code="slug_taken")
    pilot.slug = slug or _unique_slug(pilot.title, model=Pilot, fallback="pilot")
    pilot.full_clean()
    pilot.save()
    if algorithms is not None:
        pilot.algorithms.set(algorithms)
    _pilot_event(pilot=pilot, action=PilotAction.CREATE, to_state=State.DRAFT, by=by)
    return pilot


@transaction.atomic
def pilot_update(*, pilot: Pilot, by, **fields) -> Pilot:
    """Change a draft pilot. A pilot awaiting approval, published or withdrawn cannot change."""
    _require(by, "registry.change_pilot_draft", pilot)
    fields = _only(fields, PILOT_EDITABLE_FIELDS)
    pilot = _locked_pilot(pilot)
    _require_draft(pilot)
    algorithms = _set_pilot_fields(pilot, fields)
    pilot.updated_at = timezone.now()
    pilot.full_clean()
    pilot.save()
    if algorithms is not None:
        pilot.algorithms.set(algorithms)
    return pilot


def _pilot_transition(*, pilot: Pilot, action, by, reason: str = ""):
    pilot = _locked_pilot(pilot)
    from_state, to_state, reason = _check_transition(
        obj=pilot, table=PILOT_TRANSITIONS, action=action, by=by, reason=reason
    )
    return pilot, from_state, to_state, reason


def _pilot_moved(pilot, *, action, by, from_state, to_state, reason="", version=None) -> Pilot:
    pilot.state = to_state
    pilot.save()
    _pilot_event(pilot=pilot, action=action, from_state=from_state, to_state=to_state, by=by,
                 reason=reason, version=version)
    return pilot


@transaction.atomic
def pilot_submit(*, pilot: Pilot, by) -> Pilot:
    """Hand a complete draft pilot over for approval by a colleague."""
    pilot, from_state, to_state, _reason = _pilot_transition(
        pilot=pilot, action=PilotAction.SUBMIT, by=by
    )
    _mark_submitted(pilot, by=by, to_state=to_state)
    return _pilot_moved(pilot, action=PilotAction.SUBMIT, by=by, from_state=from_state,
                        to_state=to_state)


@transaction.atomic
def pilot_publish(*, pilot: Pilot, by) -> Pilot:
    """Approve and publish a submitted pilot (four-eyes: not by the one who submitted it).

    Its content, algorithms and KPI definitions are kept as version 1 (a frozen PilotVersion)."""
    pilot, from_state, to_state, _reason = _pilot_transition(
        pilot=pilot, action=PilotAction.PUBLISH, by=by
    )
    _mark_published(pilot, by=by, to_state=to_state)
    version = PilotVersion.objects.create(
        pilot=pilot, number=_next_number(pilot.versions), state=State.PUBLISHED,
        created_by=pilot.created_by, created_at=pilot.created_at,
        submitted_by=pilot.submitted_by, submitted_at=pilot.submitted_at,
        published_by=by, published_at=pilot.published_at, **pilot_snapshot(pilot),
    )
    pilot.current_version = version
    return _pilot_moved(pilot, action=PilotAction.PUBLISH, by=by, from_state=from_state,
                        to_state=to_state, version=version)


@transaction.atomic
def pilot_reject(*, pilot: Pilot, by, reason: str) -> Pilot:
    """Send a submitted pilot back to draft, with the reason (four-eyes, like publishing)."""
    pilot, from_state, to_state, reason = _pilot_transition(
        pilot=pilot, action=PilotAction.REJECT, by=by, reason=reason
    )
    _mark_rejected(pilot, by=by, to_state=to_state)
    return _pilot_moved(pilot, action=PilotAction.REJECT, by=by, from_state=from_state,
                        to_state=to_state, reason=reason)


@transaction.atomic
def pilot_withdraw(*, pilot: Pilot, by, reason: str) -> Pilot:
    """Withdraw the publication. It stays visible, marked as withdrawn with the reason; so
    does its current version in the history. A change in progress can no longer be published."""
    pilot, from_state, to_state, reason = _pilot_transition(
        pilot=pilot, action=PilotAction.WITHDRAW, by=by, reason=reason
    )
    pilot.withdrawn_at, pilot.withdrawn_reason = timezone.now(), reason
    if pilot.current_version_id is not None:
        # Bookkeeping only: the frozen content stays as it is (FrozenQuerySet allows this).
        PilotVersion.objects.filter(pk=pilot.current_version_id).update(
            state=to_state, withdrawn_at=pilot.withdrawn_at, withdrawn_reason=reason
        )
    return _pilot_moved(pilot, action=PilotAction.WITHDRAW, by=by, from_state=from_state,
                        to_state=to_state, reason=reason, version=pilot.current_version)


# --- versions of a published pilot -----------------------------------------------------------
#
# A published pilot's card (content fields, linked algorithms, KPI definitions) is changed by a
# new PilotVersion: a copy of the public content, edited as a draft, submitted, and published by
# someone else (the same PILOT_TRANSITIONS). Publishing copies it onto the pilot (what the public
# sees) and freezes it. Life-cycle status and evaluations keep their own flows; KPI results are
# set by evaluations, never by a version.


def pilot_snapshot(pilot: Pilot) -> dict:
    """The pilot's public content as a version keeps it (content fields, algorithms, KPIs)."""
    return {
        **{field: getattr(pilot, field) for field in Pilot.CONTENT_FIELDS},
        "algorithms": algorithm_refs(pilot.algorithms.select_related("current_version")),
        "kpis": [kpi_definition(kpi) for kpi in pilot.kpis.order_by("pk")],
    }


def _version_fields(fields: dict) -> dict:
    """Form values for a version: the linked algorithms become references."""
    fields = _only(fields, PILOT_EDITABLE_FIELDS)
    if "algorithms" in fields:
        ids = [getattr(algorithm, "pk", algorithm) for algorithm in fields["algorithms"] or ()]
        fields["algorithms"] = algorithm_refs(
            Algorithm.objects.filter(pk__in=ids).select_related("current_version")
        )
    return fields


def _locked_version(version: PilotVersion) -> PilotVersion:
    return PilotVersion.objects.select_for_update().select_related("pilot").get(pk=version.pk)


def _require_published(pilot: Pilot) -> None:
    if pilot.state != State.PUBLISHED:
        raise ValidationError(
            _("Only a published pilot gets new versions. This pilot is: %(state)s."),
            params={"state": pilot.get_state_display()}, code="pilot_not_published",
        )


@transaction.atomic
def pilot_new_draft(*, pilot: Pilot, by, **fields) -> PilotVersion:
    """Propose a change to a published pilot: a new draft version, a copy of the public content
    with `fields` changed. The public keeps seeing the published content."""
    _require(by, "registry.change_pilot_draft", pilot)
    fields = _version_fields(fields)
    pilot = _locked_pilot(pilot)
    _require_published(pilot)
    if pilot.versions.filter(state__in=PilotVersion.OPEN_STATES).exists():
        raise _open_version_exists(pilot)
    version = PilotVersion(pilot=pilot, number=_next_number(pilot.versions), state=State.DRAFT,
                           created_by=by, **{**pilot_snapshot(pilot), **fields})
    version.full_clean()
    _save_version(version)
    _pilot_event(pilot=pilot, action=PilotAction.CREATE, to_state=State.DRAFT, by=by,
                 version=version)
    return version


@transaction.atomic
def pilot_version_update(*, version: PilotVersion, by, **fields) -> PilotVersion:
    """Change a draft version of a published pilot."""
    _require(by, "registry.change_pilot_draft", version)
    fields = _version_fields(fields)
    version = _locked_version(version)
    _require_published(version.pilot)
    return _update_draft(version, fields)


@transaction.atomic
def pilot_version_kpi_save(*, version: PilotVersion, by, position: int | None = None,
                           **fields) -> PilotVersion:
    """Add a KPI to a draft version (`position` None) or change the definition of the KPI at
    `position` (1, 2, …). A KPI is never removed: its results stay linked to it."""
    _require(by, "registry.change_pilot_draft", version)
    fields = _only(fields, KPI_DEFINITION_FIELDS)
    version = _locked_version(version)
    _require_published(version.pilot)
    kpis = list(version.kpis)
    if position is not None and not 1 <= position <= len(kpis):
        raise ValidationError(_("This KPI is not part of the version."), code="wrong_kpi")
    kpi = Kpi(pilot=version.pilot, **fields)
    kpi.full_clean()
    entry = kpi_definition(kpi, kpi_id=kpis[position - 1]["id"] if position else None)
    if position is None:
        kpis.append(entry)
    else:
        kpis[position - 1] = entry
    return _update_draft(version, {"kpis": kpis})


def _version_transition(*, version: PilotVersion, action, by, reason: str = ""):
    version = _locked_version(version)
    from_state, to_state, reason = _check_transition(
        obj=version, table=PILOT_TRANSITIONS, action=action, by=by, reason=reason
    )
    return version, from_state, to_state, reason


def _version_moved(version: PilotVersion, *, action, by, from_state, to_state,
                   reason="") -> PilotVersion:
    version.save()
    _pilot_event(pilot=version.pilot, action=action, from_state=from_state, to_state=to_state,
                 by=by, reason=reason, version=version)
    return version


@transaction.atomic
def pilot_version_submit(*, version: PilotVersion, by) -> PilotVersion:
    """Hand a complete draft version over for approval by a colleague."""
    version, from_state, to_state, _reason = _version_transition(
        version=version, action=PilotAction.SUBMIT, by=by
    )
    _require_published(version.pilot)
    _mark_submitted(version, by=by, to_state=to_state)
    return _version_moved(version, action=PilotAction.SUBMIT, by=by, from_state=from_state,
                          to_state=to_state)


def _apply_kpis(pilot: Pilot, definitions: list[dict]) -> list[dict]:
    """Give the pilot's KPIs the definitions of a version being published (a KPI that the
    version adds is created). Returns the definitions with every KPI's id."""
    existing = {kpi.pk: kpi for kpi in pilot.kpis.all()}
    applied = []
    for entry in definitions:
        kpi = existing.get(entry["id"]) if entry["id"] is not None else Kpi(pilot=pilot)
        if kpi is None:
            raise ValidationError(_("This KPI does not belong to the pilot."), code="wrong_kpi")
        for field in KPI_DEFINITION_FIELDS:
            setattr(kpi, field, Kpi._meta.get_field(field).to_python(entry[field]))
        kpi.full_clean()
        kpi.save()
        applied.append(kpi_definition(kpi))
    return applied


@transaction.atomic
def pilot_version_publish(*, version: PilotVersion, by) -> PilotVersion:
    """Approve and publish a submitted version (four-eyes: not by the one who submitted it).

    The pilot takes the version's content, algorithms and KPI definitions, and the version is
    frozen. The previous version stays in the history."""
    version, from_state, to_state, _reason = _version_transition(
        version=version, action=PilotAction.PUBLISH, by=by
    )
    pilot = _locked_pilot(version.pilot)
    _require_published(pilot)
    _mark_published(version, by=by, to_state=to_state)
    for field in Pilot.CONTENT_FIELDS:
        setattr(pilot, field, getattr(version, field))
    pilot.full_clean()
    version.kpis = _apply_kpis(pilot, version.kpis)
    version.pilot = pilot
    _version_moved(version, action=PilotAction.PUBLISH, by=by, from_state=from_state,
                   to_state=to_state)
    pilot.algorithms.set(
        Algorithm.objects.filter(slug__in=[ref["slug"] for ref in version.algorithms])
    )
    pilot.current_version, pilot.updated_at = version, timezone.now()
    pilot.save()
    return version


@transaction.atomic
def pilot_version_reject(*, version: PilotVersion, by, reason: str) -> PilotVersion:
    """Send a submitted version back to draft, with the reason (four-eyes, like publishing)."""
    version, from_state, to_state, reason = _version_transition(
        version=version, action=PilotAction.REJECT, by=by, reason=reason
    )
    _mark_rejected(version, by=by, to_state=to_state)
    return _version_moved(version, action=PilotAction.REJECT, by=by, from_state=from_state,
                          to_state=to_state, reason=reason)


def _move_status(*, pilot: Pilot, by, to_status, reason="", evaluation=None) -> PilotEvent:
    to_status = PilotStatus(to_status)
    from_status = pilot.status
    if to_status not in STATUS_TRANSITIONS[PilotStatus(from_status)]:
        raise ValidationError(
            _("A pilot cannot go from %(from)s to %(to)s."),
            params={"from": PilotStatus(from_status).label, "to": to_status.label},
            code="invalid_status_transition",
        )
    pilot.status = to_status
    pilot.updated_at = timezone.now()
    pilot.save(update_fields=["status", "updated_at"])
    return _pilot_event(pilot=pilot, action=PilotAction.STATUS, from_state=from_status,
                        to_state=to_status, by=by, reason=reason, evaluation=evaluation)


@transaction.atomic
def pilot_status_change(*, pilot: Pilot, by, to_status, reason: str = "") -> Pilot:
    """Move the pilot along its life cycle (STATUS_TRANSITIONS), with an event row.

    When the pilot is published, its followers (of the pilot or its theme) are notified after
    the commit (`pilot_status_followers_notify`). A status set by a published final evaluation
    goes through `evaluation_publish` instead, whose one notification names the decision."""
    _require(by, "registry.change_pilot_status", pilot)
    if to_status not in PilotStatus.values:
        raise ValidationError(_("Unknown status."), code="invalid_status")
    pilot = _locked_pilot(pilot)
    event = _move_status(pilot=pilot, by=by, to_status=to_status, reason=(reason or "").strip())
    if pilot.state == State.PUBLISHED:
        from registry.tasks import pilot_status_notify_task

        event_id = event.pk
        transaction.on_commit(lambda: pilot_status_notify_task.delay(event_id))
    return pilot


@transaction.atomic
def kpi_add(*, pilot: Pilot, by, **fields) -> Kpi:
    """A KPI for a draft pilot."""
    _require(by, "registry.change_pilot_draft", pilot)
    pilot = _locked_pilot(pilot)
    _require_draft(pilot)
    kpi = Kpi(pilot=pilot, **_only(fields, KPI_FIELDS))
    kpi.full_clean()
    kpi.save()
    return kpi


@transaction.atomic
def kpi_update(*, kpi: Kpi, by, **fields) -> Kpi:
    """Change a KPI of a draft pilot."""
    _require(by, "registry.change_pilot_draft", kpi.pilot)
    fields = _only(fields, KPI_FIELDS)
    _require_draft(_locked_pilot(kpi.pilot))
    kpi = Kpi.objects.select_for_update().get(pk=kpi.pk)
    for field, value in fields.items():
        setattr(kpi, field, value)
    kpi.full_clean()
    kpi.save()
    return kpi


@transaction.atomic
def evaluation_record(*, pilot: Pilot, by, kpi_results: dict | None = None,
                      **fields) -> Evaluation:
    """Record an evaluation as a draft, with a result per KPI ({kpi_id: {value, assessment,
    note}}). A colleague publishes it (evaluation_publish)."""
    _require(by, "registry.record_evaluation", pilot)
    pilot = _locked_pilot(pilot)
    if not pilot.is_public:
        raise ValidationError(
            _("Publish the pilot before recording an evaluation."), code="pilot_not_published"
        )
    fields = _only(fields, Evaluation.CONTENT_FIELDS)
    evaluation = Evaluation(pilot=pilot, submitted_by=by, **fields)
    evaluation.full_clean()
    results = _kpi_results(pilot, kpi_results)
    evaluation.save()
    _save_kpi_results(evaluation, results)
    _pilot_event(pilot=pilot, action=PilotAction.EVALUATION_RECORD, by=by,
                 evaluation=evaluation, to_state=Evaluation.State.DRAFT)
    return evaluation


def _kpi_results(pilot: Pilot, kpi_results: dict | None) -> list[KpiResult]:
    """Checked, unsaved results ({kpi_id: {value, assessment, note}}) for KPIs of `pilot`."""
    kpis = {kpi.pk: kpi for kpi in pilot.kpis.all()}
    results = []
    for kpi_id, values in (kpi_results or {}).items():
        if int(kpi_id) not in kpis:
            raise ValidationError(_("This KPI does not belong to the pilot."), code="wrong_kpi")
        result = KpiResult(kpi=kpis[int(kpi_id)], **_only(values, KPI_RESULT_FIELDS))
        result.full_clean(exclude=["evaluation"], validate_constraints=False)
        results.append(result)
    return results


def _save_kpi_results(evaluation: Evaluation, results: list[KpiResult]) -> None:
    """Save the results, replacing the evaluation's earlier result of the same KPI."""
    existing = {result.kpi_id: result for result in evaluation.kpi_results.all()}
    for result in results:
        stored = existing.get(result.kpi_id)
        if stored is not None:
            result.pk = stored.pk
        result.evaluation = evaluation
        result.save()


def _locked_evaluation(evaluation: Evaluation) -> Evaluation:
    return Evaluation.objects.select_for_update().select_related("pilot").get(pk=evaluation.pk)


@transaction.atomic
def evaluation_update(*, evaluation: Evaluation, by, kpi_results: dict | None = None,
                      **fields) -> Evaluation:
    """Change an evaluation that awaits publication or was sent back; it then awaits
    publication again. The one who changed it counts as its recorder: someone else must publish
    it (four-eyes)."""
    _require(by, "registry.record_evaluation", evaluation.pilot)
    evaluation = _locked_evaluation(evaluation)
    if evaluation.state not in Evaluation.EDITABLE_STATES:
        raise ValidationError(_("A published evaluation cannot be changed."),
                              code="not_a_draft")
    fields = _only(fields, Evaluation.CONTENT_FIELDS)
    from_state = evaluation.state
    for field, value in fields.items():
        setattr(evaluation, field, value)
    evaluation.state, evaluation.submitted_by = Evaluation.State.DRAFT, by
    evaluation.full_clean()
    results = _kpi_results(evaluation.pilot, kpi_results)
    evaluation.save()
    _save_kpi_results(evaluation, results)
    _pilot_event(pilot=evaluation.pilot, action=PilotAction.EVALUATION_UPDATE, by=by,
                 evaluation=evaluation, from_state=from_state, to_state=evaluation.state)
    return evaluation


@transaction.atomic
def evaluation_return(*, evaluation: Evaluation, by, reason: str) -> Evaluation:
    """Send an evaluation that awaits publication back to its recorder, with the reason
    (four-eyes, like publishing). It cannot be published until it has been changed."""
    evaluation = _locked_evaluation(evaluation)
    _require(by, "registry.publish_pilot", evaluation)
    _check_four_eyes(evaluation, by)
    if evaluation.state != Evaluation.State.DRAFT:
        raise ValidationError(_("Only an evaluation that awaits publication can be sent back."),
                              code="invalid_transition")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give a reason.")]}, code="reason_required")
    evaluation.state = Evaluation.State.RETURNED
    evaluation.save()
    _pilot_event(pilot=evaluation.pilot, action=PilotAction.EVALUATION_RETURN, by=by,
                 evaluation=evaluation, from_state=Evaluation.State.DRAFT,
                 to_state=Evaluation.State.RETURNED, reason=reason)
    return evaluation


@transaction.atomic
def evaluation_publish(*, evaluation: Evaluation, by) -> Evaluation:
    """Publish a recorded evaluation (four-eyes). A final evaluation's decision sets the pilot's
    status (DECISION_STATUS), passing "being evaluated" first if the pilot was still running;
    its KPI results become the KPIs' measured results."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    _require(by, "registry.publish_pilot", evaluation)
    _check_four_eyes(evaluation, by)
    if evaluation.state == Evaluation.State.RETURNED:
        raise ValidationError(_("This evaluation was sent back: it must be changed before it "
                                "can be published."), code="invalid_transition")
    if evaluation.state != Evaluation.State.DRAFT:
        raise ValidationError(_("This evaluation has been published already."),
                              code="invalid_transition")
    pilot = _locked_pilot(evaluation.pilot)
    if pilot.state != State.PUBLISHED:
        raise ValidationError(
            _("Only an evaluation of a published pilot can be published."),
            code="pilot_not_published",
        )
    _check_publishable(evaluation)
    evaluation.state = Evaluation.State.PUBLISHED
    evaluation.published_by, evaluation.published_at = by, timezone.now()
    evaluation.save()
    _pilot_event(pilot=pilot, action=PilotAction.EVALUATION_PUBLISH, by=by,
                 evaluation=evaluation, from_state=Evaluation.State.DRAFT,
                 to_state=Evaluation.State.PUBLISHED)
    if evaluation.kind == Evaluation.Kind.FINAL:
        for result in evaluation.kpi_results.select_related("kpi"):
            kpi = result.kpi
            kpi.result_value, kpi.assessment = result.value, result.assessment
            kpi.save(update_fields=["result_value", "assessment"])
        target = DECISION_STATUS.get(evaluation.decision)
        if target is not None and pilot.status != target:
            reason = _("Decision on the final evaluation.")
            if pilot.status == PilotStatus.RUNNING:
                _move_status(pilot=pilot, by=by, to_status=PilotStatus.EVALUATING,
                             reason=reason, evaluation=evaluation)
            _move_status(pilot=pilot, by=by, to_status=target, reason=reason,
                         evaluation=evaluation)
    _queue_followers_notify(evaluation)
    return evaluation


def _queue_followers_notify(evaluation: Evaluation) -> None:
    from registry.tasks import pilot_followers_notify_task

    evaluation_id = evaluation.pk
    transaction.on_commit(lambda: pilot_followers_notify_task.delay(evaluation_id))


# --- following pilots and themes -------------------------------------------------------------

NOTIFY_KIND = "pilot_evaluation_published"
STATUS_NOTIFY_KIND = "pilot_status_changed"


def _subscription_target(*, pilot: Pilot | None, theme: str) -> dict:
    theme = (theme or "").strip()
    if (pilot is None) == (not theme):
        raise ValidationError(_("Follow either a pilot or a theme."), code="invalid_target")
    if pilot is not None:
        if not pilot.is_public:
            raise ValidationError(_("Only a published pilot can be followed."),
                                  code="pilot_not_published")
        return {"pilot": pilot, "theme": ""}
    if theme not in standard.THEME_VALUES:
        raise ValidationError(_("Unknown theme."), code="invalid_theme")
    return {"pilot": None, "theme": theme}


@transaction.atomic
def pilot_follow(*, user, pilot: Pilot | None = None, theme: str = "") -> PilotSubscription:
    """`user` follows a pilot or a theme. Following twice changes nothing (idempotent)."""
    _require(user, "registry.follow_pilot", pilot)
    target = _subscription_target(pilot=pilot, theme=theme)
    subscription, _created = PilotSubscription.objects.get_or_create(user=user, **target)
    return subscription


@transaction.atomic
def pilot_unfollow(*, user, pilot: Pilot | None = None, theme: str = "") -> bool:
    """`user` stops following a pilot or theme (idempotent). True if they followed it."""
    _require(user, "registry.follow_pilot", pilot)
    if pilot is not None:
        target = {"pilot": pilot, "theme": ""}
    else:
        target = {"pilot": None, "theme": (theme or "").strip()}
    deleted, _rows = PilotSubscription.objects.filter(user=user, **target).delete()
    return bool(deleted)


def _followers_notify(*, pilot: Pilot, kind: str, url: str, message) -> int:
    """Send one notification (`kind`, linking to `url`) to every active person who follows
    `pilot` or its theme, however many of their subscriptions match. `message()` returns the
    (title, body), made in the site's language.

    Idempotent: (kind, url) names the occasion, and a person who already has a notification
    of it is skipped, so a redelivered task notifies nobody twice. Returns the number sent.
    The e-mail follows each person's notification preference (portal.core.services)."""
    follows = Q(pilot_subscriptions__pilot=pilot)
    if pilot.theme:
        follows |= Q(pilot_subscriptions__theme=pilot.theme)
    already = Notification.objects.filter(kind=kind, url=url).values("recipient")
    followers = (
        get_user_model().objects.filter(follows, is_active=True)
        .exclude(pk__in=already).distinct().order_by("pk")
    )
    with translation.override(settings.LANGUAGE_CODE):
        title, body = message()
    sent = 0
    for user in followers:
        notification_send(recipient=user, kind=kind, title=title, body=body, url=url)
        sent += 1
    return sent


def pilot_followers_notify(*, evaluation: Evaluation) -> int:
    """Notify everyone who follows the evaluation's pilot or its theme, once per person
    (`_followers_notify`). Only for a published evaluation of a public pilot. Returns the
    number of notifications sent."""
    evaluation = Evaluation.objects.select_related("pilot").get(pk=evaluation.pk)
    pilot = evaluation.pilot
    if evaluation.state != Evaluation.State.PUBLISHED or not pilot.is_public:
        return 0
    url = reverse("registry:evaluation_detail", kwargs={"slug": pilot.slug, "pk": evaluation.pk})

    def message():
        title = _("New evaluation of the pilot “%(pilot)s”") % {"pilot": pilot.title}
        if evaluation.kind == Evaluation.Kind.FINAL and evaluation.decision:
            body = _("%(kind)s. Decision: %(decision)s.") % {
                "kind": evaluation.get_kind_display(),
                "decision": str(evaluation.get_decision_display()).lower(),
            }
        else:
            body = f"{evaluation.get_kind_display()}."
        return title, body

    return _followers_notify(pilot=pilot, kind=NOTIFY_KIND, url=url, message=message)


def pilot_status_followers_notify(*, event: PilotEvent) -> int:
    """Notify everyone who follows the pilot or its theme that its life-cycle status changed
    (the status event `event`), once per person (`_followers_notify`; the link names the event,
    so each change notifies once). Only while the pilot is published; a status set by an
    evaluation's decision is left to the evaluation's own notification. Returns the number of
    notifications sent."""
    event = PilotEvent.objects.select_related("pilot").get(pk=event.pk)
    pilot = event.pilot
    if (event.action != PilotAction.STATUS or event.evaluation_id is not None
            or pilot.state != State.PUBLISHED):
        return 0
    url = f"{pilot.get_absolute_url()}#event-{event.pk}"

    def message():
        title = _("New status of the pilot “%(pilot)s”: %(status)s") % {
            "pilot": pilot.title, "status": event.to_label,
        }
        body = _("The status changed from %(from)s to %(to)s.") % {
            "from": event.from_label, "to": event.to_label,
        }
        if event.reason:
            body = f"{body}\n{event.reason}"
        return title, body

    return _followers_notify(pilot=pilot, kind=STATUS_NOTIFY_KIND, url=url, message=message)
