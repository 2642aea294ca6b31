from django.urls import path

from portal.consent import api

urlpatterns = [
    path("me/consents/", api.MyConsentsView.as_view(), name="api-my-consents"),
    path("me/consents/<slug:purpose_code>/withdraw/", api.MyConsentWithdrawView.as_view(),
         name="api-my-consent-withdraw"),
]
