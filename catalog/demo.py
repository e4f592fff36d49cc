"""The demo catalog that `make dev` shows: six teams, two domains, four systems, 32 services.

The descriptors live in catalog/demo_catalog/ and go through the same import as anyone's
catalog-info.yaml, so the demo also shows what an import makes: resolved and unresolved
references, a dependency cycle, every link kind and tier.
"""

from pathlib import Path

from catalog.backstage.importing import ImportReport, import_descriptors

DEMO_CATALOG = Path(__file__).resolve().parent / "demo_catalog"


def seed_demo_catalog() -> ImportReport:
    """Import the demo descriptors; running it again reports everything unchanged.

    They are the platform's own seed data, so their User documents' team memberships are
    trusted. Owner changes are not confirmed: a demo team moved by hand stays moved.
    """
    return import_descriptors(DEMO_CATALOG, trust_memberships=True)
