"""Slum scoring under Permen PUPR 14/2018 (the KOTAKU method).

Each of the sixteen criteria is recorded as the share (0–100 %) of the area it affects and
scored by cut-offs at 25, 51 and 76: below 25 → 0, 25 up to 51 → 1, 51 up to 76 → 3,
76 and above → 5. Published regional records score 50.91 % as 1, 75 % as 3 and 76.29 % as 5.
The total (0–80) gives the level: 60+ berat, 38–59 sedang, 16–37 ringan, below 16 not a slum.
"""
import math
from dataclasses import dataclass

from app.domain import ASPECTS, CRITERIA, CRITERION_COLUMNS, SlumLevel

SCORE_CUTOFFS = ((76, 5), (51, 3), (25, 1))
LEVEL_THRESHOLDS = ((60, SlumLevel.BERAT), (38, SlumLevel.SEDANG), (16, SlumLevel.RINGAN))


class InvalidShare(ValueError):
    """A share outside 0–100, or not a number."""

    def __init__(self, criterion, value):
        super().__init__(f"{criterion}: share must be a number from 0 to 100, got {value!r}")
        self.criterion = criterion
        self.value = value


def criterion_score(share, criterion="share"):
    """Score one criterion's share of the area: 0, 1, 3 or 5."""
    if isinstance(share, bool) or not isinstance(share, int | float) or math.isnan(share):
        raise InvalidShare(criterion, share)
    if not 0 <= share <= 100:
        raise InvalidShare(criterion, share)
    for cutoff, score in SCORE_CUTOFFS:
        if share >= cutoff:
            return score
    return 0


def level_for_total(total):
    """Severity for a total score 0–80."""
    if not 0 <= total <= 80:
        raise ValueError(f"total score must be 0–80, got {total}")
    for threshold, level in LEVEL_THRESHOLDS:
        if total >= threshold:
            return level
    return SlumLevel.NONE


@dataclass(frozen=True)
class SlumScore:
    """Per-criterion scores, per-aspect subtotals, the total and the level."""

    criteria: dict
    aspects: dict
    total: int
    level: SlumLevel

    def worst_aspects(self, limit=3):
        """Aspects with the highest subtotal (non-zero), worst first."""
        ranked = sorted(((score, aspect) for aspect, score in self.aspects.items() if score), reverse=True)
        return [aspect for _score, aspect in ranked[:limit]]


def score(shares):
    """Score a mapping of the sixteen criterion shares. Missing criteria are bad input."""
    missing = [column for column in CRITERION_COLUMNS if column not in shares]
    if missing:
        raise InvalidShare(missing[0], None)
    criteria = {column: criterion_score(shares[column], column) for column in CRITERION_COLUMNS}
    aspects = dict.fromkeys(ASPECTS, 0)
    for column, aspect, _label in CRITERIA:
        aspects[aspect] += criteria[column]
    total = sum(criteria.values())
    return SlumScore(criteria=criteria, aspects=aspects, total=total, level=level_for_total(total))
