from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from challenges.urls import area_urlpatterns as challenges_area_urlpatterns
from portal.consent.urls import area_urlpatterns as consent_area_urlpatterns
from portal.core import views as core_views
from portal.ideas.urls import area_urlpatterns as ideas_area_urlpatterns
from sensors.urls import area_urlpatterns as sensors_area_urlpatterns

handler400 = "portal.core.views.bad_request"
handler403 = "portal.core.views.permission_denied"
handler404 = "portal.core.views.page_not_found"
handler500 = "portal.core.views.server_error"

# The admin has no login form of its own: staff log in through allauth's e-mail login, which is
# rate limited and requires a verified address; non-staff then get the admin's refusal page.
admin.site.login = login_required(admin.site.login, login_url="account_login")
admin.site.site_header = "Stadsmakers beheer"
admin.site.site_title = "Stadsmakers beheer"

urlpatterns = [
    path("", include("portal.core.urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("beheer/", admin.site.urls),
    path("account/", include("allauth.urls")),
    path("", include("portal.accounts.urls")),
    path("", include("portal.consent.urls")),
    path("", include(consent_area_urlpatterns)),
    path("", include("registry.urls")),
    path("", include("portal.ideas.urls")),
    path("", include(ideas_area_urlpatterns)),
    path("", include("sensors.urls")),
    path("", include(sensors_area_urlpatterns)),
    path("", include("challenges.urls")),
    path("", include(challenges_area_urlpatterns)),
    path("api/v1/", include("portal.api_urls")),
    path("sta/v1.1/", include("sensors.sta.urls")),
]

if settings.DIGID_MODE == "mock":
    urlpatterns += [path("digid/", include("portal.accounts.digid_mock_urls"))]
elif settings.DIGID_MODE == "oidc":
    urlpatterns += [path("digid/", include("portal.accounts.digid_oidc_urls"))]
else:
    urlpatterns += [path("", include("portal.accounts.digid_saml_urls"))]
