"""The survey's statistics, pure: answer values (or counts of them, as SQL groups them) in,
numbers out.

NPS: the share of promoters (9–10) minus the share of detractors (0–6), times 100. Its 95%
confidence interval uses the standard error of a difference of two proportions of the same
sample: SE = sqrt((p + d − (p − d)²) / n), interval = NPS ± 1.96 × SE × 100, clipped to
[−100, 100]. Groups smaller than MIN_GROUP are never shown (anonymity).
"""

import math
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from feedback.survey.choices import LIKERT_LABELS, QuestionKind

MIN_GROUP = 5
Z_95 = 1.96
NPS_METHOD = (
    "NPS = % promoters (9–10) − % detractors (0–6). The 95% interval is NPS ± 1.96 × SE, "
    "where SE = √((p + d − (p − d)²) / n) is the standard error from the promoter share p "
    "and detractor share d of n answers (a normal approximation; wide for small n)."
)


@dataclass(frozen=True)
class Nps:
    """A Net Promoter Score with its 95% confidence interval, from n answers."""

    n: int
    promoters: int
    passives: int
    detractors: int
    score: float
    low: float
    high: float

    @property
    def score_text(self) -> str:
        return fixed(self.score, 0)

    @property
    def interval_text(self) -> str:
        return f"{fixed(self.low, 0)} to {fixed(self.high, 0)}"


def nps(scores: list[int]) -> Nps | None:
    """The NPS of 0–10 scores, None when there are none."""
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return nps_of_counts(len(scores), promoters, detractors)


def nps_of_counts(n: int, promoters: int, detractors: int) -> Nps | None:
    """The NPS of n 0–10 scores of which `promoters` are 9–10 and `detractors` 0–6."""
    if not n:
        return None
    p, d = promoters / n, detractors / n
    score = (p - d) * 100
    se = math.sqrt(max(0.0, p + d - (p - d) ** 2) / n)
    margin = Z_95 * se * 100
    return Nps(
        n=n,
        promoters=promoters,
        passives=n - promoters - detractors,
        detractors=detractors,
        score=score,
        low=max(-100.0, score - margin),
        high=min(100.0, score + margin),
    )


def mean(values: list[int]) -> float | None:
    return mean_of_sum(sum(values), len(values))


def mean_of_sum(total: int, n: int) -> float | None:
    return total / n if n else None


def distribution(kind: str, choices: list[str], values: list) -> list[tuple[str, int]]:
    """(option label, how many chose it) for every option of the question, zeros included."""
    return distribution_of_counts(kind, choices, [(value, 1) for value in values])


def distribution_of_counts(kind: str, choices: list[str], counts) -> list[tuple[str, int]]:
    """The same from (value, how many gave it) pairs, a several-choices value being the list of
    options chosen."""
    chosen: Counter = Counter()
    for value, count in counts:
        for option in value if isinstance(value, list | tuple) else [value]:
            chosen[option] += count
    if kind == QuestionKind.LIKERT:
        return [(f"{n} · {label}", chosen[n]) for n, label in LIKERT_LABELS.items()]
    if kind == QuestionKind.NPS:
        return [(str(n), chosen[n]) for n in range(11)]
    return [(c, chosen[c]) for c in choices]


def fixed(value: float, places: int) -> str:
    """`value` rounded half up to `places` decimals, written as the template filter
    `floatformat:places` writes it in English (and never "-0"), at a fraction of its cost: a
    page may show hundreds of figures."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded if rounded else abs(rounded):f}"


def shown(count: int) -> bool:
    """Whether a group of `count` respondents (or answers) is large enough to show."""
    return count >= MIN_GROUP
