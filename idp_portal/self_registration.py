"""The portal in its own catalog, with its observability bundle (`manage.py register_portal`).

1. the owner team is created when missing (a fresh install has none), never changed;
2. deploy/catalog-info.yaml goes through the catalog's descriptor import (the System
   developer-platform and the Component idp-portal, with its links);
3. its observability bundle is written as any service's is: a backfill request for it alone,
   submitted by the portal's own account and applied at once by the engine (a worker that
   receives the message later finds it done), or nothing when the bundle is up to date;
4. its coverage row is refreshed, so the coverage page shows the five signals now.
Running it again changes nothing.
"""

import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from kombu.exceptions import OperationalError

from catalog.backstage.importing import import_descriptors
from catalog.models import Component, Team
from catalog.services import ensure_team
from observability.choices import SIGNALS
from observability.models import ServiceCoverage
from observability.services import BackfillError, refresh_coverage_of, submit_backfill
from provisioning import engine

logger = logging.getLogger(__name__)

DESCRIPTOR = Path(settings.BASE_DIR) / "deploy" / "catalog-info.yaml"
PORTAL = "idp-portal"
OWNER = "platform"
# The requester of the portal's own requests: an account nobody signs in to.
PORTAL_ACCOUNT = "idp-portal"


@dataclass
class Registration:
    lines: list[str] = field(default_factory=list)
    coverage: ServiceCoverage | None = None


def portal_account():
    user, created = get_user_model().objects.get_or_create(
        username=PORTAL_ACCOUNT,
        defaults={"first_name": "Platform", "last_name": "portal", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def register_portal(descriptor: Path = DESCRIPTOR) -> Registration:
    """Steps 1-4 of the module's docstring; each outcome as a line for the command to print."""
    result = Registration()
    with transaction.atomic():
        if not Team.objects.filter(name=OWNER).exists():
            ensure_team(OWNER, "Platform", "Runs the internal developer platform and this portal.")
            result.lines.append(f"  created the owner team {OWNER}")
        report = import_descriptors([descriptor])
    result.lines.append(f"  catalog: {report.summary()}")
    portal = Component.objects.select_related("owner").filter(name=PORTAL).first()
    if portal is None:
        result.lines.append(f"  {descriptor} does not describe Component {PORTAL}: nothing more")
        return result
    result.lines.append(_write_bundle(portal))
    refresh_coverage_of([PORTAL])
    result.coverage = ServiceCoverage.objects.filter(component=portal).first()
    result.lines.append(_coverage_line(result.coverage))
    return result


def _write_bundle(portal: Component) -> str:
    try:
        request, plan = _submit(portal)
    except BackfillError as exc:
        return f"  observability bundle not written: {exc}"
    if request is None:
        return f"  observability bundle: up to date ({plan.up_to_date} environment(s))"
    outcome = engine.apply(request.pk, worker="register_portal")
    request.refresh_from_db()
    detail = f": {request.failure}" if request.failure else ""
    return f"  observability bundle: request {request.pk} {outcome.state}{detail}"


def _submit(portal: Component):
    """The backfill request (committed), and its plan; a broker that does not take the
    message changes nothing, since the request is applied here and now anyway."""
    holder = {}
    try:
        with transaction.atomic():
            holder["result"] = submit_backfill(
                portal_account(), [portal], team=portal.owner, component=portal
            )
    except OperationalError as exc:  # raised by the message sent on commit
        if "result" not in holder:
            raise
        logger.warning("the broker did not take the message (%s): applying here", exc)
    return holder["result"]


def _coverage_line(coverage: ServiceCoverage | None) -> str:
    if coverage is None:
        return "  coverage: not computed (the GitOps repository cannot be read from here)"
    signals = ", ".join(f"{s} {getattr(coverage, s)}" for s in SIGNALS)
    covered = "fully covered" if coverage.fully_covered else "not fully covered"
    return f"  coverage: {covered} ({signals})"
