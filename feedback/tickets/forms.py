"""Forms of the tickets part: the export upload (with its column mapping) and a help request."""

from django import forms

from catalog.models import Component
from feedback.tickets import parsing
from feedback.tickets.models import HelpRequest

DEFAULTS = parsing.Columns()


class TicketUploadForm(forms.Form):
    file = forms.FileField(
        label="Ticket export (CSV)",
        help_text=f"A CSV export from your tracker, at most {parsing.MAX_BYTES // 2**20} MiB and "
        f"{parsing.MAX_ROWS:,} rows. In Jira: Filters → Export → CSV (all fields).",
    )
    format_name = forms.CharField(
        label="Export format",
        max_length=60,
        initial="Jira",
        help_text="A name for this tracker's column layout; the column names below are saved "
        "under it for next time.",
    )
    key_column = forms.CharField(
        label="Key column", max_length=100, initial=DEFAULTS.key, help_text="e.g. Issue key"
    )
    created_column = forms.CharField(
        label="Created column", max_length=100, initial=DEFAULTS.created, help_text="e.g. Created"
    )
    summary_column = forms.CharField(
        label="Summary column", max_length=100, initial=DEFAULTS.summary, help_text="e.g. Summary"
    )
    labels_column = forms.CharField(
        label="Labels column", max_length=100, initial=DEFAULTS.labels, help_text="e.g. Labels"
    )
    resolved_column = forms.CharField(
        label="Resolved column",
        max_length=100,
        initial=DEFAULTS.resolved,
        help_text="e.g. Resolved (empty cells: still open)",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > parsing.MAX_BYTES:
            raise forms.ValidationError(
                f"This file is {upload.size / 2**20:.1f} MiB; the limit is "
                f"{parsing.MAX_BYTES // 2**20} MiB. Export a shorter period and upload that."
            )
        return upload

    def columns(self) -> parsing.Columns:
        data = self.cleaned_data
        return parsing.Columns(
            key=data["key_column"],
            created=data["created_column"],
            summary=data["summary_column"],
            labels=data["labels_column"],
            resolved=data["resolved_column"],
        )


class HelpRequestForm(forms.Form):
    category = forms.ChoiceField(
        label="What is it about?",
        choices=HelpRequest.Category.choices,
        help_text="Pick the closest; the platform team re-files it if needed.",
    )
    description = forms.CharField(
        label="What do you need?",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=4000,
        help_text="What you are trying to do, what you tried, and by when you need it.",
    )
    service = forms.ModelChoiceField(
        label="Service (optional)",
        # Chosen by id: names are unique only within a namespace.
        queryset=Component.objects.filter(type="service").order_by("name"),
        required=False,
        empty_label="Not about one service",
        help_text="The catalog service it concerns, so the right people see it.",
    )
