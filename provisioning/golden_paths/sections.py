"""The service page's golden-path sections: "Environments & deployments" (the golden path and
pipeline versions the service is on, whether it is behind, its environments and deployments)
and "Environment parity" (what the GitOps repository really holds, read at the branch head with
one `ls-tree` and one `cat-file --batch`, compared by golden_paths/parity.py)."""

from django.db.models import Subquery
from django.http import HttpRequest

from catalog import access
from catalog.models import Component
from idp_portal.fixed_queries import FixedQuery
from provisioning import services as provisioning
from provisioning.git_host import DEFAULT_BRANCH, GITOPS_REPOSITORY, get_host
from provisioning.golden_paths import cluster, manifests, parity
from provisioning.golden_paths.choices import DeploymentStatus
from provisioning.golden_paths.forms import DeployForm
from provisioning.golden_paths.services import deploy_environment as provisioning_default
from provisioning.golden_paths.updates import upgrade_status, with_newest_versions
from provisioning.models import Deployment, Environment, ServiceOrigin

# The component's golden-path origin as Django caches a reverse one-to-one (None: it has none).
_ORIGIN_CACHE = Component.golden_path_origin.related
UNREAD = object()
_ORIGIN = FixedQuery(
    lambda component_id: with_newest_versions(
        ServiceOrigin.objects.filter(component=component_id).select_related(
            "golden_path__pipeline", "pipeline", "team", "request"
        )
    ).order_by("pk")[:1],
    int,
)


def origin_already_read(component):
    """The component's golden-path origin (None when it has none) if this page view has read
    it already (the deployments section, which comes first, does), else UNREAD. The sections
    after it ask this first: most services have no origin, and then nothing to show, known
    without a query of their own."""
    if _ORIGIN_CACHE.is_cached(component):
        return _ORIGIN_CACHE.get_cached_value(component)
    return UNREAD


def deployments_section(request: HttpRequest, component) -> dict:
    """Per environment: what was last committed, what is waiting, and what the cluster says."""
    found = _ORIGIN(component.pk)  # read afresh, and kept for the sections after this one
    origin = found[0] if found else None
    _ORIGIN_CACHE.set_cached_value(component, origin)
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


def gitops_files(folder: str) -> dict[str, str]:
    """Every file under `folder` at the branch head; a hand-added file that is not text is
    read with replacement characters (parity only compares)."""
    return get_host().read_files(GITOPS_REPOSITORY, DEFAULT_BRANCH, folder, errors="replace")


_ENVIRONMENTS_AND_ORIGIN = FixedQuery(
    lambda component_id: Environment.objects.annotate(
        service=Subquery(ServiceOrigin.objects.filter(component=component_id).values("name")[:1])
    ).values_list("name", "service"),
    int,
)


def parity_section(request: HttpRequest, component) -> dict:
    """One query: the environments, each carrying the name of the component's golden-path
    service (None when it was not made from one, and the section stays empty); none when the
    page has read already that the component has no origin."""
    if origin_already_read(component) is None:
        return {"service": None}
    rows = _ENVIRONMENTS_AND_ORIGIN(component.pk)
    service = rows[0][1] if rows else None
    if service is None:
        return {"service": None}
    connected, status = get_host().connection_status()
    if not connected:
        return {"service": service, "not_connected": status}
    environments = [name for name, _ in rows]
    result = parity.compare_service(gitops_files(f"apps/{service}"), environments)
    return {"service": service, "parity": result, "environments": environments}
