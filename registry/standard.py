"""The national Algoritmeregister publication standard v1.0: keys, permitted values, limits.

Source: MinBZK/Algoritmeregister `backend/app/schemas/config/v1_0.json` and the
Publicatiestandaard `ch02.md` (see docs/registers.md). The permitted values are Dutch data values
of the standard and are deliberately NOT translated.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

STANDARD_VERSION = "1.0"
LANGUAGE = "nld"

STATUS_VALUES = ("In ontwikkeling", "In gebruik", "Buiten gebruik")

PUBLICATION_CATEGORY_VALUES = (
    "Hoog-risico AI-systeem",
    "Impactvolle algoritmes",
    "Overige algoritmes",
)

# `category` ("Thema"): the standard's fixed list of themes.
THEME_VALUES = (
    "Organisatie en bedrijfsvoering",
    "Cultuur en recreatie",
    "Economie",
    "Overheidsfinanciën",
    "Wonen",
    "Internationaal",
    "Migratie en integratie",
    "Natuur en milieu",
    "Onderwijs en wetenschap",
    "Openbare orde en veiligheid",
    "Recht",
    "Ruimte en infrastructuur",
    "Sociale zekerheid",
    "Verkeer",
    "Werk",
    "Zorg en gezondheid",
)

# Recommended titles for impacttoetsen_grouping[].title (free text is allowed too).
IMPACT_ASSESSMENT_TITLES = (
    "AI Impact Assesment (AIIA)",
    "Data Protection Impact Assessment (DPIA)",
    "De Ethische Bijsluiter",
    "De Ethische Data Assistant (DEDA)",
    "Fundamentele Rechten en Algoritme Impact Assessment (FRAIA)",
    "Impact Assessment Mensenrechten en Algoritmes (IAMA)",
    "Pre-scan DPIA",
    "Privacy Quickscan",
    "Toetsingskader Algemene Rekenkamer",
    "Utrecht Uthiek Assessment",
    "Z-Inspection",
)

# Every key of a v1.0 record, in the standard's order (tabs Algemene informatie, Verantwoord
# gebruik, Werking, Metadata). `lars` and `publication_dt` are assigned by the national register.
STANDARD_KEYS = (
    "name",
    "description_short",
    "organization",
    "category",
    "status",
    "begin_date",
    "end_date",
    "contact_email",
    "website",
    "publication_category",
    "url",
    "goal",
    "proportionality",
    "human_intervention",
    "risks",
    "lawful_basis",
    "lawful_basis_grouping",
    "process_index_url",
    "impacttoetsen_grouping",
    "impacttoetsen",
    "source_data",
    "source_data_grouping",
    "methods_and_models",
    "provider",
    "publiccode",
    "lang",
    "standard_version",
    "source_id",
    "tags",
)

# Fields that must be filled before a record may be published ("Verplicht").
REQUIRED_FOR_PUBLICATION = (
    "name",
    "description_short",
    "organization",
    "status",
    "publication_category",
    "contact_email",
    "lang",
    "standard_version",
)

# Maximum lengths (characters) of the text fields.
MAX_LENGTHS = {
    "name": 100,
    "description_short": 400,
    "organization": 100,
    "begin_date": 7,
    "end_date": 7,
    "contact_email": 500,
    "website": 500,
    "url": 500,
    "goal": 2500,
    "proportionality": 2500,
    "human_intervention": 2500,
    "risks": 2500,
    "lawful_basis": 2500,
    "process_index_url": 500,
    "impacttoetsen": 2500,
    "source_data": 2500,
    "methods_and_models": 5000,
    "provider": 200,
    "publiccode": 500,
    "source_id": 100,
    "tags": 2500,
}

# Max lengths inside the [{title, link}] lists, and whether the link is required.
GROUPINGS = {
    "lawful_basis_grouping": {"title": 100, "link": 500, "link_required": True},
    "impacttoetsen_grouping": {"title": 500, "link": 500, "link_required": False},
    "source_data_grouping": {"title": 500, "link": 500, "link_required": True},
}

# The standard's layout: tabs with their fields, and which fields are always shown (with
# "Veld niet ingevuld" when empty). Metadata fields are never shown.
ALWAYS_SHOWN = frozenset(
    {
        "name", "description_short", "organization", "category", "status", "begin_date",
        "end_date", "contact_email", "publication_category", "goal", "proportionality",
        "human_intervention", "risks", "impacttoetsen_grouping", "source_data",
        "methods_and_models", "provider",
    }
)

_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def validate_year_month(value: str) -> None:
    """A date as YYYY-MM, e.g. 2024-03."""
    match = _YEAR_MONTH.match(value or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ValidationError(
            _("Enter a month as YYYY-MM, for example 2024-03."), code="invalid_year_month"
        )


_https_url = URLValidator(schemes=["https"])


def validate_https_url(value: str) -> None:
    try:
        _https_url(value)
    except ValidationError as error:
        raise ValidationError(
            _("Enter a complete web address that starts with https://"), code="invalid_url"
        ) from error


def validate_contact(value: str) -> None:
    """A (generic) e-mail address or a web address starting with https://."""
    if value.startswith("https://"):
        validate_https_url(value)
        return
    try:
        EmailValidator()(value)
    except ValidationError as error:
        raise ValidationError(
            _("Enter an e-mail address or a web address that starts with https://"),
            code="invalid_contact",
        ) from error


def validate_themes(value) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Choose themes from the list."), code="invalid_theme")
    unknown = [item for item in value if item not in THEME_VALUES]
    if unknown:
        raise ValidationError(
            _("%(value)s is not a theme of the publication standard."),
            params={"value": ", ".join(unknown)},
            code="invalid_theme",
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("Choose each theme only once."), code="duplicate_theme")


@deconstructible
class GroupingValidator:
    """A list of {title, link} references with the standard's limits for `key`."""

    def __init__(self, key: str):
        self.key = key

    def __eq__(self, other):
        return isinstance(other, GroupingValidator) and other.key == self.key

    def __call__(self, value) -> None:
        limits = GROUPINGS[self.key]
        if not isinstance(value, list):
            raise ValidationError(_("Enter a list of references."), code="invalid_grouping")
        for number, item in enumerate(value, start=1):
            title = item.get("title", "") if isinstance(item, dict) else None
            link = item.get("link", "") if isinstance(item, dict) else None
            if (
                not isinstance(title, str)
                or not isinstance(link, str)
                or set(item) - {"title", "link"}
            ):
                raise ValidationError(
                    _("Reference %(number)s is not a title with a link."),
                    params={"number": number}, code="invalid_grouping",
                )
            if not title.strip():
                raise ValidationError(
                    _("Reference %(number)s has no title."),
                    params={"number": number}, code="grouping_title_required",
                )
            if len(title) > limits["title"]:
                raise ValidationError(
                    _("The title of reference %(number)s is longer than %(max)s characters."),
                    params={"number": number, "max": limits["title"]},
                    code="grouping_title_too_long",
                )
            if not link and limits["link_required"]:
                raise ValidationError(
                    _("Reference %(number)s has no link."),
                    params={"number": number}, code="grouping_link_required",
                )
            if link:
                if len(link) > limits["link"]:
                    raise ValidationError(
                        _("The link of reference %(number)s is longer than %(max)s characters."),
                        params={"number": number, "max": limits["link"]},
                        code="grouping_link_too_long",
                    )
                validate_https_url(link)
