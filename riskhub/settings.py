"""RiskHub settings, driven by the environment (see .env.example).

The embedded default (no environment at all, DEBUG on) runs on SQLite under var/ and
kombu's filesystem broker under var/broker/. Production sets DATABASE_URL,
CELERY_BROKER_URL, SECRET_KEY and AUDIT_HMAC_KEY; a missing secret stops start-up.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from riskhub.env import (
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_database_url,
    secret_from_env_or_file,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("RISKHUB_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# Tests and `make run` may generate local secrets into var/; production never does.
_ALLOW_LOCAL_SECRETS = DEBUG or env_bool("RISKHUB_DEV_SECRETS", False)

SECRET_KEY = secret_from_env_or_file(
    "SECRET_KEY", var_dir=VAR_DIR, allow_generate=_ALLOW_LOCAL_SECRETS
)
AUDIT_HMAC_KEY = secret_from_env_or_file(
    "AUDIT_HMAC_KEY", var_dir=VAR_DIR, allow_generate=_ALLOW_LOCAL_SECRETS
)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "riskhub.accounts.admin_config.RiskHubAdminConfig",  # Django's admin, read-only
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "riskhub.accounts",
    "riskhub.audit",
    "riskhub.inventory",
    "riskhub.risk",
    "riskhub.compliance",
    "riskhub.scans",
    "riskhub.impact",
    "riskhub.incidents",
    "riskhub.dashboard",
    "riskhub.reports",
    "riskhub.core",
    "riskhub.webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "riskhub.audit.middleware.RequestContextMiddleware",
    "riskhub.core.middleware.InputSanityMiddleware",
    "riskhub.core.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "riskhub.accounts.middleware.SecondFactorMiddleware",
    "riskhub.core.middleware.SlidingSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "riskhub.urls"
WSGI_APPLICATION = "riskhub.wsgi.application"
ASGI_APPLICATION = "riskhub.asgi.application"

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
                "riskhub.core.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": parse_database_url(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'riskhub.sqlite3'}"),
        base_dir=BASE_DIR,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:index"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed sign-ins within the window before a pause (see riskhub/accounts/throttling.py):
# per account from one client, per account from all clients (refuses only the clients
# that failed against it), and per client for emails that are not accounts.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_ACCOUNT_FAILURE_LIMIT = env_int(
    "LOGIN_ACCOUNT_FAILURE_LIMIT", 4 * LOGIN_FAILURE_LIMIT, minimum=1
)
LOGIN_UNKNOWN_EMAIL_FAILURE_LIMIT = env_int(
    "LOGIN_UNKNOWN_EMAIL_FAILURE_LIMIT", 4 * LOGIN_FAILURE_LIMIT, minimum=1
)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900, minimum=1)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "RiskHub")
# Admins must enrol a second factor before they see any page (on in production).
REQUIRE_2FA_FOR_ADMINS = env_bool("REQUIRE_2FA_FOR_ADMINS", not DEBUG)

# Set-password links (invitations, resets, "forgot password"): single use, valid for
# PASSWORD_RESET_TIMEOUT seconds. "Forgot password" requests per account and per client
# address within the window, beyond which no more links are sent.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600, minimum=300)
PASSWORD_RESET_ACCOUNT_LIMIT = env_int("PASSWORD_RESET_ACCOUNT_LIMIT", 5, minimum=1)
PASSWORD_RESET_ADDRESS_LIMIT = env_int("PASSWORD_RESET_ADDRESS_LIMIT", 20, minimum=1)
PASSWORD_RESET_WINDOW_SECONDS = env_int("PASSWORD_RESET_WINDOW_SECONDS", 3600, minimum=60)

# Single sign-on with OpenID Connect (off unless a client id is configured).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "riskhub.accounts.oidc.RoleMappingOIDCBackend",
]
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT")
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid email profile groups")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_GROUP_CLAIM = env_str("OIDC_GROUP_CLAIM", "groups")
# IdP group -> RiskHub role, e.g. "ai-risk=risk-officer,cto-office=executive".
OIDC_ROLE_MAP = {
    group.strip(): role.strip()
    for group, _, role in (
        item.partition("=")
        for item in env_list(
            "OIDC_ROLE_MAP",
            ["risk-officer=risk-officer", "executive=executive", "auditor=auditor", "admin=admin"],
        )
    )
}
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_authentication_callback"

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# Hashed, compressed static files need `collectstatic` (the Docker image runs it);
# the embedded default and the tests serve straight from static/.
_STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not _ALLOW_LOCAL_SECRETS)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if not _STATIC_MANIFEST
            else "riskhub.common.staticfiles.VendoredManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not _STATIC_MANIFEST
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 26_214_400

# Sessions and cookies
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=60)
# Idle sessions end after SESSION_COOKIE_AGE; SlidingSessionMiddleware renews the expiry
# at most once a minute instead of writing the session on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
_HTTPS = env_bool("HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", _HTTPS)
_BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _BEHIND_PROXY else None
# How many proxies in front of RiskHub append to X-Forwarded-For: the client address is
# the Nth entry from the right (0: the connection's own address). One proxy by default
# behind a proxy; entries further left are written by the client and never trusted.
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 1 if _BEHIND_PROXY else 0, minimum=0)

# Content-Security-Policy: nothing from another host, no inline script, no eval.
# Inline *styles* are allowed because plotly.js injects its own stylesheet.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Email (console locally)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "RiskHub <riskhub@localhost>")

# Celery
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process whose peak resident memory has passed this many MiB is replaced by a
# fresh one once its task ends (0: never). Rendering keeps some heap per document: one
# process that planned and rendered all 169 chunks of a 60,000-risk register grew to
# 775 MiB (bench/RESULTS.md). The worker logs each pool process's peak when it exits.
# (billiard reads ru_maxrss on Linux, the process's peak; a fresh pool process already
# counts what it shares with the parent, about 150 MiB.)
WORKER_MAX_MEMORY_MIB = env_int("WORKER_MAX_MEMORY_MIB", 300, minimum=0)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = WORKER_MAX_MEMORY_MIB * 1024 or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "worker-heartbeat": {"task": "riskhub.core.tasks.worker_heartbeat", "schedule": 60.0},
}
# Each app declares its periodic tasks in riskhub/<app>/schedule.py (BEAT_SCHEDULE, a
# plain dict with no Django imports), merged here.
for _app in ("inventory", "risk", "compliance", "incidents", "dashboard", "reports", "webhooks"):
    try:
        _module = __import__(f"riskhub.{_app}.schedule", fromlist=["BEAT_SCHEDULE"])
    except ModuleNotFoundError as _exc:
        if _exc.name != f"riskhub.{_app}.schedule":
            raise
        continue
    CELERY_BEAT_SCHEDULE.update(_module.BEAT_SCHEDULE)
# Task modules outside an app's tasks.py.
CELERY_IMPORTS = ["riskhub.inventory.mlflow.tasks"]

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "riskhub.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["riskhub.api.permissions.PolicyPermission"],
    # DRF's JSON parser, reading through riskhub.common.safejson (depth, digits, NaN).
    "DEFAULT_PARSER_CLASSES": [
        "riskhub.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "riskhub.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "riskhub.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "RiskHub API",
    "DESCRIPTION": "AI risk assessment and governance. Session or token authentication "
    "(Authorization: Bearer <token>).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # One stable name per enumeration, where several models use a field of the same name.
    "ENUM_NAME_OVERRIDES": {
        "AssetKindEnum": "riskhub.inventory.models.Asset.Kind",
        "RiskBandEnum": "riskhub.inventory.models.Asset.RiskBand",
        "TokenScopeEnum": "riskhub.accounts.models.ApiToken.Scope",
        "ControlScopeEnum": "riskhub.compliance.models.Control.Scope",
        "ImplementationStatusEnum": "riskhub.compliance.models.ControlImplementation.Status",
        "EvidenceKindEnum": "riskhub.compliance.models.Evidence.Kind",
        "RequirementStatusEnum": "riskhub.compliance.models.RequirementStatus.Status",
        "IncidentStatusEnum": "riskhub.incidents.models.Incident.Status",
        "TimelineKindEnum": "riskhub.incidents.models.TimelineEntry.Kind",
        "ReportKindEnum": "riskhub.reports.models.Kind",
        "ReportStatusEnum": "riskhub.reports.models.Report.Status",
        "AssessmentStatusEnum": "riskhub.risk.models.Assessment.Status",
        "RiskStatusEnum": "riskhub.risk.models.Risk.Status",
        "ClockStatusEnum": ["running", "met", "missed"],
        "AlertStatusEnum": ["firing", "resolved"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "riskhub.api.schema.add_error_responses",
    ],
}

# Product settings
RISKHUB_BASE_URL = env_str("RISKHUB_BASE_URL", "http://127.0.0.1:8000")  # links in emails
RISK_REVIEW_MONTHS_HIGH = env_int("RISK_REVIEW_MONTHS_HIGH", 6, minimum=1)
RISK_REVIEW_MONTHS_DEFAULT = env_int("RISK_REVIEW_MONTHS_DEFAULT", 12, minimum=1)
RISK_ACCEPTANCE_MAX_DAYS = env_int("RISK_ACCEPTANCE_MAX_DAYS", 1095, minimum=1)
# The windows of the "expiring" figures (DESIGN.md "One truth"): the dashboard, the
# reports and the notification emails all read these two, and nothing else.
# RISK_ACCEPTANCE_WARN_DAYS is the older name of the acceptance window.
ACCEPTANCE_EXPIRY_WINDOW_DAYS = env_int(
    "ACCEPTANCE_EXPIRY_WINDOW_DAYS",
    env_int("RISK_ACCEPTANCE_WARN_DAYS", 30, minimum=0),
    minimum=0,
)
EVIDENCE_EXPIRY_WINDOW_DAYS = env_int("EVIDENCE_EXPIRY_WINDOW_DAYS", 30, minimum=0)
# "What waits for me": a treatment due within this many days is listed.
TREATMENT_DUE_WINDOW_DAYS = env_int("TREATMENT_DUE_WINDOW_DAYS", 14, minimum=0)
# "What waits for me": a finished report is listed as ready for this many days.
REPORT_READY_DAYS = env_int("REPORT_READY_DAYS", 7, minimum=0)
REPORT_RETENTION_DAYS = env_int("REPORT_RETENTION_DAYS", 365, minimum=1)
# Report signatures (riskhub/reports/signing.py). Either a PEM key and certificate, or a
# PKCS#12 bundle, from the organisation's CA; REPORT_SIGNING_CHAIN names the CA
# certificate(s) (PEM) that verifiers trust. Without any, a local CA and a leaf
# certificate under it are generated into VAR_DIR/report-signing/ on first use.
REPORT_SIGNING_KEY = env_str("REPORT_SIGNING_KEY")
REPORT_SIGNING_CERT = env_str("REPORT_SIGNING_CERT")
REPORT_SIGNING_KEY_PASSWORD = env_str("REPORT_SIGNING_KEY_PASSWORD")
REPORT_SIGNING_PKCS12 = env_str("REPORT_SIGNING_PKCS12")
REPORT_SIGNING_PKCS12_PASSWORD = env_str("REPORT_SIGNING_PKCS12_PASSWORD")
REPORT_SIGNING_CHAIN = env_str("REPORT_SIGNING_CHAIN")
# RFC 3161 time-stamping authority; with it, PAdES B-T, and B-LT (validation data in the
# document security store) unless REPORT_SIGNING_LTV is off. REPORT_TSA_TRUST names the
# TSA's root certificate(s) (PEM) so a verifier can check the timestamp's chain.
REPORT_TSA_URL = env_str("REPORT_TSA_URL")
REPORT_TSA_TRUST = env_str("REPORT_TSA_TRUST")
REPORT_TSA_TIMEOUT_SECONDS = env_int("REPORT_TSA_TIMEOUT_SECONDS", 10, minimum=1)
REPORT_SIGNING_LTV = env_bool("REPORT_SIGNING_LTV", True)
# The public verification page and API (/reports/check/, /api/v1/reports/check/): no login.
REPORT_PUBLIC_VERIFY = env_bool("REPORT_PUBLIC_VERIFY", True)
REPORT_PUBLIC_VERIFY_RATE = env_str("REPORT_PUBLIC_VERIFY_RATE", "30/hour")
REPORT_PUBLIC_VERIFY_MAX_BYTES = env_int(
    "REPORT_PUBLIC_VERIFY_MAX_BYTES", 25 * 1024 * 1024, minimum=1024
)
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
# Inventory imports: CSV and XLSX stream (IMPORT_MAX_BYTES); JSON and CycloneDX are read
# as whole documents (IMPORT_DOCUMENT_MAX_BYTES). More rows than IMPORT_SYNC_MAX_ROWS run
# on a worker as an import job with live progress.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 100 * 1024 * 1024, minimum=1)
IMPORT_DOCUMENT_MAX_BYTES = env_int("IMPORT_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
IMPORT_SYNC_MAX_ROWS = env_int("IMPORT_SYNC_MAX_ROWS", 1000, minimum=0)
IMPORT_JOB_STALE_SECONDS = env_int("IMPORT_JOB_STALE_SECONDS", 120, minimum=10)
# AI security scan imports (riskhub/scans). The raw report is stored as evidence (so
# EVIDENCE_MAX_BYTES bounds it) of the controls it tests, valid this many days; a
# threat whose failure rate is above the threshold (percent) opens a draft
# reassessment; each finding keeps a few failing examples, each cut to a length.
SCAN_EVIDENCE_VALID_DAYS = env_int("SCAN_EVIDENCE_VALID_DAYS", 90, minimum=1)
SCAN_FAILURE_THRESHOLD_PERCENT = env_int("SCAN_FAILURE_THRESHOLD_PERCENT", 10, minimum=0)
SCAN_EXAMPLES_PER_FINDING = env_int("SCAN_EXAMPLES_PER_FINDING", 5, minimum=0)
SCAN_EXAMPLE_MAX_CHARS = env_int("SCAN_EXAMPLE_MAX_CHARS", 2000, minimum=100)
# The dashboard's "tested in the last N days" figure.
SCAN_TESTED_WINDOW_DAYS = env_int("SCAN_TESTED_WINDOW_DAYS", 90, minimum=1)
# MLflow model-registry sync (registries are configured on /inventory/mlflow/; each names
# the environment variable that holds its token). The interval is read by the beat
# schedule in riskhub/inventory/schedule.py.
MLFLOW_TIMEOUT_SECONDS = env_int("MLFLOW_TIMEOUT_SECONDS", 30, minimum=1)
MLFLOW_PAGE_SIZE = env_int("MLFLOW_PAGE_SIZE", 1000, minimum=1)
# Outbound webhooks (admins register endpoints on /webhooks/). A failed delivery is
# tried again after base x 2^(n-1) seconds (at most WEBHOOK_RETRY_MAX_SECONDS) until
# WEBHOOK_MAX_ATTEMPTS attempts. Only public addresses receive webhooks, plus the CIDRs
# in WEBHOOK_ALLOWED_NETWORKS; WEBHOOK_ALLOW_LOOPBACK (development and tests) also
# allows http:// and https:// on loopback.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30, minimum=1)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 3600, minimum=1)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
WEBHOOK_RESPONSE_LOG_BYTES = env_int("WEBHOOK_RESPONSE_LOG_BYTES", 2048, minimum=0)
WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", DEBUG)
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", [])
for _cidr in WEBHOOK_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_cidr, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"WEBHOOK_ALLOWED_NETWORKS: {_cidr!r} is not a network (CIDR)."
        ) from None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every rendering step at INFO, even its own stylesheet at import.
        "weasyprint.progress": {"level": "WARNING"},
    },
}
CSRF_FAILURE_VIEW = "riskhub.core.views.csrf_failure"
