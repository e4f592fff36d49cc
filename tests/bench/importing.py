"""Import throughput: generated Backstage descriptors through `manage.py import_catalog PATH`.

The descriptors go into their own namespace of the already populated catalog, so owner,
system and dependency references resolve against a full-size catalog, and are deleted
afterwards so the next run starts from the same state.
"""

import io
import random
import tempfile
import time
from pathlib import Path

import yaml
from django.core.management import call_command, get_commands

from catalog.models import Component, System, Tag, Team
from tests.bench.generate import vacuum_analyze
from tests.bench.measure import Result, wait_for_quiet

NAMESPACE = "bench-import"


def import_available() -> bool:
    return "import_catalog" in get_commands()


def descriptors(count: int, seed: int = 11) -> list[dict]:
    """`count` Component descriptors referring to existing teams, systems, tags and services."""
    rng = random.Random(seed)
    teams = list(Team.objects.values_list("name", flat=True)[:500])
    systems = list(System.objects.values_list("name", flat=True)[:2000])
    tags = list(Tag.objects.values_list("name", flat=True)[:100])
    targets = list(Component.objects.filter(id__lte=5000).values_list("name", flat=True))
    docs = []
    for i in range(count):
        name = f"imported-{rng.choice(tags)}-service-{i}"
        docs.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": {
                    "name": name,
                    "namespace": NAMESPACE,
                    "title": name.replace("-", " ").title(),
                    "description": f"Imported {rng.choice(tags)} service number {i}.",
                    "tags": rng.sample(tags, rng.randint(2, 4)),
                    "annotations": {"github.com/project-slug": f"acme/{name}"},
                    "links": [{"url": f"https://docs.example.com/{name}", "title": "Docs"}],
                },
                "spec": {
                    "type": "service",
                    "lifecycle": rng.choice(["production", "experimental"]),
                    "owner": f"group:default/{rng.choice(teams)}",
                    "system": f"system:default/{rng.choice(systems)}",
                    "dependsOn": [
                        f"component:default/{t}" for t in rng.sample(targets, rng.randint(1, 5))
                    ],
                },
            }
        )
    return docs


def remove_imported() -> None:
    Component.objects.filter(namespace=NAMESPACE).delete()


def measure_import(size: int, count: int, log=print) -> Result:
    """Entities per second for one `import_catalog` run of `count` new descriptors."""
    remove_imported()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "catalog-info.yaml"
        path.write_text(yaml.safe_dump_all(descriptors(count), sort_keys=False))
        log(f"  importing {count:,} descriptors ({path.stat().st_size / 1e6:.1f} MB of YAML)")
        wait_for_quiet()
        started = time.perf_counter()
        call_command("import_catalog", str(path), stdout=io.StringIO())
        elapsed = time.perf_counter() - started
    imported = Component.objects.filter(namespace=NAMESPACE).count()
    remove_imported()
    vacuum_analyze()  # the bench server may run without autovacuum: leave the statistics right
    if imported != count:
        raise RuntimeError(f"import_catalog created {imported} of {count} components")
    return Result(
        f"Import {count:,} descriptors (`import_catalog`)",
        size,
        rate=count / elapsed,
        target="≥ 2,000 entities/s",
        reference="76–80 entities/s",
        note=f"{elapsed:.1f} s in all, YAML parsing included",
    )
