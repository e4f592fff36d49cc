"""The metrics part's demo seed: a year of history behind every chart, made once."""

from catalog.choices import TeamRole
from catalog.models import Team
from feedback.metrics import demo
from feedback.metrics.dashboard import dashboard
from feedback.metrics.models import LeadTimeBaseline, PilotProgramme
from idp_portal.demo import DEMO_NEWCOMERS
from provisioning.demo import seed_golden_paths
from provisioning.models import Deployment, ProvisioningRequest
from tests.factories import add_member, make_team, make_user


def test_the_seed_fills_every_chart_once(db):
    for name in demo.TEAMS:
        make_team(name)
    for name in ("alice", "bob"):
        make_user(name)
    for name, _, team in DEMO_NEWCOMERS:
        add_member(Team.objects.get(name=team), make_user(name), TeamRole.MEMBER)
    seed_golden_paths()

    lines = demo.seed()
    counts = (Deployment.objects.count(), ProvisioningRequest.objects.count())

    assert len(lines) == 4 and "demo services" in lines[1]
    assert f"first deployments of {len(DEMO_NEWCOMERS)} newcomer(s)" in lines[2]
    assert LeadTimeBaseline.objects.count() == len(demo.BASELINES)
    assert set(PilotProgramme.objects.get().teams.values_list("name", flat=True)) == set(
        demo.PILOT_TEAMS
    )
    page = dashboard()
    lead = dict(page["lead_chart"].rows[i][:2] for i in range(12))
    assert "no data" not in lead.values()
    assert all(row[1] != "no data" for row in page["deploy_chart"].rows[-6:])
    assert {row.team for row in page["dora"]} == set(demo.TEAMS)
    cards = {card.key: card.metric for card in page["cards"]}
    assert cards["deployment_frequency"].sample_size > 0
    assert cards["onboarding_time"].sample_size > 0  # the newcomers' first deployments
    assert cards["change_lead_time"].sample_size > 0

    assert demo.seed() == []
    assert (Deployment.objects.count(), ProvisioningRequest.objects.count()) == counts
    assert Team.objects.count() == len(demo.TEAMS)


def test_without_golden_paths_or_teams_it_says_what_is_missing(db):
    lines = demo.seed()
    assert "  metrics: no history seeded (needs the demo golden paths, teams and users)" in lines
    assert not Deployment.objects.exists() and not PilotProgramme.objects.exists()
