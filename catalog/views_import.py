"""The Backstage descriptor upload form (platform admins)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@staff_member_required
def import_upload(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/import_upload.html")
