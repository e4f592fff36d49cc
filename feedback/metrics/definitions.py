"""A metric as the dashboard shows it: the value, what it means, and how much data is behind it."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Metric:
    """One number with its unit, its definition, the period it covers and its sample size;
    `value` is None (and sample_size 0) when there is no data, never a made-up number."""

    value: float | None
    unit: str
    definition: str
    period: tuple[date, date]
    sample_size: int

    def to_json(self) -> dict:
        return {
            "value": self.value,
            "unit": self.unit,
            "definition": self.definition,
            "period": {"start": self.period[0].isoformat(), "end": self.period[1].isoformat()},
            "sample_size": self.sample_size,
        }
