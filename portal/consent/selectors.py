"""Reads of the consent ledger. The state of a purpose for a person is derived from the latest
event, never stored a second time."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format

from portal.consent.models import (
    ConsentEvent,
    ConsentText,
    DataExport,
    PersonalDataAccess,
    Purpose,
    WithdrawalEffectRun,
)
from portal.consent.personal_data import personal_data_sections
from portal.consent.pseudonyms import consent_subject_pseudonym

GRANTED, WITHDRAWN, NEVER = "granted", "withdrawn", "never"

# The last step of every withdrawal task: the person is told the outcome. Its run row marks the
# withdrawal as processed; it is not one of the owning apps' effects.
NOTIFY_STEP = "consent.notify_person"

PROCESSING, PROCESSED, FAILED = "processing", "processed", "failed"


@dataclass
class ConsentState:
    purpose: Purpose
    status: str  # GRANTED, WITHDRAWN or NEVER
    event: ConsentEvent | None  # the latest event, if any
    text: ConsentText | None  # the text version of the latest event
    current_text: ConsentText | None  # the newest published text
    latest_material_version: int | None
    events: list[ConsentEvent] = field(default_factory=list)  # newest first

    @property
    def is_granted(self) -> bool:
        return self.status == GRANTED

    @property
    def text_changed(self) -> bool:
        """Granted, but a newer text with material changes has been published since."""
        return bool(
            self.status == GRANTED
            and self.text is not None
            and self.latest_material_version is not None
            and self.text.version < self.latest_material_version
        )

    @property
    def needs_asking(self) -> bool:
        return self.status != GRANTED or self.text_changed


def current_text(*, purpose: Purpose) -> ConsentText | None:
    """The newest published text of a purpose."""
    return (
        ConsentText.objects.filter(purpose=purpose, published_at__isnull=False)
        .order_by("-version")
        .first()
    )


def _state_from(purpose, events, texts) -> ConsentState:
    """Build a state from the purpose's published texts and the person's events (newest first)."""
    published = sorted((t for t in texts if t.published_at), key=lambda t: t.version)
    material = [t.version for t in published if t.material_change]
    latest = events[0] if events else None
    if latest is None:
        status = NEVER
    elif latest.action == ConsentEvent.Action.GRANT:
        status = GRANTED
    else:
        status = WITHDRAWN
    return ConsentState(
        purpose=purpose,
        status=status,
        event=latest,
        text=latest.text if latest else None,
        current_text=published[-1] if published else None,
        latest_material_version=max(material) if material else None,
        events=list(events),
    )


def _user_events(user):
    return ConsentEvent.objects.filter(user=user).select_related("text", "purpose")


def consent_state(*, user, purpose: Purpose) -> ConsentState:
    """Granted / withdrawn / never for this person and purpose, and which text version."""
    events = list(_user_events(user).filter(purpose=purpose).order_by("-created_at", "-id"))
    texts = list(ConsentText.objects.filter(purpose=purpose))
    return _state_from(purpose, events, texts)


def consent_needs_asking(*, user, purpose: Purpose) -> bool:
    """True when never granted, withdrawn, or granted for a text older than the newest version
    with material changes. An owning app asks again before it uses the purpose."""
    if not getattr(user, "is_authenticated", False):
        return True
    return consent_state(user=user, purpose=purpose).needs_asking


def consent_has(*, user, purpose_code: str) -> bool:
    """For owning apps: may this purpose be used for this person right now?"""
    purpose = Purpose.objects.filter(code=purpose_code, active=True).first()
    if purpose is None or not getattr(user, "is_authenticated", False):
        return False
    return not consent_state(user=user, purpose=purpose).needs_asking


def consent_history(*, user):
    """All consent events of a person, newest first, with their texts and withdrawal outcome."""
    return (
        _user_events(user)
        .order_by("-created_at", "-id")
        .prefetch_related(
            Prefetch("effect_runs", queryset=WithdrawalEffectRun.objects.order_by("finished_at",
                                                                                  "id"))
        )
    )


def consent_overview(*, user) -> list[ConsentState]:
    """Every active purpose with this person's state and history. A fixed number of queries."""
    purposes = list(Purpose.objects.filter(active=True).order_by("title"))
    texts = list(ConsentText.objects.filter(purpose__in=purposes))
    events = list(consent_history(user=user).filter(purpose__in=purposes))
    for event in events:
        event.outcome = (
            withdrawal_outcome(event) if event.action == ConsentEvent.Action.WITHDRAW else None
        )
    states = []
    for purpose in purposes:
        states.append(
            _state_from(
                purpose,
                [e for e in events if e.purpose_id == purpose.pk],
                [t for t in texts if t.purpose_id == purpose.pk],
            )
        )
    return states


def withdrawal_outcome(event: ConsentEvent) -> dict:
    """Processing state of a withdrawal, from its (prefetched) effect runs."""
    runs = list(event.effect_runs.all())
    effects = [run for run in runs if run.effect_name != NOTIFY_STEP]
    if any(run.status == WithdrawalEffectRun.Status.FAILED for run in runs):
        status = FAILED
    elif any(run.effect_name == NOTIFY_STEP for run in runs):
        status = PROCESSED
    else:
        status = PROCESSING
    finished = [run.finished_at for run in runs]
    return {"status": status, "effects": effects,
            "finished_at": max(finished) if status != PROCESSING and finished else None}


def purpose_get(*, code: str, active_only: bool = True) -> Purpose | None:
    qs = Purpose.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    return qs.filter(code=code).first()


# --- Mijn gegevens ---------------------------------------------------------------------------

OVERVIEW_ROWS = 5


def personal_data_document(*, user) -> dict:
    """Everything the registered sections hold about `user`, as plain JSON (the export)."""
    sections = {}
    for section in personal_data_sections():
        sections[section.code] = {"title": str(section.title), "data": section.exporter(user)}
    return {
        "generated_at": timezone.now().isoformat(),
        "portal": "Stadsmakers",
        "subject": consent_subject_pseudonym(user),
        "sections": sections,
    }


def _display(value):
    """A row value for the page: ISO times in Amsterdam time, in the page's language."""
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        moment = parse_datetime(value)
        if moment is not None:
            return date_format(timezone.localtime(moment), "j F Y, H:i")
    return value


def personal_data_overview(*, user) -> list[dict]:
    """Per section: its lists with a count and the first rows, for the Mijn gegevens page."""
    overview = []
    for section in personal_data_sections():
        data = section.exporter(user)
        lists = []
        for name, rows in data.items():
            if name not in section.lists:
                continue  # in the export only
            columns = section.columns.get(name) or {key: key for key in (rows[0] if rows else {})}
            lists.append({
                "name": name,
                "label": section.lists[name],
                "count": len(rows),
                "columns": list(columns.values()),
                "rows": [[_display(row.get(key)) for key in columns]
                         for row in rows[:OVERVIEW_ROWS]],
                "more": max(len(rows) - OVERVIEW_ROWS, 0),
            })
        overview.append({"code": section.code, "title": section.title, "lists": lists})
    return overview


def data_exports_of(*, user, now=None):
    """The person's exports that have not expired (newest first)."""
    return DataExport.objects.filter(user=user, expires_at__gt=now or timezone.now())


def personal_data_accesses(*, subject, limit: int = 50):
    return PersonalDataAccess.objects.filter(subject=subject).order_by("-at", "-id")[:limit]
