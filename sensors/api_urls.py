"""Ingest endpoints of the sensor networks under /api/v1/sensors/ (included from
portal/api_urls.py). The SensorThings API lives apart, under /sta/v1.1/."""

from django.urls import path

from sensors import api

urlpatterns = [
    path("sensors/push/sensor-community/", api.sensor_community_push,
         name="api-sensors-push-sensor-community"),
    path("sensors/kits/<str:device_id>/observations/", api.KitObservationsUploadView.as_view(),
         name="api-sensors-kit-observations"),
]
