"""Public map, kit pages and open data downloads (namespace "sensors", included from
sensors/urls.py). Full paths, as in the other apps: include these BEFORE any
`sensoren/<slug>/` pattern, or "kaart" and "open-data" would be taken for project slugs."""

from django.urls import path

from sensors import downloads, map_views

urlpatterns = [
    path("sensoren/kaart/", map_views.sensor_map, name="map"),
    path("sensoren/kaart/data.geojson", map_views.sensor_map_data, name="map_data"),
    path("sensoren/open-data/", map_views.open_data_help, name="open_data_help"),
    path("sensoren/kits/<uuid:public_id>/", map_views.kit_public, name="kit_public"),
    path("sensoren/kits/<uuid:public_id>/data.csv", downloads.kit_data_csv,
         name="kit_data_csv"),
    path("sensoren/<slug:slug>/data.csv", downloads.project_data_csv, name="project_data_csv"),
    path("sensoren/<slug:slug>/data.geojson", downloads.project_data_geojson,
         name="project_data_geojson"),
    path("sensoren/<slug:slug>/archief/", map_views.project_archive, name="project_archive"),
    path("sensoren/<slug:slug>/archief/<str:day>.csv.gz", map_views.project_archive_file,
         name="project_archive_file"),
]
