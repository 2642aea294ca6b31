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


class DeviceLaneMiddleware:
    """Requests from measuring devices skip the rest of the middleware and URL resolution.

    A sensor push (settings.DEVICE_LANE: exact path -> view) is the most frequent request the
    site gets, thousands a minute, from firmware that sends no cookies, no CSRF token and no
    language: sessions, CSRF, authentication, messages, DigiD, CSP and clickjacking headers do
    nothing for it, yet cost more than the push itself. Place FIRST in MIDDLEWARE. The view
    still runs inside Django's handler (request signals, database connection handling,
    exception handling) and the host is still checked against ALLOWED_HOSTS.
    """

    def __init__(self, get_response):
        from django.conf import settings
        from django.utils.module_loading import import_string

        self.get_response = get_response
        self.lane = {path: import_string(view)
                     for path, view in getattr(settings, "DEVICE_LANE", {}).items()}

    def __call__(self, request):
        view = self.lane.get(request.path_info)
        if view is None:
            return self.get_response(request)
        request.get_host()  # DisallowedHost (400) for a host not in ALLOWED_HOSTS, as elsewhere
        return view(request)
