"""Django admin for the feedback app's roadmap part: platform admins edit the roadmap and the
office hours there (writes are audited by the portal's admin site)."""

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from feedback.roadmap import services
from feedback.roadmap.forms import ScheduleForm
from feedback.roadmap.models import (
    FrictionReport,
    OfficeHoursSession,
    OfficeHoursSignup,
    RoadmapComment,
    RoadmapItem,
    SurveyTheme,
)


class RoadmapCommentInline(admin.TabularInline):
    model = RoadmapComment
    extra = 0
    fields = ["user", "text", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["user"]


class SurveyThemeInline(admin.TabularInline):
    model = SurveyTheme
    extra = 0
    fields = ["cycle", "title", "mentions", "summary"]
    verbose_name = "survey theme this item addresses"


@admin.register(RoadmapItem)
class RoadmapItemAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "target_quarter", "shipped_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title", "description"]
    inlines = [SurveyThemeInline, RoadmapCommentInline]


@admin.register(SurveyTheme)
class SurveyThemeAdmin(admin.ModelAdmin):
    """Themes read in a cycle's free-text answers (on the survey results page), each linked to
    the roadmap item that addresses it."""

    list_display = ["title", "cycle", "mentions", "roadmap_item"]
    list_filter = ["cycle"]
    search_fields = ["title", "summary"]
    autocomplete_fields = ["roadmap_item"]


@admin.register(FrictionReport)
class FrictionReportAdmin(admin.ModelAdmin):
    list_display = ["pk", "user", "page", "status", "roadmap_item", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["user"]


class SignupInline(admin.TabularInline):
    model = OfficeHoursSignup
    extra = 0
    raw_id_fields = ["user"]


@admin.register(OfficeHoursSession)
class OfficeHoursSessionAdmin(admin.ModelAdmin):
    """Sessions are edited one by one, or scheduled monthly for the next three months with the
    "Schedule monthly sessions" button on the list."""

    list_display = ["starts_at", "duration_minutes", "where", "host"]
    date_hierarchy = "starts_at"
    inlines = [SignupInline]
    change_list_template = "admin/feedback/officehourssession/change_list.html"

    def get_urls(self):
        schedule = path(
            "schedule/",
            self.admin_site.admin_view(self.schedule_view),
            name="feedback_officehourssession_schedule",
        )
        return [schedule, *super().get_urls()]

    def schedule_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = ScheduleForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            made = services.schedule_monthly_sessions(
                request.user, host=request.user, **form.cleaned_data
            )
            messages.success(request, f"{len(made)} session(s) scheduled.")
            return redirect("admin:feedback_officehourssession_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Schedule monthly sessions",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/feedback/officehourssession/schedule.html", context)
