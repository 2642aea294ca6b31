"""/api/v1/challenges/: see challenges/api.py."""

from django.urls import path

from challenges import api

urlpatterns = [
    path("challenges/", api.ChallengeListView.as_view(), name="api-challenge-list"),
    path("challenges/<slug:slug>/", api.ChallengeDetailView.as_view(),
         name="api-challenge-detail"),
]
