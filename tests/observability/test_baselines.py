"""Alert baselines: ranges with units, durations, the default row, per-tier overrides."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from observability.choices import BaselineScope
from observability.models import AlertBaseline
from observability.services import thresholds_in_force
from observability.thresholds import BUILT_IN, resolve
from observability.validators import range_problem, window_problem
from tests.observability.factories import make_baseline


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "error_rate_percent",
            Decimal("0.05"),
            "use a value from 0.1 to 50 (% of requests failing)",
        ),
        ("error_rate_percent", Decimal("75"), "use a value from 0.1 to 50 (% of requests failing)"),
        ("latency_p99_ms", 5, "use a value from 10 to 60000 (milliseconds)"),
        ("latency_p99_ms", 120_000, "use a value from 10 to 60000 (milliseconds)"),
        ("pod_restarts_per_hour", 0, "use a value from 1 to 100 (restarts per hour)"),
        ("pod_restarts_per_hour", 500, "use a value from 1 to 100 (restarts per hour)"),
    ],
)
def test_out_of_range_values_are_refused_with_the_allowed_range(field, value, message):
    assert range_problem(field, value) == f"{value} is out of range: {message}"


@pytest.mark.parametrize(
    ("field", "value"),
    [("error_rate_percent", Decimal("0.1")), ("error_rate_percent", Decimal("50")),
     ("latency_p99_ms", 10), ("latency_p99_ms", 60_000), ("pod_restarts_per_hour", 100)],
)  # fmt: skip
def test_the_range_ends_are_allowed(field, value):
    assert range_problem(field, value) == ""


@pytest.mark.parametrize(
    ("window", "problem"),
    [
        ("5m", ""),
        ("90s", ""),
        ("1h", ""),
        ("30s", "30s is out of range: use a window from 1m to 1h, e.g. 5m"),
        ("2h", "2h is out of range: use a window from 1m to 1h, e.g. 5m"),
        ("5", "'5' is not a duration: write a whole number and one unit (s, m or h), e.g. 5m"),
        ("5 minutes", "'5 minutes' is not a duration: write a whole number and one unit "
                      "(s, m or h), e.g. 5m"),
        ("1d", "'1d' is not a duration: write a whole number and one unit (s, m or h), e.g. 5m"),
    ],
)  # fmt: skip
def test_the_evaluation_window_needs_a_unit_and_a_range(window, problem):
    assert window_problem(window) == problem


def test_model_validation_refuses_bad_values_field_by_field(db):
    baseline = AlertBaseline(
        tier=BaselineScope.TIER_1,
        error_rate_percent=Decimal("80"),
        latency_p99_ms=1,
        evaluation_window="10 minutes",
    )
    with pytest.raises(ValidationError) as caught:
        baseline.full_clean()
    errors = caught.value.message_dict
    assert errors["error_rate_percent"] == [
        "80 is out of range: use a value from 0.1 to 50 (% of requests failing)"
    ]
    assert errors["latency_p99_ms"] == [
        "1 is out of range: use a value from 10 to 60000 (milliseconds)"
    ]
    assert "evaluation_window" in errors


def test_the_default_baseline_needs_every_value(db):
    AlertBaseline.objects.all().delete()
    with pytest.raises(ValidationError) as caught:
        AlertBaseline(tier=BaselineScope.DEFAULT, latency_p99_ms=400).full_clean()
    assert set(caught.value.message_dict) == {
        "error_rate_percent", "pod_restarts_per_hour", "evaluation_window", "severity",
    }  # fmt: skip


def test_an_override_may_set_only_some_values(db):
    AlertBaseline(tier=BaselineScope.TIER_2, latency_p99_ms=400).full_clean()


def test_a_migration_creates_the_default_baseline(db):
    default = AlertBaseline.objects.get(tier=BaselineScope.DEFAULT)
    assert (default.error_rate_percent, default.latency_p99_ms, default.evaluation_window) == (
        Decimal("1.00"), 500, "5m",
    )  # fmt: skip


def test_a_tier_override_replaces_only_the_values_it_sets(db):
    make_baseline(error_rate_percent=Decimal("2"), latency_p99_ms=800)
    make_baseline(BaselineScope.TIER_1, latency_p99_ms=250, severity="critical")
    tier_1, tier_3 = thresholds_in_force(1), thresholds_in_force(3)
    assert (tier_1.error_rate_percent, tier_1.latency_p99_ms) == (Decimal("2.00"), 250)
    assert tier_1.source == "tier 1 override (latency p99 ms, severity)"
    assert (tier_3.latency_p99_ms, tier_3.source) == (800, "default baseline")


def test_without_any_baseline_the_built_in_values_apply():
    assert resolve(2, None, None) == BUILT_IN


def test_admin_refuses_an_out_of_range_baseline_and_says_the_range(admin_client):
    response = admin_client.post(
        "/admin/observability/alertbaseline/add/",
        {"tier": "2", "error_rate_percent": "90", "latency_p99_ms": "", "pod_restarts_per_hour": "",
         "evaluation_window": "", "severity": ""},
    )  # fmt: skip
    assert response.status_code == 200
    assert "90 is out of range: use a value from 0.1 to 50 (% of requests failing)" in (
        response.content.decode()
    )
    assert not AlertBaseline.objects.filter(tier=2).exists()


def test_admin_records_who_changed_a_baseline(admin_client, admin_user):
    response = admin_client.post(
        "/admin/observability/alertbaseline/add/",
        {"tier": "4", "error_rate_percent": "5", "latency_p99_ms": "2000",
         "pod_restarts_per_hour": "", "evaluation_window": "15m", "severity": "warning"},
    )  # fmt: skip
    assert response.status_code == 302
    assert AlertBaseline.objects.get(tier=4).updated_by == admin_user
