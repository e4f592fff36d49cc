"""Every write of the provisioning app: submit, approve, cancel, retry, record."""

import logging

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from catalog import access
from catalog.models import Component
from idp_portal import audit
from idp_portal.models import AuditEvent
from provisioning.batched_writes import (
    insert_statements,
    instances,
    send_together,
    several_statements_per_query,
)
from provisioning.choices import EventKind, RequestState, ResourceState, StepState
from provisioning.models import (
    Environment,
    GovernancePolicy,
    ProvisionedResource,
    ProvisioningRequest,
    RequestEvent,
    RequestStep,
)
from provisioning.planning import EnvironmentSpec, Plan, PlanContext
from provisioning.policy import NamingPolicy
from provisioning.resource_types import RESOURCE_TYPES

logger = logging.getLogger(__name__)


class NameTaken(Exception):
    """Another request already claimed one of the planned names."""


def current_policy() -> NamingPolicy:
    return naming_policy(latest_policy())


def environment_spec(env: Environment) -> EnvironmentSpec:
    return EnvironmentSpec(
        name=env.name,
        region=env.region,
        vpc_id=env.vpc_id,
        subnet_ids=tuple(env.subnet_ids),
        app_cidr=env.app_cidr,
        db_subnet_group=env.db_subnet_group,
        kubernetes_cluster=env.kubernetes_cluster,
        namespace_pattern=env.namespace_pattern,
        vault_mount=env.vault_mount,
        cost_center=env.cost_center_default,
        display_name=env.display_name,
    )


# Passed as `policy` when the caller has not read the governance row (None: there is none).
NOT_READ = object()


def latest_policy() -> GovernancePolicy | None:
    return _newest_policy_first().first()


def _newest_policy_first():
    return GovernancePolicy.objects.order_by("-updated_at")


def _one_query_submit() -> bool:
    """Whether `_store_new_request` stores a request and its rows in one query: on PostgreSQL
    outside a transaction, once the request's id is taken from its sequence."""
    return not connection.in_atomic_block and several_statements_per_query()


def _policy_and_new_id() -> tuple[GovernancePolicy | None, int | None]:
    """The latest policy and, where submit stores the request in one query, a new request id
    from the sequence, read in the same round trip (the id is spent even if the plan then
    fails: a gap in the ids, as a rolled-back insert leaves). Elsewhere the id is None."""
    if not _one_query_submit():
        return latest_policy(), None
    if (kept := _POLICY_AND_ID_SQL.get(connection.vendor)) is None:
        policy_sql, params = _newest_policy_first()[:1].query.sql_with_params()
        kept = _POLICY_AND_ID_SQL[connection.vendor] = (
            f"SELECT ({_NEXT_REQUEST_ID}), latest.* FROM (SELECT 1) AS one "  # noqa: S608
            f"LEFT JOIN ({policy_sql}) AS latest ON TRUE",
            params,
        )
    with connection.cursor() as cursor:
        cursor.execute(*kept)
        new_id, *policy = cursor.fetchone()
    return (instances(GovernancePolicy, [policy])[0] if policy[0] is not None else None), new_id


_NEXT_REQUEST_ID = (
    f"SELECT nextval(pg_get_serial_sequence('{ProvisioningRequest._meta.db_table}', "
    f"'{ProvisioningRequest._meta.pk.column}'))"
)
# per database vendor: the query's SQL and parameters, which never change
_POLICY_AND_ID_SQL: dict[str, tuple[str, tuple]] = {}


def plan_for(
    type_slug: str, component: Component, env: Environment, params: dict, policy=NOT_READ
) -> Plan:
    """Plan without side effects; raises PlanError with per-field messages."""
    naming = naming_policy(latest_policy() if policy is NOT_READ else policy)
    context = PlanContext(component.owner.name, component.name, environment_spec(env), naming)
    return RESOURCE_TYPES[type_slug].planner(context, params)


def naming_policy(row: GovernancePolicy | None) -> NamingPolicy:
    if row is None:
        return NamingPolicy()
    return NamingPolicy(
        row.naming_pattern, tuple(row.required_tags), row.managed_by, row.max_purpose_length
    )


def approval_reason(env: Environment, plan: Plan, policy=NOT_READ) -> str:
    if env.requires_approval:
        return f"{env.display_name} requests need a team lead's approval"
    row = latest_policy() if policy is NOT_READ else policy
    threshold = getattr(row, "approval_monthly_cost_usd", 500)
    if plan.monthly_cost_usd > threshold:
        return (
            f"estimated ${plan.monthly_cost_usd}/month is over the ${threshold} approval threshold"
        )
    return ""


def new_event(request: ProvisioningRequest, actor: str, kind: str, message: str) -> RequestEvent:
    """An event of the request's log, logged now and saved by the caller (with other writes)."""
    log_event(request.pk, actor, kind, message)
    return RequestEvent(request=request, actor=actor, kind=kind, message=message)


def log_event(request_id: int, actor: str, kind: str, message: str) -> None:
    """The log line of an event of a request's log."""
    logger.info("request %s [%s] %s: %s", request_id, kind, actor, message)


def log_events(events: list[RequestEvent]) -> None:
    """The log lines of events made without one (stored first, logged after)."""
    for event in events:
        log_event(event.request_id, event.actor, event.kind, event.message)


def record(request: ProvisioningRequest, actor: str, kind: str, message: str) -> None:
    new_event(request, actor, kind, message).save()


def submit_request(
    user,
    type_slug: str,
    component: Component,
    env: Environment,
    params: dict,
    idempotency_key: str = "",
) -> ProvisioningRequest:
    """1. Return the earlier request for a repeated idempotency key; 2. plan; 3. claim every
    planned name (first come, first served); 4. queue it, or hold it for approval.

    Raises PlanError (bad input) or NameTaken (someone else has the name); nothing is left behind.
    """
    key = idempotency_key or None
    if key and (
        earlier := ProvisioningRequest.objects.filter(requester=user, idempotency_key=key).first()
    ):
        return earlier
    policy, new_id = _policy_and_new_id()
    plan = plan_for(type_slug, component, env, params, policy)
    reason = approval_reason(env, plan, policy)
    actor = user.get_username()
    # Created queued (or held) at once: one write fewer than PLANNED then an update.
    request = ProvisioningRequest(
        id=new_id,
        requester=user,
        team=component.owner,
        component=component,
        service_name=component.name,
        environment=env,
        type=type_slug,
        parameters=params,
        plan=plan.to_json(),
        state=RequestState.AWAITING_APPROVAL if reason else RequestState.QUEUED,
        heartbeat_at=None if reason else timezone.now(),
        idempotency_key=key,
        needs_approval_reason=reason,
        submitted_at=timezone.now(),
    )

    def rows_of(request: ProvisioningRequest) -> list[list]:
        """The names (a taken one raises IntegrityError as they are stored, and the whole
        request is rolled back), the steps, the log and the audit event, per model."""
        steps = [
            RequestStep(
                request=request, position=i, name=f"ensure {r.kind} {r.name}",
                resource=r.to_json(),
            )
            for i, r in enumerate(plan.resources)
        ]  # fmt: skip
        events = [
            RequestEvent(
                request=request, actor=actor, kind=EventKind.TRANSITION,
                message=f"Requested by {actor}: {plan.summary}",
            ),
            RequestEvent(
                request=request, actor="portal", kind=EventKind.TRANSITION,
                message=_held_message(request) if reason else QUEUED,
            ),
        ]  # fmt: skip
        return [_inventory(request, plan), steps, events, [_audit_event_of_new(request)]]

    try:
        rows = _store_new_request(request, rows_of)
    except IntegrityError as exc:
        if key and (
            earlier := ProvisioningRequest.objects.filter(
                requester=user, idempotency_key=key
            ).first()
        ):
            return earlier  # a double submit raced us to the same key
        raise NameTaken(_taken_message(plan)) from exc
    if not reason:
        _send_on_commit(request)
    # Logged once stored (a request refused for a taken name logs nothing) and after the
    # message is sent, so the worker's pickup does not wait for the log lines.
    log_events(rows[2])
    audit.logged(rows[-1][0])
    return request


def _store_new_request(request: ProvisioningRequest, rows_of) -> list[list]:
    """Insert `request`, then the rows `rows_of(request)` makes (a list per model), as one
    transaction; returns those rows.

    On PostgreSQL outside a transaction: in one round trip once the request has its id from
    the request's sequence (`_policy_and_new_id` takes it; here, when the caller did not), as
    the statements of one query are a transaction of their own (no BEGIN and COMMIT round
    trips, no ORM save). Elsewhere, or inside the caller's transaction (where a savepoint keeps
    a taken name from breaking it): the ORM's insert, then the rows, inside `atomic`.
    """
    if not _one_query_submit():
        with transaction.atomic():
            request.save(force_insert=True)
            rows = rows_of(request)
            send_together([s for objs in rows for s in insert_statements(objs)])
        return rows
    if request.pk is None:
        with connection.cursor() as cursor:
            cursor.execute(_NEXT_REQUEST_ID)
            request.pk = cursor.fetchone()[0]
    rows = rows_of(request)
    send_together(
        insert_statements([request], with_primary_key=True)
        + [s for objs in rows for s in insert_statements(objs)]
    )
    request._state.adding, request._state.db = False, connection.alias  # as a save leaves it
    return rows


def _claim_names(request: ProvisioningRequest, plan: Plan) -> None:
    """Reserve every planned name (first come, first served: the names are unique)."""
    ProvisionedResource.objects.bulk_create(_inventory(request, plan))


def _inventory(request: ProvisioningRequest, plan: Plan) -> list[ProvisionedResource]:
    """The pending inventory rows of a plan, each under the environment it belongs to: a
    GitOps overlay or deployment row where its name places it, a cloud or Vault resource where
    its cost tag says (a new service's prod overlay and prod secrets path are prod's)."""
    named = {
        (r.provider, r.kind, r.name): environment_in_name(r.provider, r.kind, r.name)
        or r.tags.get("environment")
        for r in plan.resources
    }
    own = request.environment.name if request.environment else None
    # Read the environments only when a name belongs to another one (a new service's prod files).
    others = {name for name in named.values() if name and name != own}
    by_name = {e.name: e for e in Environment.objects.filter(name__in=others)} if others else {}

    def environment_of(r) -> Environment:
        return by_name.get(named[r.provider, r.kind, r.name] or "", request.environment)

    return [
        ProvisionedResource(
            team=request.team,
            component=request.component,
            environment=environment_of(r),
            request=request,
            provider=r.provider,
            kind=r.kind,
            name=r.name,
            tags=r.tags,
            config=r.config,
            state=ResourceState.PENDING,
        )
        for r in plan.resources
    ]


def planned_name_taken(plan: Plan, what_to_do: str = "pick another purpose") -> str:
    """Why one of the plan's names cannot be had because something already has it, or "".

    Checked when the plan is shown, so a taken name is reported before Create, not after.
    """
    for r in plan.resources:
        owner = (
            ProvisionedResource.objects.filter(provider=r.provider, kind=r.kind, name=r.name)
            .select_related("team")
            .first()
        )
        if owner:
            return (
                f"the name {r.name} is already taken by team {owner.team.display_name} "
                f"(request #{owner.request_id}): {what_to_do}"
            )
    return ""


def _taken_message(plan: Plan) -> str:
    return (
        planned_name_taken(plan)
        or "one of the planned names was just taken: submit again to get a fresh plan"
    )


AUDIT_ACTIONS = {
    "decommission": "resource.decommission",
    "reconcile": "resource.reconcile",
    "service": "service.create",
    "deploy": "service.deploy",
    "backfill": "backfill.run",
}


def audit_created(request: ProvisioningRequest) -> None:
    """One audit event per new request, named by what it does (`service.deploy`, …)."""
    event = _audit_event_of_new(request)
    event.save(force_insert=True)
    audit.logged(event)


def _audit_event_of_new(request: ProvisioningRequest) -> AuditEvent:
    return audit.new_event(
        request.requester,
        AUDIT_ACTIONS.get(request.type, "request.create"),
        request,
        team=request.team.name if request.team_id else "",
        after={
            "type": request.type,
            "service": request.service_name,
            "environment": request.environment.name if request.environment_id else "",
            "summary": request.plan.get("summary", ""),
            "waits_for_approval": request.needs_approval_reason,
        },
    )


QUEUED = "Queued: a worker starts on it next"


def _held_event(request: ProvisioningRequest) -> RequestEvent:
    return new_event(request, "portal", EventKind.TRANSITION, _held_message(request))


def _held_message(request: ProvisioningRequest) -> str:
    return f"Waiting for approval: {request.needs_approval_reason}; nothing is made until then"


def _queue_or_hold(request: ProvisioningRequest, actor: str) -> None:
    audit_created(request)
    if request.needs_approval_reason:
        request.state = RequestState.AWAITING_APPROVAL
        request.save(update_fields=["state"])
        _held_event(request).save()
    else:
        enqueue(request, "portal", QUEUED)


def enqueue(request: ProvisioningRequest, actor: str, why: str) -> None:
    """Mark queued and send to a worker once the transaction commits (never before)."""
    request.state = RequestState.QUEUED
    request.heartbeat_at = timezone.now()
    request.save(update_fields=["state", "heartbeat_at"])
    _queued_event(request, actor, why).save()
    _send_on_commit(request)


def _queued_event(request: ProvisioningRequest, actor: str, why: str) -> RequestEvent:
    return new_event(request, actor, EventKind.TRANSITION, why)


def _send_on_commit(request: ProvisioningRequest) -> None:
    from provisioning.tasks import apply_request

    transaction.on_commit(lambda: apply_request.delay(request.pk))


@transaction.atomic
def approve_request(request: ProvisioningRequest, approver) -> bool:
    """Approve a held request; False when it was no longer waiting (a second click).

    The conditional update re-checks the four-eyes rule in the database itself: a replayed or
    forged approval by the requester changes nothing, whatever a caller checked before.
    """
    changed = (
        ProvisioningRequest.objects.filter(pk=request.pk, state=RequestState.AWAITING_APPROVAL)
        .exclude(requester=approver)
        .update(approved_by=approver, approved_at=timezone.now())
    )
    if not changed:
        return False
    request.refresh_from_db()
    enqueue(
        request,
        approver.get_username(),
        f"Approved by {approver.get_username()} (asked by {request.requester.get_username()}); "
        "applying now",
    )
    _audit_transition(approver, "request.approve", request)
    return True


def _audit_transition(user, action: str, request: ProvisioningRequest) -> None:
    audit.record(
        user,
        action,
        request,
        team=request.team.name if request.team_id else "",
        after={"state": request.state},
    )


@transaction.atomic
def cancel_request(request: ProvisioningRequest, user) -> bool:
    """Cancel before work starts; its names are released."""
    changed = ProvisioningRequest.objects.filter(
        pk=request.pk, state__in=[RequestState.PLANNED, RequestState.AWAITING_APPROVAL]
    ).update(state=RequestState.CANCELLED, finished_at=timezone.now())
    if changed:
        ProvisionedResource.objects.filter(request=request, state=ResourceState.PENDING).delete()
        record(
            request,
            user.get_username(),
            EventKind.TRANSITION,
            f"Cancelled by {user.get_username()}: nothing was made",
        )
        request.state = RequestState.CANCELLED
        _audit_transition(user, "request.cancel", request)
    return bool(changed)


@transaction.atomic
def retry_request(request: ProvisioningRequest, user) -> bool:
    """Re-run a failed request from its failed step; succeeded steps are not repeated."""
    changed = ProvisioningRequest.objects.filter(pk=request.pk, state=RequestState.FAILED).update(
        failure="", finished_at=None
    )
    if not changed:
        return False
    request.refresh_from_db()
    request.steps.filter(state=StepState.FAILED).update(state=StepState.PENDING, attempts=0)
    enqueue(
        request,
        user.get_username(),
        f"Retried by {user.get_username()} from the failed step; applying now",
    )
    _audit_transition(user, "request.retry", request)
    return True


def environment_in_name(provider: str, kind: str, name: str) -> str | None:
    """The environment a portal or GitOps row's name places it in (`…/overlays/prod`,
    `apps/<svc>/prod/observability`, `<svc>/prod` for a deployment); None when the name is
    shared by every environment (the repository, the base, the Argo CD applications)."""
    parts = name.split(":", 1)[-1].split("/")
    if provider == "portal" and kind == "deployment" and len(parts) == 2:
        return parts[1]
    if provider == "git" and len(parts) >= 4 and parts[0] == "apps":
        if parts[2] == "overlays":
            return parts[3]
        if parts[3] == "observability":
            return parts[2]
    return None


def real_environment(resource: ProvisionedResource) -> tuple[Environment, str]:
    """The environment a resource really lives in, and why when it is every environment.

    Cloud resources carry theirs; a GitOps or portal row's name says it. Rows shared by every
    environment (the repository, the base, the Argo CD applications, the catalog entry) count
    as the strictest one, production.
    """
    if resource.provider not in {"git", "portal"}:
        return resource.environment, ""
    name = environment_in_name(resource.provider, resource.kind, resource.name)
    if name and (env := Environment.objects.filter(name=name).first()):
        return env, ""
    strictest = Environment.objects.filter(requires_approval=True).first()
    return strictest or resource.environment, "it is shared by every environment"


def follow_up_request(user, resource: ProvisionedResource, action: str) -> ProvisioningRequest:
    """A one-step request that reconciles (re-ensures) or decommissions an existing resource.

    A decommission carries the resource's real environment and waits for a lead's approval
    when the policy says so (production, or a requester who is not a lead).
    """
    env, shared = real_environment(resource)
    reason = ""
    if action == "decommission":
        reason = access.decommission_needs_approval(
            user, resource, env.requires_approval or bool(shared)
        )
        if reason and shared:
            reason = f"{reason} ({resource.name}: {shared})"
    with transaction.atomic():
        request = ProvisioningRequest.objects.create(
            requester=user,
            team=resource.team,
            component=resource.component,
            service_name=resource.component.name if resource.component else resource.name,
            environment=env,
            type=action,
            plan={"resources": [], "summary": f"{action} {resource.kind} {resource.name}"},
            state=RequestState.PLANNED,
            needs_approval_reason=reason[:200],
            submitted_at=timezone.now(),
        )
        planned = {
            "provider": resource.provider,
            "kind": resource.kind,
            "name": resource.name,
            "tags": resource.tags,
            "config": resource.config,
        }
        RequestStep.objects.create(
            request=request,
            position=0,
            name=f"{action} {resource.kind} {resource.name}",
            resource=planned,
            action="decommission" if action == "decommission" else "ensure",
        )
        ProvisionedResource.objects.filter(pk=resource.pk).update(request=request)
        record(
            request,
            user.get_username(),
            EventKind.TRANSITION,
            f"Requested by {user.get_username()}: {action} {resource.kind} {resource.name}",
        )
        _queue_or_hold(request, user.get_username())
    return request


def submit_steps(
    user,
    summary: str,
    request_type: str,
    resources: list,
    team=None,
    component=None,
    environment=None,
    parameters: dict | None = None,
    claim: bool = True,
) -> ProvisioningRequest:
    """A request made of ready-planned resources (golden paths, backfills): record, claim, queue.

    `team=None` marks a platform-wide request, visible to platform admins only. With
    `claim=False` names are not reserved (e.g. files in a shared GitOps repository, which many
    requests update idempotently).
    """
    with transaction.atomic():
        request = ProvisioningRequest.objects.create(
            requester=user,
            team=team,
            component=component,
            service_name=component.name if component else "",
            environment=environment,
            type=request_type,
            parameters=parameters or {},
            plan={"resources": [r.to_json() for r in resources], "summary": summary},
            state=RequestState.PLANNED,
            submitted_at=timezone.now(),
        )
        if claim:
            _claim_names(request, Plan(resources, 0, summary))
        RequestStep.objects.bulk_create(
            RequestStep(
                request=request, position=i, name=f"ensure {r.kind} {r.name}", resource=r.to_json()
            )
            for i, r in enumerate(resources)
        )
        record(
            request,
            user.get_username(),
            EventKind.TRANSITION,
            f"Requested by {user.get_username()}: {summary}",
        )
        _queue_or_hold(request, user.get_username())
    return request


def start_planned_request(
    request: ProvisioningRequest, steps: list[tuple[str, object]], actor: str, claim: bool = True
) -> None:
    """Claim the names, add one step per (title, PlannedResource), then queue or hold.

    For requests whose plan the caller built (a new service, a deployment): create the request
    in state PLANNED (with `needs_approval_reason` set when it must wait), then call this in the
    same transaction. Raises IntegrityError when a planned name is already claimed.
    """
    summary = request.plan.get("summary", "")
    if claim:
        _claim_names(request, Plan([r for _, r in steps], 0, summary))
    RequestStep.objects.bulk_create(
        RequestStep(request=request, position=i, name=title[:200], resource=r.to_json())
        for i, (title, r) in enumerate(steps)
    )
    record(request, actor, EventKind.TRANSITION, f"Requested by {actor}: {summary}")
    _queue_or_hold(request, actor)
