from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "provisioning"

    def ready(self) -> None:
        from catalog.sections import register_service_section
        from provisioning.argocd_section import argocd_section
        from provisioning.golden_paths.sections import deployments_section, parity_section
        from provisioning.sections import resources_section
        from provisioning.workflow_runs import workflow_runs_section

        register_service_section(
            "resources",
            "Resources",
            "provisioning/sections/resources.html",
            context=resources_section,
            order=30,
        )
        register_service_section(
            "deployments",
            "Environments & deployments",
            "provisioning/golden/section.html",
            context=deployments_section,
            order=20,
        )
        register_service_section(
            "argocd",
            "Argo CD",
            "provisioning/sections/argocd.html",
            context=argocd_section,
            order=22,
        )
        register_service_section(
            "parity",
            "Environment parity",
            "provisioning/sections/parity.html",
            context=parity_section,
            order=25,
        )
        register_service_section(
            "workflow-runs",
            "CI runs",
            "provisioning/sections/workflow_runs.html",
            context=workflow_runs_section,
            order=22,
        )
