"""Writes of the metrics part: every one audited."""

from django.db import transaction

from feedback.metrics.forms import PilotProgrammeForm
from feedback.metrics.models import PilotProgramme


@transaction.atomic
def create_pilot(user, form: PilotProgrammeForm) -> PilotProgramme:
    """Save a valid pilot form and record it in the audit trail."""
    from idp_portal import audit

    programme = form.save()
    teams = sorted(t.name for t in form.cleaned_data["teams"])
    audit.record(
        user,
        "pilot.create",
        programme,
        after={"name": programme.name, "teams": teams, "start_date": str(programme.start_date)},
        detail=f"pilot {programme.name} from {programme.start_date}: {', '.join(teams)}",
    )
    return programme
