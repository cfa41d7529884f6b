"""Slum scoring (Permen PUPR 14/2018): every band edge, totals, levels and bad input."""
import math

import pytest

from app.domain import CRITERION_COLUMNS, SlumLevel
from app.services import scoring
from tests.factories import shares


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        (0, 0), (24.99, 0), (25, 1), (25.01, 1), (50, 1), (50.91, 1), (50.99, 1),
        (51, 3), (51.01, 3), (75, 3), (75.99, 3), (76, 5), (76.29, 5), (99.99, 5), (100, 5),
    ],
)
def test_criterion_band_edges(share, expected):
    assert scoring.criterion_score(share) == expected


@pytest.mark.parametrize("bad", [-0.01, 100.01, 1e9, math.nan, "50", None, True])
def test_share_outside_0_100_or_not_a_number_is_bad_input(bad):
    with pytest.raises(scoring.InvalidShare):
        scoring.criterion_score(bad)


@pytest.mark.parametrize(
    ("total", "level"),
    [
        (0, SlumLevel.NONE), (15, SlumLevel.NONE), (16, SlumLevel.RINGAN), (37, SlumLevel.RINGAN),
        (38, SlumLevel.SEDANG), (59, SlumLevel.SEDANG), (60, SlumLevel.BERAT), (80, SlumLevel.BERAT),
    ],
)
def test_level_thresholds(total, level):
    assert scoring.level_for_total(total) == level


@pytest.mark.parametrize("total", [-1, 81])
def test_total_outside_0_80_is_refused(total):
    with pytest.raises(ValueError, match="0–80"):
        scoring.level_for_total(total)


def test_all_criteria_at_100_percent_is_80_and_severe():
    result = scoring.score(shares(100))
    assert result.total == 80
    assert result.level == SlumLevel.BERAT
    assert set(result.criteria.values()) == {5}


def test_per_aspect_breakdown_sums_its_criteria():
    result = scoring.score(shares(0, drain_runoff=80, drain_missing=60, drain_quality=30, water_access=26))
    assert result.aspects["drainase"] == 5 + 3 + 1
    assert result.aspects["air_minum"] == 1
    assert result.aspects["bangunan"] == 0
    assert result.total == 10
    assert result.level == SlumLevel.NONE
    assert result.worst_aspects() == ["drainase", "air_minum"]


def test_missing_criterion_is_bad_input():
    values = shares(10)
    del values[CRITERION_COLUMNS[3]]
    with pytest.raises(scoring.InvalidShare) as caught:
        scoring.score(values)
    assert caught.value.criterion == CRITERION_COLUMNS[3]


def test_sixteen_criteria_over_seven_aspects():
    result = scoring.score(shares(50))
    assert len(result.criteria) == 16
    assert len(result.aspects) == 7
    assert result.total == 16
    assert result.level == SlumLevel.RINGAN
