"""Django admin for the feedback app's metrics part: baselines and pilot programmes."""

from django.contrib import admin

from feedback.metrics.forms import PilotProgrammeForm
from feedback.metrics.models import LeadTimeBaseline, PilotProgramme


@admin.register(LeadTimeBaseline)
class LeadTimeBaselineAdmin(admin.ModelAdmin):
    list_display = ["resource_type", "hours_p50", "hours_p90", "source", "updated_at"]
    search_fields = ["resource_type", "source"]


@admin.register(PilotProgramme)
class PilotProgrammeAdmin(admin.ModelAdmin):
    form = PilotProgrammeForm
    list_display = ["name", "start_date", "created_at"]
    filter_horizontal = ["teams"]
