"""DigiD in mock mode (development and demos): our mock IdP and ACS, never the BSN in a URL."""

from django.urls import path

from portal.accounts import digid_views

app_name = "digid"
urlpatterns = [
    path("login/", digid_views.DigiDMockLoginView.as_view(), name="login"),
    path("idp/", digid_views.DigiDMockIdPView.as_view(), name="idp"),
    path("acs/", digid_views.DigiDMockAssertionConsumerServiceView.as_view(), name="acs"),
    path("logout/", digid_views.DigiDLogoutView.as_view(), name="logout"),
]
