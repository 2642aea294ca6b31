from django.urls import path
from django.views.generic import RedirectView

app_name = "digid"
urlpatterns = [path("login/", RedirectView.as_view(url="/"), name="login")]
