"""Query strings of filter pages: the current filters less some keys, for the links that
remove one filter or change the page."""

from django.http import QueryDict


def without(data: QueryDict, *keys: str) -> QueryDict:
    """A copy of `data` without `keys` (absent keys are fine)."""
    copy = data.copy()
    for key in keys:
        copy.pop(key, None)
    return copy
