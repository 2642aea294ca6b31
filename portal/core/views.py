import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.core import selectors

logger = logging.getLogger(__name__)


def home(request):
    return render(request, "core/home.html", {"sections": selectors.home_sections()})


# Landing pages of the five areas. Their apps replace these pages as they are built.


def area_registers(request):
    return render(request, "core/area_registers.html")


def accessibility(request):
    return render(request, "core/accessibility.html")


def privacy(request):
    return render(request, "core/privacy.html")


@never_cache
@require_GET
def healthz(request):
    """Liveness + readiness: the database always, Redis when it is configured."""
    checks = {"database": _check_database()}
    if settings.REDIS_URL:
        checks["redis"] = _check_cache()
    healthy = all(result == "ok" for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("healthz: database check failed")
        return "error"
    return "ok"


def _check_cache() -> str:
    try:
        cache.set("healthz", "1", 5)
        if cache.get("healthz") != "1":
            return "error"
    except Exception:
        logger.exception("healthz: redis check failed")
        return "error"
    return "ok"


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def _json_error(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def bad_request(request, exception=None):
    if _wants_json(request):
        return _json_error("Bad request.", "bad_request", 400)
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    if _wants_json(request):
        return _json_error("You do not have permission to perform this action.",
                           "permission_denied", 403)
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    if _wants_json(request):
        return _json_error("Not found.", "not_found", 404)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    if _wants_json(request):
        return _json_error("Server error.", "server_error", 500)
    # Rendered without the request, so no context processor runs: the page must not touch
    # the database or request.user, because the database may be the reason for the error.
    return HttpResponseServerError(loader.get_template("errors/500.html").render())
