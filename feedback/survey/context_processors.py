"""The survey banner's data for every page: at most one query, none for anonymous users."""

from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone

from feedback.survey.choices import CycleStatus
from feedback.survey.models import Participation, SurveyCycle

DISMISSED_KEY = "survey_banner_dismissed_on"


def dismissed_today(request: HttpRequest) -> bool:
    return request.session.get(DISMISSED_KEY) == timezone.localdate().isoformat()


def survey_banner(request: HttpRequest) -> dict:
    """`survey_banner`: the open cycle the signed-in user has not finished, else None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or dismissed_today(request):
        return {"survey_banner": None}
    if request.path.startswith("/feedback/survey/"):
        return {"survey_banner": None}  # already there
    finished = Participation.objects.filter(cycle=OuterRef("pk"), user=user)
    cycle = (
        SurveyCycle.objects.filter(status=CycleStatus.OPEN)
        .annotate(finished=Exists(finished))
        .order_by("-opens_at")
        .first()
    )
    return {"survey_banner": cycle if cycle is not None and not cycle.finished else None}
