from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView

from portal.accounts import views

account_patterns = (
    [
        path("mijn-account/", views.ProfileView.as_view(), name="profile"),
        path("mijn-account/e-mailadres/", views.ResidentEmailView.as_view(),
             name="resident_email"),
        path("mijn-account/e-mailadres/bevestigen/<str:token>/",
             views.ResidentEmailConfirmView.as_view(), name="resident_email_confirm"),
        path("organisaties/", views.OrganisationListView.as_view(), name="organisation_list"),
        path("organisaties/nieuw/", views.OrganisationCreateView.as_view(),
             name="organisation_create"),
        path("organisaties/<slug:slug>/", views.OrganisationDetailView.as_view(),
             name="organisation_detail"),
        path("organisaties/<slug:slug>/bewerken/", views.OrganisationUpdateView.as_view(),
             name="organisation_update"),
        path("organisaties/<slug:slug>/leden/", views.OrganisationMembersView.as_view(),
             name="organisation_members"),
    ],
    "accounts",
)

urlpatterns = [
    # The login choice page: DigiD for residents, e-mail for organisations and staff.
    path("inloggen/", TemplateView.as_view(template_name="accounts/login_choice.html"),
         name="login"),
    path("uitloggen/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include(account_patterns)),
]
