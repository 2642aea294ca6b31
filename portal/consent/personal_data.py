"""What the portal holds about a person: a registry of sections that the apps fill.

Same pattern as effects.py. Consent never imports the apps to its right; each app registers its
section in its `AppConfig.ready()`:

    from portal.consent.personal_data import PersonalDataSection, register_personal_data_section

    def export_ideas(user) -> dict[str, list[dict]]:
        return {"ideas": [{"title": ..., "status": ..., "created_at": "2026-…"}]}

    def erase_ideas(user) -> str:
        ...  # anonymise: author=None, shown as "anonieme inwoner"
        return "3 ideas anonymised"

    register_personal_data_section(PersonalDataSection(
        code="ideas", title=_("Ideas"), exporter=export_ideas, eraser=erase_ideas,
        lists={"ideas": _("Ideas you submitted")},
    ))

Contract:
- `exporter(user)` returns a dict of lists of rows; a row is a flat dict of plain JSON values
  (str, int, float, bool, None; times as ISO 8601 strings). A fixed number of queries, whatever
  the number of rows (the Mijn gegevens page calls every exporter). Never a BSN or
  `bsn_pseudonym`, never another person's personal data.
- `eraser(user)` runs inside `account_delete`'s transaction, before the User row is deleted:
  delete the person's personal data, anonymise contributions that stay (author set to NULL and
  shown as "anonieme inwoner"). Returns a short summary (for the log). Raise
  `django.core.exceptions.ValidationError` to refuse the deletion with a message for the person.
- `lists` labels the lists shown on the Mijn gegevens page (count + first rows); a list without a
  label is only in the export. `columns` picks and labels the columns the page shows per list
  (default: every key). The export (gegevens.json + one CSV per list) always has everything.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

_SECTIONS: dict[str, "PersonalDataSection"] = {}


@dataclass(frozen=True)
class PersonalDataSection:
    code: str
    title: str
    exporter: Callable
    eraser: Callable
    lists: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)
    order: int = 100


def register_personal_data_section(section: PersonalDataSection) -> PersonalDataSection:
    """Register (or replace, by code: AppConfig.ready may run twice) a section."""
    _SECTIONS[section.code] = section
    return section


def unregister_personal_data_section(code: str) -> None:
    """For tests."""
    _SECTIONS.pop(code, None)


def personal_data_sections() -> list[PersonalDataSection]:
    """The registered sections in display order."""
    return sorted(_SECTIONS.values(), key=lambda section: (section.order, section.code))
