"""DigiD in SAML mode: the library's login and ACS views, wrapped to record the level.

Not included from the library: its SP-initiated logout (needs `user.bsn`, which we never keep)
and its SOAP single-logout endpoint (logs the request body, which carries the BSN). Logout is
local; see docs/digid.md.
"""

from django.urls import include, path

from portal.accounts import digid_views

digid_patterns = (
    [
        path("login/", digid_views.DigiDSamlLoginView.as_view(), name="login"),
        path("acs/", digid_views.DigiDSamlAssertionConsumerServiceView.as_view(), name="acs"),
        path("logout/", digid_views.DigiDLogoutView.as_view(), name="logout"),
    ],
    "digid",
)

urlpatterns = [
    path("digid/", include(digid_patterns)),
    # SP metadata for registration with Logius (generated from the admin configuration).
    path("metadata/", include("digid_eherkenning.metadata_urls")),
]
