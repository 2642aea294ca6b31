"""The register's pages: public list/detail/history, drafts for civil servants, the editor."""

import pytest
from django.urls import reverse

from portal.accounts import roles
from registry import services
from registry.models import Algorithm, AlgorithmEvent, AlgorithmVersion
from tests.factories import user_for_role
from tests.registry.conftest import COMPLETE, count_queries, make_published

pytestmark = pytest.mark.django_db

LIST_URL = reverse("registry:algorithm_list")
CREATE_URL = reverse("registry:algorithm_create")


def _url(name, algorithm):
    return reverse(f"registry:{name}", kwargs={"slug": algorithm.slug})


def _form_data(**overrides):
    data = {
        "name": "Afvalroutes plannen", "description_short": "Containers melden hoe vol ze zijn.",
        "organization": "Gemeente Zoetermeer", "category": ["Natuur en milieu"],
        "status": "In gebruik", "begin_date": "2021-09", "end_date": "",
        "contact_email": "algoritmes@zoetermeer.example", "website": "",
        "publication_category": "Overige algoritmes", "url": "", "goal": "", "proportionality": "",
        "human_intervention": "", "risks": "", "lawful_basis": "",
        "lawful_basis_grouping": "Afvalstoffenverordening | https://lokaleregelgeving.overheid.nl/x",
        "process_index_url": "", "impacttoetsen_grouping": "Pre-scan DPIA", "impacttoetsen": "",
        "source_data": "", "source_data_grouping": "", "methods_and_models": "Niet zelflerend.",
        "provider": "Intern ontwikkeld", "publiccode": "", "department": "Stadsbeheer",
        "accountable_role": "", "objection_procedure": "", "monitoring": "",
        "next_review_date": "2027-01-31", "tags": "",
    }
    data.update(overrides)
    return data


# --- public pages ----------------------------------------------------------------------------


def test_registers_landing_links_to_the_algorithm_register(client):
    response = client.get(reverse("area-registers"))

    assert f'href="{LIST_URL}"' in response.content.decode()


def test_public_list_shows_published_only(client, editor, approver):
    make_published(editor, approver)
    services.algorithm_create(by=editor, name="Geheim concept")

    response = client.get(LIST_URL)

    content = response.content.decode()
    assert COMPLETE["name"] in content
    assert "Geheim concept" not in content


def test_civil_servants_see_the_versions_in_progress(client, editor, approver):
    make_published(editor, approver)
    services.algorithm_create(by=editor, name="Concept voor collega")
    client.force_login(approver)

    content = client.get(LIST_URL).content.decode()

    assert "Concept voor collega" in content


def test_detail_groups_the_standards_sections_and_marks_empty_fields(english, published):
    response = english.get(published.get_absolute_url())

    content = response.content.decode()
    for heading in ["General information", "Responsible use", "How it works",
                    "Municipal additions"]:
        assert heading in content
    # Always-shown empty fields ("Veld niet ingevuld" in Dutch) ...
    assert 'data-field="proportionality"' in content
    assert content.count("Field not filled in") >= 5
    # ... but empty optional fields are left out, as in the national register.
    assert 'data-field="publiccode"' not in content
    assert "Impactvolle algoritmes" in content
    assert "Verkeer" in content


def test_an_unpublished_algorithm_is_hidden_from_the_public(client, editor):
    algorithm = services.algorithm_create(by=editor, **COMPLETE)

    assert client.get(_url("algorithm_detail", algorithm)).status_code == 404
    assert client.get(_url("algorithm_history", algorithm)).status_code == 404
    response = client.get(_url("algorithm_draft", algorithm))
    assert response.status_code == 302
    assert "inloggen" in response.url


@pytest.mark.parametrize("role", [roles.RESIDENT, roles.ORGANISATION_MEMBER, roles.COUNCIL_MEMBER,
                                  roles.MODERATOR])
def test_drafts_are_forbidden_for_other_roles(client, editor, role):
    algorithm = services.algorithm_create(by=editor, **COMPLETE)
    client.force_login(user_for_role(role))

    assert client.get(_url("algorithm_draft", algorithm)).status_code == 403
    assert client.get(_url("algorithm_detail", algorithm)).status_code == 404


def test_civil_servant_sees_the_draft(english, editor, approver):
    algorithm = services.algorithm_create(by=editor, **COMPLETE)
    english.force_login(approver)

    response = english.get(_url("algorithm_detail", algorithm), follow=True)

    assert response.redirect_chain[-1][0] == _url("algorithm_draft", algorithm)
    assert "This version is not public" in response.content.decode()


def test_public_sees_the_published_version_while_a_new_draft_exists(client, published, editor):
    services.algorithm_new_draft(algorithm=published, by=editor, name="Nieuwe naam in concept")

    content = client.get(published.get_absolute_url()).content.decode()

    assert COMPLETE["name"] in content
    assert "Nieuwe naam in concept" not in content


def test_withdrawn_record_stays_visible_marked_withdrawn(english, published, approver):
    services.algorithm_withdraw(algorithm=published, by=approver,
                                reason="Vervangen door controle te voet.")

    response = english.get(published.get_absolute_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="withdrawn-notice"' in content
    assert "Vervangen door controle te voet." in content
    assert "Withdrawn" in english.get(LIST_URL).content.decode()


def test_history_shows_versions_diff_and_timeline(english, published, editor, approver):
    draft = services.algorithm_new_draft(
        algorithm=published, by=editor, goal="Een nieuw doel.", category=["Verkeer", "Werk"]
    )
    services.algorithm_version_submit(version=draft, by=editor)
    services.algorithm_version_publish(version=draft, by=approver)

    response = english.get(_url("algorithm_history", published))

    content = response.content.decode()
    assert "Changes from version 1 to version 2" in content
    assert 'data-field="goal"' in content
    assert "Een nieuw doel." in content
    assert 'data-field="category"' in content
    assert 'data-field="name"' not in content  # unchanged fields are not listed
    assert content.count('class="timeline__item"') == 2  # the public sees the publications


def test_civil_servants_see_the_whole_timeline(english, published, approver):
    english.force_login(approver)

    content = english.get(_url("algorithm_history", published)).content.decode()

    assert content.count('class="timeline__item"') == 3  # created, submitted, published


# --- search, filters, query counts -----------------------------------------------------------


@pytest.fixture
def three(editor, approver):
    make_published(editor, approver, name="Scanauto parkeren", category=["Verkeer"])
    make_published(editor, approver, name="Afvalroutes", category=["Natuur en milieu"],
                   description_short="Slimme containers melden hoe vol ze zijn.",
                   publication_category="Overige algoritmes")
    make_published(editor, approver, name="Subsidiecheck", category=["Overheidsfinanciën"],
                   status="In ontwikkeling")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "scanauto"}, ["Scanauto parkeren"]),
        ({"q": "CONTAINERS"}, ["Afvalroutes"]),  # in the short description
        ({"category": "Verkeer"}, ["Scanauto parkeren"]),
        ({"category": "Overheidsfinanciën"}, ["Subsidiecheck"]),
        ({"status": "In ontwikkeling"}, ["Subsidiecheck"]),
        ({"publication_category": "Overige algoritmes"}, ["Afvalroutes"]),
        ({"status": "In gebruik", "category": "Verkeer"}, ["Scanauto parkeren"]),
        ({"status": "onzin", "category": "<script>"}, ["Afvalroutes", "Scanauto parkeren",
                                                       "Subsidiecheck"]),
        ({"q": "niets-te-vinden"}, []),
    ],
)
def test_search_and_filters(client, three, query, expected):
    response = client.get(LIST_URL, query)

    assert response.status_code == 200
    names = [a.current_version.name for a in response.context["algorithms"]]
    assert names == expected


def test_pagination_keeps_the_filters(client, editor, approver):
    for number in range(51):
        make_published(editor, approver, name=f"Algoritme {number:02d}")

    response = client.get(LIST_URL, {"q": "Algoritme", "page": 2})

    assert len(response.context["algorithms"]) == 1
    assert "q=Algoritme&amp;page=1" in response.content.decode()


def _publish_many(editor, approver, count):
    for number in range(count):
        algorithm = Algorithm.objects.create(slug=f"algoritme-{number}")
        version = AlgorithmVersion.objects.create(
            algorithm=algorithm, number=1, state="submitted", submitted_by=editor,
            **{**COMPLETE, "name": f"Algoritme {number}", "category": ["Verkeer", "Werk"]},
        )
        services.algorithm_version_publish(version=version, by=approver)


@pytest.mark.parametrize("as_civil_servant", [False, True])
def test_list_query_count_is_constant(client, editor, approver, as_civil_servant):
    if as_civil_servant:
        client.force_login(approver)
    _publish_many(editor, approver, 3)
    client.get(LIST_URL)  # warm up: the first request after a login writes the session profile
    few = count_queries(client, LIST_URL)
    for number in range(3, 60):
        algorithm = Algorithm.objects.create(slug=f"algoritme-{number}")
        version = AlgorithmVersion.objects.create(
            algorithm=algorithm, number=1, state="submitted", submitted_by=editor,
            **{**COMPLETE, "name": f"Algoritme {number}"},
        )
        services.algorithm_version_publish(version=version, by=approver)
        services.algorithm_new_draft(algorithm=algorithm, by=editor)

    many = count_queries(client, LIST_URL)

    assert many == few
    assert count_queries(client, LIST_URL + "?page=2&category=Verkeer") <= few


def test_detail_and_history_query_counts_do_not_grow_with_versions(client, published, editor,
                                                                   approver):
    def counts():
        return (count_queries(client, published.get_absolute_url()),
                count_queries(client, _url("algorithm_history", published)))

    before = counts()
    for number in range(5):
        draft = services.algorithm_new_draft(algorithm=published, by=editor, goal=f"Doel {number}")
        services.algorithm_version_submit(version=draft, by=editor)
        services.algorithm_version_publish(version=draft, by=approver)

    assert counts() == before


# --- editor pages ----------------------------------------------------------------------------


def test_civil_servant_creates_a_draft_through_the_form(client, editor):
    client.force_login(editor)

    response = client.post(CREATE_URL, _form_data())

    algorithm = Algorithm.objects.get()
    assert response.status_code == 302
    assert response.url == _url("algorithm_draft", algorithm)
    version = algorithm.versions.get()
    assert version.state == "draft"
    assert version.category == ["Natuur en milieu"]
    assert version.lawful_basis_grouping == [
        {"title": "Afvalstoffenverordening", "link": "https://lokaleregelgeving.overheid.nl/x"}]
    assert version.impacttoetsen_grouping == [{"title": "Pre-scan DPIA", "link": ""}]
    assert str(version.next_review_date) == "2027-01-31"
    assert AlgorithmEvent.objects.get().action == "create"


def test_form_renders_labels_help_and_values(english, editor, published):
    english.force_login(editor)

    content = english.get(_url("algorithm_update", published)).content.decode()

    assert '<label for="id_name">Name</label>' in content
    assert "State at least whether the algorithm is self-learning." in content
    assert 'value="Parkeercontrole met een scanauto"' in content
    assert "Saving makes a new draft version" in content


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x" * 5000),
        ("description_short", "x" * 401),
        ("methods_and_models", "x" * 100_000),
        ("begin_date", "maart 2024"),
        ("contact_email", "Jan de Vries"),
        ("website", "javascript:alert(1)"),
        ("category", "Bestuur"),
        ("status", "Kapot"),
        ("lawful_basis_grouping", "Wet zonder link"),
        ("lawful_basis_grouping", "x" * 30000),
        ("next_review_date", "31-31-2031"),
    ],
)
def test_bad_input_gives_form_errors_not_500(english, editor, field, value):
    english.force_login(editor)

    response = english.post(CREATE_URL, _form_data(**{field: value}))

    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()
    assert field in response.context["form"].errors
    assert not Algorithm.objects.exists()


def test_script_tags_are_escaped_everywhere(client, editor, approver):
    nasty = '<script>alert("x")</script>'
    algorithm = make_published(
        editor, approver, name=f"Naam {nasty}"[:100], goal=f"Doel {nasty}",
        impacttoetsen_grouping=[{"title": nasty, "link": "https://example.org/a"}],
    )
    draft = services.algorithm_new_draft(algorithm=algorithm, by=editor, risks=nasty)
    services.algorithm_version_submit(version=draft, by=editor)
    services.algorithm_version_publish(version=draft, by=approver)
    client.force_login(approver)

    for url in [LIST_URL, algorithm.get_absolute_url(), _url("algorithm_history", algorithm),
                _url("algorithm_update", algorithm)]:
        content = client.get(url).content.decode()
        assert "<script>alert" not in content, url
        assert "&lt;script&gt;" in content, url


def test_editing_a_published_record_through_the_form_makes_version_2(client, published, editor):
    client.force_login(editor)

    response = client.post(_url("algorithm_update", published),
                           _form_data(name=COMPLETE["name"], goal="Nieuw doel"))

    assert response.status_code == 302
    assert list(published.versions.values_list("number", "state", "goal")) == [
        (2, "draft", "Nieuw doel"), (1, "published", COMPLETE["goal"])]
    # Editing again changes the same draft.
    client.post(_url("algorithm_update", published), _form_data(goal="Nog nieuwer"))
    assert published.versions.get(number=2).goal == "Nog nieuwer"


def test_a_submitted_version_cannot_be_edited_through_the_form(client, editor):
    algorithm = services.algorithm_create(by=editor, **COMPLETE)
    services.algorithm_version_submit(version=algorithm.versions.get(), by=editor)
    client.force_login(editor)

    response = client.post(_url("algorithm_update", algorithm), _form_data(goal="Te laat"))

    assert response.status_code == 302
    assert algorithm.versions.get().goal == COMPLETE["goal"]


def test_workflow_buttons_through_the_pages(english, editor, approver):
    algorithm = services.algorithm_create(by=editor, **COMPLETE)
    english.force_login(editor)
    draft_page = english.get(_url("algorithm_draft", algorithm)).content.decode()
    assert 'data-testid="submit"' in draft_page

    english.post(_url("algorithm_submit", algorithm))
    own = english.get(_url("algorithm_draft", algorithm)).content.decode()
    assert 'data-testid="publish"' not in own  # four-eyes
    assert "A colleague must approve it" in own
    assert english.post(_url("algorithm_publish", algorithm)).status_code == 403

    english.force_login(approver)
    other = english.get(_url("algorithm_draft", algorithm)).content.decode()
    assert 'data-testid="publish"' in other
    response = english.post(_url("algorithm_publish", algorithm))

    assert response.status_code == 302
    assert response.url == algorithm.get_absolute_url()
    assert algorithm.versions.get().state == "published"
    response = english.post(_url("algorithm_withdraw", algorithm), {"reason": ""}, follow=True)
    assert "Give a reason" in response.content.decode()
    assert algorithm.versions.get().state == "published"
    english.post(_url("algorithm_withdraw", algorithm), {"reason": "Gestopt."})
    assert algorithm.versions.get().state == "withdrawn"


def test_reject_through_the_page(client, editor, approver):
    algorithm = services.algorithm_create(by=editor, **COMPLETE)
    services.algorithm_version_submit(version=algorithm.versions.get(), by=editor)
    client.force_login(approver)

    client.post(_url("algorithm_reject", algorithm), {"reason": "Doel ontbreekt."})

    assert algorithm.versions.get().state == "draft"
    assert AlgorithmEvent.objects.get(action="reject").reason == "Doel ontbreekt."


def test_submitting_an_incomplete_draft_shows_what_is_missing(english, editor):
    algorithm = services.algorithm_create(by=editor, name="Half af")
    english.force_login(editor)

    response = english.post(_url("algorithm_submit", algorithm), follow=True)

    assert "Fill in this field before the record can be published." in (
        response.content.decode())
    assert algorithm.versions.get().state == "draft"


@pytest.mark.parametrize(
    "role", sorted(set(roles.ALL_ROLES) - {roles.CIVIL_SERVANT, roles.ADMIN})
)
def test_wrong_role_gets_403_and_nothing_changes(client, editor, approver, role):
    published = make_published(editor, approver)
    submitted = services.algorithm_create(by=editor, **{**COMPLETE, "name": "Ingediend"})
    services.algorithm_version_submit(version=submitted.versions.get(), by=editor)
    user = user_for_role(role)
    if user.is_authenticated:
        client.force_login(user)
    before = (list(AlgorithmVersion.objects.values()), AlgorithmEvent.objects.count(),
              Algorithm.objects.count())
    expected = 302 if role == roles.VISITOR else 403

    responses = [
        client.post(CREATE_URL, _form_data()),
        client.post(_url("algorithm_update", published), _form_data(goal="Gekaapt")),
        client.post(_url("algorithm_publish", submitted)),
        client.post(_url("algorithm_reject", submitted), {"reason": "nee"}),
        client.post(_url("algorithm_withdraw", published), {"reason": "weg"}),
        client.post(_url("algorithm_submit", published)),
    ]

    assert [r.status_code for r in responses] == [expected] * len(responses)
    after = (list(AlgorithmVersion.objects.values()), AlgorithmEvent.objects.count(),
             Algorithm.objects.count())
    assert after == before


def test_transitions_are_post_only(client, published, approver):
    client.force_login(approver)

    assert client.get(_url("algorithm_withdraw", published)).status_code == 405
