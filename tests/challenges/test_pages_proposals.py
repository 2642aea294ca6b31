"""The organisation's proposal pages: who may open the form, drafts and co-editing, choosing
the organisation, attachments (type by content, size, typed text kept), submitting with a
confirmation step and a receipt, the deadline, withdrawing, the outcome letter and the
organisation dashboard."""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from challenges import services
from challenges.models import Proposal, ProposalAttachment
from portal.accounts import roles
from tests.challenges.proposal_helpers import (
    PLAN,
    PROPOSAL_TEXT,
    appoint,
    bidder,
    detail_url,
    docx_bytes,
    draft_proposal,
    edit_url,
    in_assessment,
    letter_url,
    member_of,
    move_clock,
    open_challenge,
    pdf_upload,
    score_all,
    submitted_proposal,
)
from tests.factories import OrganisationFactory, user_for_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_and_private_media(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


@pytest.fixture
def challenge():
    return open_challenge()


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Koele Wijk BV")


@pytest.fixture
def member(organisation):
    return member_of(organisation, display_name="Fatima Bakker")


def form_data(**overrides):
    return {**PROPOSAL_TEXT, "action": "save", "loaded_at": "", **overrides}


def text(response) -> str:
    return response.content.decode()


# --- who may open the form -------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [
    (roles.VISITOR, 302),
    (roles.RESIDENT, 403),
    (roles.VERIFIED_RESIDENT, 403),
    (roles.ORGANISATION_MEMBER, 200),
    (roles.ORGANISATION_ADMIN, 200),
    (roles.MODERATOR, 403),
    (roles.CIVIL_SERVANT, 403),
    (roles.JURY_MEMBER, 403),
    (roles.COUNCIL_MEMBER, 403),
])
def test_the_proposal_form_is_for_organisation_members(client, challenge, role, status):
    user = user_for_role(role)
    if user.is_authenticated:
        client.force_login(user)

    response = client.get(edit_url(challenge))

    assert response.status_code == status
    if status == 302:
        assert response.url.startswith(reverse("login"))
    elif status == 200:
        assert 'data-testid="proposal-form"' in text(response)
    else:
        assert "Proposals are written by organisations" in text(response)
    assert not Proposal.objects.exists()  # looking never creates a proposal


def test_an_organisation_of_a_kind_that_may_not_take_part_is_told_so(client):
    challenge = open_challenge(eligible_kinds=["knowledge_institution"])
    organisation, user = bidder()  # a startup
    client.force_login(user)

    response = client.get(edit_url(challenge))

    assert response.status_code == 403
    assert "cannot take part" in text(response)
    assert "Knowledge institution" in text(response)


def test_a_draft_challenge_has_no_proposal_form(client, member):
    draft = services.challenge_create(by=user_for_role(roles.CIVIL_SERVANT), title="Concept")
    client.force_login(member)

    assert client.get(edit_url(draft)).status_code == 404


# --- drafts and co-editing -------------------------------------------------------------------


def test_saving_a_draft_keeps_it_for_the_organisation(client, challenge, organisation, member):
    client.force_login(member)

    response = client.post(edit_url(challenge), form_data(budget="45.000,50"))

    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.organisation == organisation
    assert proposal.status == Proposal.Status.DRAFT
    assert proposal.summary == PROPOSAL_TEXT["summary"]
    assert proposal.budget == Decimal("45000.50")
    page = client.get(response.url)
    assert PROPOSAL_TEXT["approach"] in text(page)
    assert "Draft" in text(page)


@pytest.mark.parametrize(("typed", "stored"), [
    ("45.000", Decimal("45000")), ("45000", Decimal("45000")), ("€ 1.250,75", Decimal("1250.75")),
    ("12500.5", Decimal("12500.5")),
])
def test_the_budget_is_read_the_dutch_way(client, challenge, member, typed, stored):
    client.force_login(member)

    client.post(edit_url(challenge), form_data(budget=typed))

    assert Proposal.objects.get().budget == stored


def test_a_budget_that_is_not_an_amount_is_explained_and_nothing_is_lost(client, challenge,
                                                                          member):
    client.force_login(member)

    response = client.post(edit_url(challenge), form_data(budget="vijftigduizend"))

    assert response.status_code == 400
    assert "Write the budget as an amount in euros" in text(response)
    assert PROPOSAL_TEXT["approach"] in text(response)  # the typed text is still there
    assert not Proposal.objects.exists()


def test_colleagues_of_the_organisation_co_edit_the_same_proposal(client, challenge,
                                                                   organisation, member):
    colleague = member_of(organisation, display_name="Joost Visser")
    client.force_login(member)
    client.post(edit_url(challenge), form_data())

    client.force_login(colleague)
    page = client.get(edit_url(challenge))
    assert PROPOSAL_TEXT["summary"] in text(page)
    loaded_at = re.search(r'name="loaded_at" value="([^"]+)"', text(page)).group(1)
    client.post(edit_url(challenge), form_data(summary="Beter plan van Joost.",
                                               loaded_at=loaded_at))

    proposal = Proposal.objects.get()
    assert proposal.summary == "Beter plan van Joost."
    client.force_login(member)
    state = text(client.get(edit_url(challenge))).split('data-testid="proposal-state"')[1]
    assert "Last changed by Joost Visser" in state.split("</p>")[0]


def test_a_save_over_a_colleagues_newer_change_is_stopped_with_the_text_kept(
        client, challenge, organisation, member, monkeypatch):
    colleague = member_of(organisation, display_name="Joost Visser")
    proposal = draft_proposal(challenge, organisation, member)
    client.force_login(member)
    loaded_at = re.search(r'name="loaded_at" value="([^"]+)"',
                          text(client.get(edit_url(challenge)))).group(1)
    move_clock(monkeypatch, proposal.updated_at + dt.timedelta(minutes=5))
    services.proposal_update(proposal=proposal, by=colleague, summary="Versie van collega.")

    response = client.post(edit_url(challenge), form_data(summary="Mijn versie.",
                                                          loaded_at=loaded_at))

    assert response.status_code == 409
    warning = text(response).split('data-testid="stale-warning"')[1].split("</div>")[0]
    assert "Joost Visser changed this proposal while you were editing it" in warning
    assert "Mijn versie." in text(response)
    proposal.refresh_from_db()
    assert proposal.summary == "Versie van collega."
    fresh = re.search(r'name="loaded_at" value="([^"]+)"', text(response)).group(1)
    client.post(edit_url(challenge), form_data(summary="Mijn versie.", loaded_at=fresh))
    proposal.refresh_from_db()
    assert proposal.summary == "Mijn versie."  # saving again, knowingly, is allowed


@pytest.mark.parametrize("loaded_at", ["2026-02-30T10:00:00+01:00", "2026-01-01T10:00:00",
                                       "gisteren"])
def test_a_garbled_form_timestamp_is_no_server_error(client, challenge, organisation, member,
                                                     loaded_at):
    draft_proposal(challenge, organisation, member)
    client.force_login(member)

    response = client.post(edit_url(challenge), form_data(summary="Nieuw.", loaded_at=loaded_at))

    assert response.url == edit_url(challenge)
    assert Proposal.objects.get().summary == "Nieuw."


def test_two_colleagues_starting_at_once_do_not_overwrite_each_other(client, challenge,
                                                                    organisation, member):
    colleague = member_of(organisation)
    client.force_login(member)
    loaded_at = re.search(r'name="loaded_at" value="([^"]+)"',
                          text(client.get(edit_url(challenge)))).group(1)
    draft_proposal(challenge, organisation, colleague, summary="Eerst begonnen.")

    response = client.post(edit_url(challenge), form_data(summary="Ook begonnen.",
                                                          loaded_at=loaded_at))

    assert response.status_code == 409
    assert "Ook begonnen." in text(response)
    assert Proposal.objects.get().summary == "Eerst begonnen."


def test_a_member_of_several_organisations_chooses_which_one(client, challenge, member,
                                                             organisation):
    second = OrganisationFactory(name="Hitte Lab")
    member_of(second)
    second.memberships.create(user=member)
    client.force_login(member)

    choice = client.get(edit_url(challenge))
    assert 'data-testid="organisation-choice"' in text(choice)
    assert "Koele Wijk BV" in text(choice)
    assert "Hitte Lab" in text(choice)

    client.post(edit_url(challenge, second), form_data(summary="Voor Hitte Lab."))
    client.post(edit_url(challenge, organisation), form_data(summary="Voor Koele Wijk."))

    assert Proposal.objects.get(organisation=second).summary == "Voor Hitte Lab."
    assert Proposal.objects.get(organisation=organisation).summary == "Voor Koele Wijk."


def test_a_member_cannot_pick_an_organisation_they_do_not_belong_to(client, challenge, member):
    OrganisationFactory(name="Iemand Anders", slug="iemand-anders")
    extra = OrganisationFactory()
    extra.memberships.create(user=member)
    client.force_login(member)

    response = client.post(edit_url(challenge) + "?organisatie=iemand-anders",
                           form_data(summary="Namens een ander."))

    assert 'data-testid="organisation-choice"' in text(response)
    assert not Proposal.objects.exists()


# --- attachments -----------------------------------------------------------------------------


def _attachment_field(response, label):
    """The name of the file input whose label is `label`."""
    match = re.search(r'<label for="id_(attachment_\d+)"[^>]*>' + re.escape(label), text(response))
    return match.group(1)


def test_an_attachment_is_added_per_required_label_and_listed(client, challenge, member):
    client.force_login(member)
    field = _attachment_field(client.get(edit_url(challenge)), PLAN)

    response = client.post(edit_url(challenge), {**form_data(), field: pdf_upload()})

    assert response.status_code == 302
    attachment = ProposalAttachment.objects.get()
    assert attachment.label == PLAN
    assert attachment.content_type == "application/pdf"
    page = text(client.get(edit_url(challenge)))
    assert "plan-van-aanpak.pdf" in page
    assert 'data-testid="attachment-missing"' not in page


def test_a_docx_is_accepted_as_other_attachment(client, challenge, member):
    client.force_login(member)
    field = _attachment_field(client.get(edit_url(challenge)), "Other attachment")

    client.post(edit_url(challenge), {**form_data(),
                                      field: pdf_upload("begroting.docx", docx_bytes())})

    assert ProposalAttachment.objects.get().label == "other"


def test_a_renamed_program_is_refused_by_content_and_the_text_is_kept(client, challenge,
                                                                       member):
    client.force_login(member)
    field = _attachment_field(client.get(edit_url(challenge)), PLAN)

    response = client.post(edit_url(challenge), {
        **form_data(summary="Mijn zorgvuldig getypte samenvatting."),
        field: pdf_upload("plan.pdf", b"MZ\x90\x00 this is a windows program"),
    })

    assert response.status_code == 400
    assert "“plan.pdf” was not added" in text(response)
    assert "Mijn zorgvuldig getypte samenvatting." in text(response)
    assert not ProposalAttachment.objects.exists()
    assert Proposal.objects.get().summary == "Mijn zorgvuldig getypte samenvatting."


def test_a_file_of_another_type_is_refused_by_its_name(client, challenge, member):
    client.force_login(member)
    field = _attachment_field(client.get(edit_url(challenge)), PLAN)

    response = client.post(edit_url(challenge), {
        **form_data(summary="Getypt."), field: pdf_upload("plan.exe", b"MZ\x90\x00"),
    })

    assert response.status_code == 400
    assert "is not a PDF, ODT or DOCX file" in text(response)
    assert "Getypt." in text(response)
    assert 'data-testid="lost-uploads"' in text(response)
    assert not ProposalAttachment.objects.exists()


def test_a_file_over_the_size_limit_is_refused(client, challenge, member, settings):
    settings.CHALLENGES_ATTACHMENT_MAX_BYTES = 1024 * 1024
    client.force_login(member)
    field = _attachment_field(client.get(edit_url(challenge)), PLAN)

    response = client.post(edit_url(challenge), {
        **form_data(), field: pdf_upload(data=b"%PDF-" + b"0" * (1024 * 1024 + 1)),
    })

    assert response.status_code == 400
    assert "larger than 1 MB" in text(response)
    assert not ProposalAttachment.objects.exists()


def test_an_attachment_can_be_removed(client, challenge, organisation, member):
    proposal = draft_proposal(challenge, organisation, member)
    attachment = services.attachment_add(proposal=proposal, by=member, upload=pdf_upload(),
                                         label=PLAN)
    client.force_login(member)

    response = client.post(edit_url(challenge), {"action": "remove",
                                                 "attachment": str(attachment.public_id)})

    assert response.status_code == 302
    assert not ProposalAttachment.objects.exists()
    assert 'data-testid="attachment-missing"' in text(client.get(edit_url(challenge)))


# --- submitting ------------------------------------------------------------------------------


def test_submit_lists_what_is_missing_and_does_not_submit(client, challenge, member):
    client.force_login(member)

    response = client.post(edit_url(challenge), form_data(action="submit", team=""))

    assert response.status_code == 200
    body = text(response)
    assert 'data-testid="missing"' in body
    assert "Team" in body
    assert f"Add the required attachment “{PLAN}”" in body
    assert 'data-testid="confirm-submit"' not in body
    assert Proposal.objects.get().status == Proposal.Status.DRAFT


def test_submit_asks_for_confirmation_then_shows_the_receipt(client, challenge, organisation,
                                                             member, mailoutbox):
    proposal = draft_proposal(challenge, organisation, member)
    services.attachment_add(proposal=proposal, by=member, upload=pdf_upload(), label=PLAN)
    client.force_login(member)

    confirmation = client.post(edit_url(challenge), form_data(action="submit"))
    assert 'data-testid="confirm-submit"' in text(confirmation)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DRAFT

    response = client.post(edit_url(challenge), {"action": "confirm"}, follow=True)

    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED
    body = text(response)
    assert proposal.receipt_code in body
    assert proposal.content_hash in body
    amsterdam = proposal.submitted_at.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert amsterdam.strftime("%H:%M:%S") in body
    assert 'data-testid="proposal-form"' not in body  # submitted: read-only
    assert 'data-testid="withdraw"' in body


def test_a_submitted_proposal_can_be_withdrawn_changed_and_submitted_again(client, challenge,
                                                                           organisation,
                                                                           member):
    submitted_proposal(challenge, organisation, member)
    client.force_login(member)

    client.post(edit_url(challenge), {"action": "withdraw"})
    proposal = Proposal.objects.get()
    assert proposal.status == Proposal.Status.WITHDRAWN
    client.post(edit_url(challenge), form_data(summary="Verbeterd."))
    client.post(edit_url(challenge), {"action": "confirm"})

    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED
    assert proposal.summary == "Verbeterd."


def test_a_submitted_proposal_cannot_be_changed_through_the_form(client, challenge,
                                                                 organisation, member):
    submitted_proposal(challenge, organisation, member)
    client.force_login(member)

    response = client.post(edit_url(challenge), form_data(summary="Stiekem aangepast."))

    assert response.url == edit_url(challenge)
    assert Proposal.objects.get().summary == PROPOSAL_TEXT["summary"]


# --- the deadline ----------------------------------------------------------------------------


def test_the_deadline_is_shown_with_a_countdown(client, challenge, member):
    client.force_login(member)

    body = text(client.get(edit_url(challenge)))

    assert 'data-testid="deadline-countdown"' in body
    assert "days left" in body


def test_after_the_deadline_the_form_is_read_only(client, challenge, organisation, member,
                                                  monkeypatch):
    draft_proposal(challenge, organisation, member)
    move_clock(monkeypatch, challenge.submission_deadline + dt.timedelta(seconds=1))
    client.force_login(member)

    page = client.get(edit_url(challenge))
    saved = client.post(edit_url(challenge), form_data(summary="Te laat."))
    confirmed = client.post(edit_url(challenge), {"action": "confirm"})
    assert saved.url == confirmed.url == edit_url(challenge)

    assert 'data-testid="read-only-notice"' in text(page)
    assert "The deadline has passed" in text(page)
    assert 'data-testid="proposal-form"' not in text(page)
    assert saved.status_code == confirmed.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.summary == PROPOSAL_TEXT["summary"]
    assert proposal.status == Proposal.Status.DRAFT


def test_confirming_one_second_after_the_deadline_is_refused(client, challenge, organisation,
                                                             member, monkeypatch):
    proposal = draft_proposal(challenge, organisation, member)
    services.attachment_add(proposal=proposal, by=member, upload=pdf_upload(), label=PLAN)
    client.force_login(member)
    client.post(edit_url(challenge), form_data(action="submit"))  # the confirmation page
    move_clock(monkeypatch, challenge.submission_deadline + dt.timedelta(seconds=1))
    client.force_login(member)  # the session would have expired meanwhile

    response = client.post(edit_url(challenge), {"action": "confirm"}, follow=True)

    assert response.redirect_chain[0][0] == edit_url(challenge)
    assert "The deadline for proposals has passed" in text(response)
    assert Proposal.objects.get().status == Proposal.Status.DRAFT


def test_confirming_at_the_last_second_is_accepted(client, challenge, organisation, member,
                                                   monkeypatch):
    proposal = draft_proposal(challenge, organisation, member)
    services.attachment_add(proposal=proposal, by=member, upload=pdf_upload(), label=PLAN)
    move_clock(monkeypatch, challenge.submission_deadline)
    client.force_login(member)

    response = client.post(edit_url(challenge), {"action": "confirm"})

    assert response.url == edit_url(challenge)
    assert Proposal.objects.get().status == Proposal.Status.SUBMITTED


# --- the proposal page, the letter and the dashboard -----------------------------------------


def test_the_proposal_page_shows_content_attachments_and_receipt(client, challenge,
                                                                 organisation, member):
    proposal = submitted_proposal(challenge, organisation, member)
    client.force_login(member)

    body = text(client.get(detail_url(proposal)))

    assert PROPOSAL_TEXT["approach"] in body
    assert "plan-van-aanpak.pdf" in body
    assert proposal.receipt_code in body
    assert 'data-testid="letter-link"' not in body  # nothing decided yet


@pytest.fixture
def decided(monkeypatch, challenge, organisation, member):
    proposal = submitted_proposal(challenge, organisation, member)
    chair = appoint(challenge, chair=True)
    in_assessment(monkeypatch, challenge)
    services.conflict_declare(jury_member=chair, proposal=proposal, has_conflict=False)
    score_all(chair, proposal, score=8, motivation="Heldere aanpak.")
    services.ranking_finalise(challenge=challenge, by=chair.user)
    services.challenge_award(challenge=challenge, by=chair.user, proposal=proposal,
                             motivation="Overtuigend en betaalbaar.")
    proposal.refresh_from_db()
    return proposal


def test_the_outcome_letter_page_shows_the_motivated_letter(client, decided, member):
    client.force_login(member)

    response = client.get(letter_url(decided))

    assert response.status_code == 200
    body = text(response)
    assert 'data-testid="outcome-letter"' in body
    assert "Overtuigend en betaalbaar." in body
    assert "Heldere aanpak." in body
    assert "Awarded" in body
    assert 'data-testid="letter-link"' in text(client.get(detail_url(decided)))


def test_the_outcome_letter_page_before_the_decision(client, challenge, organisation, member):
    proposal = submitted_proposal(challenge, organisation, member)
    client.force_login(member)

    response = client.get(letter_url(proposal))

    assert response.status_code == 200
    assert 'data-testid="no-letter"' in text(response)


def test_the_dashboard_lists_my_organisations_proposals_and_open_challenges(
        client, challenge, organisation, member):
    other_challenge = open_challenge(title="Slimmere afvalinzameling")
    submitted_proposal(challenge, organisation, member)
    submitted_proposal(challenge, summary="Van een ander.")  # another organisation
    client.force_login(member)

    response = client.get(reverse("challenges:organisation_dashboard"))

    body = text(response)
    assert response.status_code == 200
    assert "Koele Wijk BV" in body
    assert challenge.title in body
    assert "Submitted" in body
    assert Proposal.objects.get(organisation=organisation).receipt_code in body
    startable = body.split('data-testid="startable"')[1]
    assert other_challenge.title in startable
    assert challenge.title not in startable
    assert "Van een ander." not in body


def test_the_dashboard_links_to_the_outcome_letter(client, decided, member):
    client.force_login(member)

    body = text(client.get(reverse("challenges:organisation_dashboard")))

    assert letter_url(decided) in body


def test_the_dashboard_asks_visitors_to_log_in_and_explains_to_people_without_organisation(
        client):
    assert client.get(reverse("challenges:organisation_dashboard")).status_code == 302
    client.force_login(user_for_role(roles.CIVIL_SERVANT))

    response = client.get(reverse("challenges:organisation_dashboard"))

    assert response.status_code == 200
    assert "You are not a member of an organisation" in text(response)
