"""Properties of the budget planner on random small catalogues (derandomized Hypothesis, real database):
the plan never exceeds the budget, every line obeys its tier's rules (and the pledging service accepts
the whole plan), and the packages it completes are a brute-force optimum of need covered."""
from decimal import Decimal
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain import PackageStatus, Role
from app.extensions import db
from app.services import lifecycle, matching, pledging
from app.services.packages import ItemInput, create_package
from tests.conftest import wipe_tables

package_specs = st.lists(
    st.tuples(st.booleans(),                      # whole-only tier?
              st.integers(1, 8),                   # estimate in Rp 100 jt
              st.integers(0, 3),                   # quarters already committed (co-funded tier only)
              st.sampled_from([20.0, 40.0, 60.0, 90.0]),  # criterion share → slum score
              st.integers(50, 1500)),              # households
    min_size=1, max_size=7)


def build(make, specs):
    kelurahan = make.region_tree("31.72")
    bersama = make.tier(min_cost=100_000_000, max_cost=900_000_000, min_pledge=25_000_000)
    utama = make.tier("utama", 100_000_000, 900_000_000, 0, whole_only=True)
    giver = make.user(Role.COLLABORATOR)
    for whole, hundreds, quarters, share, households in specs:
        estimate = hundreds * 100_000_000
        package = create_package(make.rw(kelurahan=kelurahan, share=share, households=households),
                                 utama if whole else bersama, "Paket",
                                 [ItemInput("drainase", "Pekerjaan", Decimal(1), "ls", estimate)])
        lifecycle.transition(package, PackageStatus.PUBLISHED)
        db.session.commit()
        if quarters and not whole:
            pledging.create_pledge(package, giver, estimate * quarters // 4)


def best_value(candidates, unit, capacity_units):
    best = 0
    for size in range(len(candidates) + 1):
        for chosen in combinations(candidates, size):
            if sum(-(-c.card.remaining // unit) for c in chosen) <= capacity_units:
                best = max(best, sum(matching._plan_value(c.parts, c.card.households, c.card.slum_score)
                                     for c in chosen))
    return best


@pytest.mark.usefixtures("english")
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=package_specs, budget_hundreds=st.integers(1, 30), focus=st.booleans())
def test_plans_fit_the_budget_obey_tiers_and_are_optimal(make, specs, budget_hundreds, focus):
    wipe_tables()
    build(make, specs)
    budget = budget_hundreds * 100_000_000
    profile = matching.Profile(budget=budget, aspects=("drainase",) if focus else ())
    plan = matching.plan(profile, budget)
    assert plan.total + plan.leftover == budget and plan.total <= budget
    ids = [item.card.id for item in plan.items]
    assert len(ids) == len(set(ids))
    for item in plan.items:
        assert 0 < item.amount <= item.card.remaining
        if item.recommendation.whole_only:
            assert item.amount == item.card.remaining and item.completes
        else:
            assert item.amount >= item.recommendation.min_pledge or item.amount == item.card.remaining
    # The packages it completes cover the most need any set of completable packages could.
    everything = matching.recommend(profile, per_page=100).items
    completable = [c for c in everything if c.card.remaining <= budget]
    knapsack_part = [item for item in plan.items if item.completes]
    assert sum(item.value for item in knapsack_part) == best_value(completable, plan.unit, budget // plan.unit)
    # And the pledging service, with its own checks, accepts the whole plan.
    if plan.items:
        pledges, _replayed = pledging.pledge_plan(db.session.merge(make.user(Role.COLLABORATOR)),
                                                  [(item.card.id, item.amount) for item in plan.items], "plan")
        assert sum(p.amount for p in pledges) == plan.total
