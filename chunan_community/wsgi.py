"""WSGI entry point: `gunicorn chunan_community.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chunan_community.settings")

application = get_wsgi_application()
