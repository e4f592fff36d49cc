"""The survey banner's data for every page: at most one query, none for anonymous users."""

from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone

from feedback.survey.choices import CycleStatus
from feedback.survey.models import Participation, SurveyCycle
from idp_portal.fixed_queries import FixedQuery

DISMISSED_KEY = "survey_banner_dismissed_on"
_UNSET = object()


def dismissed_today(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)  # error pages may render without one
    return session is not None and session.get(DISMISSED_KEY) == timezone.localdate().isoformat()


def banner_cycle(request: HttpRequest) -> SurveyCycle | None:
    """The open cycle the signed-in user has not finished, else None; read at most once per
    request (pages render fragments with context processors too) and only when a template
    asks for it."""
    cached = getattr(request, "_survey_banner", _UNSET)
    if cached is not _UNSET:
        return cached
    request._survey_banner = cycle = _read(request)
    return cycle


def _read(request: HttpRequest) -> SurveyCycle | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or dismissed_today(request):
        return None
    if request.path.startswith("/feedback/survey/"):
        return None  # already there
    newest = _NEWEST_OPEN_CYCLE(user.pk)
    cycle = newest[0] if newest else None
    return cycle if cycle is not None and not cycle.finished else None


def _newest_open_cycle(user_id: int):
    finished = Participation.objects.filter(cycle=OuterRef("pk"), user=user_id)
    return (
        SurveyCycle.objects.filter(status=CycleStatus.OPEN)
        .annotate(finished=Exists(finished))
        .order_by("-opens_at")[:1]
    )


# Every page asks, so its SQL is compiled once per process (idp_portal/fixed_queries.py).
_NEWEST_OPEN_CYCLE = FixedQuery(_newest_open_cycle, int)


def survey_banner(request: HttpRequest) -> dict:
    """`survey_banner`: a callable the template resolves (so a fragment costs nothing)."""
    return {"survey_banner": lambda: banner_cycle(request)}
