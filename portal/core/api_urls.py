from django.urls import path

from portal.core import api

urlpatterns = [
    path("notifications/", api.NotificationListView.as_view(), name="api-notifications"),
    path(
        "notifications/<uuid:public_id>/read/",
        api.NotificationReadView.as_view(),
        name="api-notification-read",
    ),
    path("auth/token/", api.TokenObtainView.as_view(), name="api-token"),
]
