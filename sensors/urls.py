"""Pages of the sensor networks, namespace "sensors". `/sensoren/` is the area page of the
main navigation (URL name `area-sensors`, not namespaced: `area_urlpatterns`, included from
portal/urls.py).

The map and the public kit pages come from sensors/map_urls.py, included FIRST: their fixed
paths win over `/sensoren/<slug>/`, and the project admin refuses a slug whose address another
page already uses. Then taking part (joining, registering, "is my sensor live?") and the
project pages.
"""

from django.urls import include, path

from sensors import map_views, views

app_name = "sensors"

urlpatterns = [
    path("", include("sensors.map_urls")),
    path("sensoren/mijn-sensoren/", views.my_kits, name="my_kits"),
    path("sensoren/mijn-sensoren/<uuid:public_id>/", views.kit_live, name="kit_live"),
    path("sensoren/mijn-sensoren/<uuid:public_id>/nieuwe-sleutel/", views.kit_token_rotate,
         name="kit_token_rotate"),
    path("sensoren/mijn-sensoren/<uuid:public_id>/locatie/", views.kit_location,
         name="kit_location"),
    path("sensoren/mijn-sensoren/<uuid:public_id>/stoppen/", views.kit_leave,
         name="kit_leave"),
    # A slug has no dot, so "projecten.geojson" is never a project page.
    path("sensoren/projecten.geojson", map_views.projects_geojson, name="projects_geojson"),
    path("sensoren/<slug:slug>/", views.project_detail, name="project_detail"),
    path("sensoren/<slug:slug>/handleiding/", views.project_manual, name="project_manual"),
    path("sensoren/<slug:slug>/meedoen/", views.join, name="join"),
    path("sensoren/<slug:slug>/sensor-aanmelden/", views.kit_register, name="kit_register"),
]

area_urlpatterns = [
    path("sensoren/", views.project_list, name="area-sensors"),
]
