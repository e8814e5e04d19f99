"""Settings for the compute-grant portal.

With no environment variable set the portal runs on embedded defaults: SQLite,
Celery tasks executed eagerly, e-mail to the console and the staff mailbox page,
and the dry-run scheduler backend. Production variables are listed in README.md.
"""

from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from portal.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", True)
# The development key is only accepted while DEBUG is on (see the check below).
_DEV_SECRET = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEV_SECRET)
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("PORTAL_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allocations",
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
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allocations.accounts.middleware.StaffMfaRequiredMiddleware",
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
                "allocations.core.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts (django-allauth) ---------------------------------------------
AUTH_USER_MODEL = "allocations.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:dashboard"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SIGNUP_FORM_CLASS = "allocations.accounts.forms.SignupProfileForm"
ACCOUNT_ADAPTER = "allocations.accounts.adapters.PortalAccountAdapter"
# allauth's own defaults, stated so that nobody switches them off by accident.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Compute Grant Portal"
# Staff roles must have TOTP before they can use the portal (middleware).
PORTAL_STAFF_MFA_REQUIRED = env_bool("PORTAL_STAFF_MFA_REQUIRED", True)

# --- Internationalisation --------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English"))]
# locale/: our own strings (makemessages). locale/vendor/: Kazakh for allauth and for the
# Django strings that Django ships untranslated in Kazakh; maintained by hand.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "vendor"]
TIME_ZONE = env_str("PORTAL_TIME_ZONE", "Asia/Almaty")
USE_I18N = True
USE_TZ = True

# --- Static and private files ----------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Attachments live outside any public URL and are served by a view that checks access.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env_str("PORTAL_PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private-media")),
            "base_url": None,
        },
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
PORTAL_ATTACHMENT_MAX_BYTES = env_int("PORTAL_ATTACHMENT_MAX_MB", 10) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- E-mail (Django 6.1 MAILERS) ------------------------------------------------
# Default: printed to the console and stored for the staff mailbox page.
EMAIL_BACKEND_PATH = env_str("EMAIL_BACKEND", "allocations.core.mail.ConsoleAndMailboxBackend")
_SMTP = "django.core.mail.backends.smtp.EmailBackend"
MAILERS = {
    "default": {
        "BACKEND": EMAIL_BACKEND_PATH,
        "OPTIONS": (
            {
                "host": env_str("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 25),
                "username": env_str("EMAIL_HOST_USER"),
                "password": env_str("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "timeout": 20,
            }
            if EMAIL_BACKEND_PATH == _SMTP
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Compute Grant Portal <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
# Without a broker, tasks run in the web process as they are called.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# --- Scheduler ---------------------------------------------------------------
SCHEDULER_BACKEND = env_str("SCHEDULER_BACKEND", "dry-run")
SLURM_REST_URL = env_str("SLURM_REST_URL", "")
SLURM_REST_USER = env_str("SLURM_REST_USER", "")
SLURM_REST_TOKEN = env_str("SLURM_REST_TOKEN", "")
SLURM_REST_API_VERSION = env_str("SLURM_REST_API_VERSION", "v0.0.38")
SLURM_REST_TOKEN_FILE = env_str("SLURM_REST_TOKEN_FILE", "")  # re-read per request
SLURM_REST_TIMEOUT = env_float("SLURM_REST_TIMEOUT", 15.0)  # seconds per request
SLURM_CLUSTER_NAME = env_str("SLURM_CLUSTER_NAME", "kazgpu")
# An account under root that the portal touches before modifying another account's
# association (a Slurm 22.05 bug; scripts/slurm-cluster creates it).
SLURM_SENTINEL_ACCOUNT = env_str("SLURM_SENTINEL_ACCOUNT", "portal_sentinel")
# Failed scheduler operations are retried after base * 2^(attempts-1) seconds, capped.
SCHEDULER_RETRY_BASE_SECONDS = env_float("SCHEDULER_RETRY_BASE_SECONDS", 2.0)
SCHEDULER_RETRY_MAX_SECONDS = env_float("SCHEDULER_RETRY_MAX_SECONDS", 300.0)
# How long one worker may hold an account while converging it (longer than all of its
# requests can take together); a crashed worker's hold expires after this.
SCHEDULER_LEASE_SECONDS = env_int("SCHEDULER_LEASE_SECONDS", 300)
# Slurm accounts are named <prefix><project>_a<application>, e.g. p00012_a000034. A staging
# portal sharing a cluster with production takes another prefix, so neither touches the
# other's accounts. Lower-case letters only.
SLURM_ACCOUNT_PREFIX = env_str("SLURM_ACCOUNT_PREFIX", "p")
# Usage ingestion (slurmdbd jobs): each run re-reads this many minutes before the end of
# the last successful window (late records, clock and time-zone differences); the first
# run reads this many days back.
USAGE_OVERLAP_MINUTES = env_int("USAGE_OVERLAP_MINUTES", 120)
USAGE_FIRST_WINDOW_DAYS = env_int("USAGE_FIRST_WINDOW_DAYS", 35)

# --- Security ----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# No inline script or style anywhere: every script is a static file.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PORTAL_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
