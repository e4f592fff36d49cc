"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from idp_portal.startup import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idp_portal.settings")
load_settings_or_exit()
application = get_asgi_application()
