"""seed_golden_paths(): the two shipped golden paths, created once, never overwritten."""

from provisioning.demo import seed_golden_paths
from provisioning.models import GoldenPath, PipelineTemplate


def test_it_creates_both_golden_paths_published_with_their_skeletons(db):
    lines = seed_golden_paths()
    assert lines == [
        "  golden path python-http v1 (created)",
        "  golden path node-http v1 (created)",
    ]
    python = GoldenPath.objects.get(slug="python-http")
    assert python.published and python.pipeline.slug == "github-actions"
    assert {"app/server.py", "tests/test_server.py", "Dockerfile"} <= set(
        python.files.values_list("path", flat=True)
    )


def test_running_it_again_changes_nothing(db):
    seed_golden_paths()
    GoldenPath.objects.filter(slug="python-http").update(name="Edited by the platform team")
    lines = seed_golden_paths()
    assert "  golden path python-http v1 (kept as it is)" in lines
    assert GoldenPath.objects.count() == 2 and PipelineTemplate.objects.count() == 1
    assert GoldenPath.objects.get(slug="python-http").name == "Edited by the platform team"
