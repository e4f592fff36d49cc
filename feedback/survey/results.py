"""The survey's statistics, pure: answer values in, numbers out.

NPS: the share of promoters (9–10) minus the share of detractors (0–6), times 100. Its 95%
confidence interval uses the standard error of a difference of two proportions of the same
sample: SE = sqrt((p + d − (p − d)²) / n), interval = NPS ± 1.96 × SE × 100, clipped to
[−100, 100]. Groups smaller than MIN_GROUP are never shown (anonymity).
"""

import math
from collections import Counter
from dataclasses import dataclass

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


def nps(scores: list[int]) -> Nps | None:
    """The NPS of 0–10 scores, None when there are none."""
    n = len(scores)
    if not n:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
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
    return sum(values) / len(values) if values else None


def distribution(kind: str, choices: list[str], values: list) -> list[tuple[str, int]]:
    """(option label, how many chose it) for every option of the question, zeros included."""
    counts: Counter = Counter()
    for value in values:
        counts.update(value if isinstance(value, list) else [value])
    if kind == QuestionKind.LIKERT:
        return [(f"{n} · {label}", counts[n]) for n, label in LIKERT_LABELS.items()]
    if kind == QuestionKind.NPS:
        return [(str(n), counts[n]) for n in range(11)]
    return [(c, counts[c]) for c in choices]


def shown(count: int) -> bool:
    """Whether a group of `count` respondents (or answers) is large enough to show."""
    return count >= MIN_GROUP
