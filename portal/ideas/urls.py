"""Pages of ideas. `/ideeen/` itself is the area page of the main navigation (URL name
`area-ideas`, not namespaced: see `area_urlpatterns`)."""

from django.urls import path

from portal.ideas import views

app_name = "ideas"

urlpatterns = [
    path("ideeen/<uuid:public_id>/", views.idea_detail, name="detail"),
]

area_urlpatterns = []
