"""The feedback section's overview: what it is for and every way to be heard."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    # The other parts' pages are linked by literal path in the template, so this page works
    # on any branch whether or not those parts are merged yet.
    return render(request, "feedback/index.html")
