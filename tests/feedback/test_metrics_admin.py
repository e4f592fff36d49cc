"""The admin for lead-time baselines and pilot programmes: checked input, audited writes."""

from feedback.metrics.models import LeadTimeBaseline, PilotProgramme
from idp_portal.models import AuditEvent
from tests.factories import make_team

BASELINES = "/admin/feedback/leadtimebaseline/add/"
PILOTS = "/admin/feedback/pilotprogramme/add/"


def test_a_baseline_is_added_and_audited(admin_client):
    response = admin_client.post(
        BASELINES,
        {"resource_type": "s3-bucket", "hours_p50": "48", "hours_p90": "120", "source": "Jira"},
    )
    assert response.status_code == 302
    assert LeadTimeBaseline.objects.get().hours_p90 == 120
    assert AuditEvent.objects.filter(action="admin.add", object_type__icontains="baseline").exists()


def test_a_baseline_with_p90_below_p50_is_refused_with_what_to_fix(admin_client):
    response = admin_client.post(
        BASELINES,
        {"resource_type": "queue", "hours_p50": "10", "hours_p90": "5", "source": "Jira"},
    )
    assert response.status_code == 200
    assert "p90 cannot be below p50: check the two figures" in response.content.decode()
    assert not LeadTimeBaseline.objects.exists()


def test_a_pilot_needs_three_to_five_teams(admin_client):
    teams = [make_team(f"t{n}") for n in range(6)]
    response = admin_client.post(
        PILOTS, {"name": "Big", "teams": [t.pk for t in teams], "start_date": "2026-09-01"}
    )
    assert "you picked 6: pick fewer" in response.content.decode()
    response = admin_client.post(
        PILOTS, {"name": "Right", "teams": [t.pk for t in teams[:4]], "start_date": "2026-09-01"}
    )
    assert response.status_code == 302
    assert PilotProgramme.objects.get().teams.count() == 4
