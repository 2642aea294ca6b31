"""The BSN is never stored: not in the database, not in any log record, not in any URL.

Logs in through the mock with the real HTTP flow (login start -> IdP page -> POST -> redirect
-> ACS), then searches every table, every log record and every redirect for the BSN.
"""

import logging

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client

from portal.accounts.pseudonyms import bsn_pseudonym

pytestmark = pytest.mark.django_db(transaction=True)

BSN = "999990081"  # a valid test BSN that appears in no template or test resident
LOGGERS = ["", "django", "django.request", "django.server", "digid_eherkenning", "portal"]


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        # A snapshot now: a later handler's filter may rewrite the same record object.
        self.records.append(_record_text(record))


@pytest.fixture
def log_records():
    """The text of every record of every logger at DEBUG, raw (before the BSN-scrubbing filter).

    A handler on each named logger too: `django.server` does not propagate to the root. Put
    first, because the console handler's filter rewrites the record in place.
    """
    handler = _Collect()
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.handlers.insert(0, handler)
    yield handler.records
    for logger, level in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)


def dump_database() -> str:
    """Every row of every table as text; session data decoded, since it is stored encoded."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                parts.append(f"{table}: " + " | ".join(_text(value) for value in row))
            if table == "django_session":
                cursor.execute("SELECT session_data FROM django_session")
                for (data,) in cursor.fetchall():
                    parts.append(f"{table} (decoded): {SessionStore().decode(data)!r}")
    return "\n".join(parts)


def _text(value) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _record_text(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed record must not hide its raw parts
        message = ""
    return "\n".join(
        [message, str(record.msg), repr(record.args), repr(record.exc_info), repr(vars(record))]
    )


def http_login_flow(client: Client, *, bsn: str) -> list[str]:
    """Log in as `bsn` via the mock, the way a browser does. Returns every redirect URL."""
    redirects = []
    start = client.get("/digid/login/", {"next": "/"})
    assert start.status_code == 302
    redirects.append(start["Location"])
    idp_page = client.get(start["Location"])
    assert idp_page.status_code == 200
    posted = client.post(
        "/digid/idp/", {"bsn": bsn, "level": "substantieel", "next": "/", "login": "1"}
    )
    assert posted.status_code == 302
    redirects.append(posted["Location"])
    landed = client.get(posted["Location"])
    assert landed.status_code == 302
    redirects.append(landed["Location"])
    assert client.session["_auth_user_id"]
    return redirects


def test_bsn_is_in_no_table_no_log_record_and_no_url(log_records):
    client = Client()
    redirects = []

    # A mistyped BSN first (form error), then the real login, a page, an artifact replay,
    # logout and a second login into the now existing account.
    assert client.post("/digid/idp/", {"bsn": BSN[:-1] + "0", "next": ""}).status_code == 400
    redirects += http_login_flow(client, bsn=BSN)
    home = client.get("/")
    assert home.status_code == 200
    replay = client.get(redirects[-2])
    assert replay.status_code == 400
    client.post("/digid/logout/")
    redirects += http_login_flow(client, bsn=BSN)
    client.get("/")

    # Sanity: the flow did happen, and the search below can find what is stored.
    pseudonym = bsn_pseudonym(BSN)
    dump = dump_database()
    assert pseudonym in dump
    assert "substantieel" in dump  # the level, from the decoded session
    assert any("DigiD_Mock" in text for text in log_records)

    # (a) the database
    assert BSN not in dump
    # (b) the logs, raw
    assert [text for text in log_records if BSN in text] == []
    # (c) the URLs of the flow
    assert redirects
    assert [url for url in redirects if BSN in url] == []
    # and the pages shown after login
    assert BSN not in home.content.decode()
    assert BSN not in replay.content.decode()


def test_the_search_would_find_a_bsn_in_a_session_and_in_a_log_record(log_records):
    """The detectors above are not blind: a BSN put where it must never be, is found."""
    client = Client()
    session = client.session
    session["leak"] = BSN
    session.save()
    logging.getLogger("django.server").info("GET /digid/acs/?bsn=%s", BSN)

    assert BSN in dump_database()
    assert any(BSN in text for text in log_records)


def test_console_log_filter_masks_nine_digit_numbers(caplog):
    """Defence in depth on the console handler (configured in settings.LOGGING)."""
    from portal.core.logging import ScrubBSNFilter

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "bsn=%s", (BSN,), None)
    ScrubBSNFilter().filter(record)

    assert record.getMessage() == "bsn=*********"
    assert "scrub_bsn" in settings.LOGGING["handlers"]["console"]["filters"]


def test_a_typed_bsn_is_masked_in_error_reports():
    """Should handling a mock IdP request ever fail, Django's error report (the mail to
    ADMINS, the debug page) must not show the BSN that was typed."""
    import sys

    from django.test import RequestFactory
    from django.views.debug import ExceptionReporter

    from portal.accounts.digid_views import DigiDMockIdPView

    request = RequestFactory().post("/digid/idp/", {"bsn": "999990019", "level": "midden"})
    DigiDMockIdPView.as_view()(request)  # the view marks which POST fields are sensitive
    try:
        raise RuntimeError("something failed while handling the login")
    except RuntimeError:
        report = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()

    assert "999990019" not in report
    assert "bsn = '********************'" in report
