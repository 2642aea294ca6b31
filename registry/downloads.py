"""Open data: CSV and JSON downloads of both registers (issue 6, item 5).

Published records only (not withdrawn, no drafts), with the same filters as the list pages'
query string. The records are the API's: algorithms under the publication standard's keys
exactly (`AlgorithmRecordSerializer`), pilots with their main fields, KPIs and published
evaluations (`PilotSerializer`). All rows are read first (a fixed number of queries), then the
CSV is streamed row by row. In CSV cells, lists and objects are JSON; a cell that starts with
= + - @ (or a tab or carriage return) gets a leading ' so a spreadsheet does not run it as a
formula. The CSV starts with a UTF-8 byte order mark so Excel reads the accents right.
"""

import csv
import json

from django.http import HttpResponse, StreamingHttpResponse
from django.views import View
from rest_framework.renderers import JSONRenderer

from registry import selectors
from registry.api import AlgorithmRecordSerializer, PilotSerializer
from registry.forms import AlgorithmFilterForm, PilotFilterForm

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """One value as a safe CSV cell."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return text


class _Echo:
    """A file-like object whose write() returns the line, for csv.writer in a generator."""

    def write(self, value):
        return value


def _csv_rows(fields, records):
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow(fields)
    for record in records:
        yield writer.writerow([csv_cell(record.get(field)) for field in fields])


class RegisterDownloadView(View):
    """GET …/download.csv or …/download.json; `fmt` is set in urls.py."""

    fmt = "csv"
    filename = ""
    serializer_class = None

    def get_queryset(self):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        records = self.serializer_class(list(self.get_queryset()), many=True).data
        fields = list(self.serializer_class().fields)
        if self.fmt == "json":
            response = HttpResponse(
                JSONRenderer().render(records), content_type="application/json; charset=utf-8"
            )
        else:
            response = StreamingHttpResponse(
                _csv_rows(fields, records), content_type="text/csv; charset=utf-8"
            )
        response["Content-Disposition"] = f'attachment; filename="{self.filename}.{self.fmt}"'
        return response


class AlgorithmDownloadView(RegisterDownloadView):
    filename = "algoritmeregister"
    serializer_class = AlgorithmRecordSerializer

    def get_queryset(self):
        filters = AlgorithmFilterForm(self.request.GET or None).filters()
        return selectors.published_versions_for_api(**filters)


class PilotDownloadView(RegisterDownloadView):
    filename = "pilotregister"
    serializer_class = PilotSerializer

    def get_queryset(self):
        form = PilotFilterForm(self.request.GET or None,
                               departments=selectors.pilot_departments())
        return selectors.published_pilots_for_api(**form.filters())
