"""Production settings: read from the environment, safe by default.

Settings are evaluated once per process, so the environment-driven defaults are checked in
a fresh interpreter with a clean environment, the way gunicorn or manage.py would start.
"""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings

from chunan_community.settings import BASE_DIR

GOOD_KEY = secrets.token_urlsafe(50)
PRODUCTION_ENV = {"DJANGO_SECRET_KEY": GOOD_KEY, "DJANGO_ALLOWED_HOSTS": "portal.example.org"}


def run_python(args, **env):
    """Run Python in the project directory with production settings and only `env` set."""
    clean_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "chunan_community.settings",
        # Not the demo's var/secret_key: only what the test sets.
        "DJANGO_SECRET_KEY_FILE": "/nonexistent/secret_key",
        **env,
    }
    return subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_settings(*names, **env):
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = run_python(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"DJANGO_SECRET_KEY": ""},
        {"DJANGO_SECRET_KEY": "too-short-0123456789"},
        {"DJANGO_SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(50)},
        {"DJANGO_SECRET_KEY": "a" * 60},
    ],
    ids=["missing", "empty", "short", "django-insecure", "one-character"],
)
def test_settings_refuse_start_without_real_secret_key(env):
    result = run_python(
        ["-c", "import django; from django.conf import settings; settings.SECRET_KEY"], **env
    )

    assert result.returncode == 1
    assert "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY" in result.stderr


def test_settings_start_with_real_secret_key():
    assert production_settings("SECRET_KEY", DJANGO_SECRET_KEY=GOOD_KEY) == {"SECRET_KEY": GOOD_KEY}


def test_settings_read_the_key_file_when_the_variable_is_unset(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text(GOOD_KEY + "\n")

    assert production_settings("SECRET_KEY", DJANGO_SECRET_KEY_FILE=str(key_file)) == {
        "SECRET_KEY": GOOD_KEY
    }


def test_settings_production_defaults():
    values = production_settings(
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_PROXY_SSL_HEADER",
        "ALLOWED_HOSTS",
        "TIME_ZONE",
        "LANGUAGE_CODE",
        DJANGO_SECRET_KEY=GOOD_KEY,
    )

    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost"],
        "TIME_ZONE": "Asia/Shanghai",
        "LANGUAGE_CODE": "zh-hans",
    }


def test_settings_session_and_login_defaults():
    values = production_settings(
        "SESSION_COOKIE_AGE",
        "CHUNAN_SESSION_IDLE_MINUTES",
        "CHUNAN_SESSION_MAX_HOURS",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SAMESITE",
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
        "AXES_LOCKOUT_PARAMETERS",
        "AXES_RESET_ON_SUCCESS",
        "AUTHENTICATION_BACKENDS",
        DJANGO_SECRET_KEY=GOOD_KEY,
    )

    assert values == {
        "SESSION_COOKIE_AGE": 36000,
        "CHUNAN_SESSION_IDLE_MINUTES": 30,
        "CHUNAN_SESSION_MAX_HOURS": 10,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "AXES_FAILURE_LIMIT": 5,
        "AXES_COOLOFF_TIME": "0:15:00",
        "AXES_LOCKOUT_PARAMETERS": [["username", "ip_address"]],
        "AXES_RESET_ON_SUCCESS": True,
        "AUTHENTICATION_BACKENDS": [
            "axes.backends.AxesStandaloneBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
    }


def test_settings_session_and_login_limits_from_environment():
    values = production_settings(
        "SESSION_COOKIE_AGE",
        "CHUNAN_SESSION_IDLE_MINUTES",
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
        DJANGO_SECRET_KEY=GOOD_KEY,
        CHUNAN_SESSION_IDLE_MINUTES="15",
        CHUNAN_SESSION_MAX_HOURS="4",
        CHUNAN_LOGIN_FAILURE_LIMIT="8",
        CHUNAN_LOGIN_COOLOFF_MINUTES="60",
    )

    assert values == {
        "SESSION_COOKIE_AGE": 4 * 3600,
        "CHUNAN_SESSION_IDLE_MINUTES": 15,
        "AXES_FAILURE_LIMIT": 8,
        "AXES_COOLOFF_TIME": "1:00:00",
    }


@pytest.mark.parametrize(
    "name",
    [
        "CHUNAN_SESSION_IDLE_MINUTES",
        "CHUNAN_SESSION_MAX_HOURS",
        "CHUNAN_LOGIN_FAILURE_LIMIT",
        "CHUNAN_LOGIN_COOLOFF_MINUTES",
    ],
)
def test_settings_refuse_session_and_login_limits_below_one(name):
    result = run_python(
        ["-c", "import django; from django.conf import settings; settings.SECRET_KEY"],
        DJANGO_SECRET_KEY=GOOD_KEY,
        **{name: "0"},
    )

    assert result.returncode == 1
    assert f"ImproperlyConfigured: {name}=0: must be at least 1." in result.stderr


@pytest.mark.parametrize(("value", "debug"), [("true", True), ("false", False), ("", False)])
def test_settings_debug_only_when_set(value, debug):
    values = production_settings("DEBUG", DJANGO_SECRET_KEY=GOOD_KEY, DJANGO_DEBUG=value)

    assert values == {"DEBUG": debug}


def test_settings_local_demo_over_plain_http():
    values = production_settings(
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_PRELOAD",
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_HTTPS="false",
    )

    assert values == {
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_PRELOAD": False,
    }


def test_settings_check_deploy_clean():
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"
    assert result.stderr == ""  # django-axes's start-up banner is not logged


def test_settings_time_zone_and_language():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.USE_TZ is True


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


@pytest.mark.django_db
@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)
def test_settings_security_headers_on_responses(client):
    # As production sees a request: over HTTPS terminated by the reverse proxy.
    response = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})

    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    directives = csp_directives(csp)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# ---------- Behind a reverse proxy (issue 12 §8) ----------


@pytest.mark.parametrize(
    ("env", "count"),
    [
        ({}, 1),  # production: HTTPS behind the README's nginx
        ({"DJANGO_BEHIND_PROXY": "false"}, 0),
        ({"DJANGO_HTTPS": "false"}, 0),
        ({"CHUNAN_TRUSTED_PROXY_COUNT": "2"}, 2),
    ],
    ids=["behind-proxy", "no-proxy", "plain-http", "two-proxies"],
)
def test_settings_trusted_proxy_count_is_one_behind_a_proxy(env, count):
    values = production_settings("CHUNAN_TRUSTED_PROXY_COUNT", DJANGO_SECRET_KEY=GOOD_KEY, **env)

    assert values == {"CHUNAN_TRUSTED_PROXY_COUNT": count}


def test_settings_refuse_no_trusted_proxy_behind_a_proxy():
    result = run_python(
        ["-c", "import django; from django.conf import settings; settings.SECRET_KEY"],
        DJANGO_SECRET_KEY=GOOD_KEY,
        CHUNAN_TRUSTED_PROXY_COUNT="0",
    )

    assert result.returncode == 1
    assert (
        "ImproperlyConfigured: CHUNAN_TRUSTED_PROXY_COUNT must be at least 1 behind a reverse "
        "proxy" in result.stderr
    )


# ---------- The cache with a server database ----------

SERVER_DATABASE = "postgres://chunan:secret@db.internal:5432/chunan"


@pytest.mark.parametrize("cache_url", [None, "", "  "], ids=["missing", "empty", "blank"])
def test_settings_refuse_server_database_without_cache(cache_url):
    env = {} if cache_url is None else {"CHUNAN_CACHE_URL": cache_url}
    result = run_python(
        ["-c", "import django; from django.conf import settings; settings.SECRET_KEY"],
        DJANGO_SECRET_KEY=GOOD_KEY,
        DATABASE_URL=SERVER_DATABASE,
        **env,
    )

    assert result.returncode == 1
    expected = "is not set" if cache_url is None else "is empty"
    assert f"ImproperlyConfigured: CHUNAN_CACHE_URL {expected}" in result.stderr


def test_settings_refuse_unknown_cache_scheme():
    result = run_python(
        ["-c", "import django; from django.conf import settings; settings.SECRET_KEY"],
        DJANGO_SECRET_KEY=GOOD_KEY,
        CHUNAN_CACHE_URL="redis//cache.internal:6379/1",
    )

    assert result.returncode == 1
    assert "ImproperlyConfigured: Invalid cache schema" in result.stderr


def readme_env_block() -> str:
    """The /etc/chunan/env example of the README's production section."""
    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    after = readme.split("`/etc/chunan/env` (owner root", 1)[1]
    return after.split("```sh\n", 1)[1].split("```", 1)[0]


def run_sourced(env_file, *command):
    """`command` in the project directory after sourcing `env_file` as cron and the README's
    release steps do (set -a && . /etc/chunan/env && set +a), with nothing else set."""
    script = 'set -a && . "$0" && set +a && exec "$@"'
    return subprocess.run(  # noqa: S603 (bash with our own script and arguments)
        ["/bin/bash", "-c", script, str(env_file), sys.executable, *command],
        cwd=BASE_DIR,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DJANGO_SETTINGS_MODULE": "chunan_community.settings",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_settings_readme_env_file_sourced_by_the_shell_is_complete(tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text(
        readme_env_block().replace("…the generated key…", GOOD_KEY), encoding="utf-8"
    )
    code = (
        "import json; from django.conf import settings; print(json.dumps({"
        "'cache': settings.CACHES['default'], 'proxies': settings.CHUNAN_TRUSTED_PROXY_COUNT, "
        "'hosts': settings.ALLOWED_HOSTS, 'database': settings.DATABASES['default']['NAME']}))"
    )

    values = run_sourced(env_file, "-c", code)
    deploy = run_sourced(env_file, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert values.returncode == 0, values.stderr
    assert json.loads(values.stdout) == {
        "cache": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
        "proxies": 1,
        "hosts": ["portal.example.org"],
        "database": "chunan",
    }
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert deploy.stdout == "System check identified no issues (0 silenced).\n"


# ---------- The log ----------

HOST = "portal.example.org"
FAILING_REQUEST = """
import django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
# The suite never runs collectstatic: error pages name the files without the manifest.
static = {{"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
client = Client(raise_request_exception=False)
with override_settings(STORAGES={{**settings.STORAGES, "staticfiles": static}}):
    response = client.get({url!r}, headers={{"host": {host!r}, "x-forwarded-proto": "https"}})
assert response.status_code == {status}, response.status_code
"""


def log_of_request(tmp_path, url, host, status):
    """What the portal writes (stdout, stderr) for one request, under the production
    settings with the README's DJANGO_ADMINS and the default (console) mail backend."""
    return run_python(
        ["-c", FAILING_REQUEST.format(url=url, host=host, status=status)],
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="portal.example.org",
        DJANGO_ADMINS="ops@example.org",
        DJANGO_STATIC_ROOT=str(tmp_path),
        # A database that cannot be opened: every page that reads it fails with a 500.
        DATABASE_URL=f"sqlite:///{tmp_path}/missing-folder/db.sqlite3",
    )


def test_settings_log_of_a_server_error_is_short_without_the_query_string(tmp_path):
    result = log_of_request(tmp_path, "/communities/?q=王小明", "portal.example.org", 500)

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # no error mail dumped on the console
    lines = result.stderr.splitlines()
    assert lines[0] == "ERROR django.request: Internal Server Error: /communities/"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "django.db.utils.OperationalError: unable to open database file"
    assert "q=" not in result.stderr
    assert "王小明" not in result.stderr
    assert "%E7%8E%8B" not in result.stderr


def test_settings_log_of_a_foreign_host_is_one_line(tmp_path):
    result = log_of_request(tmp_path, "/?q=x", "scanner.example.net", 400)

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        "ERROR django.security.DisallowedHost: Invalid HTTP_HOST header: "
        "'scanner.example.net'. You may need to add 'scanner.example.net' to ALLOWED_HOSTS.\n"
    )


def test_settings_error_mail_holds_the_path_and_traceback_only(tmp_path):
    script = FAILING_REQUEST.format(url="/communities/?q=王小明", host=HOST, status=500) + (
        "from django.core import mail\n"
        "import json\n"
        "print(json.dumps([(m.subject, m.to, m.body) for m in mail.outbox]))\n"
    )

    result = run_python(
        ["-c", script],
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_ADMINS="ops@example.org",
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DJANGO_STATIC_ROOT=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path}/missing-folder/db.sqlite3",
    )

    assert result.returncode == 0, result.stderr
    [(subject, to, body)] = json.loads(result.stdout)
    assert subject == "[Django] ERROR (EXTERNAL IP): Internal Server Error: /communities/"
    assert to == ["ops@example.org"]
    assert "Request URL: /communities/\n" in body
    assert "OperationalError at /communities/\nunable to open database file" in body
    assert "Traceback (most recent call last):" in body
    for secret in ("q=", "王小明", "%E7%8E%8B", GOOD_KEY, "HTTP_HOST", "Local Vars"):
        assert secret not in body
