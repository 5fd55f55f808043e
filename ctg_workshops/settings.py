"""Settings for ctg-workshops, read from the environment (see docs/configuration.md).

Defaults are safe for production: DEBUG is off unless asked for, and a secret key must then come
from the environment. With no DATABASE_URL the site runs on a local SQLite file, so a new user
needs nothing installed; production and CI set DATABASE_URL to PostgreSQL.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file beside manage.py is read when present (never committed); real environment wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in the environment when DEBUG is off "
            "(see docs/configuration.md)."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "sessions.apps.WorkshopSessionsConfig",
    "responses",
    "reports",
    "ctg_workshops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ctg_workshops.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that reads a session or the database (it answers without either).
    "ctg_workshops.middleware.LoadSheddingMiddleware",
    "ctg_workshops.middleware.InputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, so it sees the views' exceptions first.
    "ctg_workshops.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "ctg_workshops.urls"
WSGI_APPLICATION = "ctg_workshops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# PostgreSQL whenever DATABASE_URL is set; otherwise a SQLite file tuned for a small live room:
# WAL lets readers work while one writer writes, IMMEDIATE transactions take the write lock at
# BEGIN (so two writers queue instead of failing half-way with "database is locked"), and the
# busy timeout makes a queued writer wait rather than error.
# Any URL Django can take works in DATABASE_URL; a sqlite:/// one gets the same tuning.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
}
DATABASE_URL = env.str("DATABASE_URL", default="")
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
        )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Authentication ---------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (django-axes): after 10 failed sign-ins for one user name (from anywhere) or
# from one address (for any user names), signing in there is paused for 15 minutes, whatever the
# password; a successful sign-in clears that user's and address's count. The pause page says
# neither which part was wrong nor whether the user name exists. Staff see the attempts in the
# admin; `manage.py axes_reset_username NAME` lifts a pause early.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGN_IN_PAUSE_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "responses.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "ctg_workshops.views.sign_in_paused"
AXES_HTTP_RESPONSE_CODE = 429
# One log line per failure is enough; axes would otherwise log each check at INFO.
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security ---------------------------------------------------------------------------------
# Always on: these cost nothing over plain HTTP.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# The Content-Security-Policy allows no inline script or style and nothing from other origins.
CSP_ENABLED = env.bool("CSP_ENABLED", default=True)
CSP_REPORT_ONLY = env.bool("CSP_REPORT_ONLY", default=False)
# Violations browsers report are logged (ctg_workshops.views.csp_report), this many a minute per
# network address at most.
CSP_REPORTS_PER_MINUTE = env.int("CSP_REPORTS_PER_MINUTE", default=30)

# Switched on in production, behind HTTPS (see docs/configuration.md).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Only when a trusted proxy terminates TLS, sets X-Forwarded-Proto itself and appends the
# client's address to X-Forwarded-For (rate limits and sign-in throttling count by address).
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load shedding (behind the proxy only): a request that waited in the queue longer than this
# is answered 503 at once, with a Retry-After drawn from this range (seconds); 0 switches it
# off. docs/deployment.md has the proxy's side (X-Request-Start).
SHED_QUEUE_MS = env.int("SHED_QUEUE_MS", default=1000)
SHED_RETRY_AFTER = (2, 6)

# --- Participation ----------------------------------------------------------------------------
# Rate limits on participants' writes (cards, edits, dots), per participant and per session.
PARTICIPANT_WRITES_PER_MINUTE = env.int("PARTICIPANT_WRITES_PER_MINUTE", default=30)
SESSION_WRITES_PER_MINUTE = env.int("SESSION_WRITES_PER_MINUTE", default=6000)
# The most cards one participant holds in a session (Phase I: about three each).
STATEMENTS_PER_PARTICIPANT = env.int("STATEMENTS_PER_PARTICIPANT", default=20)
# Backstops per network address, which a new cookie does not reset. A whole room usually shares
# one address, so each is set above what a room of 300 sends (docs/security.md): joins (two
# rooms of 300 in ten minutes), writes and new cards a minute (below the session's, so one
# machine cannot spend a whole room's budget), and wrong join codes a minute (guessing).
ADDRESS_JOINS_PER_10_MINUTES = env.int("ADDRESS_JOINS_PER_10_MINUTES", default=600)
ADDRESS_WRITES_PER_MINUTE = env.int("ADDRESS_WRITES_PER_MINUTE", default=2400)
ADDRESS_CARDS_PER_MINUTE = env.int("ADDRESS_CARDS_PER_MINUTE", default=1200)
ADDRESS_CODE_MISSES_PER_MINUTE = env.int("ADDRESS_CODE_MISSES_PER_MINUTE", default=60)
PARTICIPANT_COOKIE_NAME = "ctg_participant"
PARTICIPANT_COOKIE_MAX_AGE = 60 * 60 * 24 * 365
# Days after a workshop's date that participants' names, organisations, roles and e-mails are
# kept; `manage.py purge_identities` erases older ones (statements and dots stay). Two years
# covers writing the report and inviting the same people to the next phase (Phase I ran
# July–October; Phase II followed), without keeping identities indefinitely.
IDENTITY_RETENTION_DAYS = env.int("IDENTITY_RETENTION_DAYS", default=730)

# --- E-mail -----------------------------------------------------------------------------------
# Messages to participants (the published report) go out through SMTP when EMAIL_URL is set,
# e.g. smtp+tls://user:password@smtp.example.org:587; without it they are printed to the console,
# so a development machine never sends mail. SITE_URL makes the links in messages absolute.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CTG Workshops <workshops@localhost>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# After publishing, send the messages in a background thread of the web process, so nothing has
# to be started by hand in development. Production also runs `manage.py send_notifications`,
# which retries failures (docs/deployment.md).
NOTIFICATIONS_SEND_ON_COMMIT = env.bool("NOTIFICATIONS_SEND_ON_COMMIT", default=True)

# --- Records files ----------------------------------------------------------------------------
# The largest records file staff may upload (docs/records.md). 10,000 statements in .xlsx are
# under 1 MB, so 50 MB leaves ample room while keeping a mistaken upload from filling memory.
RECORDS_IMPORT_MAX_BYTES = env.int("RECORDS_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# Any request body larger than this is refused (413) before it is read: the largest upload
# (a records file) and its form fields. Set the proxy's own limit (nginx client_max_body_size) to
# the same.
REQUEST_MAX_BYTES = RECORDS_IMPORT_MAX_BYTES + 1024 * 1024
# What a file is read up to before it is refused (docs/records.md; the figures that chose them are
# in docs/performance.md): what an .xlsx or .zip unpacks to (10,000 statements unpack to about
# 3.9 MB), the rows below the headings in all sheets together (blank rows count: reading stops
# there; a file at 20,000 rows is checked well within gunicorn's 30 s worker timeout), and the
# characters in one cell (the longest text a record needs).
RECORDS_IMPORT_MAX_UNPACKED_BYTES = env.int("RECORDS_IMPORT_MAX_UNPACKED_BYTES", default=20_000_000)
RECORDS_IMPORT_MAX_ROWS = env.int("RECORDS_IMPORT_MAX_ROWS", default=20_000)
RECORDS_IMPORT_MAX_CELL_CHARS = env.int("RECORDS_IMPORT_MAX_CELL_CHARS", default=100_000)

# --- Reports ----------------------------------------------------------------------------------
# The author and company of the exported Word file (its document properties). Empty: the
# organisation of the report's phase.
REPORT_ORGANISATION = env.str("REPORT_ORGANISATION", default="")

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "ctg_workshops.logging.SingleLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Django's own loggers report through the root handler only, so nothing prints twice.
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        # PDF rendering reports every layout step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes reports every sign-in check at INFO; failures and pauses are WARNING.
        "axes": {"level": "WARNING"},
    },
}

# Sample-data accounts are created only by `manage.py load_sample_data` and only with DEBUG on.
