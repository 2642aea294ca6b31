"""Validation per the publication standard v1.0: required fields, lengths, formats, values."""

import pytest
from django.core.exceptions import ValidationError

from registry import services, standard
from registry.models import AlgorithmVersion
from tests.registry.conftest import COMPLETE

pytestmark = pytest.mark.django_db

TEXT_MAX_LENGTHS = {
    key: limit for key, limit in standard.MAX_LENGTHS.items()
    if key not in {"begin_date", "end_date", "source_id"}
}
URL_FIELDS = ["website", "url", "process_index_url", "publiccode", "contact_email"]


def _value_of_length(key: str, length: int) -> str:
    if key in URL_FIELDS:
        prefix = "https://example.org/"
        return prefix + "a" * (length - len(prefix))
    return "a" * length


def test_the_standard_lists_the_v1_keys():
    assert len(standard.STANDARD_KEYS) == 29
    assert set(standard.REQUIRED_FOR_PUBLICATION) <= set(standard.STANDARD_KEYS)
    assert standard.MAX_LENGTHS["name"] == 100
    assert standard.MAX_LENGTHS["description_short"] == 400
    assert standard.MAX_LENGTHS["methods_and_models"] == 5000
    assert standard.MAX_LENGTHS["provider"] == 200
    assert len(standard.THEME_VALUES) == 16


@pytest.mark.parametrize("field", standard.REQUIRED_FOR_PUBLICATION)
def test_submitting_requires_every_required_field(editor, field):
    algorithm = services.algorithm_create(by=editor, **COMPLETE)
    version = algorithm.versions.get()
    if field not in {"name", "lang", "standard_version"}:
        # A draft may be incomplete (only the name is needed to save one) ...
        services.algorithm_version_update(version=version, by=editor, **{field: ""})
    else:
        # (these three cannot even be saved empty in a draft)
        AlgorithmVersion.objects.filter(pk=version.pk).update(**{field: ""})

    # ... but it cannot be submitted for publication.
    with pytest.raises(ValidationError) as error:
        services.algorithm_version_submit(version=version, by=editor)

    assert field in error.value.message_dict
    version.refresh_from_db()
    assert version.state == "draft"


def test_an_incomplete_draft_can_be_saved(editor):
    algorithm = services.algorithm_create(by=editor, name="Nog in te vullen")

    version = algorithm.versions.get()
    assert version.state == "draft"
    assert version.lang == "nld"
    assert version.standard_version == "1.0"
    assert version.publication_errors().keys() == {
        "description_short", "organization", "status", "publication_category", "contact_email",
    }


def test_a_draft_needs_at_least_a_name(editor):
    with pytest.raises(ValidationError) as error:
        services.algorithm_create(by=editor, name="  ")

    assert "name" in error.value.message_dict


@pytest.mark.parametrize(("field", "limit"), sorted(TEXT_MAX_LENGTHS.items()))
def test_max_lengths_of_the_standard(editor, field, limit):
    at_limit = _value_of_length(field, limit)
    algorithm = services.algorithm_create(by=editor, **{**COMPLETE, field: at_limit})
    version = algorithm.versions.get()
    assert len(getattr(version, field)) == limit

    with pytest.raises(ValidationError) as error:
        services.algorithm_version_update(
            version=version, by=editor, **{field: _value_of_length(field, limit + 1)}
        )

    assert field in error.value.message_dict
    version.refresh_from_db()
    assert getattr(version, field) == at_limit


@pytest.mark.parametrize("value", ["2024-03", "1999-12", "2030-01"])
def test_year_month_accepts_yyyy_mm(value):
    standard.validate_year_month(value)


@pytest.mark.parametrize(
    "value",
    ["2024-3", "2024-13", "2024-00", "03-2024", "2024/03", "2024-03-01", "maart", "0000-01"],
)
def test_year_month_refuses_other_formats(editor, value):
    with pytest.raises(ValidationError) as error:
        services.algorithm_create(by=editor, **{**COMPLETE, "begin_date": value})

    assert "begin_date" in error.value.message_dict


def test_end_date_not_before_begin_date(editor):
    with pytest.raises(ValidationError) as error:
        services.algorithm_create(
            by=editor, **{**COMPLETE, "begin_date": "2024-05", "end_date": "2024-04"}
        )

    assert "end_date" in error.value.message_dict


def test_out_of_use_needs_an_end_date_to_publish(editor):
    algorithm = services.algorithm_create(by=editor, **{**COMPLETE, "status": "Buiten gebruik"})

    with pytest.raises(ValidationError) as error:
        services.algorithm_version_submit(version=algorithm.versions.get(), by=editor)

    assert "end_date" in error.value.message_dict


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "In productie"),
        ("status", "in gebruik"),
        ("publication_category", "Hoog risico"),
        ("publication_category", "High-risk AI system"),
        ("lang", "eng"),
        ("standard_version", "0.4"),
        ("category", ["Bestuur"]),
        ("category", ["Verkeer", "Verkeer"]),
        ("category", "Verkeer"),
        ("category", [1]),
    ],
)
def test_only_the_standards_permitted_values(editor, field, value):
    with pytest.raises(ValidationError) as error:
        services.algorithm_create(by=editor, **{**COMPLETE, field: value})

    assert field in error.value.message_dict


@pytest.mark.parametrize("value", standard.STATUS_VALUES)
def test_every_permitted_status(editor, value):
    services.algorithm_create(by=editor, **{**COMPLETE, "status": value, "end_date": "2025-01"})


def test_every_theme_is_permitted(editor):
    algorithm = services.algorithm_create(
        by=editor, **{**COMPLETE, "category": list(standard.THEME_VALUES)}
    )

    assert algorithm.versions.get().category == list(standard.THEME_VALUES)


@pytest.mark.parametrize(
    "value",
    ["algoritmes@gemeente.example", "https://www.gemeente.example/contact"],
)
def test_contact_is_an_email_or_https_url(editor, value):
    services.algorithm_create(by=editor, **{**COMPLETE, "contact_email": value})


@pytest.mark.parametrize(
    "value", ["Bel 14 079", "http://gemeente.example/contact", "javascript:alert(1)", "mailto:x"]
)
def test_contact_refuses_other_values(editor, value):
    with pytest.raises(ValidationError) as error:
        services.algorithm_create(by=editor, **{**COMPLETE, "contact_email": value})

    assert "contact_email" in error.value.message_dict


@pytest.mark.parametrize("field", ["website", "url", "process_index_url", "publiccode"])
@pytest.mark.parametrize("value", ["http://example.org", "example.org", "javascript:alert(1)"])
def test_links_must_be_https(editor, field, value):
    with pytest.raises(ValidationError) as error:
        services.algorithm_create(by=editor, **{**COMPLETE, field: value})

    assert field in error.value.message_dict


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lawful_basis_grouping", [{"title": "Gemeentewet", "link": ""}]),  # link required
        ("lawful_basis_grouping", [{"title": "x" * 101, "link": "https://wetten.overheid.nl"}]),
        ("lawful_basis_grouping", [{"title": "", "link": "https://wetten.overheid.nl"}]),
        ("source_data_grouping", [{"title": "BRP", "link": "http://rvig.nl"}]),
        ("source_data_grouping", [{"title": "BRP"}]),
        ("impacttoetsen_grouping", [{"title": "DPIA", "link": "https://e.org/" + "a" * 500}]),
        ("impacttoetsen_grouping", [{"title": "DPIA", "extra": "x"}]),
        ("impacttoetsen_grouping", ["DPIA"]),
        ("impacttoetsen_grouping", {"title": "DPIA"}),
    ],
)
def test_reference_lists_are_validated(editor, field, value):
    with pytest.raises(ValidationError) as error:
        services.algorithm_create(by=editor, **{**COMPLETE, field: value})

    assert field in error.value.message_dict


def test_an_impact_assessment_link_is_optional(editor):
    algorithm = services.algorithm_create(
        by=editor, **{**COMPLETE, "impacttoetsen_grouping": [{"title": "Pre-scan DPIA"}]}
    )

    assert algorithm.versions.get().impacttoetsen_grouping == [{"title": "Pre-scan DPIA"}]


def test_unicode_is_kept(editor):
    algorithm = services.algorithm_create(
        by=editor,
        **{**COMPLETE, "name": "Überprüfung – Overheidsfinanciën ✓ 中文",
           "category": ["Overheidsfinanciën"]},
    )

    version = algorithm.versions.get()
    assert version.name == "Überprüfung – Overheidsfinanciën ✓ 中文"
    assert version.category == ["Overheidsfinanciën"]
    assert algorithm.slug.startswith("uberprufung-overheidsfinancien")


def test_unknown_fields_are_refused(editor):
    with pytest.raises(ValueError, match="not editable"):
        services.algorithm_create(by=editor, name="x", state="published")
