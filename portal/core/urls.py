from django.urls import path

from portal.core import notification_views, views

urlpatterns = [
    path("", views.home, name="home"),
    # Area landing pages (site shell); each area's app takes its path over when it lands
    # (Mijn gegevens: portal/consent/urls.py; Ideeën: portal/ideas/urls.py; Sensoren:
    # sensors/urls.py; Uitdagingen: challenges/urls.py).
    path("registers/", views.area_registers, name="area-registers"),
    path("toegankelijkheid/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    # Notifications (portal/core/notification_views.py)
    path("meldingen/", notification_views.notification_list, name="notifications"),
    path("meldingen/alles-gelezen/", notification_views.notifications_read_all,
         name="notifications-read-all"),
    path("meldingen/voorkeuren/", notification_views.notification_preferences,
         name="notification-preferences"),
    path("meldingen/test/", notification_views.notification_test_send, name="notification-test"),
    path("meldingen/<uuid:public_id>/gelezen/", notification_views.notification_read,
         name="notification-read"),
]
