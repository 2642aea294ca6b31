"""Shared by the challenge page, API and feed tests (tests/challenges/test_pages_*.py,
test_api.py, test_feeds.py)."""

import time

from portal.accounts import roles
from portal.accounts.assurance import SESSION_KEY
from portal.accounts.middleware import (
    AUTH_SOURCE_DIGID,
    AUTH_SOURCE_SESSION_KEY,
    LAST_ACTIVITY_SESSION_KEY,
)
from tests.factories import user_for_role

# Every role of the role matrix, from least to most privileged.
ALL_ROLES = roles.ALL_ROLES


def login(client, user):
    """Log `user` in; residents get a DigiD session at their `assurance_level`."""
    if not user.is_authenticated:
        return user
    client.force_login(user)
    level = getattr(user, "assurance_level", None)
    if level:
        session = client.session
        session[SESSION_KEY] = level
        session[AUTH_SOURCE_SESSION_KEY] = AUTH_SOURCE_DIGID
        session[LAST_ACTIVITY_SESSION_KEY] = int(time.time())
        session.save()
    return user


def login_role(client, role, **kwargs):
    return login(client, user_for_role(role, **kwargs))


def english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def html(response) -> str:
    return response.content.decode()


WINNER_SUMMARY = "Groene daken en waterpleinen koelen de wijk."
WINNER_APPROACH = "Vertrouwelijke aanpak: drie daken, sensoren en een meetplan."
AWARD_MOTIVATION = "Het beste effect op hittestress voor een haalbare prijs."


def awarded_challenge(monkeypatch, *, servant=None):
    """An awarded challenge with a winner and a runner-up: (challenge, winner, runner_up).
    Leaves the clock one second after the submission deadline."""
    from challenges import services
    from tests.challenges.builders import (
        appoint,
        bidder,
        civil_servant,
        declare_and_score,
        open_challenge,
        start_assessment,
        submitted_proposal,
    )

    servant = servant or civil_servant()
    challenge = open_challenge(by=servant)
    winner = submitted_proposal(challenge, *bidder("Groene Daken BV"),
                                summary=WINNER_SUMMARY, approach=WINNER_APPROACH)
    runner_up = submitted_proposal(challenge, *bidder("Waterplein Lab"),
                                   summary="Een waterplein bij de school.")
    chair = appoint(challenge, chair=True, by=servant)
    start_assessment(monkeypatch, challenge, by=servant)
    declare_and_score(chair, winner, 9)
    declare_and_score(chair, runner_up, 5)
    services.ranking_finalise(challenge=challenge, by=chair.user)
    services.challenge_award(challenge=challenge, by=chair.user, proposal=winner,
                             motivation=AWARD_MOTIVATION)
    challenge.refresh_from_db()
    return challenge, winner, runner_up
