"""The planner's 0/1 knapsack against brute force on small random cases (Hypothesis)."""
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.matching import MAX_UNITS, MIN_UNIT, granularity, knapsack

cases = st.integers(0, 9).flatmap(lambda n: st.tuples(
    st.lists(st.integers(1, 40), min_size=n, max_size=n),
    st.lists(st.integers(0, 10_000), min_size=n, max_size=n),
    st.integers(0, 120),
))


def brute_force(costs, values, capacity):
    best = 0
    for size in range(len(costs) + 1):
        for chosen in combinations(range(len(costs)), size):
            if sum(costs[i] for i in chosen) <= capacity:
                best = max(best, sum(values[i] for i in chosen))
    return best


@settings(max_examples=300, deadline=None)
@given(cases)
def test_knapsack_is_optimal_and_fits(case):
    costs, values, capacity = case
    chosen = knapsack(costs, values, capacity)
    assert len(set(chosen)) == len(chosen)
    assert sum(costs[i] for i in chosen) <= capacity
    assert sum(values[i] for i in chosen) == brute_force(costs, values, capacity)


def test_knapsack_handles_items_larger_than_the_capacity():
    assert knapsack([50, 3], [100, 1], 10) == [1]
    assert knapsack([], [], 10) == []


@given(st.integers(1, 10**14))
def test_granularity_keeps_the_table_small_and_round(budget):
    unit = granularity(budget)
    assert unit >= MIN_UNIT and unit % MIN_UNIT == 0
    assert budget // unit <= MAX_UNITS
