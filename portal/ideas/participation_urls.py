"""Taking part in ideas: writing, commenting, supporting, following, reporting, appealing."""

from django.urls import path

from portal.ideas import participation_views as views

urlpatterns = [
    path("ideeen/nieuw/", views.idea_create, name="create"),
    path("ideeen/mijn-ideeen/", views.my_ideas, name="mine"),
    path("ideeen/<uuid:public_id>/bewerken/", views.idea_edit, name="edit"),
    path("ideeen/<uuid:public_id>/indienen/", views.idea_submit, name="submit"),
    path("ideeen/<uuid:public_id>/verwijderen/", views.idea_delete, name="delete"),
    path("ideeen/<uuid:public_id>/afbeelding/<int:pk>/verwijderen/", views.image_delete,
         name="image-delete"),
    path("ideeen/<uuid:public_id>/bezwaar/", views.idea_appeal, name="appeal"),
    path("ideeen/<uuid:public_id>/reageren/", views.comment_create, name="comment"),
    path("ideeen/<uuid:public_id>/steunen/", views.idea_support, name="support"),
    path("ideeen/<uuid:public_id>/steun-intrekken/", views.idea_unsupport, name="unsupport"),
    path("ideeen/<uuid:public_id>/volgen/", views.idea_follow, name="follow"),
    path("ideeen/<uuid:public_id>/niet-meer-volgen/", views.idea_unfollow, name="unfollow"),
    path("ideeen/<uuid:public_id>/melden/", views.report_create, name="report"),
]
