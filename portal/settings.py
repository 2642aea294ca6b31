"""Stadsmakers settings: one file, driven by environment variables (django-environ).

Local defaults are safe for development (SQLite, eager tasks, console e-mail, DigiD mock).
Production sets DJANGO_DEBUG=false and the secrets; see README.md for every variable.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)

_DEV_ONLY_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnop"
SECRET_KEY = env("DJANGO_SECRET_KEY", default=_DEV_ONLY_SECRET if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")

# The BSN is never stored: residents are keyed on HMAC-SHA256(BSN_PSEUDONYM_SECRET, bsn).
# Changing this secret detaches every resident from their account, so keep it stable.
BSN_PSEUDONYM_SECRET = env(
    "BSN_PSEUDONYM_SECRET", default="dev-only-bsn-pseudonym-secret" if DEBUG else None
)
if not BSN_PSEUDONYM_SECRET:
    raise ImproperlyConfigured("BSN_PSEUDONYM_SECRET must be set when DJANGO_DEBUG is off.")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rules.apps.AutodiscoverRulesConfig",
    "allauth",
    "allauth.account",
    "csp",
    "privates",
    "simple_certmanager",
    "solo",
    "sessionprofile",
    "digid_eherkenning",
    "django_ratelimit",
    # ours, in dependency order (see docs/architecture.md)
    "portal.core",
    "portal.accounts",
    "portal.consent",
    "registry",
    "challenges",
    "sensors",
    "portal.ideas",
]

# Device requests (exact path -> view) that skip the other middleware: see DeviceLaneMiddleware.
DEVICE_LANE = {
    "/api/v1/sensors/push/sensor-community/": "sensors.api.sensor_community_push",
}

MIDDLEWARE = [
    "portal.core.middleware.DeviceLaneMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sessionprofile.middleware.SessionProfileMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.core.middleware.DutchUnlessChosenMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: an expired DigiD session is ended with a message.
    "portal.accounts.middleware.DigiDSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.core.context_processors.site",
                "portal.core.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Statements run this often on one connection are prepared (parsed and planned once).
    # Only cursors that bind on the server prepare: the sensor push's (sensors/airrohr.py);
    # Django's own bind on the client. With PgBouncer in transaction mode, set it to -1 (off).
    _prepare = env.int("DATABASE_PREPARE_THRESHOLD", default=5)
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = \
        None if _prepare < 0 else _prepare
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# django-ratelimit lists only django-redis and memcached as "officially supported"; Django's own
# RedisCache has the atomic incr it needs (W001 is only that list). The embedded default is one
# process (runserver), so its local-memory counters are the only ones (E003: not shared).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if not REDIS_URL:
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

# Sessions live in the database so every web process sees them (never in process memory).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"  # the choice page: DigiD for residents, e-mail for organisations and staff
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# DigiD: "mock" (development, demos), "saml" (Logius, via django-digid-eherkenning),
# "oidc" (an OpenID Connect broker, via mozilla-django-oidc; see below and docs/digid.md).
DIGID_MODE = env("DIGID_MODE", default="mock" if DEBUG else "saml")
DIGID_MOCK_ALLOWED_WITHOUT_DEBUG = env.bool("DIGID_MOCK_ALLOWED_WITHOUT_DEBUG", default=False)
if DIGID_MODE not in {"mock", "saml", "oidc"}:
    raise ImproperlyConfigured("DIGID_MODE must be 'mock', 'saml' or 'oidc'.")
if DIGID_MODE == "mock" and not DEBUG and not DIGID_MOCK_ALLOWED_WITHOUT_DEBUG:
    raise ImproperlyConfigured(
        "The DigiD mock may only run with DJANGO_DEBUG on. Set DIGID_MODE=saml in production."
    )
# Level requested from DigiD in SAML mode (with comparison "minimum"), and recorded for the session.
# In OIDC mode: the minimum level a login must have (the broker reports the actual level).
_DIGID_LEVELS = {"basis", "midden", "substantieel", "hoog"}  # portal.accounts.assurance
DIGID_SAML_LOA = env("DIGID_SAML_LOA", default="midden")
if DIGID_SAML_LOA not in _DIGID_LEVELS:
    raise ImproperlyConfigured("DIGID_SAML_LOA must be basis, midden, substantieel or hoog.")
# DigiD requires sessions to end after at most 15 minutes of inactivity (DigiDCheck 2.2 T14).
DIGID_SESSION_AGE = env.int("DIGID_SESSION_AGE", default=15 * 60)
DIGID_MOCK_APP_TITLE = "Stadsmakers"
AUTHENTICATION_BACKENDS.append(
    {
        "mock": "portal.accounts.backends.DigiDMockBackend",
        "saml": "digid_eherkenning.backends.DigiDBackend",
        "oidc": "portal.accounts.digid_oidc.DigiDOIDCBackend",
    }[DIGID_MODE]
)
# DigiD through an OpenID Connect broker: DIGID_OIDC_* mapped onto mozilla-django-oidc's OIDC_*.
DIGID_OIDC_BSN_CLAIM = env("DIGID_OIDC_BSN_CLAIM", default="bsn")  # a dotted path for nesting
DIGID_OIDC_LOA_CLAIM = env("DIGID_OIDC_LOA_CLAIM", default="acr")
# Extra "broker value=level" pairs, on top of DigiD's SAML URNs and the plain level names.
DIGID_OIDC_LOA_MAPPING = env.dict("DIGID_OIDC_LOA_MAPPING", default={})
if set(DIGID_OIDC_LOA_MAPPING.values()) - _DIGID_LEVELS:
    raise ImproperlyConfigured(
        "DIGID_OIDC_LOA_MAPPING values must be basis, midden, substantieel or hoog."
    )
if DIGID_MODE == "oidc":
    _oidc_required = [
        "DIGID_OIDC_CLIENT_ID",
        "DIGID_OIDC_CLIENT_SECRET",
        "DIGID_OIDC_AUTHORIZATION_ENDPOINT",
        "DIGID_OIDC_TOKEN_ENDPOINT",
        "DIGID_OIDC_USERINFO_ENDPOINT",
    ]
    if _missing := [name for name in _oidc_required if not env(name, default="")]:
        raise ImproperlyConfigured(f"DIGID_MODE=oidc needs {', '.join(_missing)} to be set.")
    OIDC_RP_CLIENT_ID = env("DIGID_OIDC_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = env("DIGID_OIDC_CLIENT_SECRET")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env("DIGID_OIDC_AUTHORIZATION_ENDPOINT")
    OIDC_OP_TOKEN_ENDPOINT = env("DIGID_OIDC_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = env("DIGID_OIDC_USERINFO_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = env("DIGID_OIDC_JWKS_ENDPOINT", default="") or None
    OIDC_RP_SIGN_ALGO = env("DIGID_OIDC_SIGN_ALGO", default="RS256")
    if OIDC_RP_SIGN_ALGO not in {f"{k}{n}" for k in ("HS", "RS", "ES") for n in (256, 384, 512)}:
        raise ImproperlyConfigured("DIGID_OIDC_SIGN_ALGO must be HS*, RS* or ES* (256/384/512).")
    if not OIDC_RP_SIGN_ALGO.startswith("HS") and not OIDC_OP_JWKS_ENDPOINT:
        raise ImproperlyConfigured(
            f"DIGID_OIDC_SIGN_ALGO={OIDC_RP_SIGN_ALGO} needs DIGID_OIDC_JWKS_ENDPOINT."
        )
    OIDC_RP_SCOPES = env("DIGID_OIDC_SCOPES", default="openid bsn")
    _acr_values = env("DIGID_OIDC_ACR_VALUES", default="")
    OIDC_AUTH_REQUEST_EXTRA_PARAMS = {"acr_values": _acr_values} if _acr_values else {}
    OIDC_AUTHENTICATION_CALLBACK_URL = "digid:acs"
    OIDC_USE_PKCE = True
    OIDC_TIMEOUT = 10
    # The tokens carry the BSN: never in the session (the backend also never stores them).
    OIDC_STORE_ID_TOKEN = False
    OIDC_STORE_ACCESS_TOKEN = False

# django-allauth: e-mail accounts for organisations and staff, e-mail verification required.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Adds "your name" to the signup form (the adapter stores it as User.display_name).
ACCOUNT_SIGNUP_FORM_CLASS = "portal.accounts.forms.SignupForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_CONFIRMATION_ANONYMOUS_REDIRECT_URL = "account_login"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "portal.accounts.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Stadsmakers] "
# Login rate limiting (cache-backed, so shared between processes when Redis is configured).
ACCOUNT_RATE_LIMITS = {
    "login_failed": env("LOGIN_RATE_LIMIT", default="5/5m/ip,5/5m/key"),
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "tmp" / "mail"))
if env("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))  # EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, ...
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Stadsmakers <noreply@stadsmakers.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
PRIVATE_MEDIA_ROOT = env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private_media"))
PRIVATE_MEDIA_URL = "/private-media/"
SENDFILE_BACKEND = "django_sendfile.backends.simple"
SENDFILE_ROOT = PRIVATE_MEDIA_ROOT
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Attachments of challenge proposals (PDF, ODT, DOCX), stored under PRIVATE_MEDIA_ROOT.
CHALLENGES_ATTACHMENT_MAX_BYTES = env.int("CHALLENGES_ATTACHMENT_MAX_BYTES",
                                          default=10 * 1024 * 1024)

# Celery: Redis broker in production; without a broker, tasks run eagerly in-process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "notifications-daily-digest": {
        "task": "portal.core.tasks.notifications_send_daily_digests_task",
        "schedule": crontab(hour=7, minute=0),
    },
    "consent-delete-expired-exports": {
        "task": "portal.consent.tasks.data_exports_delete_expired_task",
        "schedule": crontab(minute=17),
    },
    # Sensors: quality flags + hourly/daily aggregates of the buckets that received data.
    "sensors-aggregates-update": {
        "task": "sensors.tasks.aggregates_update_task",
        "schedule": crontab(),  # every minute
        "options": {"expires": 55},
    },
    # The public map's feeds, rebuilt into the cache so no visitor's request builds one.
    "sensors-map-feed-refresh": {
        "task": "sensors.tasks.map_feed_refresh_task",
        "schedule": crontab(),  # every minute (sensors.feeds.MAP_FEED_SECONDS)
        "options": {"expires": 55},
    },
    "sensors-kits-offline-check": {
        "task": "sensors.tasks.kits_offline_check_task",
        "schedule": crontab(minute="*/15"),
    },
    "sensors-observation-partitions": {
        "task": "sensors.tasks.observation_partitions_task",
        "schedule": crontab(day_of_month=1, hour=3, minute=41),
    },
    "sensors-open-data-archive": {
        "task": "sensors.tasks.archive_day_task",
        "schedule": crontab(hour=1, minute=30),
    },
    "sensors-sta-import": {
        "task": "sensors.import_tasks.sta_import_all_task",
        "schedule": crontab(minute=25),
    },
    # Challenges past their submission deadline move to "closed" (submission itself is refused
    # to the second by the service, whatever this schedule).
    "challenges-close-due": {
        "task": "challenges.tasks.challenge_close_due_task",
        "schedule": crontab(),  # every minute
        "options": {"expires": 55},
    },
}

# MQTT ingest (`manage.py mqtt_ingest`, docs/sensors-mqtt-and-import.md): the broker, e.g.
# mqtt://user:password@127.0.0.1:1883 (mqtts:// for TLS). Empty: MQTT ingest is off.
MQTT_URL = env("MQTT_URL", default="")
# Only topics under this prefix are read, e.g. "stadsmakers/" -> "stadsmakers/v1.1/...".
MQTT_TOPIC_PREFIX = env("MQTT_TOPIC_PREFIX", default="")

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes "not logged in" a 401 instead of a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "portal.core.drf.StandardPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.core.drf.json_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="120/min"),
        "user": env("API_THROTTLE_USER", default="600/min"),
        # POST /api/v1/auth/token/ (password guessing), per client IP.
        "auth_token": env("API_THROTTLE_AUTH_TOKEN", default="10/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Stadsmakers API",
    "DESCRIPTION": "Open API of the Stadsmakers portal: ideas, challenges, sensors and registers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets used by more than one field (registers): one schema name each.
    "ENUM_NAME_OVERRIDES": {
        "ThemeEnum": "registry.standard.THEME_VALUES",
        "RecommendationEnum": "registry.models.Evaluation.Recommendation",
    },
}

# Security baseline. Production (DEBUG off) gets HTTPS-only cookies and HSTS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=not DEBUG)
if env.bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Background map tiles (Leaflet). Default: PDOK's BRT achtergrondkaart (Dutch government, no
# key). Empty: maps show their markers and area outlines on a plain background (offline use).
MAP_TILE_URL = env(
    "MAP_TILE_URL",
    default="https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png",
)
MAP_TILE_ATTRIBUTION = env(
    "MAP_TILE_ATTRIBUTION", default="Kaartgegevens © Kadaster / PDOK",
)
MAP_TILE_ORIGINS = ["/".join(MAP_TILE_URL.split("/")[:3])] if MAP_TILE_URL else []
# The municipality on the map: centre and the box a location must lie in (WGS84).
MAP_CENTER = (52.5168, 6.0830)  # Zwolle
MAP_BOUNDS = env.list("MAP_BOUNDS", cast=float, default=[52.45, 5.95, 52.60, 6.25])

# Abuse limits per person (django-ratelimit; counted in the cache, so Redis in production).
RATE_LIMITS = {
    "ideas.submit": env("RATE_LIMIT_IDEAS_SUBMIT", default="5/h"),
    "ideas.comment": env("RATE_LIMIT_IDEAS_COMMENT", default="20/h"),
    "ideas.report": env("RATE_LIMIT_IDEAS_REPORT", default="10/h"),
    "ideas.support": env("RATE_LIMIT_IDEAS_SUPPORT", default="60/h"),
    # attempts at a claim code: 32^12 possible codes, so guessing is pointless at this rate
    "sensors.kit_claim": env("RATE_LIMIT_SENSORS_KIT_CLAIM", default="10/h"),
    # sending (or re-sending) the confirmation link for a resident's notification address
    "accounts.resident_email": env("RATE_LIMIT_ACCOUNTS_RESIDENT_EMAIL", default="5/h"),
    # questions about a challenge (the answers are public; a flood would drown the others)
    "challenges.question": env("RATE_LIMIT_CHALLENGES_QUESTION", default="10/h"),
}
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", *MAP_TILE_ORIGINS],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub_bsn": {"()": "portal.core.logging.ScrubBSNFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["scrub_bsn"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
ADMINS = [("Beheer", a) for a in env.list("DJANGO_ADMINS", default=[])]

# Consent receipts name the municipality as the controller (Kantara Consent Receipt v1.1).
CONSENT_CONTROLLER_NAME = env("CONSENT_CONTROLLER_NAME", default="Gemeente Zwolle (demo)")
CONSENT_CONTROLLER_CONTACT = env("CONSENT_CONTROLLER_CONTACT", default="Privacyteam gemeente")
CONSENT_CONTROLLER_EMAIL = env("CONSENT_CONTROLLER_EMAIL", default="privacy@example.org")
CONSENT_CONTROLLER_URL = env("CONSENT_CONTROLLER_URL", default=SITE_URL)
