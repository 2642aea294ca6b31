"""Everything under /api/v1/: each app contributes its own api urls here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal.core.api import ApiRootView

urlpatterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script as a file, so the strict CSP (no inline scripts) holds.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("portal.core.api_urls")),
    path("", include("portal.accounts.api_urls")),
    path("", include("portal.consent.api_urls")),
    path("", include("registry.api_urls")),
    path("", include("portal.ideas.api_urls")),
    path("", include("challenges.api_urls")),
    path("", include("sensors.api_urls")),
]
