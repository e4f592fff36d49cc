"""Request forms: only compliant choices are offered; what can't be offered is checked.

Every message a field can show is in the portal's voice and says what to do (`plain_messages`);
Django's stock "This field is required." never reaches a person.
"""

from django import forms

from provisioning.policy import MAX_PURPOSE_LENGTH, purpose_problems, purpose_rule

SIZE_CHOICES = [("small", "Small"), ("medium", "Medium"), ("large", "Large")]


def plain_messages(field: forms.Field) -> forms.Field:
    """Replace Django's stock error messages on `field` with ones that say what to do; a
    message the field's author wrote (`error_messages=`) is kept."""
    label = str(field.label or "this field")
    is_choice = isinstance(field, forms.ChoiceField) or isinstance(field.widget, forms.Select)
    messages = {
        "required": f"{label} is empty: pick one from the list"
        if is_choice
        else f"{label} is empty: fill it in",
        # Formatted with the chosen value as a parameter: a "%" in the label must stay literal.
        "invalid_choice": f"that {label.lower().replace('%', '%%')} is not one of the options: "
        "pick one from the list",
        "max_length": "this is %(show_value)d characters long: shorten it to %(limit_value)d",
        "min_length": "this is %(show_value)d characters long: use at least %(limit_value)d",
    }
    if isinstance(field, forms.IntegerField):
        messages.update(_number_messages(field))
    stock = _stock_messages(type(field))
    for code, message in messages.items():
        if field.error_messages.get(code, stock.get(code)) == stock.get(code):
            field.error_messages[code] = message
    return field


def _stock_messages(field_class: type) -> dict:
    """Django's own messages for a field class, as Field.__init__ collects them."""
    stock: dict = {}
    for cls in reversed(field_class.__mro__):
        stock.update(getattr(cls, "default_error_messages", {}))
    return stock


def _number_messages(field: forms.IntegerField) -> dict[str, str]:
    low, high = field.min_value, field.max_value
    example = field.initial if field.initial is not None else (low if low is not None else 1)
    if low is not None and high is not None:
        between = f"use a whole number from {low} to {high} (you typed %(show_value)s)"
        return {
            "invalid": f"type a whole number, e.g. {example}",
            "min_value": between,
            "max_value": between,
        }
    return {
        "invalid": f"type a whole number, e.g. {example}",
        "min_value": "use %(limit_value)s or more (you typed %(show_value)s)",
        "max_value": "use %(limit_value)s or less (you typed %(show_value)s)",
    }


class EnvironmentSelect(forms.Select):
    """A list of environments where those this resource cannot be placed in are shown, greyed
    out and saying why, instead of being offered and refused after "Show the plan"."""

    def __init__(self, *args, unavailable: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unavailable = unavailable or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value in self.unavailable:
            option["attrs"]["disabled"] = True
        return option


ENVIRONMENT_HELP = "Where it is created. Production requests wait for a team lead's approval."


class ResourceRequestForm(forms.Form):
    """Fields every request has: for which service, in which environment."""

    service = forms.CharField(
        label="Service",
        max_length=63,
        help_text="The catalog service this resource belongs to; its owner team pays for it.",
    )
    environment = forms.CharField(label="Environment", max_length=20, help_text=ENVIRONMENT_HELP)
    idempotency_key = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        services: list[str] = (),
        environments: list = (),
        unavailable: dict[str, str] | None = None,
        max_purpose_length: int = MAX_PURPOSE_LENGTH,
        **kwargs,
    ):
        """`unavailable` maps an environment's name to why this resource can't go there."""
        self.max_purpose_length = max_purpose_length
        self.unavailable = unavailable or {}
        super().__init__(*args, **kwargs)
        if services:
            self.fields["service"] = forms.ChoiceField(
                label="Service",
                choices=[(s, s) for s in services],
                help_text=self.fields["service"].help_text,
            )
        self.unavailable_note = unavailable_note(environments, self.unavailable)
        if environments:
            self.fields["environment"] = forms.ChoiceField(
                label="Environment",
                choices=[(e.name, _env_label(e, self.unavailable)) for e in environments],
                help_text=f"{ENVIRONMENT_HELP} {self.unavailable_note}".strip(),
                widget=EnvironmentSelect(unavailable=self.unavailable),
            )
        for field in self.fields.values():
            plain_messages(field)
        if purpose := self.fields.get("purpose"):
            # The length is the governance policy's, checked by purpose_problems with the rest.
            purpose.widget.attrs["maxlength"] = str(max_purpose_length)
            purpose.help_text = _purpose_help(max_purpose_length)
            purpose.error_messages["required"] = purpose_problems("", max_purpose_length)[0]

    def clean_environment(self) -> str:
        name = self.cleaned_data["environment"]
        if name in self.unavailable:
            raise forms.ValidationError(self.unavailable[name])
        return name

    def parameters(self) -> dict:
        """The type-specific values, JSON-able, as the planner takes them."""
        common = {"service", "environment", "idempotency_key"}
        return {k: v for k, v in self.cleaned_data.items() if k not in common}


def _env_label(env, unavailable: dict[str, str]) -> str:
    if env.name in unavailable:
        return f"{env.display_name} (not available for this resource yet)"
    return f"{env.display_name} (needs approval)" if env.requires_approval else env.display_name


def unavailable_note(environments: list, unavailable: dict[str, str]) -> str:
    """Why the greyed-out environments are: those refused for the same reason share one
    sentence ("… in Staging and Production …")."""
    titles = {e.name: e.display_name or e.name for e in environments}
    groups: dict[str, list[str]] = {}
    for name, why in unavailable.items():
        groups.setdefault(why.replace(titles[name], "{env}"), []).append(titles[name])
    reasons = [why.replace("{env}", _and(names)) for why, names in groups.items()]
    return " ".join(f"{why[0].upper()}{why[1:]}." for why in reasons)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _purpose_help(max_length: int) -> str:
    return (
        f"One or two words for what it holds: {purpose_rule(max_length)}, e.g. assets or "
        "user-uploads. It ends the name: team-service-environment-purpose."
    )


class PurposeMixin(forms.Form):
    purpose = forms.CharField(label="Purpose")

    def clean_purpose(self) -> str:
        purpose = self.cleaned_data["purpose"].strip()
        max_length = getattr(self, "max_purpose_length", MAX_PURPOSE_LENGTH)
        if problems := purpose_problems(purpose, max_length):
            raise forms.ValidationError(problems)
        return purpose


class S3BucketForm(PurposeMixin, ResourceRequestForm):
    versioning = forms.BooleanField(
        label="Keep old versions",
        required=False,
        initial=True,
        help_text="Versioning lets you restore overwritten or deleted files.",
    )
    encryption = forms.ChoiceField(
        label="Encryption",
        initial="AES256",
        choices=[("AES256", "S3-managed keys (AES-256)"), ("aws:kms", "AWS KMS key")],
        help_text="Always on; choose who manages the key.",
    )
    lifecycle = forms.ChoiceField(
        label="Lifecycle rule",
        initial="none",
        choices=[
            ("none", "None"),
            ("expire-noncurrent-30", "Delete old versions after 30 days"),
            (
                "archive-ia-90",
                "Move to infrequent access after 90 days, delete old versions after 90",
            ),
        ],
        help_text="Keeps storage costs down for data that ages.",
    )


class QueueForm(PurposeMixin, ResourceRequestForm):
    fifo = forms.BooleanField(
        label="FIFO (exactly-once, ordered)",
        required=False,
        help_text="Ordered, deduplicated delivery; lower throughput. The name ends in .fifo.",
    )
    dead_letter = forms.BooleanField(
        label="Dead-letter queue",
        required=False,
        initial=True,
        help_text="Messages that keep failing move there instead of blocking the queue.",
    )
    max_receive_count = forms.IntegerField(
        label="Attempts before dead-letter",
        min_value=1,
        max_value=1000,
        initial=5,
        help_text="How many times a message is received before it moves to the dead-letter queue.",
    )
    visibility_timeout = forms.IntegerField(
        label="Visibility timeout (seconds)",
        min_value=0,
        max_value=43200,
        initial=30,
        help_text="How long a received message stays hidden while your worker processes it.",
    )
    retention_days = forms.IntegerField(
        label="Keep messages for (days)",
        min_value=1,
        max_value=14,
        initial=4,
        help_text="SQS keeps unconsumed messages between 1 and 14 days.",
    )


class PostgresDatabaseForm(PurposeMixin, ResourceRequestForm):
    size = forms.ChoiceField(
        label="Size",
        initial="small",
        choices=[
            ("small", "Small: 2 vCPU burst, 1 GB, 20 GB storage (~$15/month)"),
            ("medium", "Medium: 2 vCPU, 4 GB, 100 GB storage (~$75/month)"),
            ("large", "Large: 2 vCPU, 8 GB, 500 GB storage (~$260/month)"),
        ],
        help_text="You can grow it later; start small.",
    )
    engine_version = forms.ChoiceField(
        label="PostgreSQL version",
        initial="16",
        choices=[("16", "16"), ("15", "15")],
        help_text="The platform supports these major versions.",
    )
    high_availability = forms.BooleanField(
        label="High availability (Multi-AZ)",
        required=False,
        help_text="A standby in another zone takes over on failure; doubles the cost.",
    )
    backup_retention_days = forms.IntegerField(
        label="Keep backups for (days)",
        min_value=1,
        max_value=35,
        initial=7,
        help_text="Daily snapshots; point-in-time restore within this window.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].initial = "db"


class KubernetesNamespaceForm(ResourceRequestForm):
    size = forms.ChoiceField(
        label="Quota",
        initial="small",
        choices=[
            ("small", "Small: 2 CPU / 4 GiB requested, 20 pods"),
            ("medium", "Medium: 4 CPU / 8 GiB requested, 50 pods"),
            ("large", "Large: 16 CPU / 32 GiB requested, 150 pods"),
        ],
        help_text="The most your service's pods may request in total.",
    )


class SecretsPathForm(ResourceRequestForm):
    kubernetes_auth = forms.BooleanField(
        label="Let the service's pods read it",
        required=False,
        initial=True,
        help_text="Creates a Vault Kubernetes auth role bound to the service's service account.",
    )
