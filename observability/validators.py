"""Checks on what platform engineers and team leads type: ranges with units, durations,
Kubernetes names, and references that must never be the secret itself."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# field → (lowest, highest, unit as the message says it)
RANGES: dict[str, tuple[Decimal | int, Decimal | int, str]] = {
    "error_rate_percent": (Decimal("0.1"), Decimal("50"), "% of requests failing"),
    "latency_p99_ms": (10, 60_000, "milliseconds"),
    "pod_restarts_per_hour": (1, 100, "restarts per hour"),
}
WINDOW_RANGE_SECONDS = (60, 3600)
DURATION_RE = re.compile(r"^(\d+)(s|m|h)$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SECRET_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")
PAGERDUTY_SERVICE_RE = re.compile(r"^P[A-Z0-9]{5,13}$")
# A PagerDuty Events API v2 integration (routing) key: 32 letters and digits.
ROUTING_KEY_RE = re.compile(r"^[A-Za-z0-9]{32}$")


def range_problem(field: str, value) -> str:
    """'' when `value` is inside the allowed range of `field`, else what to type instead."""
    low, high, unit = RANGES[field]
    if value is None or low <= value <= high:
        return ""
    return f"{value} is out of range: use a value from {low} to {high} ({unit})"


@deconstructible
class RangeValidator:
    """A model-field validator for one of RANGES (deconstructible, for migrations)."""

    def __init__(self, field: str):
        self.field = field

    def __call__(self, value) -> None:
        if problem := range_problem(self.field, value):
            raise ValidationError(problem, code="out_of_range")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RangeValidator) and other.field == self.field

    def __hash__(self) -> int:
        return hash(self.field)


def range_validator(field: str) -> RangeValidator:
    return RangeValidator(field)


def duration_seconds(value: str) -> int | None:
    """Seconds in a one-unit Prometheus duration such as 90s, 5m or 1h; None if unreadable."""
    match = DURATION_RE.match(value or "")
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)] if match else None


def window_problem(value: str) -> str:
    low, high = WINDOW_RANGE_SECONDS
    seconds = duration_seconds(value)
    if seconds is None:
        return (
            f"'{value}' is not a duration: write a whole number and one unit (s, m or h), e.g. 5m"
        )
    if not low <= seconds <= high:
        return f"{value} is out of range: use a window from 1m to 1h, e.g. 5m"
    return ""


def validate_window(value: str) -> None:
    if problem := window_problem(value):
        raise ValidationError(problem, code="bad_window")


def looks_like_a_key(value: str) -> bool:
    """32 letters and digits, mixed, no separator: a pasted integration key, not a name."""
    has_both = any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
    return bool(ROUTING_KEY_RE.match(value)) and has_both


def validate_secret_name(value: str) -> None:
    if looks_like_a_key(value):
        raise ValidationError(
            "this looks like the integration key itself: store the key in a Kubernetes Secret "
            "and enter the Secret's name here",
            code="looks_like_a_key",
        )
    if len(value) > 253 or not DNS_SUBDOMAIN_RE.match(value):
        raise ValidationError(
            "use the Secret's Kubernetes name: lowercase letters, digits, '-' and '.', "
            "e.g. payments-pagerduty",
            code="bad_secret_name",
        )


def validate_secret_key(value: str) -> None:
    if len(value) > 253 or not SECRET_KEY_RE.match(value):
        raise ValidationError(
            "use the key's name inside the Secret: letters, digits, '-', '_' and '.', "
            "e.g. routing-key",
            code="bad_secret_key",
        )


def validate_pagerduty_service(value: str) -> None:
    if looks_like_a_key(value):
        raise ValidationError(
            "this looks like an integration key: never paste the key here. Enter the "
            "PagerDuty service ID (e.g. P1ABCDE) and keep the key in a Secret",
            code="looks_like_a_key",
        )
    if not PAGERDUTY_SERVICE_RE.match(value):
        raise ValidationError(
            "use the PagerDuty service ID: 'P' and 5 to 13 capital letters or digits, as in "
            "the service's address …/service-directory/P1ABCDE",
            code="bad_pagerduty_service",
        )
