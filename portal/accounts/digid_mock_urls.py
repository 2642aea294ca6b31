app_name = "digid"
urlpatterns = []
