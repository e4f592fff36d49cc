import django.db.models.deletion
from django.db import migrations, models


def record_pipeline_versions(apps, schema_editor):
    """Services made so far are on their golden path's pipeline: it is what rendered them."""
    ServiceOrigin = apps.get_model("provisioning", "ServiceOrigin")
    for origin in ServiceOrigin.objects.filter(pipeline=None).select_related("golden_path"):
        origin.pipeline_id = origin.golden_path.pipeline_id
        origin.save(update_fields=["pipeline"])


class Migration(migrations.Migration):
    dependencies = [
        ("provisioning", "0003_golden_paths"),
    ]

    operations = [
        migrations.AddField(
            model_name="serviceorigin",
            name="pipeline",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="provisioning.pipelinetemplate",
            ),
        ),
        migrations.AddField(
            model_name="serviceorigin",
            name="upgrade_conflict",
            field=models.CharField(
                blank=True,
                help_text="Set when an upgrade met a conflict: which files, which branch to "
                "merge by hand",
                max_length=500,
            ),
        ),
        migrations.RunPython(record_pipeline_versions, migrations.RunPython.noop),
    ]
