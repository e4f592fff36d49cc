"""Django admin for the feedback app's survey part: cycles with their questions inline.

Responses and answers are deliberately not registered: nobody, platform admins included,
browses who answered what; the results page shows aggregates only.
"""

from django.contrib import admin

from feedback.survey import services
from feedback.survey.models import Question, SurveyCycle


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = (
        "position",
        "text",
        "kind",
        "choices",
        "required",
        "why_follow_up",
        "why_prompt",
        "dimension",
    )


@admin.register(SurveyCycle)
class SurveyCycleAdmin(admin.ModelAdmin):
    list_display = ("quarter", "status", "opens_at", "closes_at")
    list_filter = ("status",)
    inlines = [QuestionInline]

    def save_related(self, request, form, formsets, change):
        """A new cycle saved without questions gets the previous cycle's (or the defaults)."""
        super().save_related(request, form, formsets, change)
        cycle = form.instance
        if not change and not cycle.questions.exists():
            previous = (
                SurveyCycle.objects.filter(opens_at__lt=cycle.opens_at)
                .order_by("-opens_at")
                .first()
            )
            services.copy_questions(previous, cycle)
