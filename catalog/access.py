"""Who may do what: the portal's one access policy.

Every permission in the portal is one question to this module, `can(user, action, obj)`.
Views, the JSON API, the admin, page sections, querysets and templates ask it, so a button a
user sees always works for them and each rule is written once.

The rules:
- platform admins (staff) may do everything except approve their own request;
- team leads approve their team's production and costly requests, never their own;
- members request, deploy to non-production, sync Argo CD outside production and cancel
  their own pending requests;
- decommissioning anything in production, or anything by a non-lead, waits for a lead
  (`decommission_needs_approval`);
- everyone signed in reads the catalog, answers the survey and reports friction.

It sits at the bottom of the import order (it knows teams, nothing above them): objects of
other apps are read through the attributes they expose (`team_id`, `requester_id`, `state`,
`is_production`), never imported.
"""

from collections.abc import Callable, Mapping

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import get_object_or_404

from catalog.choices import TeamRole
from idp_portal.fixed_queries import FixedQuery

PENDING_STATES = frozenset({"planned", "awaiting_approval"})


# --- who is who -------------------------------------------------------------------------------
def is_platform_admin(user) -> bool:
    """Platform admins are the portal's staff users."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_staff)


def memberships(user) -> list:
    """The user's TeamMemberships with their teams, read once per user object (one request)
    and shared by the policy, the navigation and every page section."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_portal_memberships", None)
    if cached is None:
        cached = user._portal_memberships = _MEMBERSHIPS(user.pk)
    return cached


def _memberships_of(user_id: int):
    from catalog.models import TeamMembership

    return TeamMembership.objects.filter(user=user_id).select_related("team")


# Every signed-in page asks, so its SQL is compiled once per process (idp_portal/fixed_queries.py).
_MEMBERSHIPS = FixedQuery(_memberships_of, int)


def team_roles(user) -> dict[int, str]:
    """{team id: role} for the user."""
    return {m.team_id: m.role for m in memberships(user)}


def forget_roles(user) -> None:
    """Drop the cached memberships (after they change within the same request)."""
    user.__dict__.pop("_portal_memberships", None)


def _team_id(team) -> int | None:
    return team if isinstance(team, int) or team is None else team.pk


def is_member(user, team) -> bool:
    """Member of `team` (a Team or its id) in any role, lead included."""
    team_id = _team_id(team)
    return team_id is not None and team_id in team_roles(user)


def is_lead(user, team) -> bool:
    team_id = _team_id(team)
    return team_id is not None and team_roles(user).get(team_id) == TeamRole.LEAD


def member_team_ids(user) -> list[int]:
    return list(team_roles(user))


def lead_team_ids(user) -> list[int]:
    return [t for t, role in team_roles(user).items() if role == TeamRole.LEAD]


# --- the rules --------------------------------------------------------------------------------
def _owner_team_id(obj) -> int | None:
    """The team that owns `obj`: a Team itself, or a row's `team_id` / `owner_id`."""
    from catalog.models import Team

    if obj is None or isinstance(obj, int):
        return obj
    if isinstance(obj, Team):
        return obj.pk
    for attribute in ("team_id", "owner_id"):
        if isinstance(obj, Mapping) and attribute in obj:  # a values() row, e.g. a roll-up
            return obj[attribute]
        if hasattr(obj, attribute):
            return getattr(obj, attribute)
    return None


def _admin_or_member(user, obj) -> bool:
    return is_platform_admin(user) or is_member(user, _owner_team_id(obj))


def _admin_or_lead(user, obj) -> bool:
    return is_platform_admin(user) or is_lead(user, _owner_team_id(obj))


def _admin_only(user, obj) -> bool:
    return is_platform_admin(user)


def _signed_in(user, obj) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _approve(user, req) -> bool:
    """A held request, approved by a lead of its team or a platform admin, never its requester."""
    if req is None or req.state != "awaiting_approval" or req.requester_id == user.pk:
        return False
    if req.team_id is None:
        return is_platform_admin(user)
    return _admin_or_lead(user, req)


def _cancel(user, req) -> bool:
    """A request before work starts: its requester, a lead of its team, or a platform admin."""
    if req is None or req.state not in PENDING_STATES:
        return False
    return req.requester_id == user.pk or _admin_or_lead(user, req)


def _retry(user, req) -> bool:
    """A failed request re-runs its (already approved) plan: any member of its team."""
    return req is not None and req.state == "failed" and _admin_or_member(user, req)


def _deploy(user, target) -> bool:
    """Deploy or promote: members of the owning team; to production it waits for a lead."""
    return _admin_or_member(user, target)


def _sync(user, target) -> bool:
    """Argo CD "Sync now" (`target`: the service's team and whether the environment is
    production): members of the owning team outside production; production changes only
    through an approved deployment."""
    return not getattr(target, "is_production", True) and _admin_or_member(user, target)


RULES: dict[str, Callable] = {
    # reading
    "request.view": lambda user, req: (
        is_platform_admin(user) if req.team_id is None else _admin_or_member(user, req)
    ),
    "resource.view": _admin_or_member,
    # provisioning requests
    "request.create": _admin_or_member,  # obj: the owning Team, or a Component
    "request.approve": _approve,
    # approves some team's requests at all (a lead or a platform admin): the Approvals badge
    "request.approve_any": lambda user, obj: is_platform_admin(user) or bool(lead_team_ids(user)),
    "request.cancel": _cancel,
    "request.retry": _retry,
    "resource.reconcile": _admin_or_member,
    # may wait: decommission_needs_approval(); a service's own wiring goes only with it
    "resource.decommission": lambda user, resource: (
        _admin_or_member(user, resource) and not getattr(resource, "is_service_plumbing", False)
    ),
    # golden-path services
    "service.deploy": _deploy,
    "service.upgrade": _admin_or_member,
    "service.sync": _sync,  # obj: provisioning.argocd_section.SyncTarget
    "golden_path.update": _admin_only,
    "parity.report": _admin_only,
    # observability
    "backfill.run": lambda user, component: (
        _admin_only(user, None) if component is None else _admin_or_member(user, component)
    ),
    "coverage.refresh": _admin_only,
    "on_call.edit": _admin_or_lead,
    # find or create the team's PagerDuty service and store its key in Vault
    "on_call.connect": _admin_or_lead,
    "on_call.view": _signed_in,  # who is on call now: anyone signed in may page a team
    # catalog and the platform
    "catalog.import": _admin_only,
    "catalog.import_trust": _admin_only,
    "audit.view": _admin_only,
    "admin.access": _admin_only,
    "integrations.view": _admin_only,  # status of every external system, and "test connection"
    # the feedback loop
    "survey.results": _signed_in,  # aggregates only, behind the minimum group size
    "survey.export": _admin_only,
    "metrics.view": _admin_only,
    "tickets.import": _admin_only,
    "pilot.report": _admin_only,
    "friction.triage": _admin_only,
    "roadmap.vote": _signed_in,
    "office_hours.sign_up": _signed_in,
    "help.request": _signed_in,
    # everyone signed in
    "token.manage": _signed_in,
    # A personal token is its owner's alone, platform admins included.
    "token.revoke": lambda user, token: token is not None and token.user_id == user.pk,
    "survey.answer": _signed_in,
    "friction.report": _signed_in,
}


def can(user, action: str, obj=None) -> bool:
    """May `user` do `action` to `obj`? Unknown actions are a programming error, never a yes."""
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"no access rule for {action!r}: add it to catalog.access.RULES")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(rule(user, obj))


def require(user, action: str, obj=None, why: str = "") -> None:
    """Raise PermissionDenied saying `why` (what to do instead) unless `can()`; the refusal is
    recorded in the audit trail."""
    if can(user, action, obj):
        return
    from idp_portal import audit

    team = _owner_team_name(obj)
    audit.record(user, action, obj, team=team, outcome="denied", detail=why)
    raise PermissionDenied(why or "You are not allowed to do this.")


def _owner_team_name(obj) -> str:
    team = getattr(obj, "team", None) or getattr(obj, "owner", None)
    return getattr(team, "name", "") if team is not None else ""


def decommission_needs_approval(user, resource, environment_is_production: bool) -> str:
    """Why deleting `resource` waits for a second person, or "" when it may go at once.

    Anything in production waits; elsewhere a lead of the owning team (or a platform admin)
    may decommission at once, and anyone else waits for one of them.
    """
    if environment_is_production:
        return "decommissioning in production needs a team lead's approval"
    if not _admin_or_lead(user, resource):
        return "decommissioning needs the approval of a team lead"
    return ""


# --- lookups ----------------------------------------------------------------------------------
def get_entity_or_404(queryset: QuerySet, namespace: str, name: str):
    """Entity names are unique per kind and namespace regardless of case, as in Backstage.

    Compared as lower(), the expression the unique index is built on: `iexact` becomes UPPER()
    on PostgreSQL, which no index serves, and scanned 100,000 rows per page view.
    """
    return get_object_or_404(named(queryset, namespace.lower(), name.lower()))


def named(queryset: QuerySet, namespace: str, name: str) -> QuerySet:
    """The entities of `queryset` named so, given in lower case (see get_entity_or_404)."""
    matches = queryset.alias(ns_lower=Lower("namespace"), name_lower=Lower("name"))
    return matches.filter(ns_lower=namespace, name_lower=name)


def get_fixed_entity_or_404(query, namespace: str, name: str):
    """get_entity_or_404 for a FixedQuery (idp_portal/fixed_queries.py) built with named()."""
    rows = query(namespace.lower(), name.lower())
    if not rows:
        raise Http404(f"No {query.model._meta.object_name} matches the given query.")
    if len(rows) > 1:
        raise query.model.MultipleObjectsReturned("more than one entity has this name")
    return rows[0]
