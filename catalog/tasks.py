"""Background work for the catalog."""

from celery import shared_task

from catalog import facets


@shared_task(ignore_result=True)
def warm_counts() -> bool:
    """Count the unfiltered catalog ahead of its first visitor after a catalog change.

    Every view's counts are cached per catalog version (catalog/facets.py), so the first
    request after a write counts afresh; for the view everyone opens, beat does it instead,
    a few seconds after the change. Returns whether it had to count (False: already cached).
    """
    return facets.warm(facets.View.of(None, "", {}))
