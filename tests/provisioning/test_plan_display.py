"""Plans and requests in words: the filters the request form, request page and lists share."""

from provisioning.planning import EnvironmentSpec, PlanContext, plan_queue, plan_s3_bucket
from provisioning.templatetags.plan_display import (
    duration,
    in_words,
    parameters_in_words,
    settings_in_words,
)

CTX = PlanContext("payments", "petstore", EnvironmentSpec("dev", "eu-west-1"))


def test_request_types_kinds_and_steps_read_as_words():
    assert in_words("s3-bucket") == "Object storage bucket"
    assert in_words("sqs-queue") == "Message queue"
    assert in_words("ensure s3-bucket payments-x") == "Create the object storage bucket payments-x"
    assert in_words("decommission rds-instance db1") == "Remove the PostgreSQL database db1"
    assert in_words("Deploy the first build to staging") == "Deploy the first build to staging"


def test_a_bucket_plan_reads_as_settings():
    config = plan_s3_bucket(CTX, {"purpose": "assets", "lifecycle": "none"}).resources[0].config
    rows = dict(settings_in_words(config))
    assert rows["Versioning"] == "on" and rows["Lifecycle rule"] == "none"
    assert rows["Encryption"] == "S3-managed keys (AES-256)" and rows["Public access"] == "blocked"
    assert "kms_key_id" not in str(rows) and "True" not in rows.values()


def test_a_queue_plan_says_retention_and_dead_letter_in_words():
    dlq, main = plan_queue(CTX, {"purpose": "events"}).resources
    rows = dict(settings_in_words(main.config))
    assert rows["Message retention"] == "4 days"
    assert rows["Dead-letter queue"] == "payments-petstore-dev-events-dlq (after 5 failed attempts)"
    assert dict(settings_in_words(dlq.config))["Dead-letter queue"] == "none"


def test_durations_use_the_largest_whole_unit():
    assert duration(345600) == "4 days" and duration(86400) == "1 day"
    assert duration(7200) == "2 hours" and duration(30) == "30 seconds"


def test_parameters_use_the_forms_labels_and_choice_names():
    rows = parameters_in_words(
        {"purpose": "assets", "versioning": True, "lifecycle": "none"}, "s3-bucket"
    )
    assert rows == [("Purpose", "assets"), ("Keep old versions", "yes"), ("Lifecycle rule", "None")]


def test_unknown_settings_get_a_readable_label():
    assert settings_in_words({"some_flag": True, "empty": ""}) == [("Some flag", "on")]
