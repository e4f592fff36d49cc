from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "observability"

    def ready(self) -> None:
        from catalog.sections import register_service_section
        from observability.sections import observability_section
        from observability.services import bundle_resources
        from provisioning.extensions import register_bundle

        register_service_section(
            "observability",
            "Observability",
            "observability/sections/service.html",
            context=observability_section,
            order=40,
        )
        # Golden paths add this to every new service's plan, per environment.
        register_bundle("observability", bundle_resources)
