"""Safe default environments so provisioning works out of the box; edit them in the admin."""

from django.db import migrations

DEFAULTS = [
    ("dev", "Development", 10, False),
    ("staging", "Staging", 20, False),
    ("prod", "Production", 30, True),
]


def create(apps, schema_editor):
    environment = apps.get_model("provisioning", "Environment")
    for name, display, order, approval in DEFAULTS:
        environment.objects.get_or_create(
            name=name, defaults={"display_name": display, "order": order, "requires_approval": approval}
        )


class Migration(migrations.Migration):
    dependencies = [("provisioning", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
