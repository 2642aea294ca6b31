"""DigiD through an OpenID Connect broker (DIGID_MODE=oidc): login, callback, local logout.

`digid:acs` is the OIDC redirect URI to register with the broker: <SITE_URL>/digid/acs/.
"""

from django.urls import path

from portal.accounts import digid_views

app_name = "digid"
urlpatterns = [
    path("login/", digid_views.DigiDOIDCLoginView.as_view(), name="login"),
    path("acs/", digid_views.DigiDOIDCCallbackView.as_view(), name="acs"),
    path("logout/", digid_views.DigiDLogoutView.as_view(), name="logout"),
]
