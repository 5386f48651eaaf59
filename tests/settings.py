"""The portal's settings for the test suite: production settings plus test-only defaults."""

import os

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
)
os.environ.setdefault("DJANGO_HTTPS", "false")
# Production refuses a server database without a named cache; the suite replaces CACHES
# below, and the servers some tests start (gunicorn) keep the default file cache.
os.environ.setdefault(
    "CHUNAN_CACHE_URL",
    f"filecache://{os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}/var/cache"
    "?max_entries=5000",
)

from chunan_community.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the app folders: the suite never runs collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The public pages' cache in each test process's memory: xdist workers never share pages.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
