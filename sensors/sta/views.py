"""HTTP endpoints of the SensorThings API v1.1 under /sta/v1.1/ (docs/sensorthings.md).

Thin: parse the request, check who writes, call the reader or the creator, answer JSON. Every
error is JSON in the STA shape {"code": 400, "type": "error", "message": "..."}.
"""

import json

import rules
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DataError, OperationalError, connection, transaction
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import (
    SessionAuthentication,
    TokenAuthentication,
)
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from sensors.api import KitBasicAuthentication as IngestKitBasicAuthentication
from sensors.models import Kit
from sensors.sta import reader
from sensors.sta.create import Writer, observation_create, observations_create_bulk
from sensors.sta.entities import ENTITIES
from sensors.sta.query import StaError, parse_options

# A read may not hold the database longer than this (PostgreSQL): an Observations count or sort
# over the whole store is what makes other STA servers time out (FROST#287, #2096).
STATEMENT_TIMEOUT_MS = getattr(settings, "STA_STATEMENT_TIMEOUT_MS", 15_000)

READ_ONLY = ("This SensorThings service is read-only, except for creating Observations "
             "(POST Observations, Datastreams(<id>)/Observations, CreateObservations).")


class KitBasicAuthentication(IngestKitBasicAuthentication):
    """The kits' HTTP Basic authentication of the ingest API (device id + device token;
    request.auth is the Kit), with SensorThings' own realm."""

    def authenticate_header(self, request):
        return 'Basic realm="SensorThings"'


class AlwaysJson(BaseContentNegotiation):
    """SensorThings answers JSON whatever the Accept header says (a browser, curl -H ...)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def error_response(message: str, status: int, headers: dict | None = None) -> HttpResponse:
    response = json_response({"code": status, "type": "error", "message": message}, status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def json_response(payload, status: int = 200) -> HttpResponse:
    response = HttpResponse(json.dumps(payload, ensure_ascii=False), status=status,
                            content_type="application/json")
    # Open data: any web page may read it (no cookies are involved in what it gets).
    response["Access-Control-Allow-Origin"] = "*"
    return response


class StaView(APIView):
    # SensorThings is its own standard API, documented by OGC (docs/sensorthings.md), not
    # part of our OpenAPI document of /api/v1/.
    schema = None
    authentication_classes = [KitBasicAuthentication, TokenAuthentication,
                              SessionAuthentication]
    permission_classes: list = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AlwaysJson

    def handle_exception(self, exc):
        if isinstance(exc, StaError):
            return error_response(exc.message, exc.status, exc.headers)
        if isinstance(exc, Http404):
            return error_response("not found", 404)
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            return error_response(str(exc.detail), 401, {
                "WWW-Authenticate": self.get_authenticate_header(self.request)})
        if isinstance(exc, exceptions.MethodNotAllowed):
            return error_response(READ_ONLY, 405)
        if isinstance(exc, exceptions.Throttled):
            headers = {"Retry-After": str(int(exc.wait))} if exc.wait else {}
            return error_response(str(exc.detail), 429, headers)
        if isinstance(exc, exceptions.APIException):
            return error_response(str(exc.detail), exc.status_code)
        if isinstance(exc, PermissionDenied):
            return error_response("permission denied", 403)
        if isinstance(exc, OperationalError) and "statement timeout" in str(exc):
            return error_response("this query takes too long; narrow it with $filter (for "
                                  "example a phenomenonTime range), a smaller $top, or without "
                                  "$count", 400)
        if isinstance(exc, DataError):
            return error_response("the database could not evaluate this query; check the "
                                  "values in $filter", 400)
        return super().handle_exception(exc)

    def context(self) -> reader.Context:
        base = self.request.build_absolute_uri(reverse("sta:root"))
        return reader.Context(base=base, now=timezone.now())

    def writer(self) -> Writer:
        request = self.request
        if isinstance(request.auth, Kit):
            return Writer(kit=request.auth)
        if request.user.is_authenticated:
            if rules.has_perm("sensors.manage_projects", request.user):
                return Writer(staff=True)
            raise StaError("you may not create observations", 403)
        raise exceptions.NotAuthenticated(
            "log in: a kit with HTTP Basic (device id and device token), staff with an API "
            "token or session")

    def json_body(self):
        try:
            raw = self.request.body
        except RequestDataTooBig:
            raise StaError("the request body is too large", 413) from None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise StaError("the body is not valid JSON") from None


class ServiceRootView(StaView):
    def get(self, request):
        return json_response(reader.service_root(self.context()))


class ResourceView(StaView):
    """Every path below the root: Things, Things(1), Things(1)/Datastreams,
    Things(1)/properties/project/$value, Datastreams(1)/Observations/$ref, ..."""

    def get(self, request, resource):
        if connection.vendor != "postgresql":
            return self.read(request, resource)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(STATEMENT_TIMEOUT_MS)}")
            return self.read(request, resource)

    def read(self, request, resource):
        ctx = self.context()
        resolved = reader.resolve(ctx, resource)
        params = {key: request.GET.get(key) for key in request.GET}
        options = parse_options(params)
        if resolved.kind in ("collection", "ref"):
            return json_response(reader.read_collection(ctx, resolved, options, params))
        if resolved.kind == "entity":
            return json_response(reader.read_entity(ctx, resolved, options))
        if resolved.value is None:
            response = HttpResponse(status=204)
        elif resolved.kind == "value":
            value = resolved.value
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        else:
            return json_response({resolved.name: resolved.value})
        response["Access-Control-Allow-Origin"] = "*"
        return response

    def post(self, request, resource):
        writer = self.writer()
        ctx = self.context()
        resolved = reader.resolve(ctx, resource)
        if resolved.kind != "collection" or not resolved.postable:
            raise StaError(READ_ONLY, 405)
        pk, created = observation_create(writer=writer, body=self.json_body(),
                                         datastream_id=resolved.datastream_id, now=ctx.now)
        entity = ENTITIES["Observations"]
        stored = reader.resolve(ctx, f"Observations({pk})")
        response = json_response(reader.read_entity(ctx, stored, parse_options({})),
                                 201 if created else 200)
        response["Location"] = ctx.link(entity, pk)
        return response


class CreateObservationsView(StaView):
    def post(self, request):
        writer = self.writer()
        ctx = self.context()
        ids = observations_create_bulk(writer=writer, body=self.json_body(), now=ctx.now)
        entity = ENTITIES["Observations"]
        return json_response([ctx.link(entity, pk) if pk is not None else "error"
                              for pk in ids], 201)
