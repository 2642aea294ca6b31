"""DigiD through an OpenID Connect broker (DIGID_MODE=oidc).

The broker is an external party, so the tests run a small but real OIDC provider in-process
(`Broker`: a WSGI app on 127.0.0.1, a free port, in a background thread) with /authorize,
/token (an RS256 ID token, key made here), /jwks and /userinfo. The login runs over real HTTP
between our backend and that provider, and through the Django test client for the browser.

The settings come from a subprocess that loads portal/settings.py with DIGID_MODE=oidc and the
DIGID_OIDC_* environment pointing at the provider; the in-process tests apply exactly those
settings and mount the OIDC URL conf the way portal/urls.py does in oidc mode.
"""

import base64
import hashlib
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, make_server

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from digid_eherkenning.choices import DigiDAssuranceLevels
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.urls import include, path

import portal.urls
from portal.accounts.assurance import SESSION_KEY
from portal.accounts.pseudonyms import bsn_pseudonym

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

ROOT = Path(__file__).resolve().parents[2]
User = get_user_model()

BSN = "999990111"  # a valid test BSN used nowhere else
CLIENT_ID = "stadsmakers-test"
CLIENT_SECRET = "broker-client-secret-for-tests"
ACR_VALUES = "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract"
LOGGERS = [
    "",
    "django",
    "django.request",
    "django.security",
    "django.server",
    "digid_eherkenning",
    "portal",
    "mozilla_django_oidc",
    "urllib3",
    "requests",
]

# portal/urls.py in oidc mode: everything but the DigiD URLs of the running mode, plus OIDC's.
urlpatterns = [
    pattern
    for pattern in portal.urls.urlpatterns
    if getattr(pattern, "namespace", None) != "digid"
    and "digid_saml_urls" not in str(getattr(pattern, "urlconf_name", ""))
] + [path("digid/", include("portal.accounts.digid_oidc_urls"))]


# --- the OIDC provider (the broker) ---------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Broker:
    """A minimal OpenID Connect provider: authorization code flow with PKCE, RS256 ID tokens."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.url = ""
        self.reset()

    def reset(self):
        self.userinfo = {"bsn": BSN}
        self.id_token_claims = {"acr": DigiDAssuranceLevels.substantial.value}
        self.sub = "pairwise-subject-1"
        self.cancel = False
        self.token_status = 200
        self.signing_key = self.key
        self.authorize_requests = []
        self._codes = {}
        self._access_tokens = {}

    def __call__(self, environ, start_response):
        route = {
            "/authorize": self.authorize,
            "/token": self.token,
            "/userinfo": self.user_info,
            "/jwks": self.jwks,
        }.get(environ["PATH_INFO"])
        if route is None:
            return self._json(start_response, "404 Not Found", {"error": "not_found"})
        return route(environ, start_response)

    def _json(self, start_response, status, body, headers=()):
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), *headers])
        return [data]

    def _redirect(self, start_response, url):
        start_response("302 Found", [("Location", url)])
        return [b""]

    def authorize(self, environ, start_response):
        query = {k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()}
        self.authorize_requests.append(query)
        assert query["client_id"] == CLIENT_ID
        assert query["response_type"] == "code"
        assert "openid" in query["scope"].split()
        assert query["code_challenge_method"] == "S256"
        redirect_uri, state = query["redirect_uri"], query["state"]
        if self.cancel:
            params = {"error": "access_denied", "state": state}
            return self._redirect(start_response, f"{redirect_uri}?{urlencode(params)}")
        code = secrets.token_urlsafe(16)
        self._codes[code] = {
            "redirect_uri": redirect_uri,
            "nonce": query["nonce"],
            "code_challenge": query["code_challenge"],
        }
        params = {"code": code, "state": state}
        return self._redirect(start_response, f"{redirect_uri}?{urlencode(params)}")

    def token(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
        grant = self._codes.pop(form.get("code"), None)  # one-time
        if (
            self.token_status != 200
            or grant is None
            or form.get("grant_type") != "authorization_code"
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != grant["redirect_uri"]
            or _b64url(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
            != grant["code_challenge"]
        ):
            status = "500 Internal Server Error" if self.token_status != 200 else "400 Bad Request"
            return self._json(start_response, status, {"error": "invalid_grant"})
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": self.sub,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **self.id_token_claims,
        }
        id_token = jwt.encode(
            claims, self.signing_key, algorithm="RS256", headers={"kid": self.kid}
        )
        access_token = secrets.token_urlsafe(24)
        self._access_tokens[access_token] = {"sub": self.sub, **self.userinfo}
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }
        return self._json(start_response, "200 OK", body)

    def user_info(self, environ, start_response):
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        claims = self._access_tokens.get(token) if scheme == "Bearer" else None
        if claims is None:
            return self._json(start_response, "401 Unauthorized", {"error": "invalid_token"})
        return self._json(start_response, "200 OK", claims)

    def jwks(self, environ, start_response):
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.update(kid=self.kid, alg="RS256", use="sig")
        return self._json(start_response, "200 OK", {"keys": [jwk]})


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture(scope="module")
def broker_server():
    broker = Broker()
    server = make_server("127.0.0.1", 0, broker, handler_class=_QuietHandler)
    broker.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield broker
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


# --- settings as portal/settings.py makes them in oidc mode ----------------------------------


def run_python(code: str, *args: str, **env):
    """Run Python in a fresh process with the project's settings and exactly these overrides."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DIGID_", "BSN_"))
    }
    clean.update(DJANGO_SETTINGS_MODULE="portal.settings", **env)
    command = [sys.executable, *args] if args else [sys.executable, "-c", code]
    return subprocess.run(  # noqa: S603 - fixed interpreter and code
        command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120, check=False
    )


def oidc_env(base_url: str) -> dict:
    return {
        "DIGID_MODE": "oidc",
        "DIGID_OIDC_CLIENT_ID": CLIENT_ID,
        "DIGID_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "DIGID_OIDC_AUTHORIZATION_ENDPOINT": f"{base_url}/authorize",
        "DIGID_OIDC_TOKEN_ENDPOINT": f"{base_url}/token",
        "DIGID_OIDC_USERINFO_ENDPOINT": f"{base_url}/userinfo",
        "DIGID_OIDC_JWKS_ENDPOINT": f"{base_url}/jwks",
        "DIGID_OIDC_ACR_VALUES": ACR_VALUES,
    }


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x",
    "BSN_PSEUDONYM_SECRET": "y",
    "DJANGO_ALLOWED_HOSTS": "stadsmakers.example",
}

SETTINGS_DUMP = """
import json
import django
django.setup()
from django.conf import settings
from django.urls import resolve, reverse
names = [n for n in dir(settings) if n.startswith(("OIDC_", "DIGID_"))]
print(json.dumps({
    "settings": {n: getattr(settings, n) for n in names + ["AUTHENTICATION_BACKENDS"]},
    "urls": [reverse("digid:login"), reverse("digid:acs"), reverse("digid:logout")],
    "views": [resolve(u).func.view_class.__name__ for u in ("/digid/login/", "/digid/acs/")],
}))
"""


@pytest.fixture(scope="module")
def oidc_mode(broker_server):
    """What portal/settings.py and portal/urls.py make of DIGID_MODE=oidc (in a subprocess)."""
    result = run_python(SETTINGS_DUMP, **oidc_env(broker_server.url))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def client(client, settings):
    """The pages in English (the messages checked below are the msgids)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def broker(broker_server, oidc_mode, settings):
    for name, value in oidc_mode["settings"].items():
        setattr(settings, name, value)
    settings.DIGID_SAML_LOA = "midden"
    broker_server.reset()
    yield broker_server
    broker_server.reset()


# --- helpers -----------------------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record must not hide its raw parts
            message = ""
        self.records.append(
            "\n".join([message, str(record.msg), repr(record.args), repr(vars(record))])
        )


@pytest.fixture
def log_records():
    """The text of every record of every logger at DEBUG, raw (before any scrubbing filter)."""
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
            parts += [f"{table}: {row!r}" for row in cursor.fetchall()]
        cursor.execute("SELECT session_data FROM django_session")
        parts += [repr(SessionStore().decode(data)) for (data,) in cursor.fetchall()]
    return "\n".join(parts)


def start_login(client, broker, *, next_url="/ideeen/"):
    """Browser: /digid/login/ -> broker /authorize -> back. Returns the callback path + query."""
    start = client.get("/digid/login/", {"next": next_url})
    assert start.status_code == 302
    assert start["Location"].startswith(f"{broker.url}/authorize?")
    at_broker = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_broker.status_code == 302
    callback = at_broker.headers["Location"]
    assert callback.startswith("http://testserver/digid/acs/?")
    return callback.removeprefix("http://testserver")


def login(client, broker, **kwargs):
    return client.get(start_login(client, broker, **kwargs))


def assert_not_logged_in(client):
    assert "_auth_user_id" not in client.session
    assert SESSION_KEY not in client.session
    assert "auth_source" not in client.session


# --- tests -------------------------------------------------------------------------------------


def test_oidc_mode_settings_urls_and_tokens_never_stored(oidc_mode):
    configured = oidc_mode["settings"]

    assert configured["DIGID_MODE"] == "oidc"
    assert configured["OIDC_STORE_ID_TOKEN"] is False
    assert configured["OIDC_STORE_ACCESS_TOKEN"] is False
    assert configured["OIDC_AUTHENTICATION_CALLBACK_URL"] == "digid:acs"
    assert configured["OIDC_RP_SIGN_ALGO"] == "RS256"
    assert configured["OIDC_RP_SCOPES"] == "openid bsn"
    assert configured["OIDC_AUTH_REQUEST_EXTRA_PARAMS"] == {"acr_values": ACR_VALUES}
    assert configured["DIGID_OIDC_BSN_CLAIM"] == "bsn"
    assert configured["DIGID_OIDC_LOA_CLAIM"] == "acr"
    backends = configured["AUTHENTICATION_BACKENDS"]
    assert backends[-1] == "portal.accounts.digid_oidc.DigiDOIDCBackend"
    assert "digid_eherkenning.backends.DigiDBackend" not in backends
    assert oidc_mode["urls"] == ["/digid/login/", "/digid/acs/", "/digid/logout/"]
    assert oidc_mode["views"] == ["DigiDOIDCLoginView", "DigiDOIDCCallbackView"]


def test_login_through_the_broker(client, broker, log_records):
    email_user = User.objects.create_user(email="resident@example.org", password="x" * 12)
    broker.userinfo = {"bsn": BSN, "email": "resident@example.org"}
    callback = start_login(client, broker)

    landed = client.get(callback)

    assert landed.status_code == 302
    assert landed["Location"] == "/ideeen/"
    resident = User.objects.get(bsn_pseudonym=bsn_pseudonym(BSN))
    assert resident != email_user  # never matched by e-mail
    session = client.session
    assert session["_auth_user_id"] == str(resident.pk)
    assert session[SESSION_KEY] == "substantieel"  # the level the broker reported
    assert session["auth_source"] == "digid"
    assert isinstance(session["digid_last_activity"], int)
    assert session.get_expiry_age() <= 15 * 60
    assert "oidc_id_token" not in session
    assert "oidc_access_token" not in session
    # The middleware sees the same level as after a mock or SAML login.
    home = client.get("/")
    assert home.wsgi_request.user.assurance_level == "substantieel"
    # What we asked the broker for.
    authorize = broker.authorize_requests[-1]
    assert authorize["acr_values"] == ACR_VALUES
    assert authorize["scope"] == "openid bsn"
    assert authorize["redirect_uri"] == "http://testserver/digid/acs/"

    # Log out and in again: the same account, no second one.
    client.post("/digid/logout/")
    assert_not_logged_in(client)
    assert login(client, broker).status_code == 302
    assert client.session["_auth_user_id"] == str(resident.pk)
    assert User.objects.filter(bsn_pseudonym__isnull=False).count() == 1

    # The BSN: in no table (sessions decoded), no log record, no URL of the flow.
    dump = dump_database()
    assert bsn_pseudonym(BSN) in dump  # the search can find what is stored
    assert "substantieel" in dump
    assert BSN not in dump
    assert any("DigiD OIDC" in text for text in log_records)
    assert any("/token" in text for text in log_records)  # urllib3's lines were captured too
    assert [text for text in log_records if BSN in text] == []
    assert BSN not in callback
    assert BSN not in home.content.decode()


def test_nested_claim_sector_prefix_and_configured_level_mapping(client, broker, settings):
    settings.DIGID_OIDC_BSN_CLAIM = "person.identifiers.bsn"
    settings.DIGID_OIDC_LOA_CLAIM = "loa"
    settings.DIGID_OIDC_LOA_MAPPING = {"http://eidas.europa.eu/LoA/high": "hoog"}
    broker.userinfo = {"person": {"identifiers": {"bsn": f"s00000000:{BSN}"}}}
    broker.id_token_claims = {"loa": "http://eidas.europa.eu/LoA/high"}

    response = login(client, broker)

    assert response.status_code == 302
    resident = User.objects.get(bsn_pseudonym=bsn_pseudonym(BSN))
    assert client.session["_auth_user_id"] == str(resident.pk)
    assert client.session[SESSION_KEY] == "hoog"


@pytest.mark.parametrize("acr", ["midden", DigiDAssuranceLevels.middle.value])
def test_plain_names_and_saml_urns_are_understood(client, broker, acr):
    broker.id_token_claims = {"acr": acr}

    assert login(client, broker).status_code == 302
    assert client.session[SESSION_KEY] == "midden"


def test_level_below_the_minimum_is_refused(client, broker, settings, log_records):
    settings.DIGID_SAML_LOA = "substantieel"
    broker.id_token_claims = {"acr": DigiDAssuranceLevels.middle.value}

    response = login(client, broker)

    assert response.status_code == 403
    page = response.content.decode()
    assert "digid-error" in page
    assert "Midden" in page
    assert "Substantieel" in page
    assert_not_logged_in(client)
    assert not User.objects.filter(bsn_pseudonym=bsn_pseudonym(BSN)).exists()
    assert [text for text in log_records if BSN in text] == []


@pytest.mark.parametrize(
    "id_token_claims",
    [{}, {"acr": "urn:example:unknown-level"}, {"acr": ["midden"]}],
    ids=["missing", "unknown", "not-a-string"],
)
def test_missing_or_unknown_level_is_refused(client, broker, id_token_claims):
    broker.id_token_claims = id_token_claims

    response = login(client, broker)

    assert response.status_code == 400
    assert "digid-error" in response.content.decode()
    assert_not_logged_in(client)
    assert User.objects.filter(bsn_pseudonym__isnull=False).count() == 0


@pytest.mark.parametrize(
    "userinfo",
    [
        {},
        {"bsn": ""},
        {"bsn": BSN[:-1] + "2"},  # fails the 11-proef
        {"bsn": BSN[:-1]},  # eight digits
        {"bsn": int(BSN)},  # not a string
        {"bsn": f"x{BSN}"},
        {"bsn": f"s00000001:{BSN}"},  # another sector's identifier
    ],
    ids=["missing", "empty", "11-proef", "short", "number", "junk", "other-sector"],
)
def test_missing_or_invalid_bsn_is_refused(client, broker, userinfo, log_records):
    broker.userinfo = userinfo

    response = login(client, broker)

    assert response.status_code == 400
    page = response.content.decode()
    assert "DigiD did not confirm who you are" in page
    assert_not_logged_in(client)
    assert User.objects.filter(bsn_pseudonym__isnull=False).count() == 0
    assert [text for text in log_records if BSN[:-1] in text] == []


def test_tampered_state_is_refused(client, broker):
    callback = start_login(client, broker)
    query = parse_qs(urlsplit(callback).query)
    forged = "/digid/acs/?" + urlencode({"code": query["code"][0], "state": "forged"})

    response = client.get(forged)

    assert response.status_code == 400
    assert "already used" in response.content.decode()
    assert_not_logged_in(client)
    # The real callback still works afterwards.
    assert client.get(callback).status_code == 302


def test_replayed_callback_is_refused(client, broker):
    callback = start_login(client, broker)
    assert client.get(callback).status_code == 302

    again = client.get(callback)
    assert again.status_code == 400
    assert "already used" in again.content.decode()

    # In another browser (a stolen callback URL): no state at all in that session.
    other = type(client)()
    stolen = other.get(callback)
    assert stolen.status_code == 400
    assert "digid-error" in stolen.content.decode()
    assert_not_logged_in(other)


def test_callback_without_code_or_state_is_refused(client, broker):
    start_login(client, broker)

    response = client.get("/digid/acs/")

    assert response.status_code == 400
    assert_not_logged_in(client)


def test_cancel_at_the_broker_returns_to_the_login_page(client, broker):
    broker.cancel = True

    response = login(client, broker)

    assert response.status_code == 302
    assert response["Location"] == "/inloggen/"
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["info"]
    assert_not_logged_in(client)


@pytest.mark.parametrize("failure", ["token-endpoint-error", "wrong-signing-key", "broker-down"])
def test_broker_failures_are_a_clean_error_page(client, broker, settings, failure, log_records):
    if failure == "token-endpoint-error":
        broker.token_status = 500
    elif failure == "wrong-signing-key":
        broker.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    callback = start_login(client, broker)
    if failure == "broker-down":
        settings.OIDC_OP_TOKEN_ENDPOINT = "http://127.0.0.1:9/token"  # discard port: refused

    response = client.get(callback)

    assert response.status_code == 502
    assert "technical problem" in response.content.decode()
    assert_not_logged_in(client)
    assert [text for text in log_records if BSN in text] == []


def test_unsafe_next_is_refused(client, broker):
    response = client.get("/digid/login/", {"next": "https://evil.example/"})

    assert response.status_code == 400
    assert broker.authorize_requests == []


def test_manage_py_check_passes_in_oidc_mode_without_debug():
    result = run_python(
        "", "manage.py", "check", **PRODUCTION, **oidc_env("https://broker.example/oidc")
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("drop", "extra", "message"),
    [
        ("DIGID_OIDC_TOKEN_ENDPOINT", {}, "DIGID_MODE=oidc needs DIGID_OIDC_TOKEN_ENDPOINT"),
        ("DIGID_OIDC_CLIENT_SECRET", {}, "DIGID_MODE=oidc needs DIGID_OIDC_CLIENT_SECRET"),
        ("DIGID_OIDC_JWKS_ENDPOINT", {}, "SIGN_ALGO=RS256 needs DIGID_OIDC_JWKS_ENDPOINT"),
        ("", {"DIGID_OIDC_SIGN_ALGO": "none"}, "DIGID_OIDC_SIGN_ALGO must be"),
        ("", {"DIGID_OIDC_LOA_MAPPING": "urn:x=ultra"}, "DIGID_OIDC_LOA_MAPPING values must be"),
    ],
)
def test_incomplete_oidc_configuration_is_refused(drop, extra, message):
    env = dict(PRODUCTION, **oidc_env("https://broker.example/oidc"), **extra)
    env.pop(drop, None)

    result = run_python("", "manage.py", "check", **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
