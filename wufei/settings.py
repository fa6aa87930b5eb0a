"""Django settings for Wufei.

Everything that differs between a laptop demo and a production city comes from the
environment (``WUFEI_*`` variables); the defaults give the embedded SQLite demo.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("WUFEI_VAR_DIR", BASE_DIR.parent / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("WUFEI_DEBUG", False)
SECRET_KEY = os.environ.get(
    "WUFEI_SECRET_KEY", "wufei-demo-only-secret-key-change-me-in-production"
)
ALLOWED_HOSTS = os.environ.get("WUFEI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("WUFEI_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Reverse proxies whose X-Forwarded-For is believed (the public pages' rate limits key on the
# client address; behind an untrusted proxy every resident would share one limit).
TRUSTED_PROXIES = [p for p in os.environ.get("WUFEI_TRUSTED_PROXIES", "").split(",") if p]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "wufei.core",
    "wufei.accounts",
    "wufei.registry",
    "wufei.trace",
    "wufei.alerts",
    "wufei.manifests",
    "wufei.iot",
    "wufei.routing",
    "wufei.cases",
    "wufei.sorting",
    "wufei.outreach",
    "wufei.stats",
    "wufei.plan",
    "wufei.web",
    "wufei.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wufei.web.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wufei.urls"
WSGI_APPLICATION = "wufei.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wufei.web.context_processors.navigation",
            ],
        },
    },
]

# --- database: embedded SQLite by default, PostgreSQL through WUFEI_DATABASE_URL -------------
_database_url = os.environ.get("WUFEI_DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "wufei.core.sqlite",  # Django's, binding numbers beyond 64 bits
            "NAME": os.environ.get("WUFEI_SQLITE_PATH", str(VAR_DIR / "wufei.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": os.environ.get("WUFEI_SQLITE_TEST_PATH") or None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_AGE = int(os.environ.get("WUFEI_SESSION_SECONDS", 8 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# Log-in throttling (django-axes): five failures per user name and address lock for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("WUFEI_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# --- i18n: Chinese first, English second -----------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request without it
# Uploaded files (report attachments, inspection photos): never served as static files; the
# views that show them check who may see the record they belong to.
MEDIA_ROOT = Path(os.environ.get("WUFEI_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "wufei.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["wufei.core.permissions.ScopedActionPermission"],
    "DEFAULT_PAGINATION_CLASS": "wufei.core.permissions.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "wufei.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "120/minute"},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Wufei 无废 API",
    "DESCRIPTION": "许昌市固体废物智慧服务平台（无废）REST API：基础登记与废物名录。",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AlertStatusEnum": "wufei.alerts.choices.AlertStatus",
        "ContainerKindEnum": "wufei.trace.choices.ContainerKind",
        "ContainerStateEnum": "wufei.trace.choices.ContainerState",
        "ManifestStateEnum": "wufei.manifests.choices.State",
        "AlertSeverityEnum": "wufei.alerts.choices.Severity",
        "FindingSeverityEnum": "wufei.cases.models.Severity",
        "ReportKindEnum": "wufei.cases.models.ReportKind",
        "QuarantineStatusEnum": "wufei.iot.choices.QuarantineStatus",
        "InspectionStatusEnum": "wufei.cases.models.InspectionStatus",
        "OrderStatusEnum": "wufei.cases.models.OrderStatus",
        "NoticeStatusEnum": "wufei.plan.choices.NoticeStatus",
        "ReportStatusEnum": "wufei.plan.choices.ReportStatus",
        "MilestoneStatusEnum": "wufei.plan.choices.MilestoneStatus",
        "TaskStatusEnum": "wufei.plan.choices.TaskStatus",
        "RoutePlanStatusEnum": "wufei.routing.choices.PlanStatus",
    },
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WUFEI_LOG_LEVEL", "WARNING")},
}

if not DEBUG and _env_bool("WUFEI_SECURE_COOKIES", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
