"""Import throughput: one generated multi-document catalog-info.yaml through `import_catalog`.

1. Write the file (streamed, never held in memory): `count` documents in their own namespace,
   one API for every API_EVERY - 1 Components. Components name owners, systems, tags and
   services of the already populated catalog, so references resolve against a full-size
   catalog; they also provide and consume the file's APIs and depend on each other, the
   later ones included (resolved after writing), as an all-in-one export does.
2. Run `manage.py import_catalog FILE` as a child process on the bench database and time it
   from process start to exit: Django's start, reading, YAML parsing, validation, writing and
   the commit. Its peak memory is the child's ru_maxrss.
3. Check every document arrived, delete the namespace again so the next run starts from the
   same catalog, and VACUUM ANALYZE.
"""

import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from django.conf import settings
from django.core.management import get_commands
from django.db import connection, transaction

from catalog.models import Api, ApiRelation, Component, Dependency, Link, System, Tag, Team
from tests.bench.generate import vacuum_analyze
from tests.bench.measure import Result, busy_cpus, wait_for_quiet

NAMESPACE = "bench-import"
API_EVERY = 20  # every 20th document is an API: 5,000 APIs in a 100,000-document file
ROOT = Path(__file__).resolve().parents[2]
CHILD_COLUMNS = [
    (Link, "component"),
    (ApiRelation, "component"),
    (Dependency, "source"),
    (Component.tags.through, "component"),
]
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def import_available() -> bool:
    return "import_catalog" in get_commands()


class DescriptorWriter:
    """Documents of one generated catalog file, built one at a time from a seeded generator."""

    def __init__(self, seed: int = 11):
        self.rng = random.Random(seed)
        self.teams = list(Team.objects.values_list("name", flat=True)[:500])
        self.systems = list(System.objects.values_list("name", flat=True)[:2000])
        self.tags = list(Tag.objects.values_list("name", flat=True)[:100])
        self.targets = list(Component.objects.filter(id__lte=5000).values_list("name", flat=True))
        self.apis: list[str] = []

    def documents(self, count: int):
        for i in range(count):
            yield self.api(i) if i % API_EVERY == 0 else self.component(i, count)

    def _metadata(self, name: str, what: str, i: int) -> dict:
        rng = self.rng
        return {
            "name": name,
            "namespace": NAMESPACE,
            "title": name.replace("-", " ").title(),
            "description": f"Imported {rng.choice(self.tags)} {what} number {i}.",
        }

    def api(self, i: int) -> dict:
        name = f"imported-{self.rng.choice(self.tags)}-api-{i}"
        self.apis.append(f"api:{NAMESPACE}/{name}")
        return {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "API",
            "metadata": self._metadata(name, "API", i),
            "spec": {
                "type": self.rng.choice(["openapi", "grpc", "asyncapi"]),
                "lifecycle": "production",
                "owner": f"group:default/{self.rng.choice(self.teams)}",
                "system": f"system:default/{self.rng.choice(self.systems)}",
                "definition": f"openapi: 3.0.0\ninfo:\n  title: {name}\n",
            },
        }

    def component(self, i: int, count: int) -> dict:
        rng = self.rng
        name = self._component_name(i)
        metadata = self._metadata(name, "service", i) | {
            "tags": rng.sample(self.tags, rng.randint(2, 4)),
            "annotations": {"github.com/project-slug": f"acme/{name}"},
            "links": [{"url": f"https://docs.example.com/{name}", "title": "Docs"}],
        }
        depends = [f"component:default/{t}" for t in rng.sample(self.targets, rng.randint(1, 4))]
        sibling = rng.randrange(count)
        if sibling % API_EVERY:  # another component of this file, earlier or later in it
            depends.append(f"component:{NAMESPACE}/{self._component_name(sibling)}")
        spec = {
            "type": "service",
            "lifecycle": rng.choice(["production", "experimental"]),
            "owner": f"group:default/{rng.choice(self.teams)}",
            "system": f"system:default/{rng.choice(self.systems)}",
            "dependsOn": depends,
        }
        if self.apis:
            spec["providesApis"] = [self.apis[-1]] if rng.random() < 0.3 else []
            spec["consumesApis"] = rng.sample(self.apis, min(len(self.apis), rng.randint(0, 2)))
        return {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": metadata,
            "spec": {key: value for key, value in spec.items() if value},
        }

    def _component_name(self, i: int) -> str:
        """Component `i`'s name, known before it is written: a document can name a later one."""
        tag = random.Random(f"{i}").choice(self.tags)
        return f"imported-{tag}-service-{i}"


def write_descriptor_file(path: Path, count: int, seed: int = 11) -> None:
    """`count` documents into one multi-document YAML file, streamed."""
    writer = DescriptorWriter(seed)
    with open(path, "w", encoding="utf-8") as handle:
        yaml.dump_all(writer.documents(count), handle, Dumper=_Dumper, sort_keys=False)


def remove_imported() -> None:
    """Delete the namespace with plain SQL: the ORM's collector would load 100,000 rows."""
    components = Component.objects.filter(namespace=NAMESPACE)
    with transaction.atomic():
        for model, column in CHILD_COLUMNS:
            model.objects.filter(**{f"{column}__in": components})._raw_delete(connection.alias)
        Dependency.objects.filter(target_component__in=components).update(target_component=None)
        ApiRelation.objects.filter(api__namespace=NAMESPACE).update(api=None)
        components._raw_delete(connection.alias)
        Api.objects.filter(namespace=NAMESPACE)._raw_delete(connection.alias)


def _child_environment() -> dict[str, str]:
    """This process's settings for `manage.py`, on the database it is connected to now."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return os.environ | {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}


def run_import(path: Path) -> tuple[float, int]:
    """(seconds, peak KiB of the child) of one `manage.py import_catalog` run, as typed."""
    command = [sys.executable, "manage.py", "import_catalog", str(path)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=_child_environment(), capture_output=True,
                          text=True)  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"import_catalog failed:\n{done.stdout}\n{done.stderr}")
    print("  " + done.stdout.splitlines()[0], flush=True)
    return elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def measure_import(size: int, count: int, log=print) -> Result:
    """Entities per second for one `import_catalog` run of a `count`-document file."""
    remove_imported()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "catalog-info.yaml"
        write_descriptor_file(path, count)
        megabytes = path.stat().st_size / 2**20
        log(f"  importing {count:,} descriptors ({megabytes:.0f} MiB of YAML)")
        connection.close()  # the child must not wait on this process's transaction
        wait_for_quiet()
        load = os.getloadavg()[0]
        busy = busy_cpus()
        elapsed, peak_kib = run_import(path)
    imported = Component.objects.filter(namespace=NAMESPACE).count()
    imported += Api.objects.filter(namespace=NAMESPACE).count()
    remove_imported()
    vacuum_analyze()  # the bench server may run without autovacuum: leave the statistics right
    if imported != count:
        raise RuntimeError(f"import_catalog created {imported} of {count} entities")
    return Result(
        f"Import one {count:,}-document file (`import_catalog`)",
        size,
        rate=count / elapsed,
        target="≥ 2,000 entities/s",
        reference="76–80 entities/s",
        note=(
            f"{elapsed:.1f} s from process start to exit, YAML parsing included; peak memory "
            f"{peak_kib / 1024:,.0f} MiB; load average {load:.1f} ({busy:.1f} CPUs busy "
            "elsewhere) at the start"
        ),
    )
