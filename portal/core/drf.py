"""DRF plumbing shared by every app's API: pagination and the JSON error shape.

Kept apart from any module that defines API views: REST_FRAMEWORK settings import these while
DRF itself is still loading.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler


class StandardPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def json_exception_handler(exc, context):
    """Every API error is JSON: {"detail": ..., "code": ...} plus field errors where relevant."""
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict")
                                         else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        detail, code = str(exceptions.ValidationError.default_detail), "invalid"
        # One error about the request as a whole (e.g. wrong credentials) is the message itself.
        general = data if isinstance(data, list) else None
        if isinstance(data, dict) and set(data) == {api_settings.NON_FIELD_ERRORS_KEY}:
            general = data[api_settings.NON_FIELD_ERRORS_KEY]
        if isinstance(general, list) and len(general) == 1:
            detail, code = str(general[0]), getattr(general[0], "code", code)
        if not isinstance(data, dict):
            data = {api_settings.NON_FIELD_ERRORS_KEY: data}
        response.data = {"detail": detail, "code": code, "errors": data}
    elif isinstance(data, dict) and "detail" in data:
        response.data = {"detail": str(data["detail"]), "code": getattr(data["detail"], "code",
                                                                      "error")}
    return response
