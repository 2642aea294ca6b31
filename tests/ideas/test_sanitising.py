"""What people write is stored exactly as typed and shown escaped or sanitised: script tags,
event handlers, javascript: links and malformed markup never reach a page as markup."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from portal.accounts import roles
from portal.ideas import services
from portal.ideas.models import Comment, Idea
from tests.factories import CommentFactory, IdeaFactory
from tests.ideas.participation_helpers import IDEA_DATA, login_role

pytestmark = pytest.mark.django_db

SCRIPT_TITLE = '<script>alert("titel")</script> Bankjes'
SCRIPT_BODY = (
    'Meer **bankjes** <script>alert("body")</script> in het park.\n\n'
    '<img src=x onerror=alert(1)> <a href="javascript:alert(2)">klik</a> '
    '[link](javascript:alert(3)) <b onclick="alert(4)">vet</b>'
)
MALFORMED = 'Een <div><p>niet gesloten <em>tekst <scr<script>ipt>alert(5)</script> en "quotes\''


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


class _MarkupFinder(HTMLParser):
    """Collects what would run in a browser: script elements, on* attributes, javascript:
    links. Escaped text (`&lt;script&gt;` in a textarea) is text, not markup."""

    def __init__(self):
        super().__init__()
        self.found = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in ("href", "src") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.found.append(f"<{tag} {name}={value}>")
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert" in data:
            self.found.append(f"<script>{data}")


def assert_no_live_markup(html: str):
    finder = _MarkupFinder()
    finder.feed(html)
    assert finder.found == []


def test_script_tags_in_an_idea_are_stored_as_typed_and_sanitised_on_the_idea_page(client):
    login_role(client, roles.RESIDENT)

    client.post(reverse("ideas:create"), {**IDEA_DATA, "title": SCRIPT_TITLE,
                                          "body": SCRIPT_BODY, "action": "save"})

    idea = Idea.objects.get()
    assert (idea.title, idea.body) == (SCRIPT_TITLE, SCRIPT_BODY)
    idea.moderation = "published"
    idea.save()
    html = client.get(idea.get_absolute_url()).content.decode()
    assert_no_live_markup(html)
    assert "&lt;script&gt;alert(&quot;titel&quot;)&lt;/script&gt; Bankjes" in html
    assert "<strong>bankjes</strong>" in html
    assert 'alert("body")' not in html  # the script goes with its content


def test_the_edit_form_and_my_ideas_escape_what_was_typed(client):
    author = login_role(client, roles.RESIDENT)
    idea = services.idea_create(author=author, title=SCRIPT_TITLE, body=SCRIPT_BODY,
                                theme="living")

    form = client.get(reverse("ideas:edit", kwargs={"public_id": idea.public_id}))
    mine = client.get(reverse("ideas:mine"))

    for response in (form, mine):
        assert_no_live_markup(response.content.decode())
        assert "&lt;script&gt;" in response.content.decode()
    # the textarea gives back exactly what was typed, escaped
    assert "&lt;img src=x onerror=alert(1)&gt;" in form.content.decode()


def test_malformed_markup_in_an_idea_is_closed_and_harmless(client):
    idea = IdeaFactory(body=MALFORMED)

    html = client.get(idea.get_absolute_url()).content.decode()

    assert_no_live_markup(html)
    assert "<div>" not in html.split('data-testid="idea-body"')[1].split("</section>")[0]
    assert "alert(5)" not in html
    assert Idea.objects.get(pk=idea.pk).body == MALFORMED


def test_script_tags_in_a_comment_are_stored_as_typed_and_sanitised(client):
    idea = IdeaFactory()
    login_role(client, roles.RESIDENT)

    client.post(reverse("ideas:comment", kwargs={"public_id": idea.public_id}),
                {"body": SCRIPT_BODY})

    assert Comment.objects.get().body == SCRIPT_BODY.strip()
    html = client.get(idea.get_absolute_url()).content.decode()
    assert_no_live_markup(html)
    assert "<strong>bankjes</strong>" in html
    assert 'alert("body")' not in html


def test_malformed_markup_in_a_comment_and_its_report_page(client):
    idea = IdeaFactory()
    comment = CommentFactory(idea=idea, body=MALFORMED)
    login_role(client, roles.RESIDENT)

    page = client.get(idea.get_absolute_url()).content.decode()
    report = client.get(reverse("ideas:report", kwargs={"public_id": idea.public_id})
                        + f"?reactie={comment.public_id}").content.decode()

    for html in (page, report):
        assert_no_live_markup(html)
        assert "alert(5)" not in html


def test_a_refused_comment_shows_the_typed_script_escaped(client):
    idea = IdeaFactory()
    top = CommentFactory(idea=idea)
    reply = CommentFactory(idea=idea, parent=top)
    login_role(client, roles.RESIDENT)

    response = client.post(reverse("ideas:comment", kwargs={"public_id": idea.public_id}),
                           {"body": SCRIPT_BODY, "parent": str(reply.public_id)})

    html = response.content.decode()
    assert response.status_code == 400
    assert_no_live_markup(html)
    assert "&lt;script&gt;alert(&quot;body&quot;)&lt;/script&gt;" in html


@pytest.mark.parametrize("bad", ['<b onclick="x">a</b>', '<a href="javascript:x()">a</a>',
                                 "<script>alert(1)</script>"])
def test_the_check_itself_catches_live_markup(bad):
    with pytest.raises(AssertionError):
        assert_no_live_markup(bad)


def test_the_simple_text_filter_is_the_core_sanitiser():
    from django.template import Context, Template

    rendered = Template("{% load ideas_text %}{{ text|simple_text }}|{{ text|plain_excerpt:20 }}"
                        ).render(Context({"text": SCRIPT_BODY}))

    assert_no_live_markup(rendered)
    assert "<strong>bankjes</strong>" in rendered
