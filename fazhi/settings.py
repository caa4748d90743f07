"""Settings: every deploy-time value comes from the environment (or `.env`), with safe
development defaults so that a first run needs no configuration at all."""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Values already in the environment win over the file (so `DEBUG=0 make …` means what it says).
ENV_FILE = Path(os.environ.get("ENV_FILE", BASE_DIR / ".env"))
if ENV_FILE.is_file():  # optional: the environment alone is enough
    environ.Env.read_env(ENV_FILE)

DEBUG = env.bool("DEBUG", default=True)
# With DEBUG on, a 400 or 500 still shows the product's Chinese page (brigade/middleware.py), the
# traceback going to the console; DEBUG_PAGES=1 shows Django's technical pages to a developer.
DEBUG_PAGES = env.bool("DEBUG_PAGES", default=False)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves several users and a worker at once: WAL lets readers go on
    # while one writer writes; IMMEDIATE takes the write lock at BEGIN, so a writer that has to
    # wait waits (up to `timeout` seconds) instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_TIMEOUT", default=60),
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "brigade.User"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "axes",
    "django_filters",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "import_export",
    "brigade",
    "enforcement",
    "mediation",
    "publicity",
    "reports",
]

MIDDLEWARE = [
    "brigade.middleware.TechnicalPagesInChinese",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "brigade.middleware.ChineseErrorPagesMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fazhi.urls"
WSGI_APPLICATION = "fazhi.wsgi.application"

# Django's form rendering, with <select> written in Python (brigade/renderer.py).
FORM_RENDERER = "brigade.renderer.FormRenderer"

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
                "brigade.context_processors.navigation",
            ],
        },
    },
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "brigade.passwords.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): five failures lock that username from that address for 30 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Behind a reverse proxy every request comes from the proxy's address: the lockout counts the
# client's address that a trusted proxy reports in X-Forwarded-For (brigade/clientip.py), and
# only theirs (anyone can send the header). A list of addresses or networks, e.g. 127.0.0.1,::1.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
try:
    from brigade.clientip import parse_networks

    parse_networks(TRUSTED_PROXIES)
except ValueError as e:
    raise ImproperlyConfigured(str(e)) from None
AXES_CLIENT_IP_CALLABLE = "brigade.clientip.client_ip"

LANGUAGE_CODE = "zh-hans"
# Chinese whatever the browser asks for: with every language on offer, LocaleMiddleware gave an
# English browser Django's English ("This field is required.", the CSRF page).
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
# A history row keeps its reason whole: an import's file name, an unlock's or a restore's reason
# can be longer than simple-history's default 100 characters (which failed the write).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(
    env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
)  # uploads waiting to be imported
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads: ledger files up to IMPORT_MAX_MB are accepted; Django keeps large ones on disk.
IMPORT_MAX_MB = env.int("IMPORT_MAX_MB", default=50)
# A record saved in a form waits at most this long for another write of the same records (an
# import holding them, SQLite's one write lock), then gets its form back saying so (brigade/ledger/saving.py).
RECORD_SAVE_WAIT_SECONDS = env.int("RECORD_SAVE_WAIT_SECONDS", default=10)
# An export of more records than this is made by the worker (brigade.outputs) instead of the request.
EXPORT_INLINE_ROWS = env.int("EXPORT_INLINE_ROWS", default=10_000)
# What reading one uploaded file may cost, whatever its format (brigade/ledger/xlsx.py): a file
# over any of these is refused with a message naming the limit, in bounded memory and time.
IMPORT_LIMITS = {
    "part_mb": env.int("IMPORT_PART_MB", default=512),  # one decompressed part (a sheet's XML)
    "small_part_mb": 16,  # a part read whole (workbook, relationships, styles)
    "row_kb": 1024,  # one row's XML or text
    "strings_mb": 128,  # the shared strings held in memory, as text
    "cells": env.int("IMPORT_MAX_CELLS", default=6_000_000),  # cells in the sheet read (500,000 rows × 12)
    "seconds": env.int("IMPORT_READ_SECONDS", default=300),  # reading the whole file
}

# Confirmed imports run in a worker process (`manage.py db_worker`, started by `make run` and
# `make serve`), queued in the database.
TASKS = {"default": {"BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # No figures here: they come from the database alone (brigade/rollup.py); import progress
    # is on the import job, in the database too.
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# django-filter's empty choice, in Chinese and saying what it means.
FILTERS_EMPTY_CHOICE_LABEL = "全部"

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
CSRF_COOKIE_HTTPONLY = True
# A form whose token expired gets a Chinese page that says what to do (Django's is English).
CSRF_FAILURE_VIEW = "brigade.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
# No inline script or style may run, and nothing loads from elsewhere: an injection that got past
# the templates' escaping still could not execute (django-csp).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Behind HTTPS (the default for a deployment): redirect, secure cookies, HSTS. HTTPS=0 serves plain
# HTTP, e.g. `make serve` on 127.0.0.1 for a trial or a load test.
HTTPS = env.bool("HTTPS", default=not DEBUG)
if HTTPS:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
# /healthz answers load balancers over plain HTTP too.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}

# Every uploaded spreadsheet is parsed in a child process the operating system bounds
# (brigade/ledger/bounded.py): its address space (RLIMIT_AS) and CPU seconds (RLIMIT_CPU); the
# wall clock is IMPORT_LIMITS["seconds"]. A file that needs more is refused, in Chinese.
IMPORT_PROCESS = {
    "memory_mb": env.int("IMPORT_MEMORY_MB", default=512),
    "cpu_seconds": env.int("IMPORT_CPU_SECONDS", default=300),
}
# The text given out of one file, every cell counted (a shared string as often as cells name it),
# is what the database will keep twice (the record and its history row: ~8 bytes a character of
# CJK in all, measured). At most 30 million characters (README's 500,000 violation rows hold 21
# million), and beyond the first million at most 30 characters a byte of the file: ordinary files
# hold 0.7 (violations) to 5.4 (one 300-character note in every row), while a file naming one
# shared string row after row holds hundreds. So one upload stores at most ~250 times its size,
# or 8 MB when smaller than 33 KB (docs/imports.md).
IMPORT_LIMITS["text_chars"] = env.int("IMPORT_MAX_TEXT", default=30_000_000)
IMPORT_LIMITS["text_per_byte"] = 30
IMPORT_LIMITS["text_floor"] = 1_000_000

# Violation's (brigade, occurred_at) index INCLUDEs three columns so that PostgreSQL counts from
# the index alone; SQLite has no INCLUDE and builds the same index on its key columns, which is
# what it needs. Django says so (models.W040) on every migrate and start: silenced on SQLite only,
# so that a real warning about PostgreSQL would still show.
SILENCED_SYSTEM_CHECKS = (
    ["models.W040"] if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else []
)
