"""The public moderation statistics: decisions per month (Europe/Amsterdam) and per reason, the
appeals, the explanation, accessible tables, and a constant number of queries."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.accounts import roles
from portal.ideas import services
from portal.ideas.models import IdeaEvent, ModerationMode, ReasonCode, ThemeSettings
from portal.ideas.moderation_views import moderation_statistics_data
from tests.factories import CommentFactory, IdeaFactory, UserFactory, user_for_role

pytestmark = pytest.mark.django_db

Action = IdeaEvent.Action
URL = reverse("ideas:statistics")
AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2025, 6, 15, 12, 0, tzinfo=AMSTERDAM)


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def moderator():
    return UserFactory(groups=[roles.MODERATOR])


def _decide(moderator, action, *, at, reason_code=ReasonCode.OFF_TOPIC):
    """One decision on a fresh pending idea, dated `at`."""
    idea = IdeaFactory(moderation="pending")
    kwargs = {}
    if action == Action.REJECT:
        kwargs = {"reason_code": reason_code, "statement": "Nee."}
        if reason_code == ReasonCode.DUPLICATE:
            kwargs["duplicate_of"] = IdeaFactory()
    elif action == Action.REQUEST_CHANGES:
        kwargs = {"statement": "Graag aanpassen."}
    services.idea_moderate(idea=idea, by=moderator, action=action, **kwargs)
    IdeaEvent.objects.filter(idea=idea).update(created_at=at)
    return idea


def _row(table, month):
    return next(row for row in table["rows"] if row["month"] == month)


def test_twelve_months_newest_first_with_zeros(moderator):
    data = moderation_statistics_data(now=NOW)

    assert data["months"][0] == dt.date(2025, 6, 1)
    assert data["months"][-1] == dt.date(2024, 7, 1)
    assert len(data["months"]) == 12
    assert data["ideas"]["total"] == 0


def test_decisions_per_month_and_kind(moderator):
    _decide(moderator, Action.PUBLISH, at=NOW - dt.timedelta(days=1))
    _decide(moderator, Action.PUBLISH, at=NOW - dt.timedelta(days=2))
    _decide(moderator, Action.REQUEST_CHANGES, at=NOW - dt.timedelta(days=3))
    _decide(moderator, Action.REJECT, at=dt.datetime(2025, 3, 10, tzinfo=AMSTERDAM))

    data = moderation_statistics_data(now=NOW)

    assert _row(data["ideas"], dt.date(2025, 6, 1))["cells"] == [2, 1, 0, 0]
    assert _row(data["ideas"], dt.date(2025, 3, 1))["cells"] == [0, 0, 1, 0]
    assert data["ideas"]["totals"] == [2, 1, 1, 0]
    assert data["ideas"]["total"] == 4


def test_months_are_amsterdam_months(moderator):
    # 31 May 2025 23:30 UTC is 1 June 01:30 in Amsterdam (summer time).
    _decide(moderator, Action.PUBLISH, at=dt.datetime(2025, 5, 31, 23, 30, tzinfo=dt.UTC))
    # 31 May 2025 21:30 UTC is 23:30 in Amsterdam: still May.
    _decide(moderator, Action.PUBLISH, at=dt.datetime(2025, 5, 31, 21, 30, tzinfo=dt.UTC))

    data = moderation_statistics_data(now=NOW)

    assert _row(data["ideas"], dt.date(2025, 6, 1))["cells"][0] == 1
    assert _row(data["ideas"], dt.date(2025, 5, 1))["cells"][0] == 1


def test_older_decisions_are_left_out(moderator):
    _decide(moderator, Action.PUBLISH, at=dt.datetime(2024, 6, 30, 23, 0, tzinfo=AMSTERDAM))
    _decide(moderator, Action.PUBLISH, at=dt.datetime(2024, 7, 1, 0, 30, tzinfo=AMSTERDAM))

    data = moderation_statistics_data(now=NOW)

    assert data["ideas"]["total"] == 1


def test_rejections_per_reason(moderator):
    at = NOW - dt.timedelta(days=1)
    _decide(moderator, Action.REJECT, at=at, reason_code=ReasonCode.INSULTING)
    _decide(moderator, Action.REJECT, at=at, reason_code=ReasonCode.INSULTING)
    _decide(moderator, Action.REJECT, at=at, reason_code=ReasonCode.DUPLICATE)
    comment = CommentFactory()
    services.comment_moderate(comment=comment, by=moderator, action=Action.REJECT,
                              reason_code=ReasonCode.PERSONAL_DATA, statement="Adres.")
    IdeaEvent.objects.filter(comment=comment).update(created_at=at)

    data = moderation_statistics_data(now=NOW)

    reasons = dict(zip(ReasonCode.values, data["reasons"]["totals"], strict=True))
    assert reasons == {ReasonCode.OFF_TOPIC: 0, ReasonCode.PERSONAL_DATA: 1,
                       ReasonCode.INSULTING: 2, ReasonCode.COMMERCIAL: 0,
                       ReasonCode.DUPLICATE: 1, ReasonCode.ILLEGAL: 0}
    assert _row(data["reasons"], dt.date(2025, 6, 1))["total"] == 4


def test_comment_decisions_are_counted_apart_from_idea_decisions(moderator):
    pending = CommentFactory(moderation="pending")
    services.comment_moderate(comment=pending, by=moderator, action=Action.PUBLISH)
    reported = CommentFactory()
    services.report_create(reporter=user_for_role(roles.RESIDENT), idea=reported.idea,
                           comment=reported, reason_code=ReasonCode.OFF_TOPIC)
    services.reports_dismiss(idea=reported.idea, comment=reported, by=moderator)

    data = moderation_statistics_data()

    assert data["comments"]["totals"] == [1, 0, 1]
    assert data["ideas"]["total"] == 0


def test_appeals_lodged_and_upheld(moderator):
    other = UserFactory(groups=[roles.MODERATOR])
    for uphold in (True, False, None):
        idea = services.idea_moderate(idea=IdeaFactory(moderation="pending"), by=moderator,
                                      action=Action.REJECT, reason_code=ReasonCode.OFF_TOPIC,
                                      statement="Nee.")
        services.idea_appeal(idea=idea, by=idea.author, text="Waarom?")
        if uphold is not None:
            services.idea_appeal_decide(idea=idea, by=other, uphold=uphold,
                                        reason_code=ReasonCode.OFF_TOPIC, statement="Daarom.")

    data = moderation_statistics_data()

    assert data["appeals"]["totals"] == [3, 1, 1]
    assert data["ideas"]["totals"] == [0, 0, 3, 0]


def test_ideas_published_at_once_are_not_counted_as_decisions():
    ThemeSettings.objects.create(theme="mobility", idea_moderation=ModerationMode.POST)
    author = user_for_role(roles.RESIDENT)
    idea = services.idea_create(author=author, title="Snelfietspad naar de stad",
                                body="Een veilig fietspad voor scholieren en forenzen.",
                                theme="mobility")
    services.idea_submit(idea=idea, by=author)

    data = moderation_statistics_data()

    assert data["ideas"]["total"] == 0
    assert data["automatic"] == 1


def test_a_decision_by_a_moderator_who_left_still_counts(moderator):
    _decide(moderator, Action.PUBLISH, at=NOW)
    moderator.delete()

    assert moderation_statistics_data(now=NOW)["ideas"]["total"] == 1


# --- the page ---------------------------------------------------------------------------------


def test_the_page_is_public_and_explains_moderation(english):
    ThemeSettings.objects.create(theme="people", idea_moderation=ModerationMode.POST,
                                 comment_moderation=ModerationMode.PRE)

    response = english.get(URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert "How moderation works" in content
    assert "appeal once" in content
    for label in ReasonCode.labels:
        assert str(label) in content
    themes = {theme["label"]: theme for theme in response.context["themes"]}
    assert (themes["People"]["ideas_pre"], themes["People"]["comments_pre"]) == (False, True)
    assert (themes["Living"]["ideas_pre"], themes["Living"]["comments_pre"]) == (True, False)


def test_the_tables_are_accessible(english, moderator):
    _decide(moderator, Action.PUBLISH, at=dt.datetime.now(dt.UTC))

    content = english.get(URL).content.decode()

    tables = re.findall(r"<table.*?</table>", content, flags=re.S)
    assert len(tables) == 5
    for table in tables:
        assert "<caption>" in table
        assert '<th scope="col"' in table
        assert '<th scope="row"' in table


def test_the_summary_shows_totals_and_appeals(english, moderator):
    _decide(moderator, Action.PUBLISH, at=dt.datetime.now(dt.UTC))
    _decide(moderator, Action.REJECT, at=dt.datetime.now(dt.UTC))

    content = english.get(URL).content.decode()

    assert re.search(r'data-testid="total-idea-decisions">2<', content)
    assert re.search(r'data-testid="appeals-lodged">0<', content)


def test_the_page_costs_the_same_number_of_queries_whatever_the_data(client, moderator,
                                                                      django_assert_num_queries):
    client.get(URL)
    with CaptureQueriesContext(connection) as empty:
        client.get(URL)
    for days in range(0, 300, 10):
        _decide(moderator, Action.REJECT, at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days),
                reason_code=ReasonCode.values[days % 6])
        _decide(moderator, Action.PUBLISH, at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days))

    with django_assert_num_queries(len(empty)):
        response = client.get(URL)
    assert response.context["ideas"]["total"] == 60
