"""The wizard's forms: the new service's fields plus one field per golden-path parameter."""

import re

from django import forms
from django.core.validators import RegexValidator

from catalog.models import Team
from provisioning.forms import plain_messages
from provisioning.golden_paths.parameters import BUILT_IN
from provisioning.policy import service_name_rule


class NewServiceForm(forms.Form):
    """What every new service needs; the golden path's own parameters are added after these."""

    name = forms.CharField(
        label="Service name",
        max_length=63,
        help_text=f"{service_name_rule().capitalize()}, e.g. checkout-api. It names the "
        "repository, the catalog entry, the Kubernetes objects and the namespaces; it cannot be "
        "changed later.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "give the service a name, e.g. checkout-api"},
    )
    owner = forms.ChoiceField(
        label="Owner team",
        help_text="The team that owns, runs and pays for the service. Its members can deploy it.",
        error_messages={"required": "pick the team that will own the service"},
    )
    description = forms.CharField(
        label="What it does",
        max_length=200,
        help_text="One sentence for the catalog and the README, e.g. 'Takes card payments for "
        "the checkout'.",
        error_messages={"required": "say in one sentence what the service does"},
    )
    idempotency_key = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, golden_path=None, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [(t.name, t.display_name) for t in teams]
        self.parameter_names = []
        for spec in golden_path.parameters if golden_path else []:
            if spec.get("name") in BUILT_IN:
                continue
            self.fields[spec["name"]] = parameter_field(spec)
            self.parameter_names.append(spec["name"])
        for field in self.fields.values():
            plain_messages(field)  # the portal's words, not Django's "This field is required."

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_description(self) -> str:
        return " ".join(self.cleaned_data["description"].split())

    def values(self) -> dict:
        """The golden-path parameters, JSON-able, as templates read them ({{ values.x }})."""
        return {name: self.cleaned_data.get(name) for name in self.parameter_names}

    def planned_inputs(self) -> dict:
        """Every answer the plan depends on, JSON-able: what a shown plan was made from."""
        keys = ["name", "owner", "description", *self.parameter_names]
        return {key: self.cleaned_data.get(key) for key in keys}

    def changes_since(self, planned: dict) -> list[str]:
        """Each answer that differs from `planned`, in words: 'Service name (a → b)'."""
        changes = []
        for key, now in self.planned_inputs().items():
            if key in planned and planned[key] != now:
                label = self.fields[key].label or key
                changes.append(f"{label} ({_shown(planned[key])} → {_shown(now)})")
            elif key not in planned:
                changes.append(str(self.fields[key].label or key))
        return changes


def _shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "empty" if value in ("", None) else str(value)


def parameter_field(spec: dict) -> forms.Field:
    """A form field with the spec's label, help text, default and validation."""
    kind = spec.get("type", "string")
    common = {
        "label": spec.get("label") or spec["name"],
        "help_text": spec.get("help_text", ""),
        "required": bool(spec.get("required", kind != "boolean")),
        "initial": spec.get("default"),
    }
    if kind == "integer":
        return forms.IntegerField(min_value=spec.get("min"), max_value=spec.get("max"), **common)
    if kind == "boolean":
        return forms.BooleanField(**{**common, "required": False})
    if kind == "choice":
        choices = [(str(v), str(label)) for v, label in spec.get("choices", [])]
        return forms.ChoiceField(choices=choices, **common)
    validators = []
    if spec.get("pattern"):
        message = spec.get("pattern_message") or f"use the form {spec['pattern']}"
        validators.append(RegexValidator(re.compile(spec["pattern"]), message))
    widget = forms.Textarea(attrs={"rows": 3}) if kind == "text" else None
    return forms.CharField(
        max_length=spec.get("max") or 500, validators=validators, widget=widget, **common
    )


class DeployForm(forms.Form):
    tag = forms.CharField(
        label="Image tag",
        max_length=128,
        help_text="The version to run, as the pipeline tagged the image: usually the commit, "
        "e.g. 3f9c2e1. It is committed to the environment's overlay; Argo CD rolls it out.",
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
                "use letters, digits, '_', '.' and '-' (a Docker image tag), e.g. 3f9c2e1",
            )
        ],
    )


class ParityFilterForm(forms.Form):
    team = forms.ChoiceField(
        required=False,
        label="Team",
        help_text="Show only the services this team owns; leave empty for every team.",
    )

    def __init__(self, data, teams: list[Team]) -> None:
        super().__init__(data)
        self.fields["team"].choices = [("", "All teams")] + [
            (t.name, t.display_name) for t in teams
        ]
        self.fields["team"].error_messages["invalid_choice"] = (
            "no golden-path service belongs to that team: pick one from the list"
        )
