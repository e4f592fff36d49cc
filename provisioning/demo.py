"""Demo data for provisioning: the GitHub Actions pipeline and two golden paths.

The templates live in provisioning/golden_paths/skeletons/ as `<path>.j2` files, so they are
read, diffed and reviewed like code; here they become rows platform engineers then edit in
the admin. `seed_golden_paths()` creates what is absent and leaves existing golden paths
alone (they may have been edited since): running it twice changes nothing.
"""

from pathlib import Path

from django.db import transaction

from provisioning.models import GoldenPath, PipelineTemplate, SkeletonFile

SKELETONS = Path(__file__).resolve().parent / "golden_paths" / "skeletons"

PIPELINE = {
    "slug": "github-actions",
    "name": "GitHub Actions",
    "description": "Lint and test every push and pull request; on main, build the image, push it "
    "to the registry and commit its tag to the GitOps repository, which Argo CD deploys.",
    "path": ".github/workflows/ci.yaml",
    "image_registry": "ghcr.io/example-org",
}

GOLDEN_PATHS = [
    {
        "slug": "python-http",
        "name": "Python HTTP service",
        "description": "A small HTTP service on Python's standard library, ready for "
        "production: health and readiness endpoints, Prometheus metrics, JSON logs, "
        "OpenTelemetry tracing, its own tests, a Dockerfile, the CI pipeline, Kubernetes "
        "manifests for every environment and a catalog entry. Add your endpoints to "
        "app/server.py.",
        "language": "python",
        "framework": "standard library (http.server)",
        "parameters": [
            {
                "name": "port",
                "label": "HTTP port",
                "help_text": "The port the service listens on inside its container.",
                "type": "integer",
                "default": 8080,
                "required": True,
                "min": 1024,
                "max": 65535,
            },
            {
                "name": "python_version",
                "label": "Python version",
                "help_text": "The image's Python and the version CI tests with.",
                "type": "choice",
                "default": "3.12",
                "choices": [["3.12", "Python 3.12"], ["3.11", "Python 3.11"]],
                "required": True,
            },
        ],
        "pipeline_settings": {
            "setup": "python",
            "version": "3.12",
            "install": "python -m pip install ruff",
            "lint": "ruff check . && ruff format --check .",
            "test": "python -m unittest discover -s tests -t . -v",
        },
    },
    {
        "slug": "node-http",
        "name": "Node.js HTTP service",
        "description": "A small HTTP service on Node.js' built-in http module, with no "
        "dependencies to keep up to date: health and readiness endpoints, Prometheus metrics, "
        "JSON logs, OpenTelemetry tracing, its own tests (node --test), a Dockerfile, the CI "
        "pipeline, Kubernetes manifests for every environment and a catalog entry.",
        "language": "javascript",
        "framework": "Node.js (node:http)",
        "parameters": [
            {
                "name": "port",
                "label": "HTTP port",
                "help_text": "The port the service listens on inside its container.",
                "type": "integer",
                "default": 3000,
                "required": True,
                "min": 1024,
                "max": 65535,
            },
            {
                "name": "node_version",
                "label": "Node.js version",
                "help_text": "The image's Node.js and the version CI tests with (LTS releases).",
                "type": "choice",
                "default": "22",
                "choices": [["22", "Node.js 22"], ["20", "Node.js 20"]],
                "required": True,
            },
        ],
        "pipeline_settings": {
            "setup": "node",
            "version": "22",
            "lint": "npm run lint",
            "test": "npm test",
        },
    },
]


def skeleton_files(slug: str) -> dict[str, str]:
    """{path in the new repository: template} from skeletons/<slug>/ (the .j2 suffix dropped)."""
    root = SKELETONS / slug
    return {
        str(path.relative_to(root)).removesuffix(".j2"): path.read_text()
        for path in sorted(root.rglob("*.j2"))
    }


def pipeline_template() -> str:
    return (SKELETONS / "pipelines" / "github-actions.yaml.j2").read_text()


@transaction.atomic
def seed_golden_paths() -> list[str]:
    """Create the demo pipeline and golden paths where absent; one line per golden path."""
    pipeline = PipelineTemplate.objects.filter(slug=PIPELINE["slug"]).order_by("-version").first()
    if pipeline is None:
        pipeline = PipelineTemplate.objects.create(
            **PIPELINE, content=pipeline_template(), published=True
        )
    lines = []
    for spec in GOLDEN_PATHS:
        existing = GoldenPath.objects.filter(slug=spec["slug"]).order_by("-version").first()
        if existing:
            lines.append(f"  golden path {spec['slug']} v{existing.version} (kept as it is)")
            continue
        gp = GoldenPath.objects.create(**spec, pipeline=pipeline, published=True)
        SkeletonFile.objects.bulk_create(
            SkeletonFile(golden_path=gp, path=path, content=text)
            for path, text in skeleton_files(spec["slug"]).items()
        )
        lines.append(f"  golden path {gp.slug} v{gp.version} (created)")
    return lines
