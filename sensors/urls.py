"""Pages of the sensor networks, namespace "sensors". `/sensoren/` is the area page of the
main navigation (URL name `area-sensors`, not namespaced: `area_urlpatterns`)."""

from django.urls import include, path  # noqa: F401 - routes are added by the page modules

app_name = "sensors"

urlpatterns = []

area_urlpatterns = []
