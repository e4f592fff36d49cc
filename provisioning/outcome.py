"""What a request did and who it waits for, in words, for the request page.

A newcomer reads a finished request's page to learn what now exists and where to go next, and
a waiting request's page to learn whom to ask; "Succeeded" or "Awaiting approval" alone says
neither.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.urls import reverse

from catalog import access
from catalog.choices import TeamRole
from provisioning.golden_paths.choices import RolloutStatus
from provisioning.models import Deployment, ProvisionedResource, ProvisioningRequest
from provisioning.resource_types import RESOURCE_TYPES, request_title


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    note: str = ""


@dataclass(frozen=True)
class Outcome:
    headline: str
    links: list[Link] = field(default_factory=list)
    next_steps: list[Link] = field(default_factory=list)
    made: list[ProvisionedResource] = field(default_factory=list)


def title(req: ProvisioningRequest) -> str:
    """What the request is, in words: 'Object storage bucket', not 's3-bucket'."""
    return request_title(req.type)


def succeeded(req: ProvisioningRequest, resources: list[ProvisionedResource]) -> Outcome:
    """The headline and links for a succeeded request, by what kind of request it was."""
    if req.type == "service":
        return _service(req)
    if req.type == "deploy":
        tag = (req.parameters.get("tag") or "its first build")[:14]
        subject, env = f"{req.service_name}:{tag}", _env(req)
        return Outcome(_deployed(req, subject, env), _service_links(req))
    if req.type == "decommission":
        return Outcome(
            f"{_subject(req)} is decommissioned: it no longer exists", _service_links(req)
        )
    if req.type == "reconcile":
        return Outcome(f"{_subject(req)} matches its plan again", _service_links(req))
    if resource_type := RESOURCE_TYPES.get(req.type):
        headline = f"{resource_type.title} for {req.service_name} is ready in {_env(req)}"
        return Outcome(headline, _service_links(req, "#section-resources"), made=resources)
    return Outcome(f"Done: {req.plan.get('summary') or req.type}", _service_links(req))


def _env(req: ProvisioningRequest) -> str:
    return req.environment.name if req.environment_id else "every environment"


def _subject(req: ProvisioningRequest) -> str:
    step = req.steps.first()
    resource = (step.resource or {}) if step else {}
    return f"{resource.get('kind', 'the resource')} {resource.get('name', '')}".strip()


def _service_links(req: ProvisioningRequest, anchor: str = "") -> list[Link]:
    if not req.component_id:
        return []
    return [Link(f"Open {req.component.name}'s page", req.component.get_absolute_url() + anchor)]


def _service(req: ProvisioningRequest) -> Outcome:
    name, env = req.service_name, req.plan.get("deploy_to") or _env(req)
    links = _service_links(req)
    if req.component_id and req.component.repository_url:
        url = req.component.repository_url
        links.append(Link("Its repository", url, f"clone it: git clone {url}"))
    service_page = req.component.get_absolute_url() if req.component_id else ""
    next_steps = [
        Link(
            f"Request {_a(RESOURCE_TYPES[slug].title)}",
            f"{reverse('provisioning:request_form', args=[slug])}?service={name}",
        )
        for slug in ("postgres-database", "queue", "s3-bucket")
        if slug in RESOURCE_TYPES
    ]
    if service_page:
        next_steps += [
            Link(
                "Promote it to production",
                f"{service_page}#section-deployments",
                "from Environments & deployments; a team lead approves it",
            ),
            Link(
                "See its dashboards, logs, metrics and alerts",
                f"{service_page}#section-observability",
            ),
        ]
    return Outcome(_deployed(req, name, env), links, next_steps)


def _deployed(req: ProvisioningRequest, subject: str, env: str) -> str:
    """'… is deployed to …' once it is: with Argo CD connected the request succeeds when the
    commit lands, and the deployment is done only when Argo CD reports it Synced and Healthy
    (provisioning/rollouts.py), so the headline says which it is."""
    rollout = (
        Deployment.objects.filter(request=req).values_list("rollout", "rollout_detail").first()
    )
    state, detail = rollout or (RolloutStatus.UNTRACKED, "")
    if state == RolloutStatus.DEGRADED:
        return f"{subject} was committed to {env}, but Argo CD reports it Degraded: {detail}"
    if state in (RolloutStatus.WAITING, RolloutStatus.UNREADABLE):
        return (
            f"{subject} is committed to {env}; Argo CD has not confirmed the rollout yet "
            "(reload this page, or see the service's Argo CD section)"
        )
    return f"{subject} is deployed to {env}"


def _a(title: str) -> str:
    """'an object storage bucket', 'a PostgreSQL database': the article, and the title in
    lowercase unless its first word is a name."""
    first = title.split()[0]
    words = title if first[1:] != first[1:].lower() else title[0].lower() + title[1:]
    return f"{'an' if words[0].lower() in 'aeiou' else 'a'} {words}"


def approvers(req: ProvisioningRequest) -> list[str]:
    """Who may approve `req`, as the policy answers for the owning team's leads."""
    if not req.team_id:
        return []
    leads = get_user_model().objects.filter(
        team_memberships__team_id=req.team_id, team_memberships__role=TeamRole.LEAD
    )
    return [
        user.get_full_name() or user.get_username()
        for user in leads.order_by("username")
        if access.can(user, "request.approve", req)
    ]
