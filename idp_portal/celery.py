"""The Celery app: every call to a cloud, a cluster, a secret store or a git host runs here."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idp_portal.settings")

app = Celery("idp_portal")
# Settings named CELERY_* in idp_portal/settings.py configure the app (acks, limits, schedule).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
