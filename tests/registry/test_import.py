"""Import of algorithm records from the standard's JSON/CSV (issue 6, item 5): good and bad
rows, all problems per row and field, nothing half-imported, our own downloads round-trip,
the national register's shapes, limits, roles, the page and the management command."""

import csv
import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import translation

from portal.accounts import roles
from registry import imports, services, standard
from registry.imports import MAX_BYTES, MAX_ROWS, algorithms_import, check_file
from registry.models import Algorithm, AlgorithmEvent, AlgorithmVersion
from tests.factories import user_for_role
from tests.registry.conftest import COMPLETE, make_published

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages of the service in English (the pages get their language per request)."""
    with translation.override("en"):
        yield

URL = "/registers/algoritmes/importeren/"

RECORD = {
    **COMPLETE,
    "end_date": "",
    "website": "https://www.zoetermeer.example/parkeren",
    "lawful_basis_grouping": [
        {"title": "Wegenverkeerswet 1994", "link": "https://wetten.overheid.nl/BWBR0006622"},
    ],
    "impacttoetsen_grouping": [{"title": "Data Protection Impact Assessment (DPIA)",
                                "link": ""}],
    "provider": "Intern ontwikkeld",
    "lang": "nld",
    "standard_version": "1.0",
    "tags": "parkeren, scanauto",
}


def _record(**fields):
    return {**RECORD, **fields}


def _json(records) -> bytes:
    return json.dumps(records, ensure_ascii=False).encode("utf-8")


def _csv(records, *, delimiter=",", bom=False, keys=None) -> bytes:
    keys = keys or list(RECORD)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(keys)
    for record in records:
        writer.writerow([
            json.dumps(record.get(key), ensure_ascii=False)
            if isinstance(record.get(key), list) else record.get(key, "")
            for key in keys
        ])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def _snapshot():
    return (list(Algorithm.objects.values()), list(AlgorithmVersion.objects.values()),
            list(AlgorithmEvent.objects.values()))


def _problems(result):
    return {(problem.row, problem.field) for problem in result.problems}


# --- good files -------------------------------------------------------------------------------


def test_good_json_becomes_drafts_with_an_event(editor):
    records = [_record(), _record(name="Afvalroutes uit slimme containers",
                                  category=["Natuur en milieu", "Ruimte en infrastructuur"])]

    result = algorithms_import(by=editor, file=_json(records), filename="register.json")

    assert result.ok, result.problems
    assert result.fmt == "json"
    assert [created.name for created in result.created] == [r["name"] for r in records]
    versions = AlgorithmVersion.objects.order_by("name")
    assert [v.state for v in versions] == ["draft", "draft"]
    second = versions.get(name="Afvalroutes uit slimme containers")
    assert second.category == ["Natuur en milieu", "Ruimte en infrastructuur"]
    assert second.created_by == editor
    first = versions.get(name=RECORD["name"])
    for key, value in RECORD.items():
        assert getattr(first, key) == value, key
    event = AlgorithmEvent.objects.get(algorithm=first.algorithm)
    assert (event.action, event.to_state, event.by) == ("create", "draft", editor)
    assert event.reason == "Imported from register.json (row 1)."
    assert Algorithm.objects.filter(current_version__isnull=False).count() == 0  # not public


def test_good_csv(editor):
    records = [_record(), _record(name="Verkeerslichten met voorrang (iVRI)",
                                  status="In ontwikkeling", begin_date="")]

    result = algorithms_import(by=editor, file=_csv(records), filename="register.csv")

    assert result.ok, result.problems
    assert [row.number for row in result.rows] == [2, 3]  # the header is row 1
    version = AlgorithmVersion.objects.get(name="Verkeerslichten met voorrang (iVRI)")
    assert version.status == "In ontwikkeling"
    assert version.lawful_basis_grouping == RECORD["lawful_basis_grouping"]
    assert version.impacttoetsen_grouping == RECORD["impacttoetsen_grouping"]
    assert version.category == ["Verkeer"]


def test_semicolon_csv_with_bom(editor):
    data = _csv([_record()], delimiter=";", bom=True)
    assert data.startswith("\ufeff".encode())

    result = algorithms_import(by=editor, file=data, filename="excel.csv")

    assert result.ok, result.problems
    assert AlgorithmVersion.objects.get().organization == "Gemeente Zoetermeer"


def test_json_with_bom_and_excel_separator_hint(editor):
    assert check_file(b"\xef\xbb\xbf" + _json([_record()]), filename="a.json").ok
    hinted = b"sep=;\r\n" + _csv([_record()], delimiter=";")
    result = check_file(hinted, filename="a.csv")
    assert result.ok, result.problems
    assert result.rows[0].number == 2


def test_format_from_content_without_extension(editor):
    assert check_file(_json([_record()]), filename="upload").fmt == "json"
    assert check_file(_csv([_record()]), filename="upload").fmt == "csv"


def _download(client, fmt):
    response = client.get(f"/registers/algoritmes/download.{fmt}")
    body = response.streaming_content if fmt == "csv" else [response.content]
    return b"".join(body)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_round_trip_of_our_own_download(client, editor, approver, fmt):
    """A file made by our download view imports into a register that lacks those records,
    with the same content (the records are published inside a savepoint, downloaded, and
    rolled back)."""
    tricky = {
        "name": "-2 =1+1 @kenteken",  # starts like a formula: the CSV guards it with '
        "category": ["Verkeer", "Overheidsfinanciën"],
        "source_data_grouping": [{"title": "BRP", "link": "https://www.rvig.nl/brp"}],
        "goal": "Regel één\nRegel twee, met \"aanhalingstekens\"; en een puntkomma.",
    }
    with transaction.atomic():
        make_published(editor, approver, **tricky)
        make_published(editor, approver, name="Afvalroutes", end_date="2024-01",
                       status="Buiten gebruik", begin_date="2020-01")
        expected = {
            v.name: {key: getattr(v, key) for key in imports.IMPORT_FIELDS}
            for v in AlgorithmVersion.objects.all()
        }
        data = _download(client, fmt)
        transaction.set_rollback(True)
    assert not Algorithm.objects.exists()
    if fmt == "csv":
        assert b"'-2 =1+1 @kenteken" in data

    result = algorithms_import(by=editor, file=data, filename=f"algoritmeregister.{fmt}")

    assert result.ok, [str(p) for p in result.problems]
    assert any("source_id" in warning for warning in result.warnings)
    assert not any("not part of the publication standard" in w for w in result.warnings)
    imported = {
        v.name: {key: getattr(v, key) for key in imports.IMPORT_FIELDS}
        for v in AlgorithmVersion.objects.all()
    }
    assert imported == expected


def test_our_download_into_the_same_register_reports_every_name_as_taken(client, editor,
                                                                          approver):
    make_published(editor, approver)
    make_published(editor, approver, name="Afvalroutes")
    data = _download(client, "csv")

    with translation.override("en"):
        result = algorithms_import(by=editor, file=data, filename="algoritmeregister.csv")

    assert _problems(result) == {(2, "name"), (3, "name")}
    assert all("already in the register" in p.message for p in result.problems)
    assert Algorithm.objects.count() == 2


# --- bad rows: every problem, nothing imported ------------------------------------------------

BAD_ROWS = [
    # row 2 (CSV) / 1 (JSON): fine
    _record(name="Goed algoritme"),
    # missing required fields
    _record(name="Zonder omschrijving", description_short="", organization=""),
    # not a permitted value (status, publication category, theme)
    _record(name="Verkeerde waarden", status="Actief", publication_category="Categorie B",
            category=["Verkeer", "Sport"]),
    # too long
    _record(name="x" * 101, description_short="y" * 401),
    # bad dates: not YYYY-MM; and end before begin
    _record(name="Slechte datum", begin_date="03-2024", end_date="2024-13"),
    _record(name="Einde voor begin", begin_date="2024-05", end_date="2023-01"),
    # bad URLs and contact
    _record(name="Slechte links", website="http://onveilig.example", contact_email="geen adres",
            lawful_basis_grouping=[{"title": "Wet", "link": "ftp://x.example"}]),
    # "Buiten gebruik" without an end date
    _record(name="Gestopt zonder einddatum", status="Buiten gebruik"),
    # the same name twice in the file (case and spaces do not matter)
    _record(name="goed   ALGORITME"),
    # already in the register
    _record(name="Bestaand algoritme"),
]

EXPECTED = {
    (1, "description_short"), (1, "organization"),
    (2, "status"), (2, "publication_category"), (2, "category"),
    (3, "name"), (3, "description_short"),
    (4, "begin_date"), (4, "end_date"),
    (5, "end_date"),
    (6, "contact_email"), (6, "website"), (6, "lawful_basis_grouping"),
    (7, "end_date"),
    (8, "name"),
    (9, "name"),
}


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_bad_rows_are_all_reported_and_nothing_is_imported(editor, approver, fmt):
    make_published(editor, approver, name="Bestaand algoritme")
    before = _snapshot()
    data = _json(BAD_ROWS) if fmt == "json" else _csv(BAD_ROWS)
    offset = 1 if fmt == "json" else 2  # CSV rows count the header as row 1

    result = algorithms_import(by=editor, file=data, filename=f"fout.{fmt}")

    assert not result.ok
    assert _problems(result) == {(row + offset, key) for row, key in EXPECTED}
    assert _snapshot() == before
    messages = {(p.row - offset, p.field): p.message for p in result.problems}
    assert messages[(2, "status")] == (
        "“Actief” is not a permitted value. Choose one of: In ontwikkeling, In gebruik, "
        "Buiten gebruik.")
    values = {(p.row - offset, p.field): p.value for p in result.problems}
    assert values[(2, "status")] == "Actief"
    assert values[(4, "begin_date")] == "03-2024"
    assert values[(1, "organization")] == ""
    assert "Sport" in messages[(2, "category")]
    assert "100" in messages[(3, "name")]
    assert "YYYY-MM" in messages[(4, "begin_date")]
    assert "https://" in messages[(6, "website")]
    assert f"row {offset}" in messages[(8, "name")]
    assert "already in the register" in messages[(9, "name")]
    assert str(result.problems[0]).startswith(f"row {1 + offset}, field `description_short`")


def test_a_problem_found_only_while_creating_rolls_everything_back(editor, monkeypatch):
    """If algorithm_create refuses a row after the check (e.g. a race), the rows created
    before it are rolled back too."""
    real_create = services.algorithm_create

    def create(**kwargs):
        if kwargs["name"] == "Tweede":
            from django.core.exceptions import ValidationError
            raise ValidationError({"name": ["Te laat: die naam is net gebruikt."]})
        return real_create(**kwargs)

    monkeypatch.setattr(services, "algorithm_create", create)
    before = _snapshot()

    result = algorithms_import(by=editor, file=_json([_record(name="Eerste"),
                                                      _record(name="Tweede")]))

    assert _problems(result) == {(2, "name")}
    assert result.created == []
    assert _snapshot() == before


def test_wrong_types_in_json(editor):
    records = [
        _record(name=["lijst"], status=True),
        "geen object",
        _record(name="Goed", category="Verkeer, Werk", lawful_basis_grouping="nee"),
        _record(name="Getal", tags=12, organization=None),
        _record(name="Nul\u0000teken", source_data_grouping=[{"title": "a\u0000", "link": ""}]),
    ]

    result = check_file(_json(records), filename="a.json")

    assert _problems(result) == {
        (1, "name"), (1, "status"), (2, ""), (3, "lawful_basis_grouping"), (4, "organization"),
        (5, "name"), (5, "source_data_grouping"),
    }
    assert result.rows[2].fields["category"] == ["Verkeer", "Werk"]
    assert result.rows[3].fields["tags"] == "12"


def test_csv_row_with_more_cells_than_columns(editor):
    overflowing = ",".join(["Naam", *[""] * (len(RECORD) - 1), "overloop"])
    data = _csv([_record()]) + overflowing.encode() + b"\r\n"

    result = check_file(data, filename="a.csv")

    assert (3, "") in _problems(result)


def test_bad_list_cells_in_csv(editor):
    data = _csv([_record(category="[Verkeer")])

    result = check_file(data, filename="a.csv")

    assert _problems(result) == {(2, "category")}
    assert "JSON" in result.problems[0].message


# --- whole-file problems ----------------------------------------------------------------------


@pytest.mark.parametrize(("data", "filename", "words"), [
    (b"", "leeg.csv", "empty"),
    (b"  \r\n ", "leeg.json", "empty"),
    (b"\xef\xbb\xbf", "bom.csv", "empty"),
    (b"[]", "leeg.json", "no records"),
    (b"name,status\r\n", "kop.csv", "no records"),
    (b'{"name": "x",', "kapot.json", "not valid JSON (line 1"),
    (b"<html>hallo</html>", "pagina.json", "not valid JSON"),
    (b'"tekst"', "tekst.json", "must be a list of records"),
    (b'{"algoritme_versions": {"name": "x"}}', "envelop.json", "algoritme_versions"),
    (b"naam,status\r\nx,y\r\n", "kop.csv", "no column \"name\""),
    (b"name,status,name\r\nx,y,z\r\n", "dubbel.csv", "more than once: name"),
    ("name\r\nCafé\r\n".encode("cp1252"), "excel.csv", "not UTF-8"),
    (b"name\r\nx\x00y\r\n", "nul.csv", "not a text file"),
    (b"[" * 100_000 + b"]" * 100_000, "diep.json", "not valid JSON"),
])
def test_file_problems(editor, data, filename, words):
    before = _snapshot()

    result = algorithms_import(by=editor, file=data, filename=filename)

    assert not result.ok
    assert [problem.row for problem in result.problems] == [None]
    assert words in result.problems[0].message
    assert _snapshot() == before


def test_a_file_over_the_size_limit_is_refused_unread(editor):
    big = _json([_record(goal="x" * 2000, name=f"A{n}") for n in range(1100)])
    assert len(big) > MAX_BYTES

    result = algorithms_import(by=editor, file=io.BytesIO(big), filename="groot.json")

    assert [p.message for p in result.problems] == [
        "The file is larger than 2 MB. Split it into smaller files."]
    assert not Algorithm.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_too_many_records(editor, fmt):
    records = [{"name": f"Algoritme {n}"} for n in range(MAX_ROWS + 1)]
    data = _json(records) if fmt == "json" else _csv(records, keys=["name"])

    result = check_file(data, filename=f"veel.{fmt}")

    assert [p.row for p in result.problems] == [None]
    assert "more than 1,000 records" in result.problems[0].message


def test_unknown_columns_are_ignored_with_a_warning(editor):
    data = _csv([_record(favoriete_kleur="blauw")], keys=[*RECORD, "favoriete_kleur"])

    result = algorithms_import(by=editor, file=data, filename="a.csv")

    assert result.ok, result.problems
    assert result.warnings == [
        "These keys are not part of the publication standard and were ignored: "
        "favoriete_kleur."]
    assert AlgorithmVersion.objects.count() == 1


# --- the national register's shapes -----------------------------------------------------------


def test_the_national_registers_json_envelope(editor):
    national = {
        **_record(name="Landelijk record"), "lars": "12345678", "owner": "gm0637",
        "create_dt": "2024-05-01T10:00:00", "state": "PUBLISHED", "language": "NLD",
        "category": ["Verkeer"], "url": None, "end_date": None,
        "goal": "<p>Eerste alinea.</p><ul><li>punt een</li><li>punt twee</li></ul>",
    }
    english = {**national, "name": "National record", "language": "ENG"}
    envelope = {"algoritme_versions": [national, english], "organisation_details": []}

    result = algorithms_import(by=editor, file=_json(envelope), filename="pub_data.json")

    assert result.ok, result.problems
    assert len(result.created) == 1
    assert any("1 record in another language" in w for w in result.warnings)
    assert any("lars" in w and "owner" in w for w in result.warnings)
    version = AlgorithmVersion.objects.get()
    assert version.name == "Landelijk record"
    assert version.goal == "Eerste alinea.\n- punt een\n- punt twee"
    assert (version.url, version.end_date) == ("", "")


def test_one_record_as_the_aanlever_api_takes_it(editor):
    result = algorithms_import(by=editor, file=_json(_record(lang="NLD")), filename="one.json")

    assert result.ok, result.problems
    assert AlgorithmVersion.objects.get().lang == "nld"


def test_the_national_registers_csv_list_forms(editor):
    keys = ["algorithm_id", "name", "description_short", "organization", "category", "status",
            "contact_email", "publication_category", "lawful_basis_grouping",
            "impacttoetsen_grouping", "lang", "standard_version"]
    row = ["ABC123", "Landelijk CSV-record", "Korte omschrijving.", "Gemeente Zoetermeer",
           "Verkeer, Organisatie en bedrijfsvoering", "In gebruik", "info@zoetermeer.example",
           "Overige algoritmes",
           "1: Wegenverkeerswet 1994, https://wetten.overheid.nl/BWBR0006622. "
           "2: Gemeentewet, art. 2, https://wetten.overheid.nl/BWBR0005416",
           "1: DPIA. 2: IAMA, https://example.org/iama.pdf", "NLD", "1.0"]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([keys, row])

    result = algorithms_import(by=editor, file=buffer.getvalue().encode("utf-8-sig"),
                               filename="Algoritmebeschrijvingen 20250101.csv")

    assert result.ok, result.problems
    version = AlgorithmVersion.objects.get()
    assert version.category == ["Verkeer", "Organisatie en bedrijfsvoering"]
    assert version.lawful_basis_grouping == [
        {"title": "Wegenverkeerswet 1994", "link": "https://wetten.overheid.nl/BWBR0006622"},
        {"title": "Gemeentewet, art. 2", "link": "https://wetten.overheid.nl/BWBR0005416"},
    ]
    assert version.impacttoetsen_grouping == [
        {"title": "DPIA", "link": ""}, {"title": "IAMA", "link": "https://example.org/iama.pdf"},
    ]


# --- formula injection: cells are data ------------------------------------------------------


def test_formula_cells_are_stored_as_text(editor, client):
    formulas = {
        "name": "=HYPERLINK(\"https://evil.example\";\"klik\")",
        "description_short": "+31 79 123 4567 @werkdagen",
        "goal": "@SUM(1+1)*cmd|' /C calc'!A0",
        "provider": "'-2",  # our download's guard of "-2": taken off again
        "tags": "'plain quote stays",
    }
    data = _csv([_record(**formulas)])

    result = algorithms_import(by=editor, file=data, filename="formules.csv")

    assert result.ok, result.problems
    version = AlgorithmVersion.objects.get()
    assert version.name == formulas["name"]
    assert version.description_short == formulas["description_short"]
    assert version.goal == formulas["goal"]
    assert version.provider == "-2"
    assert version.tags == "'plain quote stays"


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", sorted(set(roles.ALL_ROLES) - {roles.CIVIL_SERVANT, roles.ADMIN, roles.VISITOR})
)
def test_wrong_role_gets_403_and_nothing_changes(client, role):
    user = user_for_role(role)
    client.force_login(user)
    before = _snapshot()

    upload = SimpleUploadedFile("a.json", _json([_record()]))
    responses = [client.get(URL), client.post(URL, {"file": upload})]

    assert [r.status_code for r in responses] == [403, 403]
    with pytest.raises(PermissionDenied):
        algorithms_import(by=user, file=_json([_record()]))
    assert _snapshot() == before


def test_visitor_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "inloggen" in response.url
    upload = SimpleUploadedFile("a.json", _json([_record()]))
    assert client.post(URL, {"file": upload}).status_code == 302
    assert not Algorithm.objects.exists()


def test_admin_may_import(client):
    client.force_login(user_for_role(roles.ADMIN))
    upload = SimpleUploadedFile("a.json", _json([_record()]))

    response = client.post(URL, {"file": upload})

    assert response.status_code == 200
    assert AlgorithmVersion.objects.get().state == "draft"


def test_the_list_links_to_the_import_for_editors_only(client, editor):
    assert URL not in client.get("/registers/algoritmes/").content.decode()
    client.force_login(user_for_role(roles.COUNCIL_MEMBER))
    assert URL not in client.get("/registers/algoritmes/").content.decode()
    client.force_login(editor)
    assert URL in client.get("/registers/algoritmes/").content.decode()


# --- the page ---------------------------------------------------------------------------------


def test_page_check_then_confirm(english, editor):
    english.force_login(editor)
    page = english.get(URL).content.decode()
    assert 'type="file"' in page
    assert 'name="dry_run" id="id_dry_run" checked' in page  # only check: on by default

    upload = SimpleUploadedFile("register.json", _json([_record(), _record(name="Tweede")]))
    response = english.post(URL, {"file": upload, "dry_run": "on"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "2 records ready to import" in html
    assert '<caption id="import-preview-caption">Records in the file</caption>' in html
    assert not Algorithm.objects.exists()
    token = response.context["token"]
    assert token

    response = english.post(URL, {"confirm": "1", "token": token})

    html = response.content.decode()
    assert response.status_code == 200
    assert "2 drafts created" in html
    algorithms = Algorithm.objects.order_by("slug")
    assert [a.versions.get().state for a in algorithms] == ["draft", "draft"]
    for algorithm in algorithms:
        assert f"/registers/algoritmes/{algorithm.slug}/concept/" in html
    # the stored file is used once
    again = english.post(URL, {"confirm": "1", "token": token})
    assert again.status_code == 302
    assert Algorithm.objects.count() == 2


def test_confirm_with_a_wrong_token_imports_nothing(english, editor):
    english.force_login(editor)
    upload = SimpleUploadedFile("register.json", _json([_record()]))
    english.post(URL, {"file": upload, "dry_run": "on"})

    response = english.post(URL, {"confirm": "1", "token": "geraden"}, follow=True)

    assert "no longer available" in response.content.decode()
    assert not Algorithm.objects.exists()


def test_page_imports_in_one_step_without_dry_run(english, editor):
    english.force_login(editor)
    upload = SimpleUploadedFile("register.csv", _csv([_record()]))

    response = english.post(URL, {"file": upload})

    assert response.status_code == 200
    assert "1 draft created" in response.content.decode()
    assert AlgorithmVersion.objects.get().state == "draft"


def test_page_shows_every_problem_in_a_table_with_links(english, editor, approver):
    make_published(editor, approver, name="Bestaand algoritme")
    english.force_login(editor)
    before = _snapshot()
    upload = SimpleUploadedFile("fout.csv", _csv(BAD_ROWS))

    response = english.post(URL, {"file": upload, "dry_run": "on"})

    html = response.content.decode()
    assert response.status_code == 400
    assert f"the file has {len(EXPECTED)} problems" in html
    assert '<caption id="import-problems-caption">Problems per row.' in html
    for row in sorted({row + 2 for row, _key in EXPECTED}):
        assert f'href="#import-row-{row}"' in html
        assert f'id="import-row-{row}"' in html
    assert "<code>publication_category</code><br>Publication category" in html
    assert "confirm-import" not in html
    assert _snapshot() == before


@pytest.mark.parametrize(("content", "words"), [
    (b"", "The file is empty"),
    (b"geen json", "not valid JSON"),
])
def test_page_file_problems(english, editor, content, words):
    english.force_login(editor)
    upload = SimpleUploadedFile("x.json", content)

    response = english.post(URL, {"file": upload, "dry_run": "on"})

    assert response.status_code == 400
    assert words in response.content.decode()


def test_page_without_a_file(english, editor):
    english.force_login(editor)
    response = english.post(URL, {"dry_run": "on"})
    assert response.status_code == 400
    assert "Choose a file." in response.content.decode()


def test_page_refuses_a_huge_upload(english, editor):
    english.force_login(editor)
    upload = SimpleUploadedFile("groot.csv", b"name\r\n" + b"x" * (MAX_BYTES + 10))

    response = english.post(URL, {"file": upload, "dry_run": "on"})

    assert response.status_code == 400
    assert "larger than 2 MB" in response.content.decode()


# --- the management command -------------------------------------------------------------------


def test_command_dry_run_then_import(tmp_path, editor, capsys):
    path = tmp_path / "register.csv"
    path.write_bytes(_csv([_record(), _record(name="Tweede")]))

    call_command("import_algorithms", str(path), "--as", editor.email, "--dry-run")
    assert "2 record(s) ready to import" in capsys.readouterr().out
    assert not Algorithm.objects.exists()

    call_command("import_algorithms", str(path), "--as", editor.email.upper())
    out = capsys.readouterr().out
    assert "2 draft(s) created." in out
    assert AlgorithmVersion.objects.filter(state="draft").count() == 2


def test_command_reports_every_problem_and_imports_nothing(tmp_path, editor, approver, capsys):
    make_published(editor, approver, name="Bestaand algoritme")
    before = _snapshot()
    path = tmp_path / "fout.json"
    path.write_bytes(_json(BAD_ROWS))

    with pytest.raises(CommandError, match=f"{len(EXPECTED)} problem"):
        call_command("import_algorithms", str(path), "--as", editor.email)

    err = capsys.readouterr().err
    assert "row 3, field `status`:" in err
    assert _snapshot() == before


def test_command_refuses_other_roles_and_unknown_people(tmp_path):
    path = tmp_path / "register.json"
    path.write_bytes(_json([_record()]))
    council = user_for_role(roles.COUNCIL_MEMBER)

    with pytest.raises(CommandError, match="may not add algorithms"):
        call_command("import_algorithms", str(path), "--as", council.email)
    with pytest.raises(CommandError, match="No active user"):
        call_command("import_algorithms", str(path), "--as", "niemand@example.org")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_algorithms", str(tmp_path / "weg.json"), "--as", council.email)
    assert not Algorithm.objects.exists()


def test_standard_keys_are_all_importable():
    assert set(imports.IMPORT_FIELDS) == (
        set(standard.STANDARD_KEYS) - {"source_id"}) | set(imports.MUNICIPAL_FIELDS)
    assert set(imports.IMPORT_FIELDS) <= set(AlgorithmVersion.CONTENT_FIELDS)


def test_importeren_is_never_an_algorithm_slug(editor):
    algorithm = services.algorithm_create(by=editor, name="Importeren")

    assert algorithm.slug == "importeren-2"
