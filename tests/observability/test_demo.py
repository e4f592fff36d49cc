from observability.demo import DEMO_ON_CALL, seed_demo_observability
from observability.models import AlertBaseline, TeamOnCall
from tests.factories import make_team


def test_seeding_twice_gives_the_same_baselines_and_on_call_targets(db):
    for name in ("payments", "checkout", "search", "data"):
        make_team(name)
    seed_demo_observability()
    seed_demo_observability()
    assert sorted(AlertBaseline.objects.values_list("tier", flat=True)) == [0, 1, 3, 4]
    assert set(TeamOnCall.objects.values_list("team__name", flat=True)) == {"payments", "checkout"}
    assert {"search", "data"}.isdisjoint(DEMO_ON_CALL)
    for baseline in AlertBaseline.objects.all():
        baseline.full_clean()
