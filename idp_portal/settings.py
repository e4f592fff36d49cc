"""Settings for the portal, read from the environment (see the variable table in README.md).

With nothing set, the portal runs on embedded defaults that need no server: SQLite and a
filesystem Celery broker in the data folder, a local-memory cache, bare git repositories.
"""

import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONE, SELF

from .env import (
    SettingsError,
    envbool,
    envdatabase,
    envint,
    envlist,
    envpath,
    envstr,
    envurl,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = envbool("DEBUG", default=False)
DATA_DIR = envpath("IDP_DATA_DIR", BASE_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise SettingsError(
            "SECRET_KEY is not set: production (DEBUG=false) needs a long random value, "
            "e.g. SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    SECRET_KEY = "dev-only-insecure-key-never-used-when-DEBUG-is-false"  # noqa: S105
elif not DEBUG and len(SECRET_KEY) < 50:
    raise SettingsError("SECRET_KEY is too short for production: use 50 or more random characters")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Django's admin on the portal's site: every write audited, sign-in through allauth, TOTP
    # for platform admins.
    "idp_portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_filters",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.github",
    "idp_portal",
    "catalog",
    "provisioning",
    "observability",
    "feedback",
]

MIDDLEWARE = [
    # First, so every later log line of the request (and every task it sends) carries its id.
    "idp_portal.request_ids.RequestIdMiddleware",
    # Requests by view and status and their latency, for /metrics (idp_portal/metrics.py).
    "idp_portal.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Permissions-Policy on every response: the portal uses no camera, microphone, location ...
    "idp_portal.middleware.PermissionsPolicyMiddleware",
    # Bodies over MAX_REQUEST_BODY_BYTES get 413 before anything (CSRF included) reads them.
    "idp_portal.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who, from where: every audit event of this request carries its IP, user agent and channel.
    "idp_portal.audit.AuditContextMiddleware",
    # API requests may sign in with a personal access token instead of the session (after
    # the audit context, so token.use events carry the caller's address).
    "idp_portal.middleware.ApiTokenMiddleware",
    # Every view needs a signed-in user unless it is marked @login_not_required.
    "idp_portal.middleware.PortalLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

# Request bodies: the API and forms need far less; larger bodies are refused with 413.
MAX_REQUEST_BODY_BYTES = 64 * 1024
# The catalog descriptor upload reads files through its own size guard (catalog/forms_import.py).
# GitHub's webhook deliveries (a push lists its commits) read theirs up to WEBHOOK_MAX_BYTES.
REQUEST_BODY_LIMIT_EXEMPT = ["/catalog/import/", "/hooks/github/"]
WEBHOOK_MAX_BYTES = 2 * 1024 * 1024
# Django's own check on non-file form data, kept equal so the two limits never disagree.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

ROOT_URLCONF = "idp_portal.urls"
WSGI_APPLICATION = "idp_portal.wsgi.application"

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
                "idp_portal.context_processors.portal",
                "feedback.survey.context_processors.survey_banner",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {"default": envdatabase("DATABASE_URL", f"sqlite:///{DATA_DIR / 'portal.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the Celery worker write to the same file: wait for locks instead of
    # failing, and take the write lock up front so two writers never deadlock on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------------------
CACHE_URL = envurl("CACHE_URL", {"redis", "rediss"}, "redis://127.0.0.1:6379/1")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = envurl(
    "CELERY_BROKER_URL", {"redis", "rediss", "filesystem", "amqp"}, "redis://127.0.0.1:6379/0"
)
BROKER_DIR = DATA_DIR / "broker"
if not CELERY_BROKER_URL:
    # kombu's filesystem transport: messages are files in the data folder, no server needed.
    CELERY_BROKER_URL = "filesystem://"
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # A message not acknowledged within an hour is redelivered; must exceed the hard limit.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # kombu's Redis transport with one Redis client per channel, not one per message sent
    # (0.2-0.4 ms of every publish): idp_portal/broker.py.
    CELERY_BROKER_TRANSPORT = "idp_portal.broker:Transport"
# The database holds every job's state; Celery only executes, so no result backend.
CELERY_TASK_IGNORE_RESULT = True
# Acknowledge after the task finishes, so a task whose worker dies is delivered again ...
CELERY_TASK_ACKS_LATE = True
# ... including when the worker process is killed outright (SIGKILL, OOM).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per process: a slow cloud call never holds others hostage.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Cloud calls can be slow (an RDS instance takes minutes to report), but never an hour:
# the soft limit lets a task record why it stopped, the hard limit frees the process.
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 900, minimum=1)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 960, minimum=1)
# On a cold shutdown (SIGQUIT; SIGTERM too in a pod, where REMAP_SIGTERM=SIGQUIT), running tasks
# get this many seconds to finish; the rest are handed back to the queue (acks late), never lost.
# 0 cancels them at once; the pod's grace period must be longer (deploy/base/worker.yaml).
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = float(envint("CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT", 0))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
# The worker logs through LOGGING above (JSON lines with the request id), not Celery's format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# A beat holds a lock in the broker's Redis while it runs (idp_portal/beat_lock.py), so a second
# beat waits instead of sending every periodic task twice; a beat that stops renewing it (a
# frozen or cut-off pod) loses it after this many seconds, and the next one takes over.
BEAT_LOCK_SECONDS = envint("BEAT_LOCK_SECONDS", 60, minimum=10)
# Its Redis key; only two portals sharing one Redis database need different ones.
BEAT_LOCK_KEY = envstr("BEAT_LOCK_KEY", "idp-portal:celery-beat")
CELERY_BEAT_SCHEDULE = {
    # Opens and closes (anonymises) survey cycles at their times; a few minutes late is fine.
    "open-and-close-survey-cycles": {
        "task": "feedback.survey.tasks.open_and_close_cycles",
        "schedule": 300.0,
    },
    "clear-expired-sessions": {
        "task": "idp_portal.tasks.clear_expired_sessions",
        "schedule": 3600.0,
    },
    # Drops audit events past AUDIT_RETENTION_DAYS; daily is enough for a limit in days.
    "purge-audit-events": {
        "task": "idp_portal.tasks.purge_audit_events",
        "schedule": 86400.0,
    },
    # Finds requests whose worker died or whose message was lost; must run well within the lease.
    "reconcile-stalled-requests": {
        "task": "provisioning.tasks.reconcile_stalled_requests",
        "schedule": 15.0,
    },
    "check-resource-drift": {
        "task": "provisioning.tasks.check_resource_drift",
        "schedule": envint("DRIFT_CHECK_SECONDS", 900, minimum=60),
    },
    # Counts the unfiltered catalog after a catalog change, before its first visitor does.
    "warm-catalog-counts": {
        "task": "catalog.tasks.warm_counts",
        "schedule": 20.0,
    },
    # Reads the GitOps repository and the observability stack: every service's five signals.
    "refresh-observability-coverage": {
        "task": "observability.tasks.refresh_coverage",
        "schedule": envint("OBSERVABILITY_REFRESH_SECONDS", 300, minimum=30),
    },
}
# How long the audit trail is kept; past this, events are purged daily (at least 30 days).
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", 400, minimum=30)
# A running request whose heartbeat is older than this is taken over by another worker.
PROVISIONING_LEASE_SECONDS = envint("PROVISIONING_LEASE_SECONDS", 60, minimum=5)
# A catalog of at least this many components counts its searches from an in-memory index per
# web process (catalog/search_index.py, about 220 MB at 1,000,000); 0 turns the index off.
CATALOG_SEARCH_INDEX_MIN_ROWS = envint("CATALOG_SEARCH_INDEX_MIN_ROWS", 50_000)
PROVISIONING_MAX_ATTEMPTS = envint("PROVISIONING_MAX_ATTEMPTS", 6, minimum=1)
# A queued request untouched this long is presumed to have lost its message (e.g. a flushed
# Redis) and is sent again; longer than the lease, since queued requests wait under load.
PROVISIONING_QUEUED_RESEND_SECONDS = envint("PROVISIONING_QUEUED_RESEND_SECONDS", 600, minimum=5)

# --- Authentication (django-allauth) ------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "idp_portal.auth.PortalAccountAdapter"
SOCIALACCOUNT_ADAPTER = "idp_portal.auth.PortalSocialAccountAdapter"
# Users come from single sign-on; local self sign-up is off unless explicitly enabled.
ACCOUNT_ALLOW_SIGNUP = envbool("ACCOUNT_ALLOW_SIGNUP", default=False)
SOCIALACCOUNT_ALLOW_SIGNUP = envbool("SOCIALACCOUNT_ALLOW_SIGNUP", default=True)
SOCIALACCOUNT_PROVIDERS: dict = {}
OIDC_CLIENT_ID = envstr("OIDC_CLIENT_ID")
if OIDC_CLIENT_ID:
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "APPS": [
            {
                "provider_id": envstr("OIDC_PROVIDER_ID", "sso"),
                "name": envstr("OIDC_PROVIDER_NAME", "Single sign-on"),
                "client_id": OIDC_CLIENT_ID,
                "secret": envstr("OIDC_CLIENT_SECRET"),
                "settings": {
                    "server_url": envurl(
                        "OIDC_SERVER_URL", {"https", "http"}, "https://sso.example.com/realms/eng"
                    )
                },
            }
        ]
    }
    if not SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]["settings"]["server_url"]:
        raise SettingsError(
            "OIDC_CLIENT_ID is set but OIDC_SERVER_URL is not: "
            "set it to the issuer URL, e.g. OIDC_SERVER_URL=https://sso.example.com/realms/eng"
        )
GITHUB_CLIENT_ID = envstr("GITHUB_CLIENT_ID")
if GITHUB_CLIENT_ID:
    SOCIALACCOUNT_PROVIDERS["github"] = {
        "APPS": [{"client_id": GITHUB_CLIENT_ID, "secret": envstr("GITHUB_CLIENT_SECRET")}],
        "SCOPE": ["read:user", "user:email", "read:org"],
    }
# Who may sign in through SSO (idp_portal/auth.py); empty means anyone the provider vouches for,
# which `manage.py check --deploy` warns about.
GITHUB_ALLOWED_ORGS = {org.lower() for org in envlist("GITHUB_ALLOWED_ORGS", [])}
GITHUB_API_URL = envurl(
    "GITHUB_API_URL", {"https", "http"}, "https://api.github.com", "https://api.github.com"
)
OIDC_ALLOWED_DOMAINS = {domain.lower() for domain in envlist("OIDC_ALLOWED_DOMAINS", [])}

# Failed sign-ins: 5 wrong passwords per account in 5 minutes, 10 per address a minute
# (allauth's defaults, stated here because /admin/login/ now relies on them too).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# Two-factor authentication: an authenticator app and one-time recovery codes; platform admins
# must have one before the Django admin opens (idp_portal/admin_site.py).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Platform portal"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- E-mail (password reset) --------------------------------------------------------------
EMAIL_HOST = envstr("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "portal@localhost")

# --- External systems (drivers); empty means "not connected" ------------------------------
AWS_ENDPOINT_URL = envurl("AWS_ENDPOINT_URL", {"http", "https"}, "http://127.0.0.1:5000")
AWS_DEFAULT_REGION = envstr("AWS_DEFAULT_REGION", "eu-west-1")
KUBECONFIG = envstr("KUBECONFIG")
KUBERNETES_IN_CLUSTER = envbool("KUBERNETES_IN_CLUSTER", default=False)
VAULT_ADDR = envurl("VAULT_ADDR", {"http", "https"}, "https://vault.example.com:8200")
# A token from the environment (or a Kubernetes auth role below); never stored in the database.
VAULT_TOKEN = envstr("VAULT_TOKEN")
VAULT_K8S_AUTH_ROLE = envstr("VAULT_K8S_AUTH_ROLE")
VAULT_KV_MOUNT = envstr("VAULT_KV_MOUNT", "secret")
GIT_HOST = envstr("GIT_HOST", "local")
if GIT_HOST not in {"local", "github", "gitlab"}:
    raise SettingsError(f"GIT_HOST={GIT_HOST!r} is not known: use local, github or gitlab")
GIT_DIR = DATA_DIR / "git"
# GitHub as the git host (GIT_HOST=github, API at GITHUB_API_URL): repositories are made in
# GITHUB_ORG, as a GitHub App installation or with a fine-grained token (never stored elsewhere).
GITHUB_ORG = envstr("GITHUB_ORG")
GITHUB_TOKEN = envstr("GITHUB_TOKEN")
GITHUB_APP_ID = envstr("GITHUB_APP_ID")
GITHUB_APP_PRIVATE_KEY_FILE = envstr("GITHUB_APP_PRIVATE_KEY_FILE")
GITHUB_APP_INSTALLATION_ID = envstr("GITHUB_APP_INSTALLATION_ID")
if GITHUB_APP_ID and not (GITHUB_APP_INSTALLATION_ID.isdigit() and GITHUB_APP_PRIVATE_KEY_FILE):
    raise SettingsError(
        "GITHUB_APP_ID is set, so GITHUB_APP_PRIVATE_KEY_FILE (the App's .pem file) and "
        "GITHUB_APP_INSTALLATION_ID (the number in the installation's settings URL) must be too"
    )
if GIT_HOST == "github" and GITHUB_ORG and not (GITHUB_TOKEN or GITHUB_APP_ID):
    raise SettingsError(
        "GIT_HOST=github with GITHUB_ORG needs credentials: set GITHUB_TOKEN (a fine-grained "
        "token) or GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY_FILE and GITHUB_APP_INSTALLATION_ID"
    )
# A token that may push to the GitOps repository, stored as each new service's Actions secret
# GITOPS_TOKEN (the pipeline commits the new image tag with it); empty: teams add it by hand.
GITHUB_CI_GITOPS_TOKEN = envstr("GITHUB_CI_GITOPS_TOKEN")
# Local copies of the GitHub repositories the portal commits to (fetched before each read).
GIT_MIRROR_DIR = DATA_DIR / "git-mirrors"
# The repository every service's manifests and Argo CD applications are committed to.
GITOPS_REPOSITORY_NAME = envstr("GITOPS_REPOSITORY_NAME", "gitops")
if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}", GITOPS_REPOSITORY_NAME):
    raise SettingsError(
        f"GITOPS_REPOSITORY_NAME={GITOPS_REPOSITORY_NAME!r} is not a repository name: use "
        "letters, digits, '.', '_' and '-'"
    )

# --- Argo CD and deployment events (provisioning/argocd.py, provisioning/deploy_events/) ---
ARGOCD_SERVER = envurl("ARGOCD_SERVER", {"http", "https"}, "https://argocd.example.com")
# A read-and-sync account token for Argo CD's API; never stored in the database or logged.
ARGOCD_TOKEN = envstr("ARGOCD_TOKEN")
ARGOCD_TIMEOUT_SECONDS = envint("ARGOCD_TIMEOUT_SECONDS", 5, minimum=1)
# How often (seconds) a committed deployment is checked against Argo CD, and how many times.
ARGOCD_ROLLOUT_CHECK_SECONDS = envint("ARGOCD_ROLLOUT_CHECK_SECONDS", 30, minimum=1)
ARGOCD_ROLLOUT_CHECKS = envint("ARGOCD_ROLLOUT_CHECKS", 40, minimum=1)
# The secret GitHub signs webhook deliveries with (X-Hub-Signature-256); empty refuses them all.
GITHUB_WEBHOOK_SECRET = envstr("GITHUB_WEBHOOK_SECRET")
# Where webhooks cannot reach the portal: poll GitHub's workflow runs instead (seconds).
if GIT_HOST == "github" and not GITHUB_WEBHOOK_SECRET:
    CELERY_BEAT_SCHEDULE["poll-deploy-events"] = {
        "task": "provisioning.tasks.poll_deploy_events",
        "schedule": envint("DEPLOY_EVENTS_POLL_SECONDS", 300, minimum=60),
    }

# --- Observability stack (observability/conf.py); an empty URL means "not connected" -------
PROMETHEUS_URL = envurl(
    "PROMETHEUS_URL", {"http", "https"}, "http://prometheus.monitoring.svc:9090"
)
GRAFANA_URL = envurl("GRAFANA_URL", {"http", "https"}, "https://grafana.example.com")
# A Viewer service-account token for Grafana's search API; never stored in the database.
GRAFANA_TOKEN = envstr("GRAFANA_TOKEN")
# PagerDuty REST API: a general-access API key (read/write) for services, escalation policies,
# integrations and on-call reads; never stored in the database.
PAGERDUTY_API_TOKEN = envstr("PAGERDUTY_API_TOKEN")
PAGERDUTY_API_URL = envurl(
    # https only: the PagerDuty client library refuses any other scheme
    "PAGERDUTY_API_URL",
    {"https"},
    "https://api.pagerduty.com",
    "https://api.pagerduty.com",
)
LOKI_URL = envurl("LOKI_URL", {"http", "https"}, "http://loki.monitoring.svc:3100")
TEMPO_URL = envurl("TEMPO_URL", {"http", "https"}, "http://tempo.monitoring.svc:3200")
# Written into every service's tracing environment; port 4318 means OTLP over HTTP.
OTEL_EXPORTER_OTLP_ENDPOINT = envurl(
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    {"http", "https"},
    "http://otel-collector.observability.svc:4317",
    "http://otel-collector.observability.svc:4317",
)

# --- The portal's own observability (idp_portal/metrics.py, idp_portal/tracing.py) ----------
# /metrics wants `Authorization: Bearer <METRICS_TOKEN>` when set; unset, it is open with
# DEBUG=true and closed (403, naming this setting) in production.
METRICS_TOKEN = envstr("METRICS_TOKEN")
# Where gunicorn's workers keep their metric files (prometheus-client's multiprocess mode);
# read by prometheus-client itself from the environment, named here to document it.
PROMETHEUS_MULTIPROC_DIR = envstr("PROMETHEUS_MULTIPROC_DIR")
# A Celery worker serves its task metrics on this port at /metrics (0: not served).
WORKER_METRICS_PORT = envint("WORKER_METRICS_PORT", 0)
# The portal traces itself only when OTEL_EXPORTER_OTLP_ENDPOINT is in the environment (the
# setting above has a default for services' bundles, which must not switch tracing on here).
OTEL_SELF_TRACING = bool(envstr("OTEL_EXPORTER_OTLP_ENDPOINT"))
OTEL_SERVICE_NAME = envstr("OTEL_SERVICE_NAME", "idp-portal")

# --- Internationalisation, static files ---------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The image collects static files at build time into a folder outside the data folder, which
# is a writable volume in a pod (its root filesystem is read-only).
STATIC_ROOT = envpath("STATIC_ROOT", DATA_DIR / "staticfiles")
if not STATIC_ROOT.is_dir():
    STATIC_ROOT.mkdir(parents=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names let browsers cache forever in production; runserver serves plainly.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Content-Security-Policy (django-csp) --------------------------------------------------
# Scripts and styles come only from our static files: no inline <script>, no on*= handlers, no
# style= attributes, no eval (htmx is told so in base.html). Forms post to the portal, and the
# SSO sign-in form is answered with a redirect to the provider, which form-action also governs.
_sso_origins = []
if GITHUB_CLIENT_ID:
    _sso_origins.append("https://github.com")
if OIDC_CLIENT_ID:
    _oidc_url = urlsplit(
        SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]["settings"]["server_url"]
    )
    _sso_origins.append(f"{_oidc_url.scheme}://{_oidc_url.netloc}")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # data: for allauth's TOTP QR code
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF, *_sso_origins],
        "frame-ancestors": [NONE],
    }
}

# --- Production hardening (DEBUG=false) ---------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
# How many proxies in front append to X-Forwarded-For: the client's address (sign-in rate
# limits, the audit trail) is read that many entries from the right. 0 trusts no header, so
# behind a proxy every client would share its address and one person's failed sign-ins would
# lock everyone out; more than the real count would let a client choose its address.
ALLAUTH_TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0, minimum=0)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    # TLS ends at the proxy in front of gunicorn; it tells us the original scheme.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOG_LEVEL = envstr("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise SettingsError(
        f"LOG_LEVEL={LOG_LEVEL!r} is not a level: use DEBUG, INFO, WARNING or ERROR"
    )
# json: one JSON object a line for the log pipeline (production's default); text: for people.
LOG_FORMAT = envstr("LOG_FORMAT", "text" if DEBUG else "json").lower()
if LOG_FORMAT not in {"json", "text"}:
    raise SettingsError(f"LOG_FORMAT={LOG_FORMAT!r} is not a format: use json or text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "idp_portal.logs.JsonFormatter"},
    },
    # On the handler, so records of every logger (Celery's, Django's) carry the request id.
    "filters": {"request_id": {"()": "idp_portal.request_ids.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Never below INFO, even with LOG_LEVEL=DEBUG: botocore logs request bodies (an RDS
        # master password), urllib3 and hvac log headers with tokens at DEBUG.
        **{
            name: {
                "level": logging.getLevelName(max(logging.getLevelName(LOG_LEVEL), logging.INFO))
            }
            for name in ("botocore", "boto3", "urllib3", "s3transfer", "hvac")
        },
    },
}
