from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "provisioning"

    def ready(self) -> None:
        from catalog.sections import register_service_section
        from provisioning.sections import resources_section

        register_service_section(
            "resources",
            "Resources",
            "provisioning/sections/resources.html",
            context=resources_section,
            order=30,
        )
