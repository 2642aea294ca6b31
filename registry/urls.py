from django.urls import include, path

from registry import downloads, imports, views

algorithm_patterns = [
    path("", views.AlgorithmListView.as_view(), name="algorithm_list"),
    path("download.csv", downloads.AlgorithmDownloadView.as_view(fmt="csv"),
         name="algorithm_download_csv"),
    path("download.json", downloads.AlgorithmDownloadView.as_view(fmt="json"),
         name="algorithm_download_json"),
    path("nieuw/", views.AlgorithmCreateView.as_view(), name="algorithm_create"),
    path("importeren/", imports.AlgorithmImportView.as_view(), name="algorithm_import"),
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

pilot_patterns = [
    path("", views.PilotListView.as_view(), name="pilot_list"),
    path("download.csv", downloads.PilotDownloadView.as_view(fmt="csv"),
         name="pilot_download_csv"),
    path("download.json", downloads.PilotDownloadView.as_view(fmt="json"),
         name="pilot_download_json"),
    path("nieuw/", views.PilotCreateView.as_view(), name="pilot_create"),
    path("", include("registry.maps")),  # kaart/, kaart.geojson: the map of pilots
    path("<slug:slug>/", views.PilotDetailView.as_view(), name="pilot_detail"),
    path("<slug:slug>/bewerken/", views.PilotUpdateView.as_view(), name="pilot_update"),
    path("<slug:slug>/concept/", views.PilotVersionView.as_view(), name="pilot_version"),
    path("<slug:slug>/concept/kpis/nieuw/", views.VersionKpiFormView.as_view(),
         name="pilot_version_kpi_create"),
    path("<slug:slug>/concept/kpis/<int:position>/bewerken/", views.VersionKpiFormView.as_view(),
         name="pilot_version_kpi_update"),
    path("<slug:slug>/geschiedenis/", views.PilotHistoryView.as_view(), name="pilot_history"),
    path("<slug:slug>/indienen/", views.PilotSubmitView.as_view(), name="pilot_submit"),
    path("<slug:slug>/publiceren/", views.PilotPublishView.as_view(), name="pilot_publish"),
    path("<slug:slug>/afwijzen/", views.PilotRejectView.as_view(), name="pilot_reject"),
    path("<slug:slug>/intrekken/", views.PilotWithdrawView.as_view(), name="pilot_withdraw"),
    path("<slug:slug>/status/", views.PilotStatusView.as_view(), name="pilot_status"),
    path("<slug:slug>/volgen/", views.PilotFollowView.as_view(), name="pilot_follow"),
    path("<slug:slug>/kpis/nieuw/", views.KpiFormView.as_view(), name="kpi_create"),
    path("<slug:slug>/kpis/<int:kpi_id>/bewerken/", views.KpiFormView.as_view(),
         name="kpi_update"),
    path("<slug:slug>/evaluaties/nieuw/", views.EvaluationCreateView.as_view(),
         name="evaluation_create"),
    path("<slug:slug>/evaluaties/<int:pk>/", views.EvaluationDetailView.as_view(),
         name="evaluation_detail"),
    path("<slug:slug>/evaluaties/<int:pk>/bewerken/", views.EvaluationUpdateView.as_view(),
         name="evaluation_update"),
    path("<slug:slug>/evaluaties/<int:pk>/terugsturen/", views.EvaluationReturnView.as_view(),
         name="evaluation_return"),
    path("<slug:slug>/evaluaties/<int:pk>/publiceren/", views.EvaluationPublishView.as_view(),
         name="evaluation_publish"),
]

app_name = "registry"
urlpatterns = [
    path("registers/raadsinformatie/", views.DashboardView.as_view(), name="dashboard"),
    path("registers/raadsinformatie/thema-volgen/", views.ThemeFollowView.as_view(),
         name="theme_follow"),
    path("registers/algoritmes/", include(algorithm_patterns)),
    path("registers/pilots/", include(pilot_patterns)),
]
