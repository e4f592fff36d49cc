from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "observability"

    def ready(self) -> None:
        from catalog.sections import register_service_section, register_team_section
        from observability.hooks import after_request
        from observability.sections import observability_section, team_section
        from observability.services import (
            BACKFILL_RENDERER,
            bundle_resources,
            render_backfill_step,
        )
        from provisioning.extensions import (
            register_after_request,
            register_bundle,
            register_renderer,
        )

        register_service_section(
            "observability",
            "Observability",
            "observability/sections/service.html",
            context=observability_section,
            order=40,
        )
        register_team_section(
            "on-call", "On call", "observability/sections/team_on_call.html", context=team_section
        )
        # Golden paths add this to every new service's plan, per environment.
        register_bundle("observability", bundle_resources)
        # A backfill's steps hold each bundle's inputs; the engine renders them when they run.
        register_renderer(BACKFILL_RENDERER, render_backfill_step)
        # When a request that wrote a service's GitOps files finishes, its dashboards are
        # upserted in Grafana and its coverage is current (observability/hooks.py).
        register_after_request("observability", after_request)
