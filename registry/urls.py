from django.urls import include, path

from registry import views

algorithm_patterns = [
    path("", views.AlgorithmListView.as_view(), name="algorithm_list"),
    path("nieuw/", views.AlgorithmCreateView.as_view(), name="algorithm_create"),
    path("<slug:slug>/", views.AlgorithmDetailView.as_view(), name="algorithm_detail"),
    path("<slug:slug>/concept/", views.AlgorithmDraftView.as_view(), name="algorithm_draft"),
    path("<slug:slug>/bewerken/", views.AlgorithmUpdateView.as_view(), name="algorithm_update"),
    path("<slug:slug>/geschiedenis/", views.AlgorithmHistoryView.as_view(),
         name="algorithm_history"),
    path("<slug:slug>/indienen/", views.AlgorithmSubmitView.as_view(), name="algorithm_submit"),
    path("<slug:slug>/publiceren/", views.AlgorithmPublishView.as_view(),
         name="algorithm_publish"),
    path("<slug:slug>/afwijzen/", views.AlgorithmRejectView.as_view(), name="algorithm_reject"),
    path("<slug:slug>/intrekken/", views.AlgorithmWithdrawView.as_view(),
         name="algorithm_withdraw"),
]

app_name = "registry"
urlpatterns = [
    path("registers/algoritmes/", include(algorithm_patterns)),
]
