import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def home(request):
    return render(request, "core/home.html", {})


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


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # Deliberately minimal context: a 500 page must not depend on the database.
    return render(request, "errors/500.html", status=500)
