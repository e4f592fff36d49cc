"""The default alert baseline every tier falls back to, so admins edit it rather than start
from nothing. Tier overrides are added in Django admin."""

from decimal import Decimal

from django.db import migrations


def create_default(apps, schema_editor):
    AlertBaseline = apps.get_model("observability", "AlertBaseline")
    AlertBaseline.objects.get_or_create(
        tier=0,
        defaults={
            "error_rate_percent": Decimal("1.00"),
            "latency_p99_ms": 500,
            "pod_restarts_per_hour": 3,
            "evaluation_window": "5m",
            "severity": "critical",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("observability", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
