from django.urls import path

from registry import api

urlpatterns = [
    path("algorithms/", api.AlgorithmListView.as_view(), name="api-algorithm-list"),
    path("algorithms/<str:key>/", api.AlgorithmDetailView.as_view(),
         name="api-algorithm-detail"),
]
