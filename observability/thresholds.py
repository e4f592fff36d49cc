"""The alert thresholds in force for a tier: the tier's override where it sets a value, the
default baseline elsewhere, built-in values when no baseline exists. Pure."""

from dataclasses import dataclass
from decimal import Decimal

THRESHOLD_FIELDS = (
    "error_rate_percent",
    "latency_p99_ms",
    "pod_restarts_per_hour",
    "evaluation_window",
    "severity",
)


@dataclass(frozen=True)
class Thresholds:
    error_rate_percent: Decimal
    latency_p99_ms: int
    pod_restarts_per_hour: int
    evaluation_window: str
    severity: str
    source: str = "built-in defaults"  # shown beside the values: where they come from

    @property
    def error_ratio(self) -> float:
        return float(self.error_rate_percent) / 100

    def as_dict(self) -> dict:
        return {
            "error_rate_percent": str(self.error_rate_percent),
            "latency_p99_ms": self.latency_p99_ms,
            "pod_restarts_per_hour": self.pod_restarts_per_hour,
            "evaluation_window": self.evaluation_window,
            "severity": self.severity,
            "source": self.source,
        }


BUILT_IN = Thresholds(Decimal("1.00"), 500, 3, "5m", "critical")


def _empty(value) -> bool:
    return value is None or value == ""


def resolve(tier: int, default: dict | None, override: dict | None) -> Thresholds:
    """Merge field by field: override, then default, then built-in."""
    values, overridden = {}, []
    for name in THRESHOLD_FIELDS:
        if override and not _empty(override.get(name)):
            values[name] = override[name]
            overridden.append(name)
        elif default and not _empty(default.get(name)):
            values[name] = default[name]
        else:
            values[name] = getattr(BUILT_IN, name)
    if overridden:
        source = f"tier {tier} override ({', '.join(n.replace('_', ' ') for n in overridden)})"
    else:
        source = "default baseline" if default else BUILT_IN.source
    values["error_rate_percent"] = Decimal(str(values["error_rate_percent"]))
    return Thresholds(**values, source=source)
