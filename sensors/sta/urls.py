"""OGC SensorThings API v1.1, included from portal/urls.py at /sta/v1.1/ (namespace "sta")."""

from django.urls import path, re_path

from sensors.sta import views

app_name = "sta"

urlpatterns = [
    path("", views.ServiceRootView.as_view(), name="root"),
    path("CreateObservations", views.CreateObservationsView.as_view(),
         name="create-observations"),
    re_path(r"^(?P<resource>[A-Za-z].*)$", views.ResourceView.as_view(), name="resource"),
]
