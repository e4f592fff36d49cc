"""The Backstage descriptor upload form (platform admins)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from catalog import access
from catalog.backstage.importing import import_descriptors
from catalog.forms_import import MAX_UPLOAD_BYTES, ImportUploadForm, UploadSizeGuard

ADMINS_ONLY = (
    "Importing descriptors changes the whole catalog, so only platform admins can do it: "
    "ask a platform admin to import your files, or to give you that role."
)


# The size guard must be in place before anything reads the body, and Django's CSRF check
# reads it: the check is done by csrf_protect on the inner view, after the guard is set.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "catalog.import", why=ADMINS_ONLY)
    guard = UploadSizeGuard(request, MAX_UPLOAD_BYTES)
    request.upload_handlers.insert(0, guard)
    return _import_upload(request, guard)


@csrf_protect
def _import_upload(request: HttpRequest, guard: UploadSizeGuard) -> HttpResponse:
    form, report, too_large = ImportUploadForm(), None, ""
    if request.method == "POST":
        data, files = request.POST, request.FILES  # reading the body runs the size guard
        if guard.exceeded:
            too_large = (
                f"The upload is larger than {MAX_UPLOAD_BYTES // 2**20} MiB: import fewer files "
                "at a time, or run manage.py import_catalog on the server."
            )
        else:
            form = ImportUploadForm(data, files)
            if form.is_valid():
                report = import_descriptors(
                    form.sources(),
                    actor=request.user,
                    confirm_owner_changes=form.cleaned_data["allow_owner_changes"],
                    trust_memberships=form.cleaned_data["trust_memberships"],
                )
                form = ImportUploadForm()  # each upload's confirmations are ticked anew
    context = {"form": form, "report": report, "too_large": too_large}
    return render(request, "catalog/import_upload.html", context)
