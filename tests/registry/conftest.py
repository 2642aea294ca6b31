import pytest
from django.conf import settings

from portal.accounts import roles
from registry import services
from tests.factories import UserFactory

# A record with every field the standard requires for publication (and a few more).
COMPLETE = {
    "name": "Parkeercontrole met een scanauto",
    "description_short": "Een auto met camera's leest kentekens en kijkt of er betaald is.",
    "organization": "Gemeente Zoetermeer",
    "category": ["Verkeer"],
    "status": "In gebruik",
    "begin_date": "2019-04",
    "contact_email": "algoritmes@zoetermeer.example",
    "publication_category": "Impactvolle algoritmes",
    "goal": "Parkeerplekken beschikbaar houden.",
    "methods_and_models": "Kentekenherkenning met vaste regels. Niet zelflerend.",
}


@pytest.fixture
def editor():
    return UserFactory(display_name="Daan Hendriks", groups=[roles.CIVIL_SERVANT])


@pytest.fixture
def approver():
    return UserFactory(display_name="Sanne de Vries", groups=[roles.CIVIL_SERVANT])


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def make_published(editor, approver, **fields):
    """An algorithm whose first version has been submitted by `editor`, published by `approver`."""
    algorithm = services.algorithm_create(by=editor, **{**COMPLETE, **fields})
    version = algorithm.versions.get()
    services.algorithm_version_submit(version=version, by=editor)
    services.algorithm_version_publish(version=version, by=approver)
    algorithm.refresh_from_db()
    return algorithm


@pytest.fixture
def published(editor, approver):
    return make_published(editor, approver)
