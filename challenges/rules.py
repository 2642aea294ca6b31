"""Permissions of challenges: one named permission per action (django-rules).

Objects: a `Challenge` for challenge-level actions, a `Proposal` for proposal-level ones (a
`ProposalAttachment` or `JuryMember` is accepted where noted). "Civil servants of the challenge"
are all users in the civil servant group (a documented simplification, docs/challenges.md). Jury
members are users in the jury member group who are appointed to that challenge.

Django lets an active superuser pass every `user.has_perm()`. The chair-only actions
(finalise_ranking, award) are checked in the services with `rules.has_perm`, which asks the rule
itself: an admin who is not the chair cannot decide for the jury.
"""

import rules
from django.utils import timezone

from portal.accounts.rules import (
    is_active_user,
    is_admin,
    is_civil_servant,
    is_jury_member,
    is_organisation_member,
)

is_editor = is_civil_servant | is_admin


def _challenge_of(obj):
    """The challenge an object belongs to (a challenge, proposal, attachment, jury member)."""
    from challenges.models import Challenge

    if obj is None or isinstance(obj, Challenge):
        return obj
    if hasattr(obj, "proposal"):
        obj = obj.proposal
    return getattr(obj, "challenge", None)


def _proposal_of(obj):
    from challenges.models import Proposal

    if obj is None or isinstance(obj, Proposal):
        return obj
    return getattr(obj, "proposal", None)


def jury_membership(user, challenge):
    """The user's JuryMember row for `challenge`, if they are an active jury member of it."""
    if challenge is None or challenge.pk is None or not is_jury_member(user):
        return None
    return challenge.jury.filter(user=user).first()


@rules.predicate
def is_public_challenge(user, obj):
    challenge = _challenge_of(obj)
    return bool(challenge is not None and challenge.is_public)


@rules.predicate
def challenge_accepts_questions(user, obj):
    challenge = _challenge_of(obj)
    return bool(challenge is not None and challenge.accepts_questions(timezone.now()))


@rules.predicate
def challenge_accepts_proposals(user, obj):
    challenge = _challenge_of(obj)
    return bool(challenge is not None and challenge.accepts_proposals(timezone.now()))


@rules.predicate
def is_member_of_eligible_organisation(user, obj):
    challenge = _challenge_of(obj)
    if challenge is None or not is_active_user(user):
        return False
    return any(challenge.is_eligible(membership.organisation)
               for membership in user.memberships.select_related("organisation"))


@rules.predicate
def is_member_of_proposal_organisation(user, obj):
    proposal = _proposal_of(obj)
    if proposal is None or not is_active_user(user):
        return False
    return proposal.organisation.memberships.filter(user=user).exists()


@rules.predicate
def is_challenge_jury_member(user, obj):
    return jury_membership(user, _challenge_of(obj)) is not None


@rules.predicate
def is_challenge_chair(user, obj):
    member = jury_membership(user, _challenge_of(obj))
    return bool(member is not None and member.is_chair)


@rules.predicate
def declared_no_conflict(user, obj):
    """A jury member of the proposal's challenge who declared no conflict for it."""
    proposal = _proposal_of(obj)
    if proposal is None:
        return False
    member = jury_membership(user, proposal.challenge)
    return bool(member is not None and member.declarations.filter(
        proposal=proposal, has_conflict=False).exists())


@rules.predicate
def is_submitted_proposal(user, obj):
    proposal = _proposal_of(obj)
    return bool(proposal is not None and proposal.is_submitted)


@rules.predicate
def ranking_not_final(user, obj):
    challenge = _challenge_of(obj)
    return bool(challenge is not None and not challenge.ranking_is_final)


# A draft (or withdrawn) proposal is the organisation's alone; a submitted one is also for the
# civil servants and for the challenge's jury members who declared no conflict for it.
is_proposal_reader = (
    is_member_of_proposal_organisation
    | (is_submitted_proposal & (is_editor | declared_no_conflict))
)

PERMISSIONS = {
    # the challenge
    "challenges.view_challenge": is_public_challenge | is_editor,
    "challenges.add_challenge": is_editor,
    "challenges.change_challenge": is_editor,
    "challenges.publish_challenge": is_editor,
    "challenges.amend_challenge": is_editor,
    "challenges.manage_challenge": is_editor,  # the civil servant's dashboard; assessment start
    "challenges.follow_challenge": is_active_user & is_public_challenge,
    # questions and answers
    "challenges.ask_question": is_organisation_member & challenge_accepts_questions,
    "challenges.answer_question": is_editor,
    # proposals (object: the challenge for add, the proposal otherwise)
    "challenges.add_proposal": is_member_of_eligible_organisation & challenge_accepts_proposals,
    "challenges.change_proposal": is_member_of_proposal_organisation,
    "challenges.submit_proposal": is_member_of_proposal_organisation,
    "challenges.withdraw_proposal": is_member_of_proposal_organisation,
    "challenges.view_proposal": is_proposal_reader,
    "challenges.view_attachment": is_proposal_reader,
    "challenges.view_outcome_letter": is_member_of_proposal_organisation | is_editor,
    # the jury
    "challenges.appoint_jury": is_editor,
    "challenges.view_jury_area": is_challenge_jury_member | is_editor,
    "challenges.declare_conflict": is_challenge_jury_member,
    "challenges.score_proposal": (is_submitted_proposal & declared_no_conflict
                                  & ranking_not_final),
    "challenges.finalise_ranking": is_challenge_chair & ranking_not_final,
    "challenges.award": is_challenge_chair,
    # closing without a winner: the chair, or a civil servant (e.g. when nothing came in)
    "challenges.not_award": is_challenge_chair | is_editor,
}

for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)
