"""WSGI entry point: `gunicorn gezhi.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gezhi.settings")
application = get_wsgi_application()
