"""Pages of ideas. `/ideeen/` itself is the list of ideas and the area page of the main
navigation (URL name `area-ideas`, not namespaced: see `area_urlpatterns`, included from
portal/urls.py).

Reading pages live here (views.py, feeds.py); taking part (writing, commenting, supporting,
reporting, appealing) in participation_urls.py; moderation and the municipality's answers in
moderation_urls.py. All share the namespace "ideas".
"""

from django.urls import include, path

from portal.ideas import feeds, views

app_name = "ideas"

urlpatterns = [
    path("", include("portal.ideas.participation_urls")),
    path("", include("portal.ideas.moderation_urls")),
    path("ideeen/kaart/", views.idea_map, name="map"),
    path("ideeen/kaart/ideeen.geojson", views.idea_map_data, name="map-data"),
    path("ideeen/feed.rss", feeds.IdeasRssFeed(), name="feed-rss"),
    path("ideeen/feed.atom", feeds.IdeasAtomFeed(), name="feed-atom"),
    path("ideeen/gerealiseerd/", views.ideas_realised, name="realised"),
    path("ideeen/<uuid:public_id>/", views.idea_detail, name="detail"),
    path("ideeen/<uuid:public_id>/afbeelding/<int:pk>/", views.idea_image, name="image"),
]

area_urlpatterns = [
    path("ideeen/", views.idea_list, name="area-ideas"),
]
