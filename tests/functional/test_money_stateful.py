"""Pledges, cancellations, receipts, spending, progress and package changes in random order, through the
services, with the money invariants checked against the database after every step."""
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select

from app.domain import PackageStatus, PledgeStatus, Role
from app.extensions import db
from app.models import Expenditure, LedgerEntry, Package, Pledge
from app.services import ledger, lifecycle, pledging, progress, spending
from app.services.packages import ItemInput, cancel_package, create_package
from tests import factories
from tests.conftest import wipe_tables

SEEN = set()  # what the runs reached, so the test can show it exercised every path
REFUSALS = (pledging.PledgeError, spending.SpendingError, progress.ProgressError, lifecycle.TransitionError)


class MoneyMachine(RuleBasedStateMachine):
    """A small programme: a few packages, collaborators and one aggregator doing everything users can."""

    packages = Bundle("packages")
    pledges = Bundle("pledges")

    @initialize()
    def world(self):
        wipe_tables()
        self.org = factories.organisation("Yayasan Uji")
        self.staff = factories.user(Role.AGGREGATOR, organisation=self.org)
        self.government = factories.user(Role.GOVERNMENT)
        self.funders = [factories.user(Role.COLLABORATOR) for _ in range(3)]
        self.tier = factories.tier(min_cost=10_000_000, max_cost=900_000_000, min_pledge=1_000_000)
        self.refused = 0

    @rule(target=packages, costs=st.lists(st.integers(10, 300), min_size=1, max_size=3))
    def new_package(self, costs):
        items = [ItemInput("drainase", f"Item {n}", Decimal(1), "ls", cost * 1_000_000) for n, cost in enumerate(costs)]
        package = create_package(factories.rw(), self.tier, "Paket acak", items, aggregator=self.org)
        lifecycle.transition(package, PackageStatus.PUBLISHED, actor=self.government)
        db.session.commit()
        return package.id

    @rule(target=pledges, package_id=packages, funder=st.integers(0, 2), share=st.integers(1, 120))
    def pledge(self, package_id, funder, share):
        return self._place(package_id, funder, lambda package: max(1_000_000, package.estimate * share // 100))

    @rule(target=pledges, package_id=packages, funder=st.integers(0, 2))
    def pledge_the_rest(self, package_id, funder):
        return self._place(package_id, funder, lambda package: max(package.remaining, 1))

    def _place(self, package_id, funder, amount):
        package = db.session.get(Package, package_id)
        try:
            return pledging.create_pledge(package, self.funders[funder], amount(package)).id
        except pledging.PledgeError:
            self.refused += 1
            db.session.rollback()
            return None

    def _pledge(self, pledge_id):
        return None if pledge_id is None else db.session.get(Pledge, pledge_id)

    @rule(pledge_id=pledges)
    def receive(self, pledge_id):
        pledge = self._pledge(pledge_id)
        if pledge is not None:
            self._try(lambda: pledging.confirm_received(pledge, self.staff))

    @rule(pledge_id=pledges)
    def cancel(self, pledge_id):
        pledge = self._pledge(pledge_id)
        if pledge is not None:
            self._try(lambda: pledging.cancel_pledge(pledge, pledge.collaborator, reason="Batal"))

    @rule(package_id=packages, share=st.integers(1, 100))
    def spend(self, package_id, share):
        package = db.session.get(Package, package_id)
        amount = max(1, package.estimate * share // 100)
        self._try(lambda: spending.record_expenditure(package, package.items[0], amount, date(2026, 6, 1), "Semen",
                                                      self.staff), commit=True)

    @rule(package_id=packages, pct=st.sampled_from([30, 60, 100]), verify=st.booleans())
    def report(self, package_id, pct, verify):
        package = db.session.get(Package, package_id)

        def work():
            report = progress.submit_report(package, self.staff, progress.jakarta_today(), "Laporan",
                                            {item.id: pct for item in package.items}, is_final=pct == 100)
            if verify:
                progress.verify_report(report, self.government, package)
        self._try(work, commit=True)

    @rule(package_id=packages)
    def cancel_package(self, package_id):
        package = db.session.get(Package, package_id)
        self._try(lambda: cancel_package(package, "Relokasi warga", actor=self.government))

    def _try(self, work, commit=False):
        try:
            work()
            if commit:
                db.session.commit()
        except REFUSALS:
            self.refused += 1
            db.session.rollback()

    @precondition(lambda self: hasattr(self, "tier"))
    @invariant()
    def money_reconciles(self):
        db.session.expire_all()
        from_ledger = ledger.package_totals_from_ledger()
        by_status = select(Pledge.package_id, Pledge.status, func.sum(Pledge.amount)).group_by(Pledge.package_id,
                                                                                              Pledge.status)
        pledged = {(package_id, status): int(total) for package_id, status, total in db.session.execute(by_status)}
        spent = dict(db.session.execute(select(Expenditure.package_id, func.sum(Expenditure.amount))
                                        .group_by(Expenditure.package_id)).all())
        for package in db.session.scalars(select(Package)):
            received = pledged.get((package.id, PledgeStatus.RECEIVED), 0)
            committed = pledged.get((package.id, PledgeStatus.PLEDGED), 0) + received
            assert (package.committed, package.received, package.spent) == (committed, received,
                                                                            int(spent.get(package.id) or 0))
            assert from_ledger.get(package.id, (0, 0, 0)) == (package.committed, package.received, package.spent)
            assert 0 <= package.spent <= package.received <= package.committed <= package.estimate
            if package.status == PackageStatus.PUBLISHED:
                assert package.committed < package.estimate  # a fully pledged package is funded
            if package.status in (PackageStatus.FUNDED, PackageStatus.IN_PROGRESS, PackageStatus.COMPLETED):
                assert package.committed == package.estimate
            if package.status == PackageStatus.CANCELLED:
                assert pledged.get((package.id, PledgeStatus.PLEDGED), 0) == 0  # open pledges were released
            if package.status == PackageStatus.COMPLETED:
                assert package.progress_pct == 100
        SEEN.update(db.session.scalars(select(Package.status)))
        SEEN.update(f"pledge:{status}" for status in db.session.scalars(select(Pledge.status)))
        if spent:
            SEEN.add("spent")
        statuses = db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.action == "package.status"))
        assert statuses >= db.session.scalar(select(func.count(Package.id)))  # every publication is in the ledger


MoneyMachine.TestCase.settings = settings(
    max_examples=12, stateful_step_count=30, derandomize=True, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.slow
def test_money_invariants_hold_in_any_order(app):
    SEEN.clear()
    MoneyMachine.TestCase().runTest()
    assert {"published", "funded", "in_progress", "completed", "cancelled", "pledge:pledged", "pledge:received",
            "pledge:cancelled", "spent"} <= SEEN, SEEN
