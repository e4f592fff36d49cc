"""Small builders for test data: explicit, one line per object, no JSON fixtures."""

import itertools

from django.contrib.auth import get_user_model

from catalog.choices import TeamRole
from catalog.models import (
    Api,
    ApiRelation,
    Component,
    Dependency,
    Link,
    Resource,
    System,
    Tag,
    Team,
    TeamMembership,
)
from catalog.services import search_text_for

PASSWORD = "correct-horse-battery-staple"  # noqa: S105
_seq = itertools.count(1)


def make_user(username: str | None = None, **fields):
    username = username or f"user{next(_seq)}"
    fields.setdefault("email", f"{username}@example.com")
    return get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)


def enroll_totp(user) -> str:
    """Give `user` an authenticator app (as allauth's set-up page does); returns its secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)  # stores the secret encrypted, as allauth does
    return secret


def make_team(name: str | None = None, **fields) -> Team:
    name = name or f"team-{next(_seq)}"
    fields.setdefault("title", name.replace("-", " ").title())
    return Team.objects.create(name=name, **fields)


def add_member(team: Team, user, role: str = TeamRole.MEMBER) -> TeamMembership:
    return TeamMembership.objects.create(team=team, user=user, role=role)


def make_system(name: str | None = None, **fields) -> System:
    return System.objects.create(name=name or f"system-{next(_seq)}", **fields)


def make_component(name: str | None = None, tags: tuple[str, ...] = (), **fields) -> Component:
    name = name or f"service-{next(_seq)}"
    text = search_text_for(name, fields.get("title", ""), fields.get("description", ""), list(tags))
    component = Component.objects.create(name=name, search_text=text, **fields)
    for tag in tags:
        component.tags.add(Tag.objects.get_or_create(name=tag)[0])
    return component


def make_api(name: str | None = None, **fields) -> Api:
    return Api.objects.create(name=name or f"api-{next(_seq)}", **fields)


def make_resource(name: str | None = None, **fields) -> Resource:
    return Resource.objects.create(name=name or f"resource-{next(_seq)}", **fields)


def depends_on(source: Component, target: Component | Resource | None, ref: str = "") -> Dependency:
    """`source` depends on `target`; with target None the reference stays unresolved."""
    fields = {}
    if isinstance(target, Component):
        fields["target_component"] = target
    elif isinstance(target, Resource):
        fields["target_resource"] = target
    return Dependency.objects.create(source=source, target_ref=ref or target.ref, **fields)


def relate_api(component: Component, kind: str, api: Api | None, ref: str = "") -> ApiRelation:
    return ApiRelation.objects.create(
        component=component, kind=kind, api=api, api_ref=ref or api.ref
    )


def add_link(component: Component, url: str, kind: str = "docs", title: str = "") -> Link:
    return Link.objects.create(component=component, url=url, kind=kind, title=title)


def make_descriptor(kind: str, name: str, spec: dict | None = None, **metadata) -> dict:
    """A Backstage descriptor as a dict; `spec` defaults to what the kind requires."""
    required = {
        "Component": {"type": "service", "lifecycle": "production", "owner": "payments"},
        "API": {"type": "openapi", "lifecycle": "production", "owner": "payments",
                "definition": "openapi: 3.0.3\n"},
        "System": {"owner": "payments"},
        "Domain": {"owner": "payments"},
        "Resource": {"type": "database", "owner": "payments"},
        "Group": {"type": "team", "children": []},
        "User": {"memberOf": []},
    }  # fmt: skip
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, **metadata},
        "spec": {**required.get(kind, {}), **(spec or {})},
    }


def descriptor_yaml(*descriptors: dict) -> bytes:
    """Descriptors as the bytes of one multi-document catalog-info.yaml."""
    import yaml

    return yaml.safe_dump_all(descriptors, sort_keys=False).encode()


def make_token(user, scope: str = "read", days: int = 30, name: str = "script"):
    """A personal access token; returns (ApiToken, the secret to send as Bearer)."""
    from idp_portal.tokens import create_token

    return create_token(user, name, scope, days)


# --- feedback: roadmap, friction reports, office hours ---------------------------------------
def make_roadmap_item(title: str | None = None, **fields):
    from feedback.roadmap.models import RoadmapItem

    return RoadmapItem.objects.create(title=title or f"Item {next(_seq)}", **fields)


def make_friction_report(user, **fields):
    from feedback.roadmap.models import FrictionReport

    fields.setdefault("page", "/catalog/")
    fields.setdefault("trying_to", "find my service")
    fields.setdefault("what_happened", "the search showed nothing")
    return FrictionReport.objects.create(user=user, **fields)


def make_office_hours(days_from_now: float = 7, **fields):
    """An office hours session `days_from_now` days ahead (negative: in the past)."""
    from datetime import timedelta

    from django.utils import timezone

    from feedback.roadmap.models import OfficeHoursSession

    fields.setdefault("where", "https://meet.example.com/platform")
    starts_at = timezone.now() + timedelta(days=days_from_now)
    return OfficeHoursSession.objects.create(starts_at=starts_at, **fields)
