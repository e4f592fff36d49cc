from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PortalConfig(AppConfig):
    name = "idp_portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from idp_portal import (
            checks,  # noqa: F401  (registers the deploy checks)
            signins,
            tracing,
        )

        signins.connect()
        tracing.setup()


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the portal's site as the default, so every admin write is audited."""

    default = False  # not idp_portal's own config: INSTALLED_APPS names it in place of the admin
    default_site = "idp_portal.admin_site.PortalAdminSite"
