"""The demo seed (Jakarta, KSBB-style) and the synthetic national-scale seed."""
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.domain import PackageStatus, PledgeStatus, Role
from app.extensions import db
from app.models import (
    RW,
    LedgerEntry,
    Notification,
    Organisation,
    OutboxEmail,
    Package,
    PackageTier,
    Pledge,
    ProgressPhoto,
    Region,
    SlumAssessment,
    User,
)
from app.services import ledger

AGGREGATORS = {
    "Baznas Bazis DKI Jakarta", "Rumah Zakat", "Aksi Cepat Tanggap (ACT)", "Human Initiative", "Plan Indonesia",
    "T-Care", "Rumah Sosial Kutub",
}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def assert_money_reconciles():
    """Every package's running totals equal its pledges and the ledger; estimates equal the RAB."""
    from_ledger = ledger.package_totals_from_ledger()
    for package in db.session.scalars(select(Package)):
        pledges = db.session.execute(
            select(Pledge.status, func.coalesce(func.sum(Pledge.amount), 0))
            .where(Pledge.package_id == package.id).group_by(Pledge.status)
        ).all()
        by_status = {status: int(total) for status, total in pledges}
        committed = by_status.get(PledgeStatus.PLEDGED, 0) + by_status.get(PledgeStatus.RECEIVED, 0)
        assert package.committed == committed, package
        assert package.received == by_status.get(PledgeStatus.RECEIVED, 0), package
        assert (package.committed, package.received, package.spent) == from_ledger.get(package.id, (0, 0, 0))
        assert package.estimate == sum(item.subtotal for item in package.items)
        assert package.tier.min_cost <= package.estimate <= package.tier.max_cost
        assert package.committed <= package.estimate


def test_demo_seed_loads_jakarta_and_is_idempotent(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "Demo seed done" in result.output
    assert "agregator@rukun.id" in result.output and "rukun-demo-2021" in result.output

    assert count(Region) == 318
    levels = Counter(db.session.scalars(select(Region.level)))
    assert levels == {"provinsi": 1, "kabupaten_kota": 6, "kecamatan": 44, "kelurahan": 267}
    assert count(RW) == 68
    assert db.session.scalar(select(func.count(func.distinct(RW.kota_id)))) == 6
    assert db.session.scalar(select(func.count()).where(RW.location_approximate.is_(False))) == 0
    jakarta = db.session.execute(select(func.min(RW.lat), func.max(RW.lat), func.min(RW.lon), func.max(RW.lon))).one()
    assert -6.40 < jakarta[0] and jakarta[1] < -5.5 and 106.5 < jakarta[2] and jakarta[3] < 107.0
    assert count(SlumAssessment) > 68  # baselines plus follow-ups of completed RWs
    aggregators = set(db.session.scalars(select(Organisation.name).where(Organisation.kind == "aggregator")))
    assert aggregators == AGGREGATORS
    tiers = {t.code: t for t in db.session.scalars(select(PackageTier))}
    assert (tiers["bersama"].min_cost, tiers["bersama"].max_cost, tiers["bersama"].min_pledge) == (
        100_000_000, 750_000_000, 1_000_000)
    assert tiers["utama"].whole_only and tiers["lengkap"].whole_only and not tiers["bersama"].whole_only
    assert count(Package) == 68
    assert set(db.session.scalars(select(Package.status))) == set(PackageStatus)
    assert set(db.session.scalars(select(Pledge.status))) == set(PledgeStatus)
    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(Role)
    assert count(Notification) > 0 and count(OutboxEmail) == 0  # demo users see notices; no mail to them
    completed = db.session.scalars(select(Package).where(Package.status == PackageStatus.COMPLETED)).all()
    assert completed and all(p.progress_pct == 100 and p.spent > 0 for p in completed)
    photos = db.session.scalars(select(ProgressPhoto)).all()
    folder = Path(runner.app.config["UPLOAD_FOLDER"]) / "photos"
    assert photos and all((folder / photo.filename).is_file() and photo.lat is not None for photo in photos)
    assert_money_reconciles()

    before = {model: count(model) for model in (Region, RW, SlumAssessment, Package, Pledge, User, LedgerEntry)}
    again = runner.invoke(args=["seed"])
    assert again.exit_code == 0, again.output
    assert "nothing new" in again.output
    assert {model: count(model) for model in before} == before

    skipped = runner.invoke(args=["seed", "--if-empty"])
    assert "skipped" in skipped.output


def test_synthetic_seed_is_consistent_at_any_size(runner):
    result = runner.invoke(args=["seed", "--synthetic", "250"])
    assert result.exit_code == 0, result.output
    assert "Synthetic seed done" in result.output
    assert count(RW) == 250 and count(Package) == 250
    assert db.session.scalar(select(func.count()).select_from(Region).where(Region.level == "kelurahan")) == 25
    pledges_per_package = count(Pledge) / count(Package)
    assert 5 <= pledges_per_package <= 20
    assert_money_reconciles()
    whole_only_broken = db.session.scalar(text(
        "SELECT count(*) FROM pledges pl JOIN packages p ON p.id = pl.package_id "
        "JOIN package_tiers t ON t.id = p.tier_id "
        "WHERE t.whole_only AND pl.status != 'cancelled' AND pl.amount != p.estimate"))
    assert whole_only_broken == 0
    funded = db.session.scalar(text(
        "SELECT count(*) FROM packages WHERE status IN ('funded', 'in_progress', 'completed') "
        "AND committed != estimate"))
    assert funded == 0
    # sequences moved past the explicit ids: the app can keep inserting
    db.session.add(Organisation(name="After synthetic", slug="after-synthetic", kind="company"))
    db.session.commit()

    refused = runner.invoke(args=["seed", "--synthetic", "10"])
    assert refused.exit_code != 0
    assert "already loaded" in refused.output


@pytest.mark.parametrize("bad", ["0", "-5", "many"])
def test_synthetic_size_must_be_positive(runner, bad):
    result = runner.invoke(args=["seed", "--synthetic", bad])
    assert result.exit_code == 2
    assert count(RW) == 0


def test_bulk_rows_compare_like_orm_rows_at_a_whole_second(make):
    """A bulk-loaded timestamp on a whole second must still fall inside a period that starts on it (SQLite keeps
    datetimes as text: without the microseconds it would sort before the bound the ORM sends)."""
    from datetime import datetime

    from seeds.bulk import IdAllocator, insert_rows

    package = make.package()
    table = LedgerEntry.__table__
    boundary = datetime(2025, 1, 1, 17, 0, 0)  # midnight in Jakarta
    insert_rows(table, ["id", "created_at", "action", "subject_type", "subject_id", "package_id", "committed_delta",
                        "received_delta", "spent_delta"],
                [(IdAllocator(table).take(1)[0], boundary, "pledge.created", "pledges", 1, package.id, 5, 0, 0)])
    db.session.commit()
    found = db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.created_at >= boundary,
                                                                       LedgerEntry.created_at < datetime(2025, 1, 2)))
    assert found == 1
