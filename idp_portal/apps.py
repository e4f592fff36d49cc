from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PortalConfig(AppConfig):
    name = "idp_portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from idp_portal import checks  # noqa: F401  (registers the deploy checks)


class PortalAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin whose default site is the portal's (idp_portal/admin_site.py)."""

    default = False  # "idp_portal" in INSTALLED_APPS still means PortalConfig
    default_site = "idp_portal.admin_site.PortalAdminSite"
