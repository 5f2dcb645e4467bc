"""Django settings, all read from the environment (see README "Configuration").

With no DATABASE_URL an embedded PostgreSQL is started in the data folder, so a fresh
checkout runs with nothing installed but Python and uv.
"""

from __future__ import annotations

import os
import secrets
from decimal import Decimal
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# The data folder holds the embedded database, the generated secret key and uploads.
DATA_DIR = Path(os.environ.get("REFORMER_DATA_DIR", BASE_DIR / "var")).resolve()


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    # Generated once and kept beside the data so sessions survive restarts.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "allauth",
    "allauth.account",
    "anymail",
    "procrastinate.contrib.django",
    "reformer.core",
    "reformer.accounts",
    "reformer.studios",
    "reformer.scheduling",
    "reformer.billing",
    "reformer.bookings",
    "reformer.notifications",
    "reformer.payments",
    "reformer.analytics",
    "reformer.calendars",
    "reformer.reports",
    "reformer.appointments",
    "reformer.onboarding",
    "ninja",
    "reformer.api",
    "reformer.webhooks",
    "reformer.portability",
    "reformer.web",
    "reformer.web.owner",
    "reformer.web.profile",
    "reformer.web.client",
    "reformer.web.staff",
    "reformer.web.calendars",
    "reformer.web.reports",
    "reformer.web.payments",
    "reformer.web.frontdoor",
    "reformer.web.messaging",
    "reformer.web.integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Permissions-Policy; Secure cookies on HTTPS requests (web/security.py).
    "reformer.web.security.SecurityHeadersMiddleware",
    # Content-Security-Policy (settings below): no inline script anywhere.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and fragments gzipped (text only; below WhiteNoise: static files are already
    # compressed): web/compression.py, docs/architecture.md "Compressed pages".
    "reformer.web.compression.TextGZipMiddleware",
    # The database connection back to the pool once the response is built, not after the
    # event loop has sent it (web/connection_release.py): above every middleware using it.
    "reformer.web.connection_release.ReleaseConnectionMiddleware",
    # Every error under /api/ as application/problem+json, also Django's own 404/405/400
    # pages; bodies over DATA_UPLOAD_MAX_MEMORY_SIZE refused with 413 (web/api/fallback.py).
    "reformer.web.api.fallback.ApiProblemMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # NUL in a query string or form: 400 before any view (web/middleware.py).
    "reformer.web.middleware.RejectNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # request.membership: the organization this request acts in (web/middleware.py).
    "reformer.web.middleware.CurrentMembershipMiddleware",
    # Django messages on htmx responses become out-of-band toasts.
    "reformer.web.middleware.HtmxMessagesMiddleware",
    # Uncaught DomainError -> 404/403/422 page, or a toast for htmx (web/errors.py).
    "reformer.web.errors.DomainErrorMiddleware",
]

ROOT_URLCONF = "reformer.urls"
ASGI_APPLICATION = "reformer.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reformer.web.context.navigation",
            ],
            # {% component %} (shared components) without {% load ui %} in every template.
            "builtins": ["reformer.web.templatetags.ui", "reformer.web.templatetags.when"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------

if os.environ.get("DATABASE_URL"):
    DATABASE_URL = os.environ["DATABASE_URL"]
    EMBEDDED_DATABASE = False
else:
    from reformer import embedded_db

    DATABASE_URL = embedded_db.database_url(DATA_DIR / "postgres")
    EMBEDDED_DATABASE = True

DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
DATABASES["default"].setdefault("OPTIONS", {})
# A short statement-level lock wait: a lock held longer becomes "busy, please try again".
DATABASES["default"]["OPTIONS"].setdefault("options", "-c lock_timeout=3000")
# A statement cap for the web server (`reformer serve` sets 30 s: a booking that takes longer
# is rolled back and the client told to retry, PHX-10). Off by default so migrations, the
# demo loader and benchmarks are not cut short.
if STATEMENT_TIMEOUT_MS := int(os.environ.get("DATABASE_STATEMENT_TIMEOUT_MS", "0")):
    DATABASES["default"]["OPTIONS"]["options"] += f" -c statement_timeout={STATEMENT_TIMEOUT_MS}"
# A bounded pool for the web server (`reformer serve` turns it on): requests and websocket
# renders then reuse connections instead of opening one each (500 live clients: 2.1 s ->
# 0.45 s in bench/browse.py). Throughput collapses past ~16 busy connections on 2 cores.
# A request that cannot get a connection within DATABASE_POOL_TIMEOUT seconds answers 503
# with Retry-After (web/unavailable.py) rather than waiting on. Connections are checked
# before use, so a restarted database is picked up at once, not by failing requests. Live
# rendering may hold at most LIVE_RENDER_CONNECTIONS of them (web/live_share.py).
# `serve --workers N` gives each of its N web processes 16 // N (cli.pool_per_process).
DATABASE_POOL_TIMEOUT = float(os.environ.get("DATABASE_POOL_TIMEOUT", "3"))
if DATABASE_POOL_SIZE := int(os.environ.get("DATABASE_POOL_SIZE", "0")):
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        "timeout": DATABASE_POOL_TIMEOUT,
    }
    # With the pool: each connection is checked as it is handed out.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
LIVE_RENDER_CONNECTIONS = int(
    os.environ.get(
        "LIVE_RENDER_CONNECTIONS", max(1, DATABASE_POOL_SIZE // 4) if DATABASE_POOL_SIZE else 4
    )
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# User.email is unique case-insensitively by a functional constraint (accounts.User.Meta),
# which Django's check for a field-level unique flag cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

# --- Auth (django-allauth, email login) -------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SIGNUP_FORM_CLASS = "reformer.web.accounts.forms.SignupExtraForm"
# Sign-up reveals nothing about who is registered; sign-in failures slow down by address and
# by account with growing delays (web/accounts/adapter.py, web/accounts/throttle.py).
ACCOUNT_ADAPTER = "reformer.web.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "reformer.web.accounts.adapter.SignupForm"}
ACCOUNT_PREVENT_ENUMERATION = True
# Behind the proxy (TRUST_X_FORWARDED_PROTO), sign-in throttling by address must see the
# client's address from X-Forwarded-For, not the proxy's (which every visitor shares).
ALLAUTH_TRUSTED_PROXY_COUNT = int(
    os.environ.get(
        "TRUSTED_PROXY_COUNT",
        "1" if env_bool("TRUST_X_FORWARDED_PROTO", env_bool("SECURE_SSL")) else "0",
    )
)
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if env_bool("SECURE_SSL") else "http"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Reformer] "
# A failed CSRF check shows our 403 page (or a toast for htmx) with a hint to reload.
CSRF_FAILURE_VIEW = "reformer.web.errors.csrf_failure"
# Absolute links in emails sent outside a request (staff invitations, jobs).
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")
# The installed app's version (PHX-26) is a digest of the static files plus this: set it
# per deploy to make installed apps offer "New version available" even when no static
# file changed (web/pwa/version.py).
PWA_VERSION = os.environ.get("REFORMER_VERSION", "")

AUTH_PASSWORD_VALIDATORS = [
    # First, so an absurdly long password is refused before the similarity check reads it.
    {"NAME": "reformer.accounts.passwords.MaximumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Security (production-safe defaults; HTTPS-only settings when SECURE_SSL is on) ----------

SECURE_SSL = env_bool("SECURE_SSL")
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto, so requests it says are HTTPS
# are (request.is_secure(): Secure cookies, https links), without forcing HTTPS-only.
TRUST_X_FORWARDED_PROTO = env_bool("TRUST_X_FORWARDED_PROTO", SECURE_SSL)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUST_X_FORWARDED_PROTO else None
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# No inline script or eval: every script is a static file (htmx keeps its indicator styles
# in app.css: includeIndicatorStyles=false in base.html). Inline style attributes stay
# allowed (brand colours, spot-map positions); <style> elements do not. Photos may live on
# S3, hence https: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", "https:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # Checkout and the Customer Portal are Stripe's pages: forms redirect there.
        "form-action": ["'self'", "https://checkout.stripe.com", "https://billing.stripe.com"]
        + ([os.environ["STRIPE_API_BASE"]] if os.environ.get("STRIPE_API_BASE") else []),
        # Our own pages only (the owner's email preview is an iframe of ours).
        "frame-ancestors": ["'self'"],
    }
}

# --- Internationalisation: store UTC, show in the studio's zone ------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise warns at every start when STATIC_ROOT is missing, even with finders in use.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "web" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
# `reformer serve` collects the static files at start into STATIC_ROOT under content-hashed
# names with gzip copies (cli._collect_static), and WhiteNoise serves those cached for a
# year ("immutable"): a changed file gets a new name. Other processes (tests, `manage`)
# serve the source files from the app folders under their plain names, no collect needed.
STATIC_MANIFEST = env_bool("REFORMER_STATIC_MANIFEST")
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = DEBUG and not STATIC_MANIFEST

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}

# --- Email --------------------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Reformer <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# EMAIL_PROVIDER: resend (the first provider), postmark, mailgun, sendgrid, amazon_ses (any
# anymail provider, configured by ANYMAIL_<SETTING> variables, e.g. ANYMAIL_POSTMARK_SERVER_TOKEN),
# smtp (EMAIL_HOST...), or file (the default with nothing configured: data folder "mail").
EMAIL_PROVIDER = os.environ.get(
    "EMAIL_PROVIDER",
    "resend"
    if os.environ.get("RESEND_API_KEY")
    else "smtp"
    if os.environ.get("EMAIL_HOST")
    else "file",
).lower()
ANYMAIL_BACKENDS = {
    # Anymail's own backend plus Resend's Idempotency-Key (notifications/transports).
    "resend": "reformer.notifications.transports.resend_backend.EmailBackend",
    "postmark": "anymail.backends.postmark.EmailBackend",
    "mailgun": "anymail.backends.mailgun.EmailBackend",
    "sendgrid": "anymail.backends.sendgrid.EmailBackend",
    "amazon_ses": "anymail.backends.amazon_ses.EmailBackend",
    "brevo": "anymail.backends.brevo.EmailBackend",
    "mailjet": "anymail.backends.mailjet.EmailBackend",
}
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_") and value
}
for _name in ("RESEND_API_KEY", "RESEND_SIGNING_SECRET", "RESEND_API_URL"):
    if os.environ.get(_name):
        ANYMAIL.setdefault(_name, os.environ[_name])
if EMAIL_PROVIDER in ANYMAIL_BACKENDS:
    EMAIL_BACKEND = ANYMAIL_BACKENDS[EMAIL_PROVIDER]
elif EMAIL_PROVIDER == "smtp":
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    # Nothing configured: keep every message as a file in the data folder to read locally.
    EMAIL_PROVIDER = "file"
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"

# --- SMS (Twilio Messaging Service; without it texts go to a local log) -------------------------

TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "")
# Only to point the client at a local fake in tests and benchmarks.
TWILIO_API_BASE_URL = os.environ.get("TWILIO_API_BASE_URL", "")
# What one SMS segment costs, for the spend shown to owners when Twilio gives no price yet.
SMS_PRICE_PER_SEGMENT = Decimal(os.environ.get("SMS_PRICE_PER_SEGMENT", "0.0083"))
SMS_LOG_PATH = DATA_DIR / "sms.log"


# Web Push (PHX-26): the VAPID key pair that signs our push requests, generated once into
# the data folder like the secret key (the public half is what browsers subscribe with, so
# it must survive restarts), unless VAPID_PRIVATE_KEY_FILE names another PEM file.
def _vapid_key_file() -> Path:
    if path := os.environ.get("VAPID_PRIVATE_KEY_FILE"):
        return Path(path)
    key_file = DATA_DIR / "vapid_private.pem"
    if not key_file.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Written whole under another name, then linked: two processes starting at once
        # end up with the same key.
        partial = key_file.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(pem)
        partial.chmod(0o600)
        try:
            os.link(partial, key_file)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    return key_file


VAPID_PRIVATE_KEY_FILE = _vapid_key_file()
# Push services contact this address about our traffic (a mailto: or https: URL).
VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:no-reply@localhost")
# Subscriptions must name an https push service; tests run a fake one on 127.0.0.1.
PUSH_ALLOW_HTTP_ENDPOINTS = env_bool("PUSH_ALLOW_HTTP_ENDPOINTS")
# Push endpoints on loopback/private hosts (IP literals, localhost, other ports): only for a
# local fake push service (tests, bench). Off, the server never POSTs inside (SSRF).
PUSH_ALLOW_PRIVATE_HOSTS = env_bool("PUSH_ALLOW_PRIVATE_HOSTS")
# A message "sending" for longer than this was left by a dead worker (notifications.recovery).
OUTBOX_STALE_SECONDS = int(os.environ.get("OUTBOX_STALE_SECONDS", "120"))
# Provider calls in flight at once while a batch of messages goes out (notifications.batch).
NOTIFICATIONS_SEND_CONCURRENCY = int(os.environ.get("NOTIFICATIONS_SEND_CONCURRENCY", "8"))

# --- Live updates (Channels) --------------------------------------------------------------------

if os.environ.get("REDIS_URL"):
    # Every key and pub/sub channel of one installation starts with REDIS_PREFIX, so that two
    # installations (or a staging copy, or two test clusters) can share one Redis. Pub/sub
    # channels ignore Redis's database number: only a prefix keeps them apart.
    REDIS_PREFIX = os.environ.get("REDIS_PREFIX", "reformer")
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: a group event crosses Redis once per process, which hands it to its
            # own sockets. (The list-based RedisChannelLayer queued one copy per socket and
            # each process popped them one round trip at a time: a thousand per booking.)
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # A read timeout well above the layer's 0.1 s polls: redis-py 8's default would
            # cut an idle connection's wait short (TimeoutError, socket lost).
            "CONFIG": {
                "hosts": [{"address": os.environ["REDIS_URL"], "socket_timeout": 30}],
                "prefix": f"{REDIS_PREFIX}.live",
            },
        }
    }
    # Several processes or nodes share one count of sign-in failures, throttles and circuit
    # breakers (Django's default cache is per process).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
else:
    # One process: Channels' in-memory layer, without its per-receive sweep (web/channel_layers.py).
    CHANNEL_LAYERS = {"default": {"BACKEND": "reformer.web.channel_layers.LocalChannelLayer"}}

# --- Jobs (Procrastinate) -----------------------------------------------------------------------

# Tasks live in each app's jobs.py (ARCHITECTURE §2); the app object is
# procrastinate.contrib.django.app. The in-process worker is started by `reformer serve`.
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "jobs"

# --- Payments (Stripe) -------------------------------------------------------------------------

# Each organization enters its own Stripe keys (payments settings page). This points the
# stripe client at another API server (tests and benchmarks use the fake in
# integrations/stripe/fake.py); empty = api.stripe.com.
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")

# --- Logging ------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "reformer": {"level": os.environ.get("LOG_LEVEL", "INFO")},
        "procrastinate": {"level": "WARNING"},
    },
}
