"""What the load benchmark's users need in the bench database, and what they left there.

Users signed in through the login form (one session each, shared by several locust users as
browser tabs share one), a read token for the API, the URLs they visit drawn from the
generated catalog, and, after each level, the final states of the provisioning requests.
"""

import secrets
import time
from datetime import datetime
from urllib.parse import urlencode

import requests
from django.db import connection
from django.db.models import Count

from tests.bench.measure import CatalogUrls

USER_PREFIX = "load-user-"
# A queue's name is team-service-environment-purpose, plus "-dlq": SQS allows 80 characters.
MAX_TEAM_AND_SERVICE = 45


def seed_users(count: int) -> tuple[list, str]:
    """`count` users, each a member of one of the biggest teams, with a new random password."""
    from django.contrib.auth import get_user_model

    from catalog.choices import TeamRole
    from catalog.models import Team, TeamMembership

    password = secrets.token_urlsafe(18)
    teams = list(Team.objects.order_by("id")[:count])
    users = []
    for n, team in enumerate(teams, start=1):
        user, _ = get_user_model().objects.get_or_create(username=f"{USER_PREFIX}{n:02}")
        user.set_password(password)
        user.save(update_fields=["password"])
        TeamMembership.objects.get_or_create(
            team=team, user=user, defaults={"role": TeamRole.MEMBER}
        )
        users.append(user)
    return users, password


def requestable_services(user, limit: int = 20) -> list[str]:
    """Services of the user's team whose queue names fit SQS's limit."""
    from provisioning.lookups import owned_components

    names = []
    for component in owned_components(user).only("name", "owner__name")[:500]:
        if len(component.owner.name) + len(component.name) <= MAX_TEAM_AND_SERVICE:
            names.append(component.name)
        if len(names) == limit:
            break
    return names


def read_token(user) -> str:
    from idp_portal.tokens import create_token

    return create_token(user, "load benchmark", "read", 1)[1]


def sign_in(base_url: str, username: str, password: str) -> dict[str, str]:
    """Sign in through the login form, as a browser behind the TLS proxy would; returns the
    session's cookies (Secure cookies, so sent by hand: a cookie jar keeps them off HTTP)."""
    proxy = {"X-Forwarded-Proto": "https"}
    page = requests.get(f"{base_url}/accounts/login/", headers=proxy, timeout=60)
    csrf = page.cookies.get("csrftoken", "")
    response = requests.post(
        f"{base_url}/accounts/login/",
        data={"login": username, "password": password, "csrfmiddlewaretoken": csrf},
        headers={
            **proxy,
            "Cookie": f"csrftoken={csrf}",
            "Referer": f"https://{base_url.split('://', 1)[1]}/accounts/login/",
        },
        allow_redirects=False,
        timeout=60,
    )
    session = response.cookies.get("sessionid")
    if response.status_code != 302 or not session:
        raise RuntimeError(f"could not sign in as {username}: HTTP {response.status_code}")
    return {"sessionid": session, "csrftoken": response.cookies.get("csrftoken", csrf)}


def list_urls(urls: CatalogUrls, size: int, n: int = 1000) -> list[str]:
    """The catalog list as people use it: searches with filters, filters alone, all services
    sorted and paged, their team's default view, now and then a deep page."""
    searches = urls.search_with_filters(n * 3 // 10)
    filters = [f"/catalog/?{urlencode(urls.two_filters())}" for _ in range(n * 3 // 10)]
    browsing = urls.unfiltered(n * 2 // 10)
    default = ["/catalog/"] * (n // 10)
    deep = urls.deep_pages(n // 10, size)
    return searches + filters + browsing + default + deep


def popular_urls(limit: int = 20) -> list[str]:
    """Pages of the most depended-on services, which people open most."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.name FROM catalog_dependency d JOIN catalog_component c "
            "ON c.id = d.target_component_id GROUP BY c.name ORDER BY count(*) DESC LIMIT %s",
            [limit],
        )
        return [f"/catalog/services/default/{name}/" for (name,) in cursor.fetchall()]


def api_urls(urls: CatalogUrls, services: list[str], n: int = 500) -> list[str]:
    """GETs of the Backstage catalog API: pages with and without a filter, full text, facets,
    one entity by name."""
    rng = urls.rng
    base = "/api/catalog"
    filters = ["kind=component,spec.type=service", "kind=component,spec.lifecycle=production"]
    terms = ["pay", "auth", "ledger", "search", "order", "notif"]
    facets = urlencode({"facet": ["kind", "spec.type", "spec.lifecycle"]}, doseq=True)
    makers = [
        lambda: f"{base}/entities/by-query?limit=50",
        lambda: (
            f"{base}/entities/by-query?{urlencode({'limit': 50, 'filter': rng.choice(filters)})}"
        ),
        lambda: (
            f"{base}/entities/by-query?"
            + urlencode({"limit": 50, "fullTextFilterTerm": rng.choice(terms)})
        ),
        lambda: f"{base}/entity-facets?{facets}",
        lambda: f"{base}/entities/by-name/component/default/{rng.choice(services)}",
    ]
    return [rng.choice(makers)() for _ in range(n)]


def service_names(pages: list[str]) -> list[str]:
    return [page.rstrip("/").rsplit("/", 1)[1] for page in pages]


def provisioning_outcome(since: datetime, wait_s: float) -> tuple[dict[str, int], float]:
    """Final states of the requests the load users made since `since`, waiting up to
    `wait_s` for the workers to finish (those still unfinished are counted by their state),
    and how many seconds the workers took to finish after the load stopped."""
    from provisioning.choices import TERMINAL_STATES
    from provisioning.models import ProvisioningRequest

    mine = ProvisioningRequest.objects.filter(
        requester__username__startswith=USER_PREFIX, created_at__gte=since
    )
    started = time.monotonic()
    while mine.exclude(state__in=TERMINAL_STATES).exists():
        if time.monotonic() - started > wait_s:
            break
        time.sleep(0.5)
    drained = time.monotonic() - started
    counts = dict(mine.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    states = {
        (state if state in TERMINAL_STATES else f"{state} after {wait_s:.0f} s"): n
        for state, n in counts.items()
    }
    return states, drained


def failures(since: datetime, limit: int = 3) -> list[str]:
    """The first few failure messages of the load users' requests since `since`."""
    from provisioning.models import ProvisioningRequest

    return list(
        ProvisioningRequest.objects.filter(
            requester__username__startswith=USER_PREFIX, created_at__gte=since, state="failed"
        ).values_list("failure", flat=True)[:limit]
    )
