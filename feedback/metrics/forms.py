"""Forms of the metrics part: the pilot programme (admin and the pilot report page)."""

from django import forms

from catalog.models import Team
from feedback.metrics.models import PilotProgramme


class PilotProgrammeForm(forms.ModelForm):
    """Name, 3 to 5 teams and a start date; the count is checked here, where the M2M is."""

    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.order_by("name"),
        help_text="Pick 3 to 5 teams (hold Ctrl or Cmd to pick several)",
    )

    class Meta:
        model = PilotProgramme
        fields = ["name", "teams", "start_date"]
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "name": "A name to tell pilots apart, e.g. Spring pilot",
            "start_date": "The day the pilot teams started using the portal (YYYY-MM-DD)",
        }

    def clean_teams(self):
        teams = self.cleaned_data["teams"]
        low, high = PilotProgramme.MIN_TEAMS, PilotProgramme.MAX_TEAMS
        if not low <= len(teams) <= high:
            raise forms.ValidationError(
                f"A pilot has {low} to {high} teams; you picked {len(teams)}: "
                f"pick {'more' if len(teams) < low else 'fewer'}"
            )
        return teams
