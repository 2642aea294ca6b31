from django.urls import path

from portal.consent import views

app_name = "consent"

urlpatterns = [
    path("mijn-gegevens/toestemmingen/", views.consent_list, name="consents"),
    path("mijn-gegevens/toestemming/<slug:purpose_code>/", views.consent_give, name="give"),
    path("mijn-gegevens/toestemmingen/<slug:purpose_code>/intrekken/", views.consent_withdraw,
         name="withdraw"),
    path("mijn-gegevens/toestemmingen/bewijs/<uuid:public_id>.json",
         views.consent_receipt_download, name="receipt"),
    path("mijn-gegevens/download/", views.data_export_request, name="export-request"),
    path("mijn-gegevens/download/<uuid:public_id>/", views.data_export_download,
         name="export-download"),
    path("mijn-gegevens/account-verwijderen/", views.account_delete, name="account-delete"),
    path("account-verwijderd/", views.account_deleted, name="account-deleted"),
]

# The area page keeps its site-wide name `area-my-data` (main navigation, links): included
# without a namespace from portal/urls.py.
area_urlpatterns = [
    path("mijn-gegevens/", views.my_data, name="area-my-data"),
]
