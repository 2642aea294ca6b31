"""Pilot, KPI and evaluation validation: personal data, dates, budget, lengths, coordinates."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from registry import services
from registry.models import Kpi, Pilot
from tests.registry.conftest import FINAL, PILOT_COMPLETE, make_pilot

pytestmark = pytest.mark.django_db


def test_a_draft_needs_only_a_title(editor):
    pilot = services.pilot_create(by=editor, title="Slimme lantaarnpalen")

    assert pilot.state == Pilot.State.DRAFT
    assert pilot.status == Pilot.Status.IDEA
    assert pilot.slug == "slimme-lantaarnpalen"
    assert pilot.events.get().action == "create"


def test_the_slug_is_unique_and_never_a_reserved_path(editor):
    first = services.pilot_create(by=editor, title="Nieuw")
    second = services.pilot_create(by=editor, title="Nieuw")

    assert first.slug == "nieuw-2"
    assert second.slug == "nieuw-3"


@pytest.mark.parametrize("missing", ["legal_basis", "dpia_link", "retention"])
def test_personal_data_needs_legal_basis_dpia_and_retention(editor, missing):
    fields = {"legal_basis": "Toestemming (art. 6 lid 1a AVG)",
              "dpia_link": "https://zoetermeer.example/dpia.pdf", "retention": "1 jaar"}
    fields[missing] = ""

    with pytest.raises(ValidationError) as error:
        services.pilot_create(by=editor, title="Experimenteerhuis", personal_data=True, **fields)

    assert set(error.value.message_dict) == {missing}
    assert not Pilot.objects.exists()


def test_personal_data_with_everything_filled_in_is_fine(editor):
    pilot = services.pilot_create(
        by=editor, title="Experimenteerhuis", personal_data=True,
        legal_basis="Toestemming", dpia_link="https://zoetermeer.example/dpia.pdf",
        retention="Tot een jaar na afloop",
    )

    assert pilot.personal_data is True


def test_the_dpia_link_must_be_https(editor):
    with pytest.raises(ValidationError) as error:
        services.pilot_create(by=editor, title="X", personal_data=True, legal_basis="a",
                              dpia_link="javascript:alert(1)", retention="b")

    assert "dpia_link" in error.value.message_dict


def test_the_end_cannot_be_before_the_start(editor):
    with pytest.raises(ValidationError) as error:
        services.pilot_create(by=editor, title="X", start_date=dt.date(2025, 1, 1),
                              planned_end_date=dt.date(2024, 1, 1))

    assert "planned_end_date" in error.value.message_dict


@pytest.mark.parametrize("budget", [Decimal("-0.01"), Decimal("10000000000.00")])
def test_budget_must_be_zero_or_more_and_not_absurd(editor, budget):
    with pytest.raises(ValidationError) as error:
        services.pilot_create(by=editor, title="X", budget=budget)

    assert "budget" in error.value.message_dict


def test_budget_zero_is_fine(editor):
    assert services.pilot_create(by=editor, title="X", budget=Decimal("0")).budget == 0


def test_coordinates_come_in_pairs_and_in_range(editor):
    with pytest.raises(ValidationError) as pair:
        services.pilot_create(by=editor, title="X", latitude=Decimal("52.06"))
    with pytest.raises(ValidationError) as range_:
        services.pilot_create(by=editor, title="X", latitude=Decimal("91"),
                              longitude=Decimal("4.49"))

    assert "longitude" in pair.value.message_dict
    assert "latitude" in range_.value.message_dict


def test_summary_is_at_most_400_characters_and_theme_from_the_standard(editor):
    with pytest.raises(ValidationError) as error:
        services.pilot_create(by=editor, title="X", summary="a" * 401, theme="Smart City")

    assert {"summary", "theme"} <= set(error.value.message_dict)


def test_submitting_needs_the_publication_fields(editor):
    pilot = services.pilot_create(by=editor, title="Half werk")

    with pytest.raises(ValidationError) as error:
        services.pilot_submit(pilot=pilot, by=editor)

    assert {"summary", "hypothesis", "evaluation_design", "next_review_date"} <= set(
        error.value.message_dict
    )
    pilot.refresh_from_db()
    assert pilot.state == Pilot.State.DRAFT


def test_unknown_fields_are_refused(editor):
    with pytest.raises(ValueError, match="not editable: state"):
        services.pilot_create(by=editor, title="X", state="published")


def test_kpi_validation(editor):
    pilot = services.pilot_create(by=editor, title="X")

    with pytest.raises(ValidationError) as error:
        services.kpi_add(pilot=pilot, by=editor, name="", direction="sideways")

    assert {"name", "direction"} <= set(error.value.message_dict)
    assert not Kpi.objects.exists()


def test_a_final_evaluation_needs_a_decision_to_be_published(editor, approver):
    pilot = make_pilot(editor, approver)
    evaluation = services.evaluation_record(
        pilot=pilot, by=editor, **{**FINAL, "decision": "", "decision_by": ""}
    )

    with pytest.raises(ValidationError) as error:
        services.evaluation_publish(evaluation=evaluation, by=approver)

    assert {"decision", "decision_by"} <= set(error.value.message_dict)


def test_a_mid_term_evaluation_needs_no_decision(editor, approver):
    pilot = make_pilot(editor, approver)
    evaluation = services.evaluation_record(
        pilot=pilot, by=editor, **{**FINAL, "kind": "mid_term", "decision": "",
                                    "decision_by": "", "decision_date": None},
    )

    services.evaluation_publish(evaluation=evaluation, by=approver)

    assert evaluation.__class__.objects.get().state == "published"


def test_every_publication_field_is_known():
    assert set(Pilot.REQUIRED_FOR_PUBLICATION) <= set(Pilot.CONTENT_FIELDS)
    assert set(PILOT_COMPLETE) <= set(Pilot.CONTENT_FIELDS)
