"""Write the catalog out as Backstage descriptor files that import back unchanged.

Each file is what entity_to_descriptor() gives without `relations`, which Backstage (and this
portal) derive from the spec: metadata.uid and metadata.etag are kept for tracing and ignored
when the file is read again.

Layout: DIR/<kind>/<namespace>/<name>.yaml, one entity per file, plus DIR/catalog-info.yaml,
a Location whose targets are those files, so either the folder or that one file can be
imported (or registered in a Backstage instance). With `single_file`, every entity goes into
DIR/catalog-info.yaml instead, as one multi-document file.
"""

import shutil
from pathlib import Path

import yaml

from catalog.backstage.descriptor_output import entity_to_descriptor
from catalog.backstage.entity_kinds import KIND_ORDER, KINDS
from catalog.backstage.entity_query import LOAD_CHUNK, load_rows

INDEX_FILE = "catalog-info.yaml"
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class DescriptorDumper(_Dumper):
    """Safe YAML with multi-line text (API definitions) written as readable `|` blocks."""


def _text(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


DescriptorDumper.add_representer(str, _text)


def to_yaml(descriptors: list[dict]) -> str:
    return yaml.dump_all(
        descriptors,
        Dumper=DescriptorDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        explicit_start=len(descriptors) > 1,
    )


def _sort_key(row) -> tuple[str, str]:
    if hasattr(row, "namespace"):
        return row.namespace.lower(), row.name.lower()
    return "default", row.get_username().lower()


def catalog_descriptors():
    """(kind, descriptor) for every entity, kind by kind, a chunk of rows at a time."""
    for kind in KIND_ORDER:
        qs = KINDS[kind].queryset()
        pks = list(qs.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(pks), LOAD_CHUNK):
            rows = load_rows(kind, qs.filter(pk__in=pks[start : start + LOAD_CHUNK]))
            for row in sorted(rows, key=_sort_key):
                descriptor = entity_to_descriptor(row)
                # Relations are derived: Backstage refuses a descriptor file that states them.
                descriptor.pop("relations", None)
                yield kind, descriptor


def existing_export(directory: Path) -> list[Path]:
    """The files and folders a previous export left in `directory`."""
    candidates = [directory / INDEX_FILE, *(directory / kind for kind in KIND_ORDER)]
    return [path for path in candidates if path.exists()]


def _location(kinds: list[str]) -> dict:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {"name": "portal-export", "description": "Every entity the portal exported."},
        "spec": {"type": "file", "targets": [f"./{kind}/*/*.yaml" for kind in kinds]},
    }


def export_catalog(directory: Path, *, single_file: bool = False, overwrite: bool = False) -> int:
    """Write every entity under `directory`; returns how many. Refuses to mix with an old
    export unless `overwrite`, which removes only what an export writes."""
    directory = Path(directory)
    old = existing_export(directory)
    if old and not overwrite:
        raise FileExistsError(
            f"{directory} already holds an export ({old[0].name}): pass "
            "--overwrite to replace it, or choose an empty folder"
        )
    for path in old:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    directory.mkdir(parents=True, exist_ok=True)
    written, kinds = [], []
    for kind, descriptor in catalog_descriptors():
        written.append(descriptor)
        if not single_file:
            meta = descriptor["metadata"]
            target = directory / kind / meta["namespace"] / f"{meta['name']}.yaml"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(to_yaml([descriptor]), encoding="utf-8")
            kinds += [kind] if kind not in kinds else []
            written[-1] = None  # written out already: hold no memory for it
    index = written if single_file else [_location(kinds)] if kinds else []
    (directory / INDEX_FILE).write_text(to_yaml(index), encoding="utf-8")
    return len(written)
