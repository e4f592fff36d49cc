"""The Terraform export: parsed back with an HCL parser, import ids checked per resource type."""

import pytest

from provisioning.drivers.base import PlannedResource
from provisioning.terraform import queue_url, terraform_for
from tests.moto_server import (
    planned_bucket,
    planned_database,
    planned_queue,
    planned_security_group,
    planned_subnet_group,
)

hcl2 = pytest.importorskip(
    "hcl2", reason="python-hcl2 (pinned in requirements.lock) parses the export"
)
from hcl2.utils import SerializationOptions  # noqa: E402 - after the skip above

PARSE = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:"
IDENTIFIERS = {
    "payments-petstore-dev-orders-dlq": QUEUE_ARN + "payments-petstore-dev-orders-dlq",
    "payments-petstore-dev-orders": QUEUE_ARN + "payments-petstore-dev-orders",
    "petstore-db": "sg-0123456789abcdef0",
}


def _database_plan() -> list[PlannedResource]:
    vault = PlannedResource("vault", "kv-secret", "secret/payments/petstore/dev/db", {}, {})
    return [
        planned_security_group("vpc-1"),
        planned_subnet_group(["subnet-a", "subnet-b"]),
        vault,
        planned_database(),
    ]


def _parse(text: str) -> dict:
    return hcl2.loads(text, serialization_options=PARSE)


def _resources(parsed: dict) -> dict[tuple[str, str], dict]:
    return {
        (t, label): body
        for block in parsed["resource"]
        for t, named in block.items()
        for label, body in named.items()
    }


def _imports(parsed: dict) -> dict[str, str]:
    return {block["to"].strip("${}"): block["id"] for block in parsed.get("import", [])}


def test_a_bucket_exports_its_settings_as_separate_resources_each_imported_by_name():
    planned = planned_bucket(lifecycle={"expire_noncurrent_days": 90, "transition_to_ia_days": 90})

    parsed = _parse(terraform_for([planned], {}))

    label = "payments_petstore_dev_data"
    types = [
        "aws_s3_bucket",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_lifecycle_configuration",
    ]
    assert _imports(parsed) == {f"{t}.{label}": "payments-petstore-dev-data" for t in types}
    resources = _resources(parsed)
    assert set(resources) == {(t, label) for t in types}
    assert resources[("aws_s3_bucket", label)]["tags"]["cost-center"] == "cc-123"
    block = resources[("aws_s3_bucket_public_access_block", label)]
    assert [
        block[f]
        for f in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    ] == [True] * 4
    rule = resources[("aws_s3_bucket_lifecycle_configuration", label)]["rule"][0]
    assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] == 90
    assert rule["transition"][0] == {"days": 90, "storage_class": "STANDARD_IA"}


def test_an_unversioned_bucket_without_lifecycle_exports_neither():
    parsed = _parse(terraform_for([planned_bucket(versioning=False)], {}))

    types = {t for t, _ in _resources(parsed)}
    assert "aws_s3_bucket_versioning" not in types
    assert "aws_s3_bucket_lifecycle_configuration" not in types


def test_kms_encryption_names_its_key():
    parsed = _parse(
        terraform_for([planned_bucket(encryption="aws:kms", kms_key_id="alias/payments")], {})
    )

    config = _resources(parsed)[
        ("aws_s3_bucket_server_side_encryption_configuration", "payments_petstore_dev_data")
    ]
    default = config["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert default == {"sse_algorithm": "aws:kms", "kms_master_key_id": "alias/payments"}


def test_queues_import_by_url_and_the_redrive_policy_references_the_dead_letter_queue():
    dlq = planned_queue("payments-petstore-dev-orders-dlq")
    main = planned_queue(
        "payments-petstore-dev-orders", dead_letter="payments-petstore-dev-orders-dlq"
    )

    parsed = _parse(terraform_for([dlq, main], IDENTIFIERS))

    assert _imports(parsed)["aws_sqs_queue.payments_petstore_dev_orders"] == (
        "https://sqs.eu-west-1.amazonaws.com/123456789012/payments-petstore-dev-orders"
    )
    queue = _resources(parsed)[("aws_sqs_queue", "payments_petstore_dev_orders")]
    assert queue["redrive_policy"] == (
        "${jsonencode({deadLetterTargetArn = aws_sqs_queue.payments_petstore_dev_orders_dlq.arn, "
        "maxReceiveCount = 5})}"
    )
    assert (queue["visibility_timeout_seconds"], queue["message_retention_seconds"]) == (30, 345600)


def test_fifo_queue_names_become_valid_labels():
    parsed = _parse(terraform_for([planned_queue("orders.fifo")], {}))

    queue = _resources(parsed)[("aws_sqs_queue", "orders_fifo")]
    assert (queue["name"], queue["fifo_queue"]) == ("orders.fifo", True)


def test_a_database_plan_imports_each_part_by_what_its_type_expects():
    parsed = _parse(terraform_for(_database_plan(), IDENTIFIERS))

    assert _imports(parsed) == {
        "aws_security_group.petstore_db": "sg-0123456789abcdef0",
        "aws_db_subnet_group.petstore_db_subnets": "petstore-db-subnets",
        "aws_db_instance.petstore_db": "petstore-db",
    }
    group = _resources(parsed)[("aws_security_group", "petstore_db")]
    assert group["ingress"] == [
        {"protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidr_blocks": ["10.20.0.0/16"]}
    ]


def test_the_database_has_no_password_and_says_where_it_lives():
    text = terraform_for(_database_plan(), IDENTIFIERS)

    instance = _resources(_parse(text))[("aws_db_instance", "petstore_db")]
    assert "password" not in instance and instance["manage_master_user_password"] is False
    assert instance["lifecycle"][0]["ignore_changes"] == ["password"]
    assert "the master password lives in Vault at secret/payments/petstore/dev/db" in text
    assert instance["db_subnet_group_name"] == "${aws_db_subnet_group.petstore_db_subnets.name}"
    assert instance["vpc_security_group_ids"] == ["${aws_security_group.petstore_db.id}"]
    assert (instance["storage_encrypted"], instance["publicly_accessible"]) == (True, False)
    assert instance["final_snapshot_identifier"] == "petstore-db-final"


def test_a_source_group_is_a_reference_and_a_self_reference_is_self():
    rules = [
        {"protocol": "tcp", "port": 5432, "cidr": None, "source_group_name": "petstore-app"},
        {"protocol": "tcp", "port": 5433, "cidr": None, "source_group_name": "petstore-db"},
    ]
    plan = [
        planned_security_group("vpc-1", "petstore-app", ingress=[]),
        planned_security_group("vpc-1", ingress=rules),
    ]

    group = _resources(_parse(terraform_for(plan, {})))[("aws_security_group", "petstore_db")]

    assert group["ingress"][0]["security_groups"] == ["${aws_security_group.petstore_app.id}"]
    assert group["ingress"][1]["self"] is True


def test_a_resource_not_created_yet_has_no_import_block():
    parsed = _parse(terraform_for([planned_security_group("vpc-1")], {}))

    assert "import" not in parsed
    assert ("aws_security_group", "petstore_db") in _resources(parsed)


def test_a_resource_outside_the_providers_region_names_its_region_in_the_import_id():
    plan = [
        planned_bucket(),
        planned_queue("payments-petstore-dev-orders"),
        planned_bucket("payments-petstore-dev-use1", region="us-east-1"),
    ]

    parsed = _parse(terraform_for(plan, IDENTIFIERS))

    assert parsed["provider"][0]["aws"]["region"] == "eu-west-1"
    assert (
        _imports(parsed)["aws_s3_bucket.payments_petstore_dev_use1"]
        == "payments-petstore-dev-use1@us-east-1"
    )
    assert (
        _resources(parsed)[("aws_s3_bucket", "payments_petstore_dev_use1")]["region"] == "us-east-1"
    )
    assert "region" not in _resources(parsed)[("aws_s3_bucket", "payments_petstore_dev_data")]


def test_non_aws_resources_are_named_in_a_comment_and_left_out():
    text = terraform_for(_database_plan(), IDENTIFIERS)

    assert "# Not AWS, not here: vault kv-secret secret/payments/petstore/dev/db" in text
    assert "vault" not in str(_parse(text)["resource"])


def test_template_sequences_in_strings_are_escaped():
    plan = [
        PlannedResource(
            "aws", "db-subnet-group", "x", {}, {"description": "a ${b} %{c}", "subnet_ids": []}
        )
    ]

    text = terraform_for(plan, {})

    assert '"a $${b} %%{c}"' in text
    _parse(text)


def test_the_provider_is_pinned_to_v6_for_per_resource_regions():
    parsed = _parse(terraform_for([planned_bucket()], {}))

    provider = parsed["terraform"][0]["required_providers"][0]["aws"]
    assert provider == {"source": "hashicorp/aws", "version": ">= 6.0"}


@pytest.mark.parametrize(
    "arn, url",
    [
        (
            "arn:aws:sqs:eu-west-1:123456789012:q",
            "https://sqs.eu-west-1.amazonaws.com/123456789012/q",
        ),
        (
            "arn:aws-cn:sqs:cn-north-1:123456789012:q",
            "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q",
        ),
        ("https://sqs.eu-west-1.amazonaws.com/1/q", "https://sqs.eu-west-1.amazonaws.com/1/q"),
        (None, None),
    ],
)
def test_queue_urls_follow_from_arns(arn, url):
    assert queue_url(arn) == url


def test_the_identifiers_an_ensure_returns_make_working_import_ids(aws, aws_driver):
    plan = [
        planned_queue("payments-petstore-dev-orders-dlq"),
        planned_queue(
            "payments-petstore-dev-orders", dead_letter="payments-petstore-dev-orders-dlq"
        ),
        planned_security_group(aws.vpc_id),
    ]
    identifiers = {r.name: aws_driver.ensure(r).identifier for r in plan}

    imports = _imports(_parse(terraform_for(plan, identifiers)))

    group_id = aws.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["petstore-db"]}]
    )["SecurityGroups"][0]["GroupId"]
    assert imports["aws_security_group.petstore_db"] == group_id
    assert imports["aws_sqs_queue.payments_petstore_dev_orders"].endswith(
        "/123456789012/payments-petstore-dev-orders"
    )
