from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "idp_portal"
    verbose_name = "Portal"
