"""Django admin for the feedback app's survey part: cycles with their questions inline.

Responses and answers are deliberately not registered: nobody, platform admins included,
browses who answered what; the results page shows aggregates only.
"""

from django.contrib import admin, messages

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
    actions = ["close_now"]

    def get_readonly_fields(self, request, obj=None):
        # Closing must go through services.close_cycle, which detaches answers from people:
        # the status changes by schedule or by the "Close now" action, never by editing it.
        return ("status",) if obj is not None else ()

    @admin.action(description="Close now (answers are detached from people)")
    def close_now(self, request, queryset):
        closed = [cycle for cycle in queryset if services.close_cycle(cycle)]
        self.message_user(
            request,
            f"Closed {len(closed)} survey(s); their answers are now anonymous.",
            messages.SUCCESS,
        )

    def save_related(self, request, form, formsets, change):
        """A new cycle saved without questions gets the previous cycle's (or the defaults)."""
        super().save_related(request, form, formsets, change)
        cycle = form.instance
        if not change and not cycle.questions.exists():
            services.copy_questions(services.previous_cycle(cycle.opens_at), cycle)
