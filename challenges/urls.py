"""Pages of challenges, all under /uitdagingen/ and in the namespace "challenges".

`/uitdagingen/` itself is the list of challenges and the area page of the main navigation (URL
name `area-challenges`, not namespaced: see `area_urlpatterns`, included from portal/urls.py).
Reading and taking part: views.py; civil servants: staff_views.py; proposals and the jury:
proposal_views.py; feeds: feeds.py. Fixed paths come before `<slug>/` (services.RESERVED_SLUGS
keeps a challenge's slug from shadowing them).
"""

from django.urls import path

from challenges import feeds, proposal_views, staff_views, views

app_name = "challenges"

urlpatterns = [
    path("uitdagingen/", views.challenge_list, name="list"),
    path("uitdagingen/nieuw/", staff_views.challenge_create, name="create"),
    path("uitdagingen/feed/rss/", feeds.ChallengesRssFeed(), name="feed-rss"),
    path("uitdagingen/feed/atom/", feeds.ChallengesAtomFeed(), name="feed-atom"),
    path("uitdagingen/mijn-organisatie/", proposal_views.organisation_dashboard,
         name="organisation_dashboard"),
    path("uitdagingen/voorstellen/<uuid:public_id>/", proposal_views.proposal_detail,
         name="proposal_detail"),
    path("uitdagingen/voorstellen/<uuid:public_id>/bijlagen/<uuid:attachment_id>/",
         proposal_views.attachment_download, name="attachment_download"),
    path("uitdagingen/voorstellen/<uuid:public_id>/uitslag/", proposal_views.outcome_letter,
         name="outcome_letter"),
    # one challenge
    path("uitdagingen/<slug:slug>/", views.challenge_detail, name="detail"),
    path("uitdagingen/<slug:slug>/volgen/", views.challenge_follow, name="follow"),
    path("uitdagingen/<slug:slug>/ontvolgen/", views.challenge_unfollow, name="unfollow"),
    path("uitdagingen/<slug:slug>/vragen/", views.question_ask, name="ask"),
    path("uitdagingen/<slug:slug>/voorstel/", proposal_views.proposal_edit,
         name="proposal_edit"),
    # civil servants
    path("uitdagingen/<slug:slug>/bewerken/", staff_views.challenge_edit, name="edit"),
    path("uitdagingen/<slug:slug>/publiceren/", staff_views.challenge_publish, name="publish"),
    path("uitdagingen/<slug:slug>/wijzigen/", staff_views.challenge_amend, name="amend"),
    path("uitdagingen/<slug:slug>/vragen/<uuid:public_id>/beantwoorden/",
         staff_views.question_answer, name="question_answer"),
    path("uitdagingen/<slug:slug>/beheer/", staff_views.challenge_manage, name="manage"),
    path("uitdagingen/<slug:slug>/beheer/jury/benoemen/", staff_views.jury_appoint,
         name="jury_appoint"),
    path("uitdagingen/<slug:slug>/beheer/jury/voorzitter/", staff_views.jury_chair,
         name="jury_chair"),
    path("uitdagingen/<slug:slug>/beheer/jury/verwijderen/", staff_views.jury_remove,
         name="jury_remove"),
    path("uitdagingen/<slug:slug>/beheer/beoordeling-starten/", staff_views.assessment_start,
         name="assessment_start"),
    path("uitdagingen/<slug:slug>/beheer/sluiten-zonder-winnaar/", staff_views.not_award,
         name="not_award"),
    # the jury
    path("uitdagingen/<slug:slug>/jury/", proposal_views.jury_overview, name="jury_overview"),
    path("uitdagingen/<slug:slug>/jury/rangschikking/", proposal_views.jury_ranking,
         name="jury_ranking"),
    path("uitdagingen/<slug:slug>/jury/<uuid:public_id>/", proposal_views.jury_proposal,
         name="jury_proposal"),
]

area_urlpatterns = [
    path("uitdagingen/", views.challenge_list, name="area-challenges"),
]
