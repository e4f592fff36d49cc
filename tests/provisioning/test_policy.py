"""Naming and tagging rules, with property-based input for the boundaries."""

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioning.policy import (
    NamingPolicy,
    build_tags,
    namespace_problems,
    purpose_problems,
    rds_identifier_problems,
    render_name,
    s3_bucket_problems,
    sqs_queue_problems,
    tag_problems,
    vault_path_problems,
)

POLICY = NamingPolicy()


def test_names_follow_the_pattern():
    assert (
        render_name(POLICY, "payments", "petstore", "dev", "assets")
        == "payments-petstore-dev-assets"
    )
    assert render_name(POLICY, "payments", "petstore", "dev", "") == "payments-petstore-dev"


@pytest.mark.parametrize("name", ["abc", "a" * 63, "my-bucket.logs", "a1b"])
def test_valid_bucket_names(name):
    assert s3_bucket_problems(name) == []


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Upper",
        "-lead",
        "trail-",
        "a..b",
        "a.-b",
        "192.168.1.1",
        "xn--bucket",
        "sthree-x",
        "x-s3alias",
        "x--ol-s3",
        "under_score",
        "nul\x00",
        "new\nline",
        "pаyments",
    ],
)
def test_invalid_bucket_names_say_why(name):
    assert s3_bucket_problems(name)


def test_sqs_fifo_rules():
    assert sqs_queue_problems("q.fifo", fifo=True) == []
    assert sqs_queue_problems("q", fifo=True)
    assert sqs_queue_problems("q.fifo", fifo=False)
    assert sqs_queue_problems("a" * 81, fifo=False)
    assert sqs_queue_problems("a" * 80, fifo=False) == []


@pytest.mark.parametrize("name", ["1db", "db--x", "db-", "d" * 64, "db_x"])
def test_invalid_rds_identifiers(name):
    assert rds_identifier_problems(name)


@pytest.mark.parametrize("name", ["kube-x", "default", "UPPER", "a" * 64, "-x"])
def test_invalid_namespaces(name):
    assert namespace_problems(name)


@pytest.mark.parametrize(
    "path", ["a/../b", "../etc", "a//b", "a/%2e%2e/b", "/a", "a/", "a/./b", ""]
)
def test_vault_path_traversal_is_refused(path):
    assert vault_path_problems(path)


def test_required_tags_cannot_be_overridden_by_extras():
    tags = build_tags(
        POLICY, "payments", "petstore", "dev", "cc-1", {"team": "someone-else", "x": "y"}
    )
    assert tags["team"] == "payments" and tags["x"] == "y" and tags["managed-by"] == "idp-portal"
    assert tag_problems(tags, POLICY) == []


def test_tag_limits():
    base = build_tags(POLICY, "p", "s", "dev", "cc", {})
    assert tag_problems({**base, **{f"k{i}": "v" for i in range(46)}}, POLICY)  # 51 tags
    assert tag_problems({**base, "aws:owner": "x"}, POLICY)
    assert tag_problems({**base, "k": "v" * 257}, POLICY)
    assert tag_problems({k: v for k, v in base.items() if k != "cost-center"}, POLICY)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_purpose_is_either_refused_or_yields_compliant_names(purpose):
    """Compliant by construction: whatever passes the purpose check makes valid names."""
    if purpose_problems(purpose):
        return
    name = render_name(POLICY, "payments", "petstore", "dev", purpose)
    assert s3_bucket_problems(name) == [] or len(name) > 63
    assert sqs_queue_problems(name, fifo=False) == []
    assert set(name) <= set(string.ascii_lowercase + string.digits + "-")
