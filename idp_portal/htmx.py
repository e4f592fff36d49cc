"""HTMX plumbing in one place: partial requests and caching headers."""

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


def is_partial(request: HttpRequest) -> bool:
    """True when HTMX asks for a fragment: an HTMX request that is not a boosted navigation."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """The same URL returns a page or a fragment: caches must key on HX-Request."""
    patch_vary_headers(response, ("HX-Request",))
    return response
