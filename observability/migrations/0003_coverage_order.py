"""Tier and name copied onto each coverage row (the page's order is then one index), and the
refresh's promise of which services have a row. Existing rows get their copies here rather
than at the next refresh, so the page's order is right straight after deploying."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_tier_and_name(apps, schema_editor):
    Component = apps.get_model("catalog", "Component")
    ServiceCoverage = apps.get_model("observability", "ServiceCoverage")
    own = Component.objects.filter(pk=OuterRef("component_id"))
    ServiceCoverage.objects.update(
        tier=Subquery(own.values("tier")[:1]), name=Subquery(own.values("name")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_component_name_index"),
        ("observability", "0002_default_alert_baseline"),
    ]

    operations = [
        migrations.AddField(
            model_name="coveragerefresh",
            name="last_component_id",
            field=models.BigIntegerField(
                default=0,
                help_text="Every service with an id up to this one has a coverage row (0: no promise); the page looks for services added since above it only",
            ),
        ),
        migrations.AddField(
            model_name="servicecoverage",
            name="name",
            field=models.CharField(
                blank=True, help_text="The service's name when refreshed", max_length=63
            ),
        ),
        migrations.AddField(
            model_name="servicecoverage",
            name="tier",
            field=models.PositiveSmallIntegerField(
                default=0, help_text="The service's tier when refreshed"
            ),
        ),
        migrations.AddIndex(
            model_name="servicecoverage",
            index=models.Index(
                fields=["tier", "signals_present", "name", "component"], name="coverage_order"
            ),
        ),
        migrations.RunPython(copy_tier_and_name, migrations.RunPython.noop),
    ]
