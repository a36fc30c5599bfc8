"""Gezhi settings: one module, every value from the environment.

Helpers fail loudly on a bad value, and every secret can come from a file (`X_FILE`).
See docs/operator-guide.md for the full list.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str) -> str:
    """A string from NAME, or from the file named by NAME_FILE (for secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    value = envstr(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: expected true or false")


def envint(name: str, default: str) -> int:
    value = envstr(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number") from None


def envfloat(name: str, default: str) -> float:
    value = envstr(name, default)
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a number") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "False")
VAR_DIR = Path(envstr("GEZHI_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = envstr("SECRET_KEY", "")
if not SECRET_KEY:
    # A fresh install makes its own key once and keeps it in var/, so sessions survive restarts.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text(encoding="utf-8").strip()

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if not DEBUG else "*")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "gezhi.core",
    "gezhi.accounts",
    "gezhi.regions",
    "gezhi.registry",
    "gezhi.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "gezhi.urls"
WSGI_APPLICATION = "gezhi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "gezhi.web.context_processors.site",
            ],
        },
    },
]

# Database: SQLite in var/ by default (WAL mode), PostgreSQL through DATABASE_URL.
DATABASE_URL = envstr("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "gezhi.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["gezhi.accounts.backends.LockoutBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": envint("GEZHI_PASSWORD_MIN_LENGTH", "10")},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "gezhi.accounts.validators.CharacterClassValidator"},
]
# Login security (MLPS 2.0 level 3): lockout after repeated failures, idle timeout.
GEZHI_LOGIN_MAX_FAILURES = envint("GEZHI_LOGIN_MAX_FAILURES", "5")
GEZHI_LOGIN_LOCKOUT_MINUTES = envint("GEZHI_LOGIN_LOCKOUT_MINUTES", "15")
SESSION_COOKIE_AGE = envint("GEZHI_SESSION_IDLE_MINUTES", "30") * 60
SESSION_SAVE_EVERY_REQUEST = True  # the cookie age counts from the last request: an idle timeout
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "gezhi" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request when it is missing
MEDIA_URL = "media/"
MEDIA_ROOT = Path(envstr("GEZHI_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if envbool("GEZHI_MANIFEST_STATIC", "False")
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "gezhi.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gezhi API",
    "DESCRIPTION": _("格治 网格化社会治理平台 REST API"),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Several models have a `kind` or `type`: name each set of choices after its class.
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "gezhi.registry.choices.OrganisationKind",
        "RecordKindEnum": "gezhi.registry.choices.RecordKind",
        "UnitTypeEnum": "gezhi.registry.choices.UnitType",
        "FieldTypeEnum": "gezhi.registry.choices.FieldType",
        "RedrawKindEnum": "gezhi.regions.choices.RedrawKind",
    },
    # No call to the public validator: the docs must work on an offline intranet.
    "SWAGGER_UI_SETTINGS": {
        "validatorUrl": None,
        "deepLinking": True,
        "persistAuthorization": True,
    },
}

# Regions: the levels this deployment uses, top to bottom.
GEZHI_REGION_LEVELS = envlist(
    "GEZHI_REGION_LEVELS", "province,city,county,township,village,area,grid"
)
# How far (in metres) a grid boundary may stick out of its parent's boundary.
GEZHI_BOUNDARY_TOLERANCE_M = envfloat("GEZHI_BOUNDARY_TOLERANCE_M", "50")
# Whether every grid must have a boundary (routing by position needs one).
GEZHI_GRID_BOUNDARY_REQUIRED = envbool("GEZHI_GRID_BOUNDARY_REQUIRED", "False")
# Largest file the import page accepts, in megabytes.
GEZHI_IMPORT_MAX_MB = envint("GEZHI_IMPORT_MAX_MB", "20")
# Base-map tiles for Leaflet: e.g. a county WMTS or Tianditu URL. Empty: no base map.
GEZHI_TILE_URL = envstr("GEZHI_TILE_URL", "")
GEZHI_TILE_ATTRIBUTION = envstr("GEZHI_TILE_ATTRIBUTION", "")

# Production hardening (`manage.py check --deploy`). Behind TLS (recommended even on an
# intranet) set GEZHI_HTTPS=true: secure cookies, HSTS and the redirect to https follow.
GEZHI_HTTPS = envbool("GEZHI_HTTPS", "False")
SESSION_COOKIE_SECURE = GEZHI_HTTPS
CSRF_COOKIE_SECURE = GEZHI_HTTPS
SECURE_SSL_REDIRECT = GEZHI_HTTPS and envbool("GEZHI_SSL_REDIRECT", "True")
SECURE_HSTS_SECONDS = envint("GEZHI_HSTS_SECONDS", "31536000") if GEZHI_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = GEZHI_HTTPS
SECURE_HSTS_PRELOAD = GEZHI_HTTPS
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("GEZHI_BEHIND_PROXY", "False") else None
)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
}
