from django import forms

from observability.models import TeamOnCall


class TeamOnCallForm(forms.ModelForm):
    """A team's on-call target: references only; the routing key itself stays in a Secret."""

    class Meta:
        model = TeamOnCall
        fields = ["pagerduty_service", "routing_key_secret", "routing_key_secret_key"]
        widgets = {
            "pagerduty_service": forms.TextInput(attrs={"placeholder": "P1ABCDE"}),
            "routing_key_secret": forms.TextInput(attrs={"placeholder": "payments-pagerduty"}),
        }
