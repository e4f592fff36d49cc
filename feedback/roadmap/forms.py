"""Forms of the feedback app's roadmap part: every field labelled, with help text."""

from django import forms
from django.utils.http import url_has_allowed_host_and_scheme

from feedback.roadmap.choices import FrictionStatus
from feedback.roadmap.models import COMMENT_MAX, TOPIC_MAX, RoadmapItem
from feedback.roadmap.planning import LAST

PAGE_MAX = 500


def local_path(value: str) -> str:
    """`value` when it is a path on this site ("/catalog/?q=x"), otherwise "" — a report never
    records (or later links to) another site's address."""
    value = (value or "").strip()
    if not value.startswith("/") or value.startswith("//") or len(value) > PAGE_MAX:
        return ""
    if "\\" in value or not url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return ""
    return value


class CommentForm(forms.Form):
    text = forms.CharField(
        label="Your comment",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            f"How this item would help you, or what it must not break. Up to {COMMENT_MAX:,} "
            "characters; everyone signed in can read it."
        ),
        error_messages={
            "required": "Write a comment before posting it.",
            "max_length": f"Shorten the comment to {COMMENT_MAX:,} characters or fewer "
            "(it has %(show_value)d).",
        },
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Write a comment before posting it.")
        return text


class FrictionReportForm(forms.Form):
    page = forms.CharField(
        label="Page",
        required=False,
        widget=forms.HiddenInput,
        help_text="The page you came from, filled in for you.",
    )
    trying_to = forms.CharField(
        label="What were you trying to do?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="In a sentence, e.g. “add a Postgres database to my service”.",
        error_messages={"required": "Say what you were trying to do, in a sentence."},
    )
    what_happened = forms.CharField(
        label="What happened instead?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What confused or stopped you: a message, a missing button, a step you "
        "could not find.",
        error_messages={"required": "Say what happened, even briefly."},
    )

    def clean_page(self) -> str:
        return local_path(self.cleaned_data.get("page", ""))


class TriageForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        choices=FrictionStatus.choices,
        help_text="Triaged: understood; linked: part of a roadmap item; closed: nothing more "
        "to do.",
    )
    roadmap_item = forms.ModelChoiceField(
        label="Roadmap item",
        queryset=RoadmapItem.objects.order_by("title"),
        required=False,
        empty_label="None",
        help_text="The roadmap item that will fix this, if any; the reporter sees it.",
    )


class SignupForm(forms.Form):
    topic = forms.CharField(
        label="What would you like to talk about?",
        max_length=TOPIC_MAX,
        help_text=f"A line so the host can prepare, up to {TOPIC_MAX} characters.",
        error_messages={
            "required": "Say in a line what you would like to talk about.",
            "max_length": f"Shorten the topic to {TOPIC_MAX} characters or fewer.",
        },
    )


WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday")]
WEEKS = [(1, "First"), (2, "Second"), (3, "Third"), (4, "Fourth"), (LAST, "Last")]


class ScheduleForm(forms.Form):
    """The admin's "Schedule monthly sessions" form."""

    weekday = forms.TypedChoiceField(
        label="Weekday", choices=WEEKDAYS, coerce=int, help_text="The day of the week."
    )
    week = forms.TypedChoiceField(
        label="Week of the month",
        choices=WEEKS,
        coerce=int,
        help_text="e.g. the second Tuesday of every month.",
    )
    at = forms.TimeField(label="Time (UTC)", help_text="Start time, e.g. 15:00.")
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=15, max_value=240, initial=60, help_text="15-240."
    )
    where = forms.CharField(
        label="Where", max_length=300, help_text="A video-call link or a room name."
    )
