"""Proposals: one per organisation, co-edited by its members, attachments checked by content and
size and kept outside the public paths, submitted with a receipt, withdrawn and resubmitted."""

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from challenges import services
from challenges.models import Proposal, ProposalAttachment
from portal.core.models import Notification
from tests.challenges.builders import (
    BEGROTING,
    PLAN,
    PROPOSAL,
    bidder,
    civil_servant,
    complete_proposal,
    docx_bytes,
    draft_proposal,
    member_of,
    odt_bytes,
    open_challenge,
    submitted_proposal,
    upload,
    zip_bytes,
)
from tests.factories import UserFactory, user_for_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def challenge():
    return open_challenge(required_attachments=[PLAN, BEGROTING])


@pytest.fixture
def bid():
    return bidder("Groene Daken BV")


# --- starting and editing ------------------------------------------------------------------------


def test_a_member_starts_the_organisations_proposal_once(challenge, bid):
    organisation, member = bid
    colleague = member_of(organisation)

    first = services.proposal_start(challenge=challenge, organisation=organisation, by=member)
    again = services.proposal_start(challenge=challenge, organisation=organisation,
                                    by=colleague)

    assert first == again
    assert first.status == Proposal.Status.DRAFT
    assert first.created_by == member
    assert Proposal.objects.count() == 1


def test_someone_outside_the_organisation_cannot_start_its_proposal(challenge, bid):
    organisation, _member = bid
    _other, outsider = bidder()

    with pytest.raises(PermissionDenied):
        services.proposal_start(challenge=challenge, organisation=organisation, by=outsider)
    with pytest.raises(PermissionDenied):
        services.proposal_start(challenge=challenge, organisation=organisation,
                                by=UserFactory(is_superuser=True, is_staff=True))


def test_only_eligible_organisations_take_part():
    challenge = open_challenge(eligible_kinds=["knowledge_institution"])
    startup, member = bidder(kind="startup")
    university, researcher = bidder(kind="knowledge_institution")

    with pytest.raises(ValidationError) as error:
        services.proposal_start(challenge=challenge, organisation=startup, by=member)
    assert error.value.code == "not_eligible"
    assert not member.has_perm("challenges.add_proposal", challenge)
    assert services.proposal_start(challenge=challenge, organisation=university,
                                   by=researcher).organisation == university


def test_a_member_of_an_eligible_and_an_ineligible_organisation_starts_only_the_eligible():
    challenge = open_challenge(eligible_kinds=["knowledge_institution"])
    university, researcher = bidder(kind="knowledge_institution")
    startup, _member = bidder(kind="startup")
    from tests.factories import MembershipFactory

    MembershipFactory(organisation=startup, user=researcher)

    with pytest.raises(ValidationError):
        services.proposal_start(challenge=challenge, organisation=startup, by=researcher)


def test_members_of_the_organisation_co_edit_the_draft(challenge, bid):
    organisation, member = bid
    colleague = member_of(organisation)
    proposal = draft_proposal(challenge, organisation, member)

    services.proposal_update(proposal=proposal, by=colleague, team="Drie ecologen.")

    proposal.refresh_from_db()
    assert proposal.team == "Drie ecologen."
    assert proposal.summary == PROPOSAL["summary"]  # the first member's text is kept
    assert proposal.updated_by == colleague  # the page says who changed it last


@pytest.mark.parametrize("role", ["organisation_member", "civil_servant", "jury_member",
                                  "resident"])
def test_no_one_else_edits_a_proposal(challenge, bid, role):
    proposal = draft_proposal(challenge, *bid)

    with pytest.raises(PermissionDenied):
        services.proposal_update(proposal=proposal, by=user_for_role(role), summary="Gekaapt")
    proposal.refresh_from_db()
    assert proposal.summary == PROPOSAL["summary"]


def test_a_negative_budget_is_refused(challenge, bid):
    proposal = services.proposal_start(challenge=challenge, organisation=bid[0], by=bid[1])

    with pytest.raises(ValidationError) as error:
        services.proposal_update(proposal=proposal, by=bid[1], budget=-5)

    assert "budget" in error.value.message_dict


# --- attachments -------------------------------------------------------------------------------


def _add(proposal, user, name, data, label=PLAN):
    return services.attachment_add(proposal=proposal, by=user, upload=upload(name, data),
                                   label=label)


@pytest.mark.parametrize(("name", "data", "content_type"), [
    ("plan.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf"),
    ("Plan.PDF", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
    ("plan.odt", None, "application/vnd.oasis.opendocument.text"),
    ("plan.docx", None,
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
])
def test_pdf_odt_and_docx_are_accepted(challenge, bid, name, data, content_type):
    proposal = draft_proposal(challenge, *bid)
    data = data or (odt_bytes() if name.endswith(".odt") else docx_bytes())

    attachment = _add(proposal, bid[1], name, data)

    assert attachment.content_type == content_type
    assert attachment.size == len(data)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.original_name == name.replace("PDF", "pdf")
    assert attachment.file.read() == data


@pytest.mark.parametrize(("name", "data", "code"), [
    # an executable renamed to .pdf: the content is not a PDF
    ("plan.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64,
     "invalid_content"),
    ("virus.exe", b"MZ\x90\x00" + b"\x00" * 64, "invalid_type"),
    ("plan.pdf.exe", b"%PDF-1.4\n", "invalid_type"),
    ("plan.html", b"<html><script>alert(1)</script></html>", "invalid_type"),
    ("plan.pdf", b"<html><script>alert(1)</script></html>", "invalid_content"),
    # a DOCX-named file that is a ZIP without a Word document, and an ODT that is a spreadsheet
    ("plan.docx", zip_bytes({"readme.txt": "hallo"}), "invalid_content"),
    ("plan.odt", zip_bytes({"mimetype": "application/vnd.oasis.opendocument.spreadsheet"}),
     "invalid_content"),
    # a PDF renamed to .docx
    ("plan.docx", b"%PDF-1.4\n%%EOF\n", "invalid_content"),
    ("plan.pdf", b"", "empty"),
    ("geen-extensie", b"%PDF-1.4\n", "invalid_type"),
])
def test_wrong_types_are_refused_by_content_and_nothing_is_stored(challenge, bid, name, data,
                                                                   code):
    proposal = draft_proposal(challenge, *bid)

    with pytest.raises(ValidationError) as error:
        _add(proposal, bid[1], name, data)

    assert error.value.error_dict["file"][0].code == code
    assert not ProposalAttachment.objects.exists()
    private = Path(settings.PRIVATE_MEDIA_ROOT)
    assert not private.exists() or not any(p.is_file() for p in private.rglob("*"))


def test_a_file_larger_than_the_limit_is_refused(challenge, bid, settings):
    settings.CHALLENGES_ATTACHMENT_MAX_BYTES = 1024
    proposal = draft_proposal(challenge, *bid)

    with pytest.raises(ValidationError) as error:
        _add(proposal, bid[1], "plan.pdf", b"%PDF-1.4\n" + b"0" * 1024)

    assert error.value.error_dict["file"][0].code == "too_large"
    assert _add(proposal, bid[1], "plan.pdf", b"%PDF-1.4\n" + b"0" * 1000).size == 1009


def test_the_default_limit_is_10_mb():
    from challenges.storage import max_bytes

    assert max_bytes() == 10 * 1024 * 1024


def test_attachments_are_stored_privately_at_an_unguessable_path(challenge, bid):
    proposal = draft_proposal(challenge, *bid)

    attachment = _add(proposal, bid[1], "Ons plan van aanpak.pdf", b"%PDF-1.4\n%%EOF\n")

    path = Path(attachment.file.path)
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT))
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT))
    assert not path.is_relative_to(Path(settings.STATIC_ROOT))
    assert "plan" not in attachment.file.name.lower()  # the name is not in the path
    assert len(path.name) == 32  # a random UUID


def test_a_new_file_for_a_required_label_replaces_the_old_one(
    challenge, bid, django_capture_on_commit_callbacks
):
    proposal = draft_proposal(challenge, *bid)
    old = _add(proposal, bid[1], "plan-v1.pdf", b"%PDF-1.4\nv1")
    old_path = Path(old.file.path)

    with django_capture_on_commit_callbacks(execute=True):
        new = _add(proposal, bid[1], "plan-v2.pdf", b"%PDF-1.4\nv2")

    assert list(proposal.attachments.all()) == [new]
    assert not old_path.exists()


def test_extra_attachments_are_labelled_other_and_limited_to_10(challenge, bid):
    proposal = draft_proposal(challenge, *bid)
    for number in range(10):
        _add(proposal, bid[1], f"bijlage-{number}.pdf", b"%PDF-1.4\n", label="other")

    with pytest.raises(ValidationError) as error:
        _add(proposal, bid[1], "nog-een.pdf", b"%PDF-1.4\n", label="other")

    assert error.value.error_dict["file"][0].code == "too_many"
    assert proposal.attachments.count() == 10


def test_an_unknown_label_is_refused(challenge, bid):
    proposal = draft_proposal(challenge, *bid)

    with pytest.raises(ValidationError) as error:
        _add(proposal, bid[1], "plan.pdf", b"%PDF-1.4\n", label="Iets anders")

    assert "label" in error.value.message_dict


def test_a_member_removes_an_attachment_and_its_file(challenge, bid,
                                                     django_capture_on_commit_callbacks):
    organisation, member = bid
    proposal = draft_proposal(challenge, organisation, member)
    attachment = _add(proposal, member, "plan.pdf", b"%PDF-1.4\n")
    path = Path(attachment.file.path)

    with pytest.raises(PermissionDenied):
        services.attachment_remove(attachment=attachment, by=bidder()[1])
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_remove(attachment=attachment, by=member_of(organisation))

    assert not proposal.attachments.exists()
    assert not path.exists()


def test_someone_outside_the_organisation_cannot_add_attachments(challenge, bid):
    proposal = draft_proposal(challenge, *bid)

    with pytest.raises(PermissionDenied):
        _add(proposal, bidder()[1], "plan.pdf", b"%PDF-1.4\n")


# --- submitting --------------------------------------------------------------------------------


def test_submitting_needs_every_field_and_every_required_attachment(challenge, bid):
    organisation, member = bid
    proposal = draft_proposal(challenge, organisation, member, planning="")
    _add(proposal, member, "plan.pdf", b"%PDF-1.4\n")

    with pytest.raises(ValidationError) as error:
        services.proposal_submit(proposal=proposal, by=member)

    errors = error.value.message_dict
    assert "planning" in errors
    assert any(BEGROTING in message for message in errors["attachments"])
    assert not any(PLAN in message for message in errors["attachments"])
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DRAFT
    assert proposal.receipt_code == ""


def test_submission_sets_the_receipt_and_sends_it(challenge, bid):
    organisation, member = bid
    proposal = complete_proposal(challenge, organisation, member)

    services.proposal_submit(proposal=proposal, by=member)

    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED
    assert proposal.submitted_by == member
    assert proposal.submitted_at is not None
    assert len(proposal.receipt_code) == 9
    assert proposal.receipt_code[4] == "-"
    assert proposal.content_hash == services.content_hash(proposal)
    assert len(proposal.content_hash) == 64
    receipt = Notification.objects.get(kind="challenge_receipt")
    assert receipt.recipient == member
    assert proposal.receipt_code in receipt.body
    assert proposal.content_hash in receipt.body
    assert str(proposal.public_id) in receipt.url


def test_the_receipt_email_goes_out(challenge, bid, mailoutbox,
                                    django_capture_on_commit_callbacks):
    organisation, member = bid
    proposal = complete_proposal(challenge, organisation, member)

    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_submit(proposal=proposal, by=member)

    proposal.refresh_from_db()
    assert [message.to for message in mailoutbox] == [[member.email]]
    assert proposal.receipt_code in mailoutbox[0].body


def test_the_fingerprint_covers_the_text_and_the_attachments(challenge, bid):
    organisation, member = bid
    proposal = complete_proposal(challenge, organisation, member)
    before = services.content_hash(proposal)

    proposal = services.proposal_update(proposal=proposal, by=member, summary="Anders.")
    after_text = services.content_hash(proposal)
    _add(proposal, member, "plan.pdf", b"%PDF-1.4\nandere inhoud", label=BEGROTING)

    assert len({before, after_text, services.content_hash(proposal)}) == 3


def test_a_submitted_proposal_is_not_edited_but_withdrawn_and_resubmitted(challenge, bid):
    organisation, member = bid
    proposal = submitted_proposal(challenge, organisation, member)
    first_code = proposal.receipt_code

    with pytest.raises(ValidationError):
        services.proposal_update(proposal=proposal, by=member, summary="Later")
    with pytest.raises(ValidationError):
        _add(proposal, member, "plan.pdf", b"%PDF-1.4\n")

    services.proposal_withdraw(proposal=proposal, by=member)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.WITHDRAWN
    assert proposal.receipt_code == ""

    services.proposal_update(proposal=proposal, by=member, summary="Verbeterd.")
    services.proposal_submit(proposal=proposal, by=member)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED
    assert proposal.receipt_code
    assert proposal.receipt_code != first_code


def test_submitting_twice_is_refused(challenge, bid):
    proposal = submitted_proposal(challenge, *bid)

    with pytest.raises(ValidationError):
        services.proposal_submit(proposal=proposal, by=bid[1])


@pytest.mark.parametrize("service", ["proposal_submit", "proposal_withdraw"])
def test_only_members_submit_and_withdraw(challenge, bid, service):
    proposal = (complete_proposal(challenge, *bid) if service == "proposal_submit"
                else submitted_proposal(challenge, *bid))
    status = proposal.status

    for user in (bidder()[1], civil_servant(), UserFactory(is_superuser=True, is_staff=True)):
        with pytest.raises(PermissionDenied):
            getattr(services, service)(proposal=proposal, by=user)

    proposal.refresh_from_db()
    assert proposal.status == status
