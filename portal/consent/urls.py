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
]
