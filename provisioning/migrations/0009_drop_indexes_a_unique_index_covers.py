"""Drop the two foreign-key indexes a unique index already starts with: requester
(one_request_per_idempotency_key is (requester, idempotency_key)) and a step's request
(one_step_per_position is (request, position)). Each insert and each state change of a request
wrote one index more than any lookup needs.

Only the indexes go: Django's own AlterField would also drop and re-add the foreign keys, which
re-checks every row of the table under a lock."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = [
    ("provisioning_provisioningrequest_requester_id_cbf5c319", "provisioning_provisioningrequest",
     "requester_id"),
    ("provisioning_requeststep_request_id_e7c75e46", "provisioning_requeststep", "request_id"),
]  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("provisioning", "0008_argocd_rollout_and_deploy_events"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
                )
                for name, table, column in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="provisioningrequest",
                    name="requester",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="requeststep",
                    name="request",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="steps",
                        to="provisioning.provisioningrequest",
                    ),
                ),
            ],
        )
    ]
