"""Import of algorithm records from the national publication standard's JSON or CSV (issue 6,
item 5).

Accepted files (at most MAX_BYTES and MAX_ROWS records):

- JSON: a list of records under the standard's keys (what our `download.json` and the API
  give), the national register's site-data envelope `{"algoritme_versions": [...], ...}`
  (records in another language than Dutch are skipped), or one record (an aanlever-API body).
- CSV: UTF-8 with or without a byte order mark, `,` or `;` as separator, a header row with the
  standard's keys. `category` and the `*_grouping` lists as JSON in their cell (as our
  `download.csv` writes them); the national register's CSV forms ("Verkeer, Werk" and
  "1: title, link. 2: title, link") are read too. The leading `'` our export puts before a cell
  that starts like a formula is taken off again: the value is stored as text, never run.

Every record is checked with the rules of the form and the services: the model's `full_clean()`
(lengths, permitted values, YYYY-MM dates, https links, themes, references) and
`AlgorithmVersion.publication_errors()` (the standard's required fields), plus "no name twice":
not twice in the file and not already in the register. All problems of all rows are collected.
If there is any, nothing is imported; otherwise every record becomes a draft through
`services.algorithm_create` in one transaction (the four-eyes workflow then applies: a
colleague publishes). Unknown keys are ignored with a warning.
"""

import csv
import io
import json
import re
import secrets
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect
from django.utils.crypto import constant_time_compare
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView
from rules.contrib.views import PermissionRequiredMixin

from registry import services, standard
from registry.downloads import FORMULA_STARTS
from registry.models import Algorithm, AlgorithmEvent, AlgorithmVersion

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
FORMATS = ("csv", "json")

# The municipality's own fields: not in the standard (nor in our downloads), accepted if present.
MUNICIPAL_FIELDS = (
    "department", "accountable_role", "objection_procedure", "monitoring", "next_review_date",
)
# What a file may set: the standard's keys (except `source_id`, which is our own id of the
# algorithm) and the municipal fields.
IMPORT_FIELDS = tuple(key for key in standard.STANDARD_KEYS if key != "source_id") + (
    MUNICIPAL_FIELDS
)
GROUPING_FIELDS = tuple(standard.GROUPINGS)
LIST_FIELDS = ("category", *GROUPING_FIELDS)
# Rich-text keys: the standard allows the tags div, br, p, ul, ol, li in them; we store plain
# text, so those tags become line breaks.
RICH_TEXT_FIELDS = (
    "goal", "proportionality", "human_intervention", "risks", "lawful_basis", "impacttoetsen",
    "source_data", "methods_and_models",
)
# Keys a record carries elsewhere that are given here, not imported: our `source_id` (every
# imported record gets a new id) and the national register's own bookkeeping.
ASSIGNED_KEYS = frozenset({
    "source_id", "lars", "algorithm_id", "publication_dt", "language", "owner", "create_dt",
    "state", "id", "algoritme_id", "preview_active", "code", "org_id",
})
# An empty `lang` or `standard_version` takes the only permitted value (as the model does).
DEFAULTS = {"lang": standard.LANGUAGE, "standard_version": standard.STANDARD_VERSION}

_HTML_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|li|ul|ol)\s*>", re.IGNORECASE)
_HTML_ITEM = re.compile(r"<li(?:\s[^<>]*)?>", re.IGNORECASE)
_HTML_OTHER = re.compile(r"</?(?:p|div|ul|ol)(?:\s[^<>]*)?>", re.IGNORECASE)
_NATIONAL_REFERENCE = re.compile(r"(?:^|(?<=\.)\s+)(\d+):\s+")


@dataclass
class Problem:
    """One problem: `row` None is the file as a whole; `field` "" the whole row."""

    row: int | None
    field: str
    message: str
    value: str = ""  # the value in the file, as text

    @property
    def label(self) -> str:
        if not self.field:
            return ""
        try:
            name = AlgorithmVersion._meta.get_field(self.field).verbose_name
        except FieldDoesNotExist:
            return ""
        return capfirst(str(name))

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.field:
            return _("row %(row)s, field `%(field)s`: %(message)s") % {
                "row": self.row, "field": self.field, "message": self.message}
        return _("row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class ImportRow:
    """One record of the file: its row number and the fields it sets (None: the record is
    not an object at all)."""

    number: int
    fields: dict | None

    @property
    def name(self) -> str:
        value = (self.fields or {}).get("name")
        return value if isinstance(value, str) else ""


@dataclass
class Created:
    """A draft the import created, with the row it came from."""

    row: int
    name: str
    algorithm: Algorithm


@dataclass
class ImportResult:
    filename: str = ""
    fmt: str = ""
    dry_run: bool = False
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: list[Created] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def file_problems(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.row is None]

    @property
    def row_problems(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.row is not None]

    def problems_by_row(self) -> list[dict]:
        """[{row, name, problems}] in row order, for the summary and the table."""
        names = {row.number: row.name for row in self.rows}
        grouped: dict[int, list[Problem]] = {}
        for problem in self.row_problems:
            grouped.setdefault(problem.row, []).append(problem)
        return [
            {"row": number, "name": names.get(number, ""), "problems": problems}
            for number, problems in sorted(grouped.items())
        ]

    def add(self, row: int | None, key: str, message, value=None) -> None:
        self.problems.append(Problem(row, key, str(message), _shown(value)))


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False) if value else ""
    return str(value)


class _FileProblem(Exception):
    """The file as a whole cannot be read; the message says why."""


class _RollBack(Exception):
    pass


# --- reading --------------------------------------------------------------------------------


def _read_bytes(file) -> bytes:
    if isinstance(file, bytes):
        data = file
    elif isinstance(file, str):
        data = file.encode("utf-8")
    else:
        size = getattr(file, "size", None)
        if size is not None and size > MAX_BYTES:
            raise _FileProblem(_too_big())
        data = file.read(MAX_BYTES + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise _FileProblem(_too_big())
    return data


def _too_big() -> str:
    return _("The file is larger than %(mb)s MB. Split it into smaller files.") % {
        "mb": MAX_BYTES // (1024 * 1024)}


def _too_many() -> str:
    return _(
        "The file has more than %(max)s records. Split it into files of at most %(max)s records."
    ) % {"max": f"{MAX_ROWS:,}"}


def detect_format(filename: str, text: str) -> str:
    """csv or json: from the file name's extension, else from the first character."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in FORMATS:
        return extension
    return "json" if text.lstrip()[:1] in ("[", "{") else "csv"


def _parse_json(text: str, result: ImportResult) -> list[tuple[int, object]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _FileProblem(_(
            "The file is not valid JSON (line %(line)s, column %(column)s: %(error)s)."
        ) % {"line": error.lineno, "column": error.colno, "error": error.msg}) from error
    except (ValueError, RecursionError) as error:
        raise _FileProblem(_("The file is not valid JSON.")) from error
    if isinstance(data, dict) and "algoritme_versions" in data:
        data = data["algoritme_versions"]  # the national register's site-data envelope
        if not isinstance(data, list):
            raise _FileProblem(_("\"algoritme_versions\" must be a list of records."))
    elif isinstance(data, dict):
        data = [data]  # one record, as the national register's aanlever-API takes it
    if not isinstance(data, list):
        raise _FileProblem(_(
            "The JSON must be a list of records, each an object with the standard's keys."
        ))
    if len(data) > MAX_ROWS:
        raise _FileProblem(_too_many())
    records, other_language = [], 0
    for number, record in enumerate(data, start=1):
        if isinstance(record, dict) and str(record.get("language") or "NLD").upper() != "NLD":
            other_language += 1
            continue
        records.append((number, record))
    if other_language:
        result.warnings.append(ngettext(
            "%(count)s record in another language than Dutch was skipped.",
            "%(count)s records in another language than Dutch were skipped.",
            other_language,
        ) % {"count": other_language})
    return records


def _delimiter(header_line: str) -> str:
    known = set(IMPORT_FIELDS) | ASSIGNED_KEYS

    def score(delimiter):
        return sum(cell.strip().strip('"').lower() in known
                   for cell in header_line.split(delimiter))

    return ";" if score(";") > score(",") else ","


def _parse_csv(text: str, result: ImportResult) -> list[tuple[int, object]]:
    first_line, _newline, rest = text.partition("\n")
    if first_line.strip().lower() in ("sep=,", "sep=;"):
        # Excel's hint line: it does not show it as a row.
        delimiter, text = first_line.strip()[-1], rest
    else:
        delimiter = _delimiter(first_line)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    records = []
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
        if "name" not in header:
            raise _FileProblem(_(
                "The first row must hold the column names of the publication standard, such "
                "as name, description_short, organization and status. There is no column "
                "\"name\"."
            ))
        doubles = sorted({cell for cell in header if cell and header.count(cell) > 1})
        if doubles:
            raise _FileProblem(_("These columns occur more than once: %(columns)s.") % {
                "columns": ", ".join(doubles)})
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # an empty line
            if len(records) >= MAX_ROWS:
                raise _FileProblem(_too_many())
            if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header):]):
                result.add(number, "", _(
                    "This row has more cells (%(cells)s) than the header has columns "
                    "(%(columns)s). Check the separator and the quotes."
                ) % {"cells": len(cells), "columns": len(header)})
            record = {key: value for key, value in zip(header, cells, strict=False) if key}
            records.append((number, {key: _unguard(value) for key, value in record.items()}))
    except csv.Error as error:
        raise _FileProblem(_("The CSV file cannot be read (line %(line)s: %(error)s).") % {
            "line": reader.line_num, "error": error}) from error
    return records


def _unguard(cell: str) -> str:
    """Take off the ' that our CSV download puts before a cell that starts like a formula."""
    if cell.startswith("'") and cell[1:2] and cell[1] in FORMULA_STARTS:
        return cell[1:]
    return cell


# --- values ---------------------------------------------------------------------------------


def _plain_text(value: str) -> str:
    """The standard's six HTML tags as plain text (line breaks and list dashes)."""
    if "<" not in value:
        return value
    value = _HTML_ITEM.sub("- ", value)
    value = _HTML_BREAK.sub("\n", value)
    value = _HTML_OTHER.sub("", value)
    return re.sub(r"\n{3,}", "\n\n", value).strip()


def _list_from_text(key: str, text: str):
    """A list cell of a CSV file: JSON (our download) or the national register's text form."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            return json.loads(text)
        except ValueError as error:
            raise ValidationError(_(
                "This is not a valid JSON list. Write it as the download does, for example "
                "%(example)s."
            ) % {"example": _EXAMPLES[key]}) from error
    if key == "category":
        return [item.strip() for item in text.split(",") if item.strip()]
    parts = _NATIONAL_REFERENCE.split(text)
    if parts[0].strip():
        raise ValidationError(_(
            "Write the references as a JSON list, for example %(example)s."
        ) % {"example": _EXAMPLES[key]})
    items = []
    for item in parts[2::2]:
        item = item.strip()
        if item.endswith("."):  # the ". " between two references
            item = item[:-1]
        title, separator, link = item.rpartition(", ")
        if separator and link.startswith("http"):
            items.append({"title": title.strip(), "link": link.strip()})
        else:
            items.append({"title": item, "link": ""})
    return items


_EXAMPLES = {
    "category": '["Verkeer", "Werk"]',
    **{key: '[{"title": "Wegenverkeerswet 1994", "link": "https://wetten.overheid.nl/BWBR0006622"}]'
       for key in GROUPING_FIELDS},
}


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(item) for item in value.values())
    return False


def _value(key: str, raw):
    """The value of `key` as the model takes it; ValidationError if its type is wrong."""
    if _has_nul(raw):
        # PostgreSQL cannot store them (text nor jsonb); a JSON file can hold them as \u0000.
        raise ValidationError(_("This value contains NUL characters."))
    if raw is None:
        raw = ""
    if key in LIST_FIELDS:
        if isinstance(raw, str):
            value = _list_from_text(key, raw)
        else:
            value = raw
        if key in GROUPING_FIELDS and isinstance(value, list):
            value = [
                {k: ("" if v is None else v) for k, v in item.items()}
                if isinstance(item, dict) else item
                for item in value
            ]
        if not isinstance(value, list):
            raise ValidationError(_("Enter a list."))
        return value
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise ValidationError(_("Enter text, not a list, an object or true/false."))
    value = str(raw).strip()
    if key in RICH_TEXT_FIELDS:
        value = _plain_text(value)
    if key in DEFAULTS and not value:
        return DEFAULTS[key]
    if key == "lang":
        return value.lower()
    if key == "next_review_date" and not value:
        return None
    return value


def _record_fields(number: int, record, result: ImportResult, unknown: dict) -> dict | None:
    if not isinstance(record, dict):
        result.add(number, "", _("This record is not an object with the standard's keys."))
        return None
    fields = {}
    for key, raw in record.items():
        key = str(key).strip()
        if key in ASSIGNED_KEYS or not key:
            continue
        if key not in IMPORT_FIELDS:
            unknown[key] = unknown.get(key, 0) + 1
            continue
        try:
            fields[key] = _value(key, raw)
        except ValidationError as error:
            for message in error.messages:
                result.add(number, key, message, raw)
    return fields


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def register_names() -> set[str]:
    """The names in the register: of every algorithm's public version and version in
    progress (withdrawn ones included: they are still in the register)."""
    names = AlgorithmVersion.objects.filter(
        Q(state__in=AlgorithmVersion.OPEN_STATES)
        | Q(pk__in=Algorithm.objects.exclude(current_version=None).values("current_version"))
    ).values_list("name", flat=True)
    return {_name_key(name) for name in names}


def _validate(row: ImportRow, result: ImportResult) -> None:
    """The rules of the form and the services, and the standard's required fields."""
    failed = {problem.field for problem in result.problems if problem.row == row.number}
    fields = {key: value for key, value in row.fields.items() if key not in failed}
    version = AlgorithmVersion(number=1, state=AlgorithmVersion.State.DRAFT, **fields)
    errors: dict[str, list[str]] = {}
    try:
        version.full_clean(exclude=["algorithm", *failed], validate_constraints=False)
    except ValidationError as error:
        errors = {key: [_message(key, item) for item in items]
                  for key, items in error.error_dict.items()}
    for key, messages_ in version.publication_errors().items():
        if key not in errors and key not in failed:
            errors[key] = [str(message) for message in messages_]
    for key in errors:
        for message in errors[key]:
            result.add(row.number, "" if key == NON_FIELD_ERRORS else key, message,
                       row.fields.get(key))


def _message(key: str, error: ValidationError) -> str:
    """The message of one field error; for a value outside a list, the permitted values."""
    if error.code == "invalid_choice" and key != NON_FIELD_ERRORS:
        choices = [value for value, _label in AlgorithmVersion._meta.get_field(key).choices]
        return _("“%(value)s” is not a permitted value. Choose one of: %(choices)s.") % {
            "value": (error.params or {}).get("value", ""), "choices": ", ".join(choices)}
    return " ".join(error.messages)


def check_file(file, *, fmt: str | None = None, filename: str = "") -> ImportResult:
    """Read and check a whole file; `result.ok` says whether it can be imported as it is."""
    result = ImportResult(filename=filename)
    try:
        data = _read_bytes(file)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise _FileProblem(_(
                "The file is not UTF-8 text. In a spreadsheet, save it as \"CSV UTF-8\"."
            )) from error
        if not text.strip():
            raise _FileProblem(_("The file is empty."))
        if "\x00" in text:
            raise _FileProblem(_("The file contains NUL characters: it is not a text file."))
        result.fmt = fmt if fmt in FORMATS else detect_format(filename, text)
        parse = _parse_json if result.fmt == "json" else _parse_csv
        records = parse(text, result)
    except _FileProblem as problem:
        result.add(None, "", problem.args[0])
        return result
    if not records:
        result.add(None, "", _("The file has no records."))
        return result

    unknown: dict[str, int] = {}
    for number, record in records:
        row = ImportRow(number=number, fields=_record_fields(number, record, result, unknown))
        result.rows.append(row)
    if unknown:
        result.warnings.append(_(
            "These keys are not part of the publication standard and were ignored: %(keys)s."
        ) % {"keys": _key_list(sorted(unknown))})
    assigned = sorted({
        key for _number, record in records if isinstance(record, dict)
        for key, value in record.items() if key in ASSIGNED_KEYS and value not in (None, "")
    })
    if assigned:
        result.warnings.append(_(
            "These keys are given by the register, not by the file, and were ignored: "
            "%(keys)s. Every imported record gets a new id."
        ) % {"keys": _key_list(assigned)})

    taken = register_names()
    seen: dict[str, int] = {}
    for row in result.rows:
        if row.fields is None:
            continue
        _validate(row, result)
        key = _name_key(row.name)
        if not key:
            continue
        if key in seen:
            result.add(row.number, "name", _(
                "This name is also used in row %(row)s of this file."
            ) % {"row": seen[key]}, row.name)
        else:
            seen[key] = row.number
        if key in taken:
            result.add(row.number, "name", _(
                "An algorithm with this name is already in the register."
            ), row.name)
    order = {key: index for index, key in enumerate(IMPORT_FIELDS)}
    result.problems.sort(key=lambda problem: (
        -1 if problem.row is None else problem.row, order.get(problem.field, -1)))
    return result


def _key_list(keys: list[str], limit: int = 20) -> str:
    shown = ", ".join(key[:50] for key in keys[:limit])
    if len(keys) > limit:
        shown += " " + _("and %(count)s more") % {"count": len(keys) - limit}
    return shown


def algorithms_import(*, by, file, fmt: str | None = None, filename: str = "",
                      dry_run: bool = False) -> ImportResult:
    """Check `file` and, unless `dry_run` or there is any problem, create every record as a
    draft (one transaction: all or nothing). `by` needs `registry.add_algorithm`."""
    if not by.has_perm("registry.add_algorithm"):
        raise PermissionDenied(_("You are not allowed to do this."))
    result = check_file(file, fmt=fmt, filename=filename or getattr(file, "name", "") or "")
    result.dry_run = dry_run
    if dry_run or not result.ok:
        return result
    reason_template = _("Imported from %(file)s (row %(row)s).")
    try:
        with transaction.atomic():
            for row in result.rows:
                try:
                    algorithm = services.algorithm_create(by=by, **row.fields)
                except ValidationError as error:
                    for key, messages_ in _error_items(error):
                        for message in messages_:
                            result.add(row.number, key, message)
                    continue
                AlgorithmEvent.objects.filter(
                    algorithm=algorithm, action=AlgorithmEvent.Action.CREATE
                ).update(reason=reason_template % {
                    "file": result.filename or result.fmt.upper(), "row": row.number})
                result.created.append(Created(row.number, row.name, algorithm))
            if result.problems:
                raise _RollBack
    except _RollBack:
        result.created = []
    return result


def _error_items(error: ValidationError):
    if hasattr(error, "error_dict"):
        return [("" if key == NON_FIELD_ERRORS else key, messages_)
                for key, messages_ in error.message_dict.items()]
    return [("", error.messages)]


# --- the page -------------------------------------------------------------------------------

SESSION_KEY = "registry_algorithm_import"


class AlgorithmImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (JSON or CSV)"),
        widget=forms.FileInput(attrs={"accept": ".json,.csv,application/json,text/csv"}),
        help_text=gettext_lazy(
            "At most 2 MB and 1,000 records, with the keys of the publication standard."
        ),
        error_messages={
            "required": gettext_lazy("Choose a file."),
            "empty": gettext_lazy("The file is empty."),
        },
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Only check the file; do not import anything yet"),
        required=False, initial=True,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(_too_big())
        return upload


class AlgorithmImportView(PermissionRequiredMixin, TemplateView):
    """Upload a file; see the problems per row or "N records ready"; then import them.

    With "only check" (the default) a file that passes is kept in the session, so that the
    person can confirm the import without choosing the file again. The confirmation checks the
    file again. Without "only check", checking and importing happen in one step.
    """

    permission_required = "registry.add_algorithm"
    template_name = "registry/algorithm_import.html"

    def get_permission_object(self):
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", AlgorithmImportForm())
        context["max_mb"] = MAX_BYTES // (1024 * 1024)
        context["max_rows"] = MAX_ROWS
        context["keys"] = IMPORT_FIELDS
        context["required_keys"] = standard.REQUIRED_FOR_PUBLICATION
        result = context.get("result")
        if result is not None:
            context["rows_with_problems"] = result.problems_by_row()
        return context

    def post(self, request, *args, **kwargs):
        if "confirm" in request.POST:
            return self._confirm(request)
        request.session.pop(SESSION_KEY, None)
        form = AlgorithmImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        upload = form.cleaned_data["file"]
        dry_run = form.cleaned_data["dry_run"]
        data = upload.read(MAX_BYTES + 1)
        result = algorithms_import(by=request.user, file=data, filename=upload.name,
                                   dry_run=dry_run)
        token = ""
        if result.ok and dry_run:
            token = secrets.token_urlsafe(16)
            request.session[SESSION_KEY] = {
                "token": token, "filename": result.filename, "fmt": result.fmt,
                "content": data.decode("utf-8"),
            }
        return self._render(request, result, token=token)

    def _confirm(self, request):
        stored = request.session.get(SESSION_KEY)
        if not stored or not constant_time_compare(stored["token"],
                                                   request.POST.get("token", "")):
            messages.error(request, _(
                "The checked file is no longer available. Choose the file again."
            ))
            return redirect("registry:algorithm_import")
        del request.session[SESSION_KEY]
        result = algorithms_import(by=request.user, file=stored["content"], fmt=stored["fmt"],
                                   filename=stored["filename"])
        return self._render(request, result)

    def _render(self, request, result: ImportResult, *, token: str = ""):
        context = self.get_context_data(result=result, token=token)
        return self.render_to_response(context, status=200 if result.ok else 400)
