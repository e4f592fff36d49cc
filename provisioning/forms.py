"""Request forms: only compliant choices are offered; what can't be offered is checked."""

from django import forms

from provisioning.policy import purpose_problems

SIZE_CHOICES = [("small", "Small"), ("medium", "Medium"), ("large", "Large")]


class ResourceRequestForm(forms.Form):
    """Fields every request has: for which service, in which environment."""

    service = forms.CharField(
        label="Service",
        max_length=63,
        help_text="The catalog service this resource belongs to; its owner team pays for it.",
    )
    environment = forms.CharField(
        label="Environment",
        max_length=20,
        help_text="Where it is created. Production requests wait for a team lead's approval.",
    )
    idempotency_key = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, services: list[str] = (), environments: list = (), **kwargs):
        super().__init__(*args, **kwargs)
        if services:
            self.fields["service"].widget = forms.Select(choices=[(s, s) for s in services])
        if environments:
            self.fields["environment"].widget = forms.Select(
                choices=[(e.name, _env_label(e)) for e in environments]
            )

    def parameters(self) -> dict:
        """The type-specific values, JSON-able, as the planner takes them."""
        common = {"service", "environment", "idempotency_key"}
        return {k: v for k, v in self.cleaned_data.items() if k not in common}


def _env_label(env) -> str:
    return f"{env.display_name} (needs approval)" if env.requires_approval else env.display_name


class PurposeMixin(forms.Form):
    purpose = forms.CharField(
        label="Purpose",
        max_length=40,
        help_text="One or two words for what it holds, e.g. assets or user-uploads. It ends the "
        "name: team-service-environment-purpose.",
    )

    def clean_purpose(self) -> str:
        purpose = self.cleaned_data["purpose"].strip()
        if problems := purpose_problems(purpose):
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
