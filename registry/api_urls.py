from django.urls import path

from registry import api

urlpatterns = [
    path("algorithms/", api.AlgorithmListView.as_view(), name="api-algorithm-list"),
    path("algorithms/<str:key>/", api.AlgorithmDetailView.as_view(),
         name="api-algorithm-detail"),
    path("pilots/", api.PilotListView.as_view(), name="api-pilot-list"),
    path("pilots/<slug:slug>/", api.PilotDetailView.as_view(), name="api-pilot-detail"),
]
