"""Every allowed and every forbidden package status transition, and their ledger entries."""
import itertools

import pytest
from sqlalchemy import func, select

from app.domain import PackageStatus as S
from app.domain import Role
from app.extensions import db
from app.models import LedgerEntry
from app.services import lifecycle

# Written out independently of lifecycle.TRANSITIONS, from the design.
ALLOWED = {
    (S.DRAFT, S.PUBLISHED), (S.DRAFT, S.CANCELLED),
    (S.PUBLISHED, S.FUNDED), (S.PUBLISHED, S.CANCELLED),
    (S.FUNDED, S.PUBLISHED), (S.FUNDED, S.IN_PROGRESS), (S.FUNDED, S.CANCELLED),
    (S.IN_PROGRESS, S.COMPLETED), (S.IN_PROGRESS, S.CANCELLED),
}
PAIRS = list(itertools.product(list(S), repeat=2))
STAMPS = {S.PUBLISHED: "published_at", S.FUNDED: "funded_at", S.IN_PROGRESS: "started_at",
          S.COMPLETED: "completed_at", S.CANCELLED: "cancelled_at"}


def status_entries(package):
    return db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.package_id == package.id, LedgerEntry.action == "package.status"))


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_transition(make, current, target):
    actor = make.user(Role.GOVERNMENT)
    package = make.package(status="draft")
    package.status = current
    db.session.commit()
    before = status_entries(package)
    if (current, target) in ALLOWED:
        lifecycle.transition(package, target, actor=actor, reason="Alasan uji")
        db.session.commit()
        assert package.status == target
        assert getattr(package, STAMPS[target]) is not None
        entry = db.session.scalars(select(LedgerEntry).where(LedgerEntry.package_id == package.id)
                                   .order_by(LedgerEntry.id.desc())).first()
        assert (entry.action, entry.before, entry.after, entry.actor_id, entry.reason) == (
            "package.status", str(current), str(target), actor.id, "Alasan uji")
    else:
        with pytest.raises(lifecycle.TransitionError):
            lifecycle.transition(package, target, actor=actor, reason="Alasan uji")
        db.session.rollback()
        assert package.status == current
        assert status_entries(package) == before


def test_allowed_table_matches_the_service():
    assert {(a, b) for a, targets in lifecycle.TRANSITIONS.items() for b in targets} == ALLOWED
