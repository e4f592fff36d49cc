"""The service page's "Environments & deployments" section: the golden path and pipeline
versions the service is on (and whether it is behind), its environments and deployments."""

from django.http import HttpRequest

from catalog import access
from provisioning import services as provisioning
from provisioning.golden_paths import cluster, manifests
from provisioning.golden_paths.choices import DeploymentStatus
from provisioning.golden_paths.forms import DeployForm
from provisioning.golden_paths.services import deploy_environment as provisioning_default
from provisioning.golden_paths.updates import upgrade_status, with_newest_versions
from provisioning.models import Deployment, Environment, ServiceOrigin


def deployments_section(request: HttpRequest, component) -> dict:
    """Per environment: what was last committed, what is waiting, and what the cluster says."""
    origin = with_newest_versions(
        ServiceOrigin.objects.filter(component=component).select_related(
            "golden_path__pipeline", "pipeline", "team", "request"
        )
    ).first()
    if origin is None:
        return {"origin": None}
    environments = list(Environment.objects.all())
    history = list(
        Deployment.objects.filter(origin=origin).select_related(
            "request", "requested_by", "environment"
        )[:50]
    )
    can_deploy = access.can(request.user, "service.deploy", origin)
    rows = [_row(origin, env, history) for env in environments]
    for row, following in zip(rows, rows[1:], strict=False):
        row["promote_to"] = following["environment"] if row["current"] else None
    return {
        "origin": origin,
        "rows": rows,
        "history": history[:10],
        "can_deploy": can_deploy,
        "can_upgrade": access.can(request.user, "service.upgrade", origin),
        "deploy_form": DeployForm(),
        "environments": environments,
        "default_environment": provisioning_default(environments),
        # Versions the service is on and newer ones: "behind" with an Upgrade button.
        **upgrade_status(origin),
    }


def _row(origin: ServiceOrigin, env: Environment, history: list[Deployment]) -> dict:
    mine = [d for d in history if d.environment_id == env.pk]
    current = next((d for d in mine if d.status == DeploymentStatus.COMMITTED), None)
    waiting = next(
        (
            d
            for d in mine
            if d.status == DeploymentStatus.PENDING and d.request and not d.request.is_terminal
        ),
        None,
    )
    status = ""
    if current:
        w = manifests.Workload(origin.name, origin.team.name, origin.image, 0, "", {}, {})
        namespace = manifests.namespace_for(w, provisioning.environment_spec(env))
        status = cluster.rollout_status(
            env.kubernetes_cluster, namespace, origin.name, current.tag
        ).text
    return {"environment": env, "current": current, "waiting": waiting, "status": status}
