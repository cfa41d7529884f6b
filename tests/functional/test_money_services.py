"""The money services the seed and the app share: pledging rules, life cycle, ledger reconciliation."""
import pytest

from app.domain import PackageStatus, Role
from app.extensions import db
from app.models import LedgerEntry, Pledge
from app.services import ledger, lifecycle, pledging, progress
from app.services.packages import ItemInput, PackageError, build_items, cancel_package, create_package

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def people(make):
    aggregator_org = make.organisation()
    return {
        "collaborator": make.user(Role.COLLABORATOR),
        "other": make.user(Role.COLLABORATOR),
        "aggregator": make.user(Role.AGGREGATOR, organisation=aggregator_org),
        "government": make.user(Role.GOVERNMENT),
        "org": aggregator_org,
    }


def totals(package):
    db.session.refresh(package)
    return package.committed, package.received, package.status


def test_pledges_fund_a_bersama_package_and_cancellation_reopens_it(make, people):
    package = make.package(estimate=100_000_000, aggregator=people["org"])
    first = pledging.create_pledge(package, people["collaborator"], 60_000_000)
    assert totals(package) == (60_000_000, 0, PackageStatus.PUBLISHED)
    second = pledging.create_pledge(package, people["other"], 40_000_000, anonymous=True)
    assert totals(package) == (100_000_000, 0, PackageStatus.FUNDED)
    assert package.funded_at is not None and package.remaining == 0

    pledging.cancel_pledge(second, people["other"], reason="budget moved")
    assert totals(package) == (60_000_000, 0, PackageStatus.PUBLISHED)
    pledging.confirm_received(first, people["aggregator"], reference="TRF-1")
    assert totals(package) == (60_000_000, 60_000_000, PackageStatus.PUBLISHED)
    assert ledger.package_totals_from_ledger(package.id)[package.id] == (60_000_000, 60_000_000, 0)
    actions = [e.action for e in db.session.query(LedgerEntry).order_by(LedgerEntry.id)]
    assert actions.count("package.status") == 3  # published, funded, back to published


@pytest.mark.parametrize(
    ("amount", "message"),
    [(100_000_001, "remains"), (999_999, "minimum pledge")],
)
def test_bersama_refuses_over_funding_and_tiny_pledges(make, people, amount, message):
    package = make.package(estimate=100_000_000)
    with pytest.raises(pledging.PledgeError, match=message) as caught:
        pledging.create_pledge(package, people["collaborator"], amount)
    assert caught.value.code == "conflict"
    assert totals(package)[0] == 0
    assert db.session.query(Pledge).count() == 0


def test_a_final_pledge_below_the_minimum_may_close_the_gap(make, people):
    package = make.package(estimate=100_000_000)
    pledging.create_pledge(package, people["collaborator"], 99_500_000)
    pledging.create_pledge(package, people["other"], 500_000)
    assert totals(package) == (100_000_000, 0, PackageStatus.FUNDED)


def test_whole_only_tier_takes_exactly_the_full_amount(make, people):
    package = make.package(estimate=800_000_000, tier_=make.whole_tier())
    with pytest.raises(pledging.PledgeError, match="adopted whole"):
        pledging.create_pledge(package, people["collaborator"], 400_000_000)
    pledging.create_pledge(package, people["collaborator"], 800_000_000)
    assert totals(package) == (800_000_000, 0, PackageStatus.FUNDED)
    with pytest.raises(pledging.PledgeError, match="not open"):
        pledging.create_pledge(package, people["other"], 1)


@pytest.mark.parametrize("amount", [0, -5, 10**20, 1.5, "100", True, None])
def test_bad_amounts_are_invalid_and_store_nothing(make, people, amount):
    package = make.package()
    with pytest.raises(pledging.PledgeError) as caught:
        pledging.create_pledge(package, people["collaborator"], amount)
    assert caught.value.code == "invalid"
    assert db.session.query(Pledge).count() == 0


def test_draft_packages_take_no_pledges(make, people):
    package = make.package(status="draft")
    with pytest.raises(pledging.PledgeError, match="not open"):
        pledging.create_pledge(package, people["collaborator"], 5_000_000)


def test_received_pledge_cannot_be_cancelled_or_confirmed_twice(make, people):
    package = make.package(aggregator=people["org"])
    pledge = pledging.create_pledge(package, people["collaborator"], 5_000_000)
    pledging.confirm_received(pledge, people["aggregator"])
    with pytest.raises(pledging.PledgeError):
        pledging.cancel_pledge(pledge, people["collaborator"])
    with pytest.raises(pledging.PledgeError):
        pledging.confirm_received(pledge, people["aggregator"])
    assert totals(package)[:2] == (5_000_000, 5_000_000)


def test_life_cycle_refuses_skipping_steps(make, people):
    package = make.package(status="draft")
    for target in (PackageStatus.FUNDED, PackageStatus.IN_PROGRESS, PackageStatus.COMPLETED):
        with pytest.raises(lifecycle.TransitionError):
            lifecycle.transition(package, target)
    with pytest.raises(lifecycle.TransitionError, match="reason for cancelling"):
        lifecycle.transition(package, PackageStatus.CANCELLED, reason="  ")
    lifecycle.transition(package, PackageStatus.CANCELLED, actor=people["government"], reason="Relocated")
    with pytest.raises(lifecycle.TransitionError):
        lifecycle.transition(package, PackageStatus.PUBLISHED)


def test_progress_is_cost_weighted_and_final_report_completes(make, people):
    rw = make.rw()
    items = [ItemInput("drainase", "Saluran", 1, "ls", 150_000_000), ItemInput("jalan", "Paving", 1, "ls",
                                                                               50_000_000)]
    package = create_package(rw, make.tier(), "Dua item", items, aggregator=people["org"])
    lifecycle.transition(package, PackageStatus.PUBLISHED)
    db.session.commit()
    pledging.create_pledge(package, people["collaborator"], 200_000_000)
    drain, road = package.items
    report = progress.submit_report(package, people["aggregator"], package.created_at.date(), "Mulai",
                                    {drain.id: 100, road.id: 0})
    assert package.status == PackageStatus.IN_PROGRESS
    progress.verify_report(report, people["government"], package)
    assert package.progress_pct == 75  # 150 of 200 jt done
    final = progress.submit_report(package, people["aggregator"], package.created_at.date(), "Selesai",
                                   {road.id: 100}, is_final=True)
    progress.verify_report(final, people["government"], package)
    db.session.commit()
    assert (package.progress_pct, package.status) == (100, PackageStatus.COMPLETED)


def test_estimate_must_fall_in_the_tier_range(make):
    with pytest.raises(PackageError, match="outside the Bersama range"):
        create_package(make.rw(), make.tier(), "Terlalu kecil", [ItemInput("jalan", "Paving", 10, "m2", 1_000)])


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (ItemInput("roket", "x", 1, "ls", 1), "items-0-aspect"),
        (ItemInput("jalan", "x", 0, "m2", 1), "items-0-quantity"),
        (ItemInput("jalan", "x", "-3", "m2", 1), "items-0-quantity"),
        (ItemInput("jalan", "x", "1.234", "m2", 1), "items-0-quantity"),
        (ItemInput("jalan", "x", "abc", "m2", 1), "items-0-quantity"),
        (ItemInput("jalan", "x", 1, "m2", -1), "items-0-unit_cost"),
        (ItemInput("jalan", "x", 1, "m2", 10**15), "items-0-unit_cost"),
    ],
)
def test_bad_work_items_name_their_field(line, field):
    with pytest.raises(PackageError) as caught:
        build_items([line])
    assert caught.value.field == field


def test_subtotals_round_half_up_to_whole_rupiah():
    (item,) = build_items([ItemInput("jalan", "Paving", "12.5", "m2", 285_001)])
    assert item.subtotal == 3_562_513  # 12.5 × 285,001 = 3,562,512.5


def test_a_pledge_cannot_be_withdrawn_once_the_work_has_started(make, people):
    """Found by the stateful money test: cancelling then left an in-progress package short of its cost."""
    package = make.package(100_000_000, aggregator=people["org"])
    first = pledging.create_pledge(package, people["collaborator"], 40_000_000)
    rest = pledging.create_pledge(package, people["collaborator"], 60_000_000)
    pledging.confirm_received(first, people["aggregator"])
    progress.start_work(package, people["aggregator"])
    db.session.commit()
    with pytest.raises(pledging.PledgeError, match="work on this package has started"):
        pledging.cancel_pledge(rest, people["collaborator"])
    db.session.refresh(package)
    assert (package.status, package.committed, rest.status) == ("in_progress", 100_000_000, "pledged")
    cancel_package(package, "Lahan sengketa", actor=people["government"])  # cancelling the package still releases it
    db.session.refresh(rest)
    assert rest.status == "cancelled"
