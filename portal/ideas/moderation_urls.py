"""Moderation of ideas and comments, and the municipality's answers (status, links)."""

from django.urls import path

from portal.ideas import moderation_views as views

urlpatterns = [
    path("ideeen/moderatie/", views.moderation_queue, name="queue"),
    path("ideeen/moderatie/idee/<uuid:public_id>/", views.moderate_idea, name="moderate-idea"),
    path("ideeen/moderatie/reactie/<uuid:public_id>/", views.moderate_comment,
         name="moderate-comment"),
    path("ideeen/moderatie/statistieken/", views.moderation_statistics, name="statistics"),
    path("ideeen/<uuid:public_id>/status/", views.idea_status, name="status"),
    path("ideeen/<uuid:public_id>/koppelen/", views.idea_link, name="link"),
]
