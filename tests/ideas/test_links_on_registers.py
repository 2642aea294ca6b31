""""You said, we did" seen from the registers: a pilot's and an algorithm's page list the
published ideas that led to it (read through the reverse relation; registry never imports
ideas)."""

import pytest

from portal.accounts import roles
from portal.ideas import services
from portal.ideas.models import Idea, Moderation
from tests.factories import IdeaFactory, user_for_role
from tests.registry.conftest import count_queries, make_pilot, make_published

pytestmark = pytest.mark.django_db


@pytest.fixture
def civil_servant():
    return user_for_role(roles.CIVIL_SERVANT, display_name="Daan Hendriks")


@pytest.fixture
def approver():
    return user_for_role(roles.CIVIL_SERVANT, display_name="Sanne de Vries")


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def _ideas_section(html):
    start = html.index('<section class="record-section" id="ideas"')
    return html[start:html.index("</section>", start)]


def test_a_pilot_page_lists_the_ideas_that_led_to_it(english, civil_servant, approver):
    pilot = make_pilot(civil_servant, approver)
    idea = IdeaFactory(title="Luchtsensoren bij scholen in Stadshagen")
    services.idea_link_add(idea=idea, by=civil_servant, pilot=pilot,
                           note="Het idee werd het meetproject #SensHagen.")
    unrelated = IdeaFactory(title="Een idee zonder pilot")

    html = english.get(pilot.get_absolute_url()).content.decode()

    section = _ideas_section(html)
    assert '<h2 id="ideas-heading">Ideas that led to this</h2>' in section
    assert (f'<a href="{idea.get_absolute_url()}">Luchtsensoren bij scholen in Stadshagen</a>: '
            "Het idee werd het meetproject #SensHagen.") in section
    assert unrelated.title not in html
    assert '<a href="#ideas">Ideas that led to this</a>' in html


def test_an_algorithm_page_lists_the_ideas_that_led_to_it(english, civil_servant, approver):
    algorithm = make_published(civil_servant, approver, slug="ivri-voorrang")
    idea = IdeaFactory(title="Fietsers eerder groen licht")
    services.idea_link_add(idea=idea, by=civil_servant, algorithm=algorithm)

    html = english.get(algorithm.get_absolute_url()).content.decode()

    assert f'<a href="{idea.get_absolute_url()}">Fietsers eerder groen licht</a>' in (
        _ideas_section(html))


def test_an_idea_hidden_after_linking_is_not_listed(english, civil_servant, approver):
    pilot = make_pilot(civil_servant, approver)
    visible = IdeaFactory(title="Zichtbaar idee over de bus")
    hidden = IdeaFactory(title="Later verborgen idee over de bus")
    for idea in (visible, hidden):
        services.idea_link_add(idea=idea, by=civil_servant, pilot=pilot)
    services.idea_moderate(idea=hidden, by=user_for_role(roles.MODERATOR), action="reject",
                           reason_code="insulting", statement="Kwetsend na melding.")
    assert Idea.objects.get(pk=hidden.pk).moderation == Moderation.REJECTED

    html = english.get(pilot.get_absolute_url()).content.decode()

    assert visible.title in _ideas_section(html)
    assert hidden.title not in html


def test_without_linked_ideas_there_is_no_ideas_section(english, civil_servant, approver):
    pilot = make_pilot(civil_servant, approver)
    algorithm = make_published(civil_servant, approver, slug="scanauto")

    for url in (pilot.get_absolute_url(), algorithm.get_absolute_url()):
        html = english.get(url).content.decode()
        assert 'id="ideas"' not in html
        assert "Ideas that led to this" not in html


def test_the_ideas_cost_one_query_however_many_are_linked(english, civil_servant, approver):
    one = make_pilot(civil_servant, approver, slug="een-idee")
    many = make_pilot(civil_servant, approver, slug="veel-ideeen")
    services.idea_link_add(idea=IdeaFactory(), by=civil_servant, pilot=one)
    for _ in range(12):
        services.idea_link_add(idea=IdeaFactory(), by=civil_servant, pilot=many)

    assert count_queries(english, one.get_absolute_url()) == count_queries(
        english, many.get_absolute_url())
    assert _ideas_section(english.get(many.get_absolute_url()).content.decode()).count(
        "<li>") == 12
