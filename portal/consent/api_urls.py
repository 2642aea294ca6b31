from django.urls import path

from portal.consent import api

urlpatterns = [
    path("me/consents/", api.MyConsentsView.as_view(), name="api-my-consents"),
    path("me/consents/<slug:purpose_code>/withdraw/", api.MyConsentWithdrawView.as_view(),
         name="api-my-consent-withdraw"),
    path("me/data/", api.MyDataView.as_view(), name="api-my-data"),
    path("me/exports/", api.MyExportsView.as_view(), name="api-my-exports"),
    path("me/exports/<uuid:public_id>/", api.MyExportDetailView.as_view(),
         name="api-my-export-detail"),
]
