"""Settings for 淳安社区建设管理平台, all read from the environment.

Every variable is listed in the README's configuration table. The defaults are those of
production; `make run` sets the few that a local demo over plain HTTP needs.
"""

import datetime
import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# The portal refuses to start with a missing, short or well-known key: sessions and password
# reset links are signed with it. Without DJANGO_SECRET_KEY it reads DJANGO_SECRET_KEY_FILE,
# by default the key `make run` generates once into var/secret_key, so that manage.py works
# in a checkout where the demo has run.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    key_file = Path(env.str("DJANGO_SECRET_KEY_FILE", default=str(BASE_DIR / "var/secret_key")))
    if key_file.is_file():
        SECRET_KEY = key_file.read_text().strip()
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure") or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY (or the file named by DJANGO_SECRET_KEY_FILE) must hold a random "
        "string of at least 50 characters "
        '(for example: python -c "import secrets; print(secrets.token_urlsafe(50))").'
    )

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin, with the portal's admin site (chunan_community/admin_site.py).
    "chunan_community.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_filters",
    "simple_history",
    "csp",
    "django_tasks",
    "django_tasks_db",
    # Below the apps: they tell it what happened and what is due (notifications.notify).
    "notifications",
    "communities",
    "ratings",
    "services",
    # The reports the county publishes (统计信息), built from every app's records.
    "reports",
    "operations",
    # The roof's pages, with the county's announcements (通知公告).
    "portal.apps.PortalPagesConfig",
    "chunan_community.apps.PortalConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above whitenoise, so that the static files it serves carry these headers too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "chunan_community.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "chunan_community.accounts.SessionLimitsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a refused log-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chunan_community.urls"
WSGI_APPLICATION = "chunan_community.wsgi.application"

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
                "communities.context_processors.portal",
                "portal.navigation.navigation",
            ],
        },
    },
]

# The embedded SQLite file under var/ is the default; production names PostgreSQL, e.g.
# DATABASE_URL=postgres://chunan:secret@db.internal:5432/chunan
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has one writer at a time. A transaction begun DEFERRED that reads, then writes,
    # cannot wait for another writer: SQLite answers "database is locked" at once and the
    # write is lost (7 of 20 parallel posts under make run). IMMEDIATE takes the write lock
    # at BEGIN, where the busy timeout (seconds) makes it queue instead. WAL lets pages be
    # read while one is written; synchronous=NORMAL is durable in WAL mode but for the last
    # commits at a power cut. The file and its -wal/-shm are the owner's only
    # (chunan_community.database_files).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache must be shared by every process that serves the portal: the public pages'
# cache is invalidated through it (chunan_community/public_cache.py). The default, files
# under var/cache, is shared by the gunicorn workers of one machine; several app servers
# share Redis, e.g. CHUNAN_CACHE_URL=redis://cache.internal:6379/1 (docs/scaling.md).
# locmemcache:// is private to each process: right only with a single worker.
#
# With a server database (PostgreSQL) the cache must be named: a missing CHUNAN_CACHE_URL is
# then a mistake, typically an env file whose unquoted `&` cut the line when sourced by a
# shell (`set -a; . /etc/chunan/env`), and falling back to a private file cache would leave
# every manage.py command (restore, load_chunan) unable to drop the shared pages.
_cache_url = os.environ.get("CHUNAN_CACHE_URL")
if _cache_url is None and not DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    raise ImproperlyConfigured(
        "CHUNAN_CACHE_URL is not set, and DATABASE_URL names a server database: name the "
        "cache every app server and manage.py command shares, e.g. "
        'CHUNAN_CACHE_URL="redis://127.0.0.1:6379/1?socket_connect_timeout=1&socket_timeout=1" '
        "(quoted: the & would cut the line when the env file is sourced by a shell), or "
        "CHUNAN_CACHE_URL=filecache:///srv/chunan/cache for one machine (docs/scaling.md)."
    )
if _cache_url is not None and not _cache_url.strip():
    raise ImproperlyConfigured("CHUNAN_CACHE_URL is empty: name a cache (docs/scaling.md).")
CACHES = {
    "default": env.cache_url_config(
        _cache_url or f"filecache://{BASE_DIR / 'var' / 'cache'}?max_entries=5000"
    )
}
# The public pages' keys are per database (chunan_community.public_cache): by default derived
# from DATABASE_URL, normalised (default port, loopback names); set the same value on every
# app server that reaches the database under different names.
CHUNAN_CACHE_NAMESPACE = env.str("CHUNAN_CACHE_NAMESPACE", default="")
# Seconds a public page is kept at most (0: no page cache). Changes saved through the
# portal, the admin or a command show at once; bulk writes without signals after this long.
CHUNAN_PUBLIC_CACHE_SECONDS = env.int("CHUNAN_PUBLIC_CACHE_SECONDS", default=300)
# Sessions in the database work across app servers; with a shared cache,
# django.contrib.sessions.backends.cached_db saves a query per request.
SESSION_ENGINE = env.str("DJANGO_SESSION_ENGINE", default="django.contrib.sessions.backends.db")
# A session ends after this long without a request, and this long after the log-in however
# active (chunan_community.accounts.SessionLimitsMiddleware). The cookie and the stored
# session last the absolute lifetime; the idle limit is checked on each request.
CHUNAN_SESSION_IDLE_MINUTES = env.int("CHUNAN_SESSION_IDLE_MINUTES", default=30)
CHUNAN_SESSION_MAX_HOURS = env.int("CHUNAN_SESSION_MAX_HOURS", default=10)
SESSION_COOKIE_AGE = CHUNAN_SESSION_MAX_HOURS * 3600

# Log-in throttling (django-axes): after CHUNAN_LOGIN_FAILURE_LIMIT failed log-ins for one
# username from one address, log-ins for that username from that address are refused for
# CHUNAN_LOGIN_COOLOFF_MINUTES (each further try starts the pause again). The pair, not
# either alone: a stranger cannot lock a user out from elsewhere, and the staff of a whole
# township behind one NAT address are not paused for one person's typos. The address is
# the one the public notice's limit uses (chunan_community.client_address: behind
# CHUNAN_TRUSTED_PROXY_COUNT proxies, the client's, never the proxy's).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("CHUNAN_LOGIN_FAILURE_LIMIT", default=5)
CHUNAN_LOGIN_COOLOFF_MINUTES = env.int("CHUNAN_LOGIN_COOLOFF_MINUTES", default=15)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=CHUNAN_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "chunan_community.client_address.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "chunan_community.accounts.lockout_response"
_limits = {
    "CHUNAN_SESSION_IDLE_MINUTES": CHUNAN_SESSION_IDLE_MINUTES,
    "CHUNAN_SESSION_MAX_HOURS": CHUNAN_SESSION_MAX_HOURS,
    "CHUNAN_LOGIN_FAILURE_LIMIT": AXES_FAILURE_LIMIT,
    "CHUNAN_LOGIN_COOLOFF_MINUTES": CHUNAN_LOGIN_COOLOFF_MINUTES,
}
if min(_limits.values()) < 1:
    raise ImproperlyConfigured(
        ", ".join(f"{name}={value}" for name, value in _limits.items() if value < 1)
        + ": must be at least 1."
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "chunan_community.accounts.CharacterClassesValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:todo"
LOGOUT_REDIRECT_URL = "portal:home"

# Chinese first: zh-hans unless the visitor picked English with the switcher (a cookie).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date style in running text (2026年12月7日, 7 December 2026), one in tables (2026-12-07),
# and thousands separators in both languages: chunan_community/formats.
FORMAT_MODULE_PATH = ["chunan_community.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploads (evidence photos and documents) hold personal data: readable by the portal's own
# user only, like the secret key and the backups. The reverse proxy never serves evidence.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# HTTPS: on unless DJANGO_HTTPS=false (the local demo over plain http://127.0.0.1).
HTTPS = env.bool("DJANGO_HTTPS", default=True)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Preloading commits the whole domain to HTTPS in browsers; DJANGO_HSTS_PRELOAD=false opts out.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=HTTPS)
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=HTTPS)
if BEHIND_PROXY:
    # The reverse proxy terminates TLS and says so in this header (README: deployment).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Reverse proxies in front of the portal that append the client's address to X-Forwarded-For
# (chunan_community.client_address). Behind one (production's nginx) the default is 1: with
# 0 every client would have the proxy's address, share one log-in throttle and one opinions
# limit, and five wrong passwords from anyone would pause a staff account for everyone.
# A count of 0 behind a proxy is refused; two proxies (a load balancer before nginx) say 2.
CHUNAN_TRUSTED_PROXY_COUNT = env.int("CHUNAN_TRUSTED_PROXY_COUNT", default=1 if BEHIND_PROXY else 0)
if BEHIND_PROXY and CHUNAN_TRUSTED_PROXY_COUNT < 1:
    raise ImproperlyConfigured(
        "CHUNAN_TRUSTED_PROXY_COUNT must be at least 1 behind a reverse proxy "
        "(DJANGO_BEHIND_PROXY, on with DJANGO_HTTPS): with 0 every visitor has the proxy's "
        "address and one stranger's wrong passwords pause an account for everyone. Set the "
        "number of proxies that append to X-Forwarded-For (1 behind the README's nginx), or "
        "DJANGO_BEHIND_PROXY=false when no proxy is in front."
    )
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie (forms carry the token), so scripts may not read it at all.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy: everything from the portal itself, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# E-mail (notifications): Django's SMTP backend, from the environment. The demo (make run)
# writes each e-mail to a file under var/mail/ instead; the tests use a real SMTP server.
EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("DJANGO_EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=30)
EMAIL_FILE_PATH = env.path("DJANGO_EMAIL_FILE_PATH", default=BASE_DIR / "var" / "mail")
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="noreply@chunan.invalid")
# The portal's address as people reach it, for the links in e-mails.
CHUNAN_SITE_URL = env.str("CHUNAN_SITE_URL", default="http://127.0.0.1:8000")
# A failing e-mail or text message is tried this many times (minutes apart: outbox.py).
CHUNAN_MAIL_MAX_ATTEMPTS = env.int("CHUNAN_MAIL_MAX_ATTEMPTS", default=8)
# The hour (county time) of the daily reminders when the worker runs them (start_schedule).
CHUNAN_REMINDER_HOUR = env.int("CHUNAN_REMINDER_HOUR", default=7)
# Days after its due date that an overdue return is also reported to the township's staff.
CHUNAN_OVERDUE_REPORT_DAYS = env.int("CHUNAN_OVERDUE_REPORT_DAYS", default=5)
# Text messages: the sender's dotted path (notifications/sms.py says how to add a provider).
CHUNAN_SMS_BACKEND = env.str("CHUNAN_SMS_BACKEND", default="notifications.sms.LoggingBackend")
# Password-reset requests from one address in an hour.
CHUNAN_PASSWORD_RESETS_PER_HOUR = env.int("CHUNAN_PASSWORD_RESETS_PER_HOUR", default=5)
# The task queue (django-tasks with its database backend): a worker runs manage.py db_worker.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
ADMINS = [("Admin", a) for a in env.list("DJANGO_ADMINS", default=[])]

# One line per event, the traceback of an error after it, and never a request's query string
# or headers: searches for residents' names travel in query strings, which the access log
# leaves out too (gunicorn.conf.py). Django's own "django" logger is replaced, so its
# mail_admins handler (whose report dumps the whole request, ~400 lines through the console
# mail backend) is used only when mail really goes out, and a request for a foreign host
# (DisallowedHost, which a scanner sends all day) is one line without its traceback.
_LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO")
_MAIL_ERRORS = bool(ADMINS) and not EMAIL_BACKEND.endswith(
    ("console.EmailBackend", "dummy.EmailBackend")
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_traceback": {"()": "chunan_community.log_filters.WithoutTraceback"}},
    "formatters": {"line": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "line"},
        "one_line": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "filters": ["no_traceback"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "reporter_class": "chunan_community.log_filters.PathOnlyExceptionReporter",
        },
    },
    "root": {"handlers": ["console"], "level": _LOG_LEVEL},
    "loggers": {
        "django": {
            "handlers": ["console", "mail_admins"] if _MAIL_ERRORS else ["console"],
            "level": _LOG_LEVEL,
            "propagate": False,
        },
        "django.security.DisallowedHost": {
            "handlers": ["one_line"],
            "level": _LOG_LEVEL,
            "propagate": False,
        },
        # django-axes announces itself at every start, manage.py commands included (cron mail).
        "axes.apps": {"level": "WARNING"},
    },
}

# Term elections (换届) are listed as due this many days ahead.
TERMS_DUE_DAYS = env.int("CHUNAN_TERMS_DUE_DAYS", default=90)
PAGE_SIZE = 20

# Monthly returns: due this many days after the month ends (later submissions are marked
# late); the entry window closes this many days after the month ends (then only the county
# can reopen a return).
RETURN_DUE_DAYS = env.int("CHUNAN_RETURN_DUE_DAYS", default=10)
RETURN_CLOSE_DAYS = env.int("CHUNAN_RETURN_CLOSE_DAYS", default=45)
# Excel uploads: refused above this size (bytes) or this uncompressed size (zip bombs).
RETURN_UPLOAD_MAX_BYTES = env.int("CHUNAN_UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
RETURN_UPLOAD_MAX_UNZIPPED_BYTES = env.int(
    "CHUNAN_UPLOAD_MAX_UNZIPPED_BYTES", default=50 * 1024 * 1024
)

# Evidence files of a rating declaration (photos and documents): the largest file (bytes),
# the most pixels a photo may have (checked before it is decoded), and files per declaration.
EVIDENCE_MAX_BYTES = env.int("CHUNAN_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
EVIDENCE_MAX_PIXELS = env.int("CHUNAN_EVIDENCE_MAX_PIXELS", default=40_000_000)
EVIDENCE_MAX_FILES = env.int("CHUNAN_EVIDENCE_MAX_FILES", default=20)

# An announcement's attachment (a PDF, Word or Excel file or a picture): the largest (bytes).
# A picture is bounded in pixels as evidence photos are (EVIDENCE_MAX_PIXELS).
ANNOUNCEMENT_MAX_BYTES = env.int("CHUNAN_ANNOUNCEMENT_MAX_BYTES", default=10 * 1024 * 1024)

# Public notice (公示): at most this many opinions per sender address per hour. The address
# is the client's (REMOTE_ADDR), or, behind CHUNAN_TRUSTED_PROXY_COUNT reverse proxies that
# append to X-Forwarded-For, the address the outermost of them saw (0: ignore the header).
CHUNAN_OBJECTIONS_PER_HOUR = env.int("CHUNAN_OBJECTIONS_PER_HOUR", default=5)
# The printable notice lists every result of a round up to this many; a longer one lists the
# townships instead, each with its own printable notice (?township=<code>).
CHUNAN_NOTICE_MAX_ROWS = env.int("CHUNAN_NOTICE_MAX_ROWS", default=300)
# The printable notice of a round under public notice shows proposed results computed live:
# the public page cache keeps it this many seconds at most (0: never).
CHUNAN_NOTICE_LIVE_SECONDS = env.int("CHUNAN_NOTICE_LIVE_SECONDS", default=30)

# Time bank (时间银行): the lowest balance (hours) a volunteer's account may reach; 0 allows no
# overdraft, -2 lets a volunteer draw two hours more than they have deposited.
TIME_BANK_FLOOR_HOURS = env.float("CHUNAN_TIME_BANK_FLOOR_HOURS", default=0)
