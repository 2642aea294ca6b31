"""Site-wide request handling shared by every app."""


class DutchUnlessChosenMiddleware:
    """The site is Dutch unless the visitor picked English with the language switch.

    A Dutch municipality's site speaks Dutch to everyone by default, whatever the browser's
    Accept-Language says (many Dutch residents have an English browser). The choice made with
    the switch is kept in the language cookie, which LocaleMiddleware still honours.
    Place right before django.middleware.locale.LocaleMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
