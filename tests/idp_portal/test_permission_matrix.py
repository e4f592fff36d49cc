"""The permission matrix, generated from the URL map.

Every URL the portal serves is either in MATRIX (each way to call it, with the rule that says
who may) or in NOT_IN_MATRIX with the reason. A new URL in neither fails
`test_every_url_has_a_rule`, so no endpoint ships without someone deciding who may call it.

Each endpoint is called by five roles — platform admin, lead and member of `payments`, a
member of `search` ("outsider"), anonymous — on an object of `payments` and one of `search`,
and the answer must be the rule's: allowed (2xx, or a redirect that is not the sign-in page),
refused (403, recorded in the audit trail), or sign in first (redirect to the
sign-in page; 401 JSON under /api/).
"""

import json
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from catalog.choices import TeamRole
from catalog.models import Domain
from feedback.metrics.models import PilotProgramme
from provisioning import services
from provisioning.choices import RequestState
from provisioning.demo import seed_golden_paths
from provisioning.models import (
    Environment,
    GoldenPath,
    ProvisionedResource,
    ProvisioningRequest,
    ServiceOrigin,
)
from tests.factories import (
    add_member,
    enroll_totp,
    make_api,
    make_component,
    make_friction_report,
    make_office_hours,
    make_resource,
    make_roadmap_item,
    make_system,
    make_team,
    make_token,
    make_user,
)

ROLES = ("admin", "lead", "member", "outsider", "anonymous")
TEAMS = ("payments", "search")
BUCKET = {"purpose": "assets", "versioning": True, "encryption": "AES256", "lifecycle": "none"}

# --- who is allowed, per rule: (role, team of the object) -> allowed? ------------------------


def _in_team(role: str, team: str) -> bool:
    return (role in {"lead", "member"} and team == "payments") or (
        role == "outsider" and team == "search"
    )


RULES = {
    "signed_in": lambda role, team: role != "anonymous",
    "member": lambda role, team: role == "admin" or _in_team(role, team),
    # Leads of the object's team (search has no lead in this world) and admins.
    "lead": lambda role, team: role == "admin" or (role == "lead" and team == "payments"),
    "admin": lambda role, team: role == "admin",
    # A personal token: only the person it belongs to (payments': the member's; search's: the
    # outsider's), admins included in "nobody else".
    "owner": lambda role, team: role == ("member" if team == "payments" else "outsider"),
}


@dataclass
class Call:
    method: str
    path: str  # formatted with the world: {request}, {resource}, {service}, {team}, ...
    data: dict = field(default_factory=dict)
    json: bool = False


@dataclass
class Entry:
    rule: str
    calls: list[Call]


DEPLOY = "/provisioning/services/{origin}/deploy/"

MATRIX: dict[str, Entry] = {
    # --- pages and reads: everyone signed in ---------------------------------------------------
    "home": Entry("signed_in", [Call("get", "/")]),
    "help": Entry("signed_in", [Call("get", "/help/")]),
    "catalog:service_list": Entry("signed_in", [Call("get", "/catalog/")]),
    "catalog:service_detail": Entry(
        "signed_in", [Call("get", "/catalog/services/default/{service}/")]
    ),
    "catalog:service_dependents": Entry(
        "signed_in", [Call("get", "/catalog/services/default/{service}/dependents/")]
    ),
    "catalog:team_detail": Entry("signed_in", [Call("get", "/catalog/teams/default/{team}/")]),
    "catalog:system_detail": Entry(
        "signed_in", [Call("get", "/catalog/systems/default/{system}/")]
    ),
    "catalog:domain_detail": Entry(
        "signed_in", [Call("get", "/catalog/domains/default/{domain}/")]
    ),
    "catalog:api_detail": Entry("signed_in", [Call("get", "/catalog/apis/default/{api}/")]),
    "catalog:resource_detail": Entry(
        "signed_in", [Call("get", "/catalog/resources/default/{catalog_resource}/")]
    ),
    "catalog_api:entities": Entry("signed_in", [Call("get", "/api/catalog/entities")]),
    "catalog_api:entities_by_query": Entry(
        "signed_in",
        [
            Call("get", "/api/catalog/entities/by-query"),
            Call(
                "post",
                "/api/catalog/entities/by-query",
                {"query": {"kind": "component"}, "limit": 5},
                json=True,
            ),
        ],
    ),
    "catalog_api:entities_by_refs": Entry(
        "signed_in",
        [
            Call(
                "post",
                "/api/catalog/entities/by-refs",
                {"entityRefs": ["component:default/{service}"]},
                json=True,
            )
        ],
    ),
    "catalog_api:entity_by_uid": Entry(
        "signed_in", [Call("get", "/api/catalog/entities/by-uid/{service_uid}")]
    ),
    "catalog_api:entity_by_name": Entry(
        "signed_in", [Call("get", "/api/catalog/entities/by-name/component/default/{service}")]
    ),
    "catalog_api:entity_facets": Entry(
        "signed_in",
        [
            Call("get", "/api/catalog/entity-facets?facet=kind"),
            Call(
                "post",
                "/api/catalog/entity-facets",
                {"facets": ["kind"], "query": {"kind": "component"}},
                json=True,
            ),
        ],
    ),
    "provisioning:index": Entry("signed_in", [Call("get", "/provisioning/")]),
    "provisioning:create_service": Entry(
        "signed_in", [Call("get", "/provisioning/create-service/")]
    ),
    "provisioning:create_service_check_name": Entry(
        "signed_in", [Call("get", "/provisioning/create-service/check-name/?name=new-one")]
    ),
    "provisioning:my_requests": Entry("signed_in", [Call("get", "/provisioning/requests/")]),
    "provisioning:approvals": Entry("signed_in", [Call("get", "/provisioning/approvals/")]),
    # Another team's AWS resources are left out of the file, never shown.
    "provisioning:terraform_export": Entry(
        "signed_in", [Call("get", "/provisioning/services/default/{service}/terraform.tf")]
    ),
    "provisioning_api:golden_paths": Entry(
        "signed_in", [Call("get", "/api/provisioning/golden-paths")]
    ),
    "observability:index": Entry("signed_in", [Call("get", "/observability/")]),
    "observability_api:coverage": Entry(
        "signed_in", [Call("get", "/api/observability/coverage?service={service}")]
    ),
    "api_schema": Entry("signed_in", [Call("get", "/api/schema")]),
    "tokens": Entry(
        "signed_in",
        [
            Call("get", "/accounts/tokens/"),
            Call("post", "/accounts/tokens/", {"name": "ci", "scope": "read", "days": "30"}),
        ],
    ),
    "token_revoke": Entry("owner", [Call("post", "/accounts/tokens/{token}/revoke")]),
    # --- a team's own rows: members (and admins) -----------------------------------------------
    "provisioning:request_detail": Entry(
        "member", [Call("get", "/provisioning/requests/{pending}/")]
    ),
    "provisioning_api:request_state": Entry(
        "member", [Call("get", "/api/provisioning/requests/{pending}")]
    ),
    "provisioning:request_form": Entry(
        "member",
        [
            Call(
                "post",
                "/provisioning/request/s3-bucket/",
                {
                    "service": "{service}",
                    "environment": "dev",
                    "purpose": "matrix",
                    "encryption": "AES256",
                    "lifecycle": "none",
                    "action": "submit",
                },
            )
        ],
    ),
    "provisioning_api:request_create": Entry(
        "member",
        [
            Call(
                "post",
                "/api/provisioning/requests",
                {
                    "type": "s3-bucket",
                    "service": "{service}",
                    "environment": "dev",
                    "parameters": {"purpose": "apimatrix"},
                },
                json=True,
            )
        ],
    ),
    "provisioning:create_service_form": Entry(
        "member",
        [
            Call(
                "post",
                "/provisioning/create-service/python-http/",
                {
                    "name": "{team}-new",
                    "owner": "{team}",
                    "description": "Made by the permission matrix",
                    "port": "8080",
                    "python_version": "3.12",
                    "action": "create",
                },
            )
        ],
    ),
    # cancel: the requester (the member / the outsider made these), a lead, an admin
    "provisioning:request_action": Entry(
        "member",
        [
            Call("post", "/provisioning/requests/{pending}/cancel/"),
            Call("post", "/provisioning/requests/{failed}/retry/"),
        ],
    ),
    "provisioning:resource_action": Entry(
        "member",
        [
            Call("post", "/provisioning/resources/{resource}/reconcile/"),
            Call("post", "/provisioning/resources/{resource}/decommission/"),
        ],
    ),
    "provisioning:service_deploy": Entry(
        "member",
        [
            Call(
                "post",
                "/provisioning/services/{origin}/deploy/",
                {"environment": "dev", "tag": "v1"},
            )
        ],
    ),
    "provisioning:service_upgrade": Entry(
        "member", [Call("post", "/provisioning/services/{origin}/upgrade/")]
    ),
    # Argo CD "Sync now" outside production (production: tests/provisioning/test_argocd.py)
    "provisioning:service_sync": Entry(
        "member", [Call("post", "/provisioning/services/{origin}/environments/dev/sync/")]
    ),
    "observability:backfill_service": Entry(
        "member", [Call("post", "/observability/services/default/{service}/backfill/")]
    ),
    # --- leads ---------------------------------------------------------------------------------
    "observability:team_on_call": Entry(
        "lead",
        [
            Call("get", "/observability/teams/{team}/on-call/"),
            Call(
                "post",
                "/observability/teams/{team}/on-call/",
                {
                    "pagerduty_service": "PABC123",
                    "routing_key_secret": "pagerduty-routing",
                    "routing_key_secret_key": "routing-key",
                },
            ),
        ],
    ),
    # --- platform admins -----------------------------------------------------------------------
    "catalog:import_upload": Entry("admin", [Call("get", "/catalog/import/")]),
    "provisioning:parity_report": Entry("admin", [Call("get", "/provisioning/parity/")]),
    "provisioning:updates": Entry("admin", [Call("get", "/provisioning/updates/")]),
    "provisioning:update_open": Entry(
        "admin", [Call("post", "/provisioning/updates/golden-path/{golden_path}/open/")]
    ),
    "observability:team_pagerduty_connect": Entry(
        "lead", [Call("post", "/observability/teams/{team}/on-call/connect/")]
    ),
    "observability:team_on_call_now": Entry(
        "signed_in", [Call("get", "/observability/teams/{team}/on-call/now/")]
    ),
    "integrations:list": Entry("admin", [Call("get", "/platform/integrations/")]),
    "integrations:test": Entry("admin", [Call("post", "/platform/integrations/git_host/test/")]),
    "observability:backfill": Entry("admin", [Call("post", "/observability/backfill/", {})]),
    "observability:refresh": Entry("admin", [Call("post", "/observability/refresh/")]),
    # --- the feedback loop ----------------------------------------------------------------------
    "feedback:help_request": Entry(
        "signed_in",
        [
            Call("get", "/feedback/help/"),
            Call("post", "/feedback/help/", {"category": "how-to", "description": "How do I?"}),
        ],
    ),
    "feedback:index": Entry("signed_in", [Call("get", "/feedback/")]),
    "feedback:survey": Entry(
        "signed_in",
        [Call("get", "/feedback/survey/"), Call("post", "/feedback/survey/", {"save": "1"})],
    ),
    "feedback:survey_answer": Entry(
        "signed_in", [Call("post", "/feedback/survey/answer/{question}/", {"q{question}": "4"})]
    ),
    "feedback:survey_thanks": Entry("signed_in", [Call("get", "/feedback/survey/thanks/")]),
    "feedback:survey_dismiss": Entry("signed_in", [Call("post", "/feedback/survey/dismiss/")]),
    "feedback:survey_results": Entry("signed_in", [Call("get", "/feedback/survey/results/")]),
    "feedback:survey_export": Entry("admin", [Call("get", "/feedback/survey/results/export.csv")]),
    "feedback:roadmap": Entry("signed_in", [Call("get", "/feedback/roadmap/")]),
    "feedback:roadmap_item": Entry(
        "signed_in",
        [
            Call("get", "/feedback/roadmap/{roadmap_item}/"),
            Call("post", "/feedback/roadmap/{roadmap_item}/", {"text": "Nice"}),
        ],
    ),
    "feedback:roadmap_vote": Entry(
        "signed_in", [Call("post", "/feedback/roadmap/{roadmap_item}/vote/", {"vote": "1"})]
    ),
    "feedback:friction_report": Entry(
        "signed_in",
        [
            Call("get", "/feedback/friction/new/?from=/catalog/"),
            Call(
                "post",
                "/feedback/friction/new/",
                {"page": "/catalog/", "trying_to": "find", "what_happened": "lost"},
            ),
        ],
    ),
    "feedback:friction_mine": Entry("signed_in", [Call("get", "/feedback/friction/mine/")]),
    "feedback:friction_triage": Entry("admin", [Call("get", "/feedback/friction/")]),
    "feedback:friction_update": Entry(
        "admin", [Call("post", "/feedback/friction/{friction}/triage/", {"status": "triaged"})]
    ),
    "feedback:office_hours": Entry("signed_in", [Call("get", "/feedback/office-hours/")]),
    "feedback:office_hours_sign_up": Entry(
        "signed_in", [Call("post", "/feedback/office-hours/{session}/sign-up/", {"topic": "DNS"})]
    ),
    "feedback:office_hours_cancel": Entry(
        "signed_in", [Call("post", "/feedback/office-hours/{session}/cancel/")]
    ),
    "feedback:ticket_audit": Entry("admin", [Call("get", "/feedback/tickets/")]),
    "feedback:ticket_export": Entry("admin", [Call("get", "/feedback/tickets/export.csv")]),
    "feedback_api:ticket_audit": Entry("admin", [Call("get", "/api/metrics/ticket-audit")]),
    "feedback_api:platform": Entry("admin", [Call("get", "/api/metrics/platform")]),
    "feedback:metrics": Entry("admin", [Call("get", "/feedback/metrics/")]),
    "feedback:pilot_report": Entry("admin", [Call("get", "/feedback/pilot/")]),
    "feedback:pilot_report_csv": Entry("admin", [Call("get", "/feedback/pilot/{pilot}/csv")]),
    "audit:event_list": Entry("admin", [Call("get", "/audit/")]),
    "audit:event_export": Entry("admin", [Call("get", "/audit/export.csv")]),
}

# The approval is special: the requester may never approve, so it has its own test below.
APPROVE = Call("post", "/provisioning/requests/{pending}/approve/")

NOT_IN_MATRIX = {
    "healthz": "health: open to everyone by design (no data)",
    "readyz": "health: open to everyone by design; details only for admins (test_health.py)",
    "hooks_github": "GitHub's signed webhook: no session, each delivery's HMAC signature is "
    "checked instead (tests/provisioning/test_webhooks.py)",
    "metrics": "Prometheus scrape: no session; the METRICS_TOKEN bearer decides (test_metrics.py)",
    "admin:": "Django's admin: opens for platform admins only (test_admin_access below)",
    "account_": "django-allauth's sign-in, sign-out and password pages",
    "socialaccount_": "django-allauth's single sign-on pages",
    "github_": "django-allauth's GitHub sign-in",
    "openid_connect_": "django-allauth's OIDC sign-in",
    "mfa_": "django-allauth's MFA pages: each user's own authenticators",
}


def _url_names() -> list[str]:
    names = []

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern):
                names.append(f"{namespace}{p.name}" if p.name else f"{namespace}<{p.pattern}>")

    walk(get_resolver().url_patterns)
    return names


def _exempt(name: str) -> bool:
    return any(name.startswith(prefix) for prefix in NOT_IN_MATRIX) or (
        name.startswith("<social/")  # allauth's old social URLs: redirects to the new ones
    )


def test_every_url_has_a_rule():
    missing = [n for n in _url_names() if n not in MATRIX and not _exempt(n)]
    assert not missing, f"add these URLs to MATRIX (who may call them) or NOT_IN_MATRIX: {missing}"


def test_the_matrix_names_no_url_that_is_gone():
    names = set(_url_names())
    assert not [n for n in MATRIX if n not in names]


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture
def world(db, settings, tmp_path):
    """Two teams, each with a service, a held production request, a failed request, an active
    bucket, a golden-path service and one of every catalog kind; the member (payments) and the
    outsider (search) asked for their team's requests."""
    settings.GIT_DIR = tmp_path / "git"
    settings.GIT_HOST = "local"
    seed_golden_paths()
    gp = GoldenPath.objects.get(slug="python-http")
    users = {
        "admin": enrolled(make_user("m-admin", is_staff=True, is_superuser=True)),
        "lead": make_user("m-lead"),
        "member": make_user("m-member"),
        "outsider": make_user("m-outsider"),
    }
    payments, search = make_team("payments"), make_team("search")
    add_member(payments, users["lead"], TeamRole.LEAD)
    add_member(payments, users["member"])
    add_member(search, users["outsider"])
    dev = Environment.objects.get(name="dev")
    prod = Environment.objects.get(name="prod")
    question = open_cycle_with_a_question()
    pilot = PilotProgramme.objects.create(name="Pilot", start_date=date(2026, 1, 1))
    pilot.teams.set([payments, search, make_team("data")])
    objects = {}
    for team, requester in ((payments, "member"), (search, "outsider")):
        component = make_component(f"{team.name}-api", owner=team, type="service")
        pending = services.submit_request(
            users[requester], "s3-bucket", component, prod, {**BUCKET, "purpose": "held"}
        )
        assert pending.state == RequestState.AWAITING_APPROVAL
        failed = services.submit_request(
            users[requester], "s3-bucket", component, dev, {**BUCKET, "purpose": "failed"}
        )
        ProvisioningRequest.objects.filter(pk=failed.pk).update(state=RequestState.FAILED)
        done = services.submit_request(
            users[requester], "s3-bucket", component, dev, {**BUCKET, "purpose": "done"}
        )
        resource = ProvisionedResource.objects.get(request=done)
        ProvisionedResource.objects.filter(pk=resource.pk).update(state="active")
        origin = ServiceOrigin.objects.create(
            name=f"{team.name}-web",
            component=make_component(f"{team.name}-web", owner=team, type="service"),
            golden_path=gp,
            team=team,
            image=f"ghcr.io/acme/{team.name}-web",
        )
        objects[team.name] = {
            "team": team.name,
            "service": component.name,
            "service_uid": component.uid,
            "pending": pending.pk,
            "failed": failed.pk,
            "resource": resource.pk,
            "origin": origin.name,
            "golden_path": gp.pk,
            "system": make_system(f"{team.name}-system", owner=team).name,
            "domain": Domain.objects.create(name=f"{team.name}-domain", owner=team).name,
            "api": make_api(f"{team.name}-rest", owner=team).name,
            "catalog_resource": make_resource(f"{team.name}-db", owner=team).name,
            "token": make_token(users[requester], "write")[0].pk,
            "question": question.pk,
            "pilot": pilot.pk,
            "roadmap_item": make_roadmap_item(title=f"{team.name} item").pk,
            "friction": make_friction_report(user=users[requester]).pk,
            "session": make_office_hours().pk,
        }
    return SimpleNamespace(users=users, objects=objects)


def enrolled(user):
    enroll_totp(user)  # the admin opens only with a second factor
    return user


def open_cycle_with_a_question() -> int:
    """The survey's open cycle with one Likert question (the survey pages need one)."""
    from tests.feedback.survey_factories import likert, make_cycle

    return likert(make_cycle())


def _fill(value, values: dict):
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, dict):
        return {_fill(k, values): _fill(v, values) for k, v in value.items()}
    return value


def _call(client: Client, call: Call, values: dict):
    path, data = _fill(call.path, values), _fill(call.data, values)
    if call.json:
        return client.generic(
            call.method.upper(), path, json.dumps(data), content_type="application/json"
        )
    return getattr(client, call.method)(path, data) if call.method == "post" else client.get(path)


def _outcome(response, path: str) -> str:
    status = response.status_code
    if status == 401 or (status == 302 and "/accounts/login/" in response["Location"]):
        return "sign in"
    if status == 403:
        return "refused"
    if status < 400:
        return "allowed"
    return f"unexpected {status}"


def _expected(rule: str, role: str, team: str) -> str:
    if role == "anonymous":
        return "sign in"
    return "allowed" if RULES[rule](role, team) else "refused"


def _client(world, role: str) -> Client:
    client = Client(enforce_csrf_checks=False)
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_role_gets_the_rules_answer(world, name):
    """All roles × both teams' objects × every way to call the endpoint, each in its own
    savepoint so one call's effects never decide another's answer."""
    entry, problems = MATRIX[name], []
    for call in entry.calls:
        for role in ROLES:
            for team in TEAMS:
                with transaction.atomic():
                    response = _call(_client(world, role), call, world.objects[team])
                    got = _outcome(response, call.path)
                    transaction.set_rollback(True)
                want = _expected(entry.rule, role, team)
                if got != want:
                    problems.append(
                        f"{call.method.upper()} {call.path} as {role} on {team}'s: "
                        f"{got}, want {want}"
                    )
    assert not problems, "\n".join(problems)


def test_only_a_lead_of_the_team_or_an_admin_approves_and_never_the_requester(world):
    """The member asked for payments' request and the outsider for search's: neither may
    approve their own, the lead approves payments', the admin both."""
    want = {
        ("admin", "payments"): "allowed",
        ("admin", "search"): "allowed",
        ("lead", "payments"): "allowed",
        ("lead", "search"): "refused",
        ("member", "payments"): "refused",  # the requester
        ("member", "search"): "refused",
        ("outsider", "payments"): "refused",
        ("outsider", "search"): "refused",  # the requester
        ("anonymous", "payments"): "sign in",
        ("anonymous", "search"): "sign in",
    }
    problems = []
    for (role, team), expected in want.items():
        with transaction.atomic():
            got = _outcome(_call(_client(world, role), APPROVE, world.objects[team]), "")
            transaction.set_rollback(True)
        if got != expected:
            problems.append(f"approve as {role} on {team}'s: {got}, want {expected}")
    assert not problems, "\n".join(problems)


def test_admin_access(world):
    for role in ROLES:
        response = _client(world, role).get("/admin/")
        opened = response.status_code == 200
        assert opened == (role == "admin"), role


def test_a_refused_write_leaves_an_audit_event(world):
    from idp_portal.models import AuditEvent

    client = _client(world, "outsider")
    values = world.objects["payments"]
    _call(
        client,
        Call(
            "post", "/provisioning/services/{origin}/deploy/", {"environment": "dev", "tag": "v1"}
        ),
        values,
    )
    event = AuditEvent.objects.filter(outcome="denied").latest("at")
    assert event.action == "service.deploy" and event.actor == world.users["outsider"]
