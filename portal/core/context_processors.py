from django.conf import settings


def site(request):
    return {"SITE_NAME": "Stadsmakers", "DIGID_MODE": settings.DIGID_MODE}
