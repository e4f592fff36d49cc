"""Pages of the feedback app's roadmap part: the roadmap, friction reports, office hours.

Thin: each view asks the one policy (`catalog.access`), then a form and a service."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog import access
from feedback.roadmap import services
from feedback.roadmap.choices import FrictionStatus, RoadmapStatus
from feedback.roadmap.forms import (
    CommentForm,
    FrictionReportForm,
    SignupForm,
    TriageForm,
    local_path,
)
from feedback.roadmap.models import (
    FrictionReport,
    OfficeHoursSession,
    OfficeHoursSignup,
    RoadmapItem,
)
from idp_portal.htmx import is_partial, vary_on_htmx
from idp_portal.querystrings import without

WHY_SIGN_IN = "Sign in to vote, comment or sign up."
WHY_TRIAGE = (
    "Triaging friction reports is for platform admins. You can see your own reports under "
    "“Your friction reports”."
)


def _item_for_user(request: HttpRequest, pk: int) -> RoadmapItem:
    access.require(request.user, "roadmap.vote", None, WHY_SIGN_IN)
    return get_object_or_404(RoadmapItem.objects.with_counts(request.user), pk=pk)


# --- roadmap ----------------------------------------------------------------------------------
@require_GET
def roadmap(request: HttpRequest) -> HttpResponse:
    # "roadmap.vote" (everyone signed in) also governs reading: there is no separate action.
    access.require(request.user, "roadmap.vote", None, WHY_SIGN_IN)
    items = list(RoadmapItem.objects.with_counts(request.user).order_by("-vote_count", "title"))
    columns = [
        {"status": s, "items": [i for i in items if i.status == s.value]} for s in RoadmapStatus
    ]
    return render(request, "feedback/roadmap/roadmap.html", {"columns": columns})


@require_POST
def roadmap_vote(request: HttpRequest, pk: int) -> HttpResponse:
    """Upvote (vote=1) or remove the vote (vote=0): the wanted state, so a repeat is a no-op."""
    item = _item_for_user(request, pk)
    services.set_vote(request.user, item, request.POST.get("vote") == "1")
    if is_partial(request):
        item = _item_for_user(request, pk)  # re-read the count after the write
        return vary_on_htmx(render(request, "feedback/roadmap/roadmap.html#item", {"item": item}))
    return redirect(item if request.POST.get("next") == "detail" else "feedback:roadmap")


@require_http_methods(["GET", "POST"])
def roadmap_item(request: HttpRequest, pk: int) -> HttpResponse:
    """One item with its comments and the comment form (comments use "roadmap.vote")."""
    item = _item_for_user(request, pk)
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.add_comment(request.user, item, form.cleaned_data["text"])
        messages.success(request, "Your comment is posted.")
        return redirect(item)
    comments = item.comments.select_related("user")
    themes = item.survey_themes.select_related("cycle")
    context = {"item": item, "comments": comments, "form": form, "themes": themes}
    return render(request, "feedback/roadmap/item_detail.html", context)


# --- friction reports -------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def friction_report(request: HttpRequest) -> HttpResponse:
    """The short form behind the footer link; in a <dialog> with HTMX, a plain page without."""
    access.require(request.user, "friction.report", None, WHY_SIGN_IN)
    initial = {"page": local_path(request.GET.get("from", ""))}
    form = FrictionReportForm(request.POST or None, initial=initial)
    template = "feedback/roadmap/friction_form.html"
    if request.method == "POST" and form.is_valid():
        services.report_friction(request.user, **form.cleaned_data)
        if is_partial(request):
            return vary_on_htmx(render(request, template + "#dialog", {"sent": True}))
        messages.success(request, "Thank you: the platform team reads every report.")
        return redirect("feedback:friction_mine")
    if is_partial(request):
        template += "#dialog"
    return vary_on_htmx(render(request, template, {"form": form}))


@require_GET
def friction_mine(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "friction.report", None, WHY_SIGN_IN)
    reports = FrictionReport.objects.filter(user=request.user).select_related("roadmap_item")
    return render(request, "feedback/roadmap/friction_mine.html", {"reports": reports})


TRIAGE_PAGE_SIZE = 25


@require_GET
def friction_triage(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "friction.triage", None, WHY_TRIAGE)
    status = request.GET.get("status", "")
    reports = FrictionReport.objects.select_related("user", "roadmap_item")
    if status in FrictionStatus.values:
        reports = reports.filter(status=status)
    else:
        status = ""
    page = Paginator(reports, TRIAGE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "reports": page,
        "page": page,
        "query_without_page": without(request.GET, "page").urlencode(),
        "status": status,
        "statuses": FrictionStatus.choices,
        "items": list(RoadmapItem.objects.order_by("title").only("pk", "title")),
    }
    template = "feedback/roadmap/friction_triage.html"
    if is_partial(request):
        template += "#reports"
    return vary_on_htmx(render(request, template, context))


@require_POST
def friction_update(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(request.user, "friction.triage", None, WHY_TRIAGE)
    report = get_object_or_404(FrictionReport, pk=pk)
    form = TriageForm(request.POST)
    if form.is_valid():
        changed = services.triage_friction(
            request.user, report, form.cleaned_data["status"], form.cleaned_data["roadmap_item"]
        )
        if changed:
            messages.success(request, f"Report #{report.pk} is now {report.get_status_display()}.")
    else:
        errors = "; ".join(e for field in form.errors.values() for e in field)
        messages.error(request, f"Report #{report.pk} was not changed: {errors}")
    back = local_path(request.POST.get("back", "")) or reverse("feedback:friction_triage")
    return redirect(back)


# --- office hours -----------------------------------------------------------------------------
@require_GET
def office_hours(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "office_hours.sign_up", None, WHY_SIGN_IN)
    return render(request, "feedback/roadmap/office_hours.html", _office_hours_context(request))


def _office_hours_context(request: HttpRequest, form: SignupForm | None = None, for_pk=None):
    sessions = OfficeHoursSession.objects.with_signups(request.user)
    mine = (
        OfficeHoursSignup.objects.filter(user=request.user, session__in=sessions.upcoming())
        .select_related("session")
        .order_by("session__starts_at")
    )
    return {
        "upcoming": sessions.upcoming(),
        "past": sessions.past()[:12],
        "mine": mine,
        "form": form,
        "form_for": for_pk,
        "empty_form": SignupForm(),
    }


@require_POST
def office_hours_sign_up(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(request.user, "office_hours.sign_up", None, WHY_SIGN_IN)
    session = get_object_or_404(OfficeHoursSession.objects.upcoming(), pk=pk)
    form = SignupForm(request.POST)
    if not form.is_valid():
        context = _office_hours_context(request, form, session.pk)
        return render(request, "feedback/roadmap/office_hours.html", context, status=400)
    _, created = services.sign_up(request.user, session, form.cleaned_data["topic"])
    if created:
        messages.success(request, f"You are signed up for {session}.")
    else:
        messages.info(request, f"You were already signed up for {session}.")
    return redirect("feedback:office_hours")


@require_POST
def office_hours_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(request.user, "office_hours.sign_up", None, WHY_SIGN_IN)
    session = get_object_or_404(OfficeHoursSession.objects.upcoming(), pk=pk)
    if services.cancel_sign_up(request.user, session):
        messages.success(request, f"Your sign-up for {session} is cancelled.")
    return redirect("feedback:office_hours")
