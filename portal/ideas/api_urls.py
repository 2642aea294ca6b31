"""/api/v1/ideas/: see portal/ideas/api.py and docs/api.md."""

from django.urls import path

from portal.ideas import api

urlpatterns = [
    path("ideas/", api.IdeaListView.as_view(), name="api-idea-list"),
    path("ideas/<uuid:public_id>/", api.IdeaDetailView.as_view(), name="api-idea-detail"),
    path("ideas/<uuid:public_id>/support/", api.IdeaSupportView.as_view(),
         name="api-idea-support"),
    path("ideas/<uuid:public_id>/comments/", api.IdeaCommentsView.as_view(),
         name="api-idea-comments"),
]
