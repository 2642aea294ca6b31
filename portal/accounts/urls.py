from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    # The login choice page: DigiD for residents, e-mail for organisations and staff.
    path("inloggen/", TemplateView.as_view(template_name="accounts/login_choice.html"),
         name="login"),
    path("uitloggen/", auth_views.LogoutView.as_view(), name="logout"),
]
