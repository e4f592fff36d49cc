"""Forms of the portal's own pages: personal access tokens."""

from django import forms

from idp_portal.models import ApiToken
from idp_portal.tokens import MAX_DAYS, MIN_DAYS


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for, so you recognise it later, e.g. ci-deploy-bot.",
        error_messages={"required": "Give the token a name, e.g. ci-deploy-bot."},
    )
    scope = forms.ChoiceField(
        label="Scope",
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        help_text="Read is enough for scripts that only look things up; write also submits "
        "provisioning requests.",
        error_messages={"invalid_choice": "Choose read or write."},
    )
    days = forms.IntegerField(
        label="Expires in (days)",
        min_value=MIN_DAYS,
        max_value=MAX_DAYS,
        initial=30,
        help_text=f"Every token expires: from {MIN_DAYS} to {MAX_DAYS} days. Create a new one "
        "before it runs out.",
        error_messages={
            "required": f"Enter how many days the token lives, from {MIN_DAYS} to {MAX_DAYS}.",
            "invalid": f"Enter a whole number of days, from {MIN_DAYS} to {MAX_DAYS}.",
            "min_value": f"Enter at least {MIN_DAYS} day.",
            "max_value": f"Enter at most {MAX_DAYS} days: create a new token each year.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["aria-describedby"] = f"id_{name}-help"
            if self.is_bound and name in self.errors:
                field.widget.attrs["aria-invalid"] = "true"
