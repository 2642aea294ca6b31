"""Ingest over HTTP under /api/v1/sensors/ (docs/sensors-ingest.md):

* `POST push/sensor-community/`: the airrohr firmware's "send to own API" POST, exactly as the
  firmware sends it (and the Sensor.Community per-pin form). A plain Django view, not DRF: it
  is the hot path (hundreds of kits a second), so it does only what it must: one query to
  authenticate the kit, one for its datastreams, then the store.
* `POST kits/<device_id>/observations/`: a kit's backlog as a JSON array or CSV (openSenseMap
  style), at most 10,000 rows, one `observations_store` call. DRF: HTTP Basic with the kit's
  device id and token, or the owner's browser session (with the CSRF token).

Both answer JSON in the API's error shape (`{"detail", "code"}`), never a 500 for bad input,
and store the valid values of a request even when others in it are refused.
"""

import base64
import binascii
import csv
import datetime
import io
import json
import math
from typing import NamedTuple

import rules
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse, UnreadablePostError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from sensors import airrohr
from sensors.models import Kit
from sensors.services import (
    Reading,
    device_id_normalise,
    kit_authenticate,
    observations_store,
    secret_matches,
)

# A push is one measuring cycle: a few hundred bytes (all sensors of a kit: < 2 KB).
PUSH_MAX_BYTES = 64 * 1024
# A backlog upload: 10,000 rows of ~100 bytes, with room for pretty-printed JSON.
BULK_MAX_ROWS = 10_000
BULK_MAX_BYTES = 4 * 1024 * 1024
REALM = 'Basic realm="Stadsmakers sensors", charset="UTF-8"'


def push_min_interval() -> int:
    """Seconds a datastream must wait between two pushes (429 when sooner); 0 switches the
    check off. The firmware sends every 145 s by default, and its dust sensors need 20 s per
    cycle (15 s warm-up, 5 s reading), so 10 s is never hit by a healthy kit."""
    return int(getattr(settings, "SENSORS_PUSH_MIN_INTERVAL", 10))


# --- shared --------------------------------------------------------------------------------


def basic_credentials(meta) -> tuple[str, str] | None:
    """(user, password) of an HTTP Basic Authorization header; None when there is none.
    Raises ValueError for a Basic header that cannot be decoded."""
    header = meta.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("undecodable Basic credentials") from None
    user, colon, password = decoded.partition(":")
    if not colon or not user:
        raise ValueError("Basic credentials without user or password")
    return user.strip(), password


def device_id_clean(text: str) -> str:
    """The device id as kits are registered (services.device_id_normalise: "esp8266-<chip
    id>", lower case; a bare chip id is accepted too); anything else as it came."""
    try:
        return device_id_normalise(text)
    except ValidationError:
        return text.strip()


def usable_device_id(device_id: str) -> bool:
    """Whether a device id from a request may go into a query at all (PostgreSQL refuses NUL
    characters with an error; a kit's device id is at most 64 printable characters)."""
    return 0 < len(device_id) <= 64 and device_id.isprintable()


def _content_length(meta) -> int:
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


# --- the airrohr push ------------------------------------------------------------------------


def _error(detail: str, code: str, status_code: int, **extra) -> JsonResponse:
    response = JsonResponse({"detail": detail, "code": code, **extra}, status=status_code)
    if status_code == 401:
        response["WWW-Authenticate"] = REALM
    return response


@csrf_exempt
def sensor_community_push(request):
    """POST /api/v1/sensors/push/sensor-community/ (see the module docstring)."""
    if request.method != "POST":
        response = _error(_("Method not allowed: send a POST."), "method_not_allowed", 405)
        response["Allow"] = "POST"
        return response
    if not _content_length(request.META) and not request.content_type:
        return _error(_("The body is empty."), "empty_body", 400)
    if request.content_type != "application/json":
        return _error(_("Send the measurements as application/json."),
                      "unsupported_media_type", 415)
    if _content_length(request.META) > PUSH_MAX_BYTES:
        return _error(_("The body is larger than %(size)s KB.") % {"size": PUSH_MAX_BYTES // 1024},
                      "too_large", 413)
    try:
        credentials = basic_credentials(request.META)
    except ValueError:
        credentials = None
    if credentials is None:
        return _error(_("Log in with HTTP Basic: the device id and the kit's device token."),
                      "not_authenticated", 401)
    device_id, token = device_id_clean(credentials[0]), credentials[1]
    # META, not request.headers: the push is hot, and headers parses every header name.
    x_sensor = request.META.get("HTTP_X_SENSOR", "").strip()
    if x_sensor and device_id_clean(x_sensor) != device_id:
        return _error(_("The X-Sensor header does not match the device id you logged in with."),
                      "x_sensor_mismatch", 400)
    kit = airrohr.kit_for_push(device_id) if usable_device_id(device_id) else None
    if kit is None or not secret_matches(token or "", kit.token_hash) or not kit.accepts_data:
        return _error(_("Unknown device, wrong token, or a kit that no longer sends data."),
                      "authentication_failed", 401)
    try:
        body = request.body
    except UnreadablePostError:
        return _error(_("The body could not be read."), "parse_error", 400)
    if len(body) > PUSH_MAX_BYTES:
        return _error(_("The body is larger than %(size)s KB.") % {"size": PUSH_MAX_BYTES // 1024},
                      "too_large", 413)
    if not body.strip():
        return _error(_("The body is empty."), "empty_body", 400)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return _error(_("The body is not valid JSON."), "parse_error", 400)
    try:
        push = airrohr.payload_parse(data, pin=request.META.get("HTTP_X_PIN"))
    except airrohr.PayloadError as problem:
        return _error(_payload_message(problem.code), problem.code, 400)
    try:
        result = airrohr.push_store(kit=kit, push=push, now=timezone.now(),
                                    min_interval=push_min_interval())
    except airrohr.TooSoon as soon:
        response = _error(
            _("This kit sent the same measurements less than %(seconds)s seconds ago.")
            % {"seconds": push_min_interval()}, "rate_limited", 429)
        response["Retry-After"] = str(soon.retry_after)
        return response
    answer = result.as_dict()
    if not result.stored and not result.duplicates and result.rejected:
        return _error(_("None of the values could be stored."), "no_valid_values", 400, **answer)
    return HttpResponse(json.dumps(answer), content_type="application/json",
                        status=201 if result.stored else 200)


def _payload_message(code: str) -> str:
    return {
        "invalid_payload": _("The body must be a JSON object."),
        "missing_sensordatavalues": _('The body has no "sensordatavalues" list.'),
        "unknown_pin": _("Unknown X-PIN: see the pin table in the documentation."),
    }.get(code, _("The body is not a valid measurement."))


# --- bulk upload of a kit's backlog ---------------------------------------------------------------


class KitBasicAuthentication(BaseAuthentication):
    """HTTP Basic with a kit's device id and device token. request.user stays anonymous;
    request.auth is the Kit. Unknown kit, wrong token and stopped kit: the same 401."""

    def authenticate(self, request):
        try:
            credentials = basic_credentials(request.META)
        except ValueError:
            raise exceptions.AuthenticationFailed(
                _("The Basic credentials could not be read.")) from None
        if credentials is None:
            return None
        device_id = device_id_clean(credentials[0])
        kit = kit_authenticate(device_id=device_id, token=credentials[1]) \
            if usable_device_id(device_id) else None
        if kit is None:
            raise exceptions.AuthenticationFailed(
                _("Unknown device, wrong token, or a kit that no longer sends data."))
        return (AnonymousUser(), kit)

    def authenticate_header(self, request):
        return REALM


class TooLarge(exceptions.APIException):
    status_code = 413
    default_code = "too_large"


class _RawBody(BaseParser):
    """Hands the body over as bytes (JSON and CSV are read by `rows_from_*` with per-row
    errors), reading no more than BULK_MAX_BYTES. DRF parses when anything asks for the data,
    e.g. the CSRF check of a session request, so the size limit lives here."""

    def parse(self, stream, media_type=None, parser_context=None):
        if stream is None:
            return b""
        body = stream.read(BULK_MAX_BYTES + 1)
        if len(body) > BULK_MAX_BYTES:
            raise TooLarge(_too_large_message())
        return body


class JSONBody(_RawBody):
    media_type = "application/json"


class CSVBody(_RawBody):
    media_type = "text/csv"


def _too_large_message() -> str:
    return _("The body is larger than %(size)s MB.") % {"size": BULK_MAX_BYTES // (1024 * 1024)}


class KitBasicAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "sensors.api.KitBasicAuthentication"
    name = "kitBasicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic",
                "description": "User: the kit's device id (esp8266-<chip id>); password: its "
                               "device token."}


class Row(NamedTuple):
    """One data row of a backlog as it came (text, or JSON values), before it is checked. A
    named tuple: an upload has up to 10,000 of them."""

    number: int              # 1-based data row (header not counted)
    datastream: str = ""
    quantity: str = ""
    sensor: str = ""
    value: object = None
    time: object = None
    line: int | None = None  # CSV: line in the file
    problem: str = ""        # set when the row could not even be read


class RowsError(Exception):
    def __init__(self, detail: str, code: str, status_code: int = 400):
        super().__init__(detail)
        self.detail, self.code, self.status_code = detail, code, status_code


def _too_many() -> RowsError:
    return RowsError(
        _("At most %(rows)s rows per request: split the upload.") % {"rows": f"{BULK_MAX_ROWS:,}"},
        "too_many_rows", 413)


def rows_from_json(body: bytes) -> list[Row]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise RowsError(_("The body is not valid JSON."), "parse_error") from None
    if not isinstance(data, list):
        raise RowsError(_("Send a JSON array of observations."), "invalid_payload")
    if len(data) > BULK_MAX_ROWS:
        raise _too_many()
    rows = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            rows.append(Row(number, problem="not an object"))
            continue
        get = item.get
        rows.append(Row(number, _text(get("datastream")), _text(get("quantity")),
                        _text(get("sensor")), get("value"), get("time")))
    return rows


def _text(value) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return str(value).strip()[:60]


CSV_COLUMNS = ("datastream", "quantity", "sensor", "value", "time")


def rows_from_csv(body: bytes) -> list[Row]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RowsError(_("The CSV must be UTF-8 text."), "parse_error") from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error:
        raise RowsError(_("The CSV could not be read."), "parse_error") from None
    if not header or not {"value", "time"} <= set(header) or not (
        "datastream" in header or "quantity" in header
    ):
        raise RowsError(
            _("The CSV needs a header row with the columns quantity,sensor,value,time "
              "(or datastream,value,time)."), "missing_columns")
    # Every record is padded to one cell beyond the header: a column the header lacks
    # reads as that empty cell, so the loop needs no per-column test.
    width = len(header) + 1
    ds_i, quantity_i, sensor_i, value_i, time_i = (
        header.index(name) if name in header else width - 1 for name in CSV_COLUMNS)
    decimal_comma = delimiter == ";"
    rows = []
    try:
        for record in reader:
            if len(record) < width:
                record += [""] * (width - len(record))
            value, time = record[value_i].strip(), record[time_i].strip()
            if not (value or time) and not any(cell.strip() for cell in record):
                continue  # an empty line
            if len(rows) >= BULK_MAX_ROWS:
                raise _too_many()
            if decimal_comma and "." not in value:
                value = value.replace(",", ".")
            rows.append(Row(len(rows) + 1, record[ds_i].strip()[:60],
                            record[quantity_i].strip()[:60], record[sensor_i].strip()[:60],
                            value, time, reader.line_num))
    except csv.Error:
        raise RowsError(_("The CSV could not be read."), "parse_error") from None
    return rows


def _value(raw) -> float | None:
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        # float() reads numbers and numeric text (spaces around it too); anything else, such
        # as a list, is not a number either
        number = float(raw if isinstance(raw, int | float | str) else str(raw))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _time(raw):
    """An aware datetime in UTC from an ISO 8601 string; or a reason why not."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        return None, "time is missing"
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        try:  # the few forms Django reads beyond Python's, e.g. a decimal comma
            moment = parse_datetime(text)
        except ValueError:
            moment = None
    if moment is None:
        return None, "time is not an ISO 8601 date and time"
    if moment.tzinfo is datetime.UTC:
        return moment, ""
    if moment.utcoffset() is None:
        return None, "time has no time zone"
    # in UTC: the store's hour buckets are the hours of the time as given
    return moment.astimezone(datetime.UTC), ""


class _KitStreams:
    """Finds the kit's raw datastream for a row: by id, or by quantity and sensor (made on
    first use). Each distinct (datastream, quantity, sensor) of a request is resolved once."""

    def __init__(self, kit: Kit):
        self.kit = kit
        self.streams = airrohr.kit_streams(kit)
        self.by_id = {str(stream.id): stream for stream in self.streams.values()}
        self.by_quantity: dict[str, list] = {}
        for stream in self.streams.values():
            self.by_quantity.setdefault(stream.quantity, []).append(stream)
        self.resolved: dict[tuple, tuple[int | None, str]] = {}

    def find(self, row: Row) -> tuple[int | None, str]:
        """(datastream id, "") or (None, the reason the row is refused)."""
        key = (row.datastream, row.quantity, row.sensor)
        found = self.resolved.get(key)
        if found is None:
            found = self.resolved[key] = self._resolve(*key)
        return found

    def _resolve(self, datastream: str, quantity: str, sensor: str) -> tuple[int | None, str]:
        if datastream:
            stream = self.by_id.get(datastream)
            return (stream.id, "") if stream else (None, "unknown datastream for this kit")
        if not quantity:
            return None, "datastream or quantity is missing"
        if sensor:
            stream = airrohr.stream_resolve(self.kit, self.streams, sensor=sensor.lower(),
                                            quantity=quantity.lower())
        else:
            candidates = self.by_quantity.get(quantity.lower(), [])
            if len(candidates) != 1:
                return None, ("sensor is missing (needed when the kit has no datastream or "
                              "several for this quantity)")
            stream = candidates[0]
        return (stream.id, "") if stream else (None, "unknown quantity or sensor")


def rows_store(*, kit: Kit, rows: list[Row], now) -> dict:
    """Turn rows into readings of the kit's datastreams (made on first use) and store them in
    one `observations_store` call. Returns the response body."""
    streams = _KitStreams(kit)
    refused: list[tuple[Row, str]] = []
    readings: list[Reading] = []
    origin: list[Row] = []
    for row in rows:
        reason = row.problem
        if not reason:
            stream_id, reason = streams.find(row)
        if not reason:
            value = _value(row.value)
            if value is None:
                reason = "value is not a number"
        if not reason:
            moment, reason = _time(row.time)
        if reason:
            refused.append((row, reason))
            continue
        readings.append(Reading(stream_id, moment, value))
        origin.append(row)
    result = observations_store(readings, now=now)
    refused.extend((origin[index], reason) for index, reason in result.rejected)
    refused.sort(key=lambda refusal: refusal[0].number)
    return {"received": len(rows), "stored": result.stored,
            "duplicates": result.received - result.stored,
            "rejected": [_refusal(row, reason) for row, reason in refused]}


def _refusal(row: Row, reason: str) -> dict:
    if row.line is None:
        return {"row": row.number, "reason": reason}
    return {"row": row.number, "line": row.line, "reason": reason}


_BULK_RESPONSE = inline_serializer("SensorBulkResult", {
    "received": serializers.IntegerField(help_text="rows in the request"),
    "stored": serializers.IntegerField(help_text="new observations"),
    "duplicates": serializers.IntegerField(help_text="rows already stored (replays)"),
    "rejected": serializers.ListField(child=serializers.DictField(), help_text=(
        '[{"row": 1-based data row, "line": CSV line, "reason": ...}]')),
})


class KitObservationsUploadView(APIView):
    """POST /api/v1/sensors/kits/<device_id>/observations/: a kit's backlog."""

    authentication_classes = [KitBasicAuthentication, SessionAuthentication]
    permission_classes = []
    parser_classes = [JSONBody, CSVBody]

    @extend_schema(
        operation_id="sensors_kit_observations_upload",
        summary="Upload a kit's backlog (JSON array or CSV, at most 10,000 rows)",
        description=(
            "HTTP Basic with the kit's device id and device token, or the owner's session. "
            "Rows: quantity + sensor (or datastream id), value in the quantity's unit, time "
            "(ISO 8601 with a time zone). Valid rows are stored even when others are refused; "
            "replays are counted as duplicates. See docs/sensors-ingest.md."),
        request={"application/json": OpenApiTypes.OBJECT, "text/csv": OpenApiTypes.STR},
        responses={
            201: _BULK_RESPONSE,
            200: OpenApiResponse(_BULK_RESPONSE, description="nothing new (all replays)"),
            400: OpenApiResponse(description="malformed body or no valid row"),
            401: OpenApiResponse(description="missing or wrong credentials"),
            403: OpenApiResponse(description="another kit's credentials, or a stopped kit"),
            404: OpenApiResponse(description="no kit of yours with this device id"),
            413: OpenApiResponse(description="more than 10,000 rows or 4 MB"),
            415: OpenApiResponse(description="neither application/json nor text/csv"),
        },
        examples=[OpenApiExample("JSON", request_only=True, media_type="application/json", value=[
            {"quantity": "pm25", "sensor": "sds011", "value": 12.3,
             "time": "2026-11-20T10:00:00Z"}])],
        tags=["sensors"],
    )
    def post(self, request, device_id: str):
        kit = self._kit(request, device_id)
        content_type = request.content_type.split(";")[0].strip().lower()
        if not _content_length(request.META) and not content_type:
            return self._error(_("The body is empty."), "empty_body", 400)
        if content_type not in ("application/json", "text/csv"):
            raise exceptions.UnsupportedMediaType(content_type, detail=_(
                "Send the rows as application/json or text/csv."))
        if _content_length(request.META) > BULK_MAX_BYTES:
            return self._error(_too_large_message(), "too_large", 413)
        try:
            body = request.data
        except UnreadablePostError:
            return self._error(_("The body could not be read."), "parse_error", 400)
        if not isinstance(body, bytes) or not body.strip():
            return self._error(_("The body is empty."), "empty_body", 400)
        try:
            rows = rows_from_json(body) if content_type == "application/json" else \
                rows_from_csv(body)
        except RowsError as problem:
            return self._error(problem.detail, problem.code, problem.status_code)
        if not rows:
            return self._error(_("There are no rows in the body."), "empty_body", 400)
        result = rows_store(kit=kit, rows=rows, now=timezone.now())
        if not result["stored"] and not result["duplicates"]:
            return self._error(_("None of the rows could be stored."), "no_valid_rows", 400,
                               **result)
        return Response(result, status=status.HTTP_201_CREATED if result["stored"]
                        else status.HTTP_200_OK)

    def _kit(self, request, device_id: str) -> Kit:
        device_id = device_id_clean(device_id)
        if isinstance(request.auth, Kit):
            if request.auth.device_id != device_id:
                raise exceptions.PermissionDenied(_("These credentials belong to another kit."))
            return request.auth
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated(
                _("Log in with HTTP Basic: the device id and the kit's device token."))
        kit = Kit.objects.filter(device_id=device_id).first() \
            if usable_device_id(device_id) else None
        if kit is None or not rules.has_perm("sensors.manage_own_kit", request.user, kit):
            raise exceptions.NotFound(_("You have no kit with this device id."))
        if not kit.accepts_data:
            raise exceptions.PermissionDenied(_("This kit is stopped and accepts no data."))
        return kit

    @staticmethod
    def _error(detail: str, code: str, status_code: int, **extra) -> Response:
        return Response({"detail": detail, "code": code, **extra}, status=status_code)
