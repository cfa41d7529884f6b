"""Every dashboard figure equals an independent computation from the ledger and the tables, on random data."""
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain import WORK_ASPECTS, PackageStatus, PledgeStatus, ReportStatus, Role
from app.extensions import db
from app.models import RW, LedgerEntry, LedgerMonth, Package, Pledge, ProgressReport, Region, SlumAssessment
from app.services import (
    dashboard,
    ledger,
    lifecycle,
    monitoring,
    monitoring_series,
    pledging,
    progress,
    regions,
    spending,
)
from app.services.csv_export import JAKARTA_OFFSET
from app.services.packages import ItemInput, create_package
from app.services.stats import COUNTED_STATUSES

FUNDED = (PackageStatus.FUNDED, PackageStatus.IN_PROGRESS, PackageStatus.COMPLETED)
SLUM = ("berat", "sedang", "ringan")
ASPECTS = list(WORK_ASPECTS)


def build_world(make, rng):
    """Two kotas, three kecamatans, RWs of every severity, and packages in every state through the services."""
    north = make.region_tree("31.72")
    east = make.region_tree("31.75")
    kelurahans = [north, east, make.kelurahan_in(north.parent), make.kelurahan_in(east.parent.parent)]
    orgs = [make.organisation(f"Yayasan {n}") for n in range(3)]
    staff = {org.id: make.user(Role.AGGREGATOR, organisation=org) for org in orgs}
    government = make.user(Role.GOVERNMENT)
    funders = [make.user(Role.COLLABORATOR) for _ in range(4)]
    tier = make.tier(min_cost=1_000_000, max_cost=5_000_000_000, min_pledge=1_000_000)
    for n in range(20):
        rw = make.rw(kelurahan=rng.choice(kelurahans), households=rng.randint(50, 900),
                     population=rng.randint(200, 4000), area_ha=round(rng.uniform(0.5, 20), 2),
                     share=rng.choice([0.0, 10.0, 40.0, 70.0, 95.0]))
        if rng.random() < 0.2:
            continue  # an RW with no package at all
        items = [ItemInput(rng.choice(ASPECTS), f"Item {k}", Decimal(rng.randint(1, 5)), "ls",
                           rng.randint(20, 200) * 1_000_000 + rng.randint(0, 999_999))
                 for k in range(rng.randint(1, 3))]
        org = rng.choice(orgs + [None])
        package = create_package(rw, tier, f"Paket {n}", items, aggregator=org)
        package.planned_start = date(2026, 1, 1) + timedelta(days=rng.randint(0, 200))
        package.planned_end = package.planned_start + timedelta(days=rng.randint(30, 400))
        db.session.commit()
        if rng.random() < 0.15:
            continue  # stays a draft
        lifecycle.transition(package, PackageStatus.PUBLISHED, actor=government)
        db.session.commit()
        _fund(package, rng, funders, staff.get(package.aggregator_id))
        if package.status == PackageStatus.PUBLISHED and rng.random() < 0.3:
            lifecycle.transition(package, PackageStatus.CANCELLED, actor=government, reason="Relokasi")
            db.session.commit()
        elif package.status == PackageStatus.FUNDED and org is not None:
            _work(package, rng, staff[org.id], government)
    return government


def _fund(package, rng, funders, clerk):
    for _ in range(rng.randint(0, 4)):
        if package.remaining == 0:
            break
        amount = min(package.remaining, rng.randint(1, 3) * package.estimate // 4 + 1_000_000)
        pledge = pledging.create_pledge(package, rng.choice(funders), amount)
        roll = rng.random()
        if roll < 0.5 and clerk is not None:
            pledging.confirm_received(pledge, clerk)
        elif roll < 0.6:
            pledging.cancel_pledge(pledge, pledge.collaborator, reason="Batal")


def _work(package, rng, clerk, government):
    if rng.random() < 0.2:
        return  # funded, not started
    steps = sorted(set(rng.sample(range(10, 91, 10), rng.randint(1, 3)) + ([100] if rng.random() < 0.5 else [])))
    for step in steps:
        final = step == 100
        report = progress.submit_report(package, clerk, progress.jakarta_today(), "Laporan",
                                        {item.id: step for item in package.items}, is_final=final)
        db.session.commit()
        if rng.random() < 0.8:
            progress.verify_report(report, government, package)
        else:
            progress.reject_report(report, government, package, "Foto kurang")
        db.session.commit()
    if package.received and rng.random() < 0.7:
        item = rng.choice(package.items)
        spending.record_expenditure(package, item, rng.randint(1, package.received), date(2026, 6, 1), "Material",
                                    clerk)
        db.session.commit()
    if package.status == PackageStatus.COMPLETED:
        regions.record_assessment(package.rw, {column: 0.0 for column in package.rw.assessments[0].shares()},
                                  assessed_on=progress.jakarta_today() + timedelta(days=1))
        db.session.commit()


def independent(scope_kota_id, today, period=(None, None)):
    """The dashboard's figures recomputed in Python from ORM rows and the ledger."""
    rws = db.session.scalars(select(RW)).all()
    rws = [rw for rw in rws if scope_kota_id is None or rw.kota_id == scope_kota_id]
    rw_ids = {rw.id for rw in rws}
    packages = [p for p in db.session.scalars(select(Package)).all() if p.rw_id in rw_ids]
    ledger = defaultdict(lambda: [0, 0, 0])
    for entry in db.session.scalars(select(LedgerEntry).where(LedgerEntry.package_id.is_not(None))):
        for n, name in enumerate(("committed_delta", "received_delta", "spent_delta")):
            ledger[entry.package_id][n] += getattr(entry, name)
    out = {"levels": defaultdict(lambda: defaultdict(float)), "statuses": defaultdict(lambda: [0] * 6)}
    for rw in rws:
        mine = [p for p in packages if p.rw_id == rw.id]
        counted = any(p.status in COUNTED_STATUSES for p in mine)
        funded = any(p.status in FUNDED for p in mine)
        completed = any(p.status == PackageStatus.COMPLETED for p in mine)
        row = out["levels"][rw.slum_level]
        row["rws"] += 1
        row["in_programme"] += counted
        row["funded"] += funded
        row["completed"] += completed
        row["households"] += rw.households
        row["households_reached"] += rw.households if funded else 0
        row["population_reached"] += rw.population if funded else 0
        row["area_handled_ha"] += rw.area_ha if completed else 0
    for p in packages:
        if p.status == PackageStatus.DRAFT or (p.status == PackageStatus.CANCELLED and p.published_at is None):
            continue
        committed, received, spent = ledger[p.id]
        weighted = sum(i.subtotal * i.progress_pct for i in p.items) // p.estimate
        row = out["statuses"][p.status]
        for n, value in enumerate((1, p.estimate, committed, received, spent, p.estimate * weighted)):
            row[n] += value
    aspects = defaultdict(lambda: [0, 0])
    for p in packages:
        if p.status in COUNTED_STATUSES:
            for item in p.items:
                aspects[item.aspect][0] += item.subtotal
                aspects[item.aspect][1] += item.subtotal * (ledger[p.id][0] * 10_000 // p.estimate) // 10_000
    out["aspects"] = {aspect: tuple(values) for aspect, values in aspects.items()}
    months = defaultdict(lambda: [0, 0, 0])
    for entry in db.session.scalars(select(LedgerEntry).where(LedgerEntry.package_id.in_([p.id for p in packages]))):
        deltas = (entry.committed_delta, entry.received_delta, entry.spent_delta)
        if any(deltas):
            key = f"{entry.created_at.replace(tzinfo=None) + JAKARTA_OFFSET:%Y-%m}"
            for n, value in enumerate(deltas):
                months[key][n] += value
    out["months"] = {key: tuple(values) for key, values in months.items()}
    out["aggregators"] = _aggregators(packages, today)
    out["before_after"] = _before_after(rws, packages)
    return out


def _aggregators(packages, today):
    rows = defaultdict(lambda: defaultdict(float))
    lags = defaultdict(list)
    for p in packages:
        if p.aggregator_id is None or p.status == PackageStatus.DRAFT:
            continue
        row = rows[p.aggregator.name]
        if p.status in COUNTED_STATUSES:
            row["packages"] += 1
            row["estimate"] += p.estimate
            row["received"] += p.received
            row["spent"] += p.spent
        row["completed"] += p.status == PackageStatus.COMPLETED
        if p.status == PackageStatus.IN_PROGRESS:
            reports = [r.report_date for r in db.session.scalars(select(ProgressReport).where(
                ProgressReport.package_id == p.id, ProgressReport.status != ReportStatus.REJECTED))]
            last = max(reports) if reports else (p.started_at.replace(tzinfo=None) + JAKARTA_OFFSET).date()
            row["overdue"] += (today - last).days > 30
            row["late"] += today > p.planned_end
            span = (p.planned_end - p.planned_start).days
            expected = min(max((today - p.planned_start).days / span, 0), 1) * 100
            lags[p.aggregator.name].append(max(expected - p.progress_pct, 0))
        if p.status == PackageStatus.COMPLETED:
            row["completed_dated"] += 1
            row["on_time"] += (p.completed_at.replace(tzinfo=None) + JAKARTA_OFFSET).date() <= p.planned_end
    for name, values in lags.items():
        rows[name]["lag"] = round(sum(values) / len(values), 1)
    return rows


def _before_after(rws, packages):
    before, after, completed, left = [], [], 0, 0
    for rw in rws:
        done = [p.completed_at for p in packages if p.rw_id == rw.id and p.status == PackageStatus.COMPLETED]
        if not done:
            continue
        completed += 1
        history = sorted(db.session.scalars(select(SlumAssessment).where(SlumAssessment.rw_id == rw.id)),
                         key=lambda a: (a.assessed_on, a.id))
        if history[-1].assessed_on > max(done).date():
            before.append(history[0].total_score)
            after.append(history[-1].total_score)
            left += history[-1].level == "tidak_kumuh"
    mean = lambda values: round(sum(values) / len(values), 1) if values else None  # noqa: E731
    return completed, len(before), mean(before), mean(after), left


@pytest.mark.parametrize("seed", [7, 2021, 31415])
@pytest.mark.parametrize("scoped", [False, True])
def test_every_dashboard_figure_matches_an_independent_computation(make, seed, scoped):
    rng = random.Random(seed)
    build_world(make, rng)
    today = progress.jakarta_today() + timedelta(days=45)
    filters = monitoring.Filters(kota="31.75" if scoped else None)
    board = dashboard.build(filters, 0, 2030, today=today)
    kota_id = db.session.scalar(select(Region.id).where(Region.code == "31.75")) if scoped else None
    expected = independent(kota_id, today)

    for row in board.levels:
        want = expected["levels"][row.level]
        got = {name: getattr(row, name) for name in want}
        assert got == pytest.approx(dict(want)), row.level
    assert {row.level for row in board.levels} == set(expected["levels"])
    assert {status: [row.packages, row.estimate, row.committed, row.received, row.spent, row.weighted_progress]
            for status, row in board.statuses.items()} == expected["statuses"]
    assert {row.aspect: (row.need, row.committed) for row in board.aspects} == expected["aspects"]
    assert {row.month: (row.committed, row.received, row.spent) for row in board.months} == expected["months"]
    ba = board.before_after
    assert (ba.completed_rws, ba.reassessed, ba.mean_before, ba.mean_after, ba.left_slum) == expected["before_after"]
    for row in board.aggregators:
        want = expected["aggregators"][row.name]
        assert (row.packages, row.completed, row.estimate, row.received, row.spent) == (
            want["packages"], want["completed"], want["estimate"], want["received"], want["spent"]), row.name
        assert (row.overdue_reports, row.late, row.completed_dated, row.on_time) == (
            want["overdue"], want["late"], want["completed_dated"], want["on_time"]), row.name
        assert row.schedule_lag == pytest.approx(want.get("lag"), abs=0.051), row.name
    slum = sum(expected["levels"][level]["rws"] for level in SLUM) + expected["levels"]["tidak_kumuh"]["completed"]
    assert board.target.slum_rws == slum
    money = board.flows
    totals = [sum(values[n] for values in expected["months"].values()) for n in range(3)]
    assert [money.committed, money.received, money.spent] == totals


def test_region_rows_and_the_severe_unfunded_question(make):
    """"Which kecamatan in the kota have severe RWs with no funding?": counted per kecamatan."""
    east = make.region_tree("31.75")
    other = make.kelurahan_in(east.parent.parent, name="Kelurahan Lain")
    tier = make.tier()
    unfunded = make.rw(kelurahan=east, share=100.0)  # severe, no package
    pledged = make.rw(kelurahan=east, share=100.0)
    package = make.package(200_000_000, tier_=tier, rw_=pledged)
    pledging.create_pledge(package, make.user(Role.COLLABORATOR), 5_000_000)
    make.rw(kelurahan=other, share=100.0)  # severe, in the other kecamatan, no package
    make.rw(kelurahan=other, share=10.0)  # not severe
    board = dashboard.build(monitoring.Filters(kota="31.75"), 0, 2030)
    rows = {row.code: row for row in board.regions}
    first, second = rows[east.parent.code], rows[other.parent.code]
    assert (first.severe, first.severe_unfunded, second.severe, second.severe_unfunded) == (2, 1, 1, 1)
    assert board.regions[0].severe_unfunded >= board.regions[-1].severe_unfunded
    assert unfunded.slum_level == "berat"
    assert db.session.scalar(select(Pledge.status)) == PledgeStatus.PLEDGED


PERIODS = [(None, None), (date(2025, 1, 1), date(2025, 2, 28)), (date(2025, 1, 15), date(2025, 3, 3)),
           (date(2025, 2, 3), date(2025, 2, 20)), (None, date(2025, 2, 10)), (date(2025, 1, 31), None),
           (date(2025, 2, 1), date(2025, 2, 1)), (date(2024, 12, 1), date(2025, 3, 31)), (date(2025, 3, 1), None)]


@pytest.mark.parametrize("seed", [5, 77])
def test_monthly_sums_follow_the_ledger_and_any_period_cuts_months_at_jakarta_midnight(make, seed):
    """LedgerMonth, kept by the database's triggers for every insert (one by one or many in a statement), equals
    the ledger summed per package and Jakarta month; the series and flows of any period (whole months from it,
    part-months from the ledger) equal the entries of that period, nationally and for a kota."""
    rng = random.Random(seed)
    east, north = make.region_tree("31.75"), make.region_tree("31.72")
    packages = [make.package(rw_=make.rw(kelurahan=rng.choice([east, north]))) for _ in range(4)]
    boundary = datetime(2025, 1, 31, 17, 0)  # 1 February 00:00 in Jakarta
    for _batch in range(12):
        for _ in range(rng.randint(1, 8)):
            moment = boundary + timedelta(days=rng.randint(-75, 75), hours=rng.choice([0, 0, -7, 6, 12]),
                                          seconds=rng.choice([0, 0, -1, 1]))
            deltas = [rng.choice([0, 0, 1, -1]) * rng.randint(1, 9) * 1_000_000 for _ in range(3)]
            package = rng.choice(packages + [None])
            entry = ledger.record("test.money", package or packages[0], package_id=package and package.id,
                                  committed=deltas[0], received=deltas[1], spent=deltas[2])
            entry.created_at = moment
        db.session.commit()
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.package_id.is_not(None))).all()
    moment = lambda entry: entry.created_at.replace(tzinfo=None)  # noqa: E731
    money = lambda entry: (entry.committed_delta, entry.received_delta, entry.spent_delta)  # noqa: E731
    expected = defaultdict(lambda: [0, 0, 0])
    for entry in entries:
        if any(money(entry)):
            row = expected[(entry.package_id, f"{moment(entry) + JAKARTA_OFFSET:%Y-%m}")]
            for n, value in enumerate(money(entry)):
                row[n] += value
    assert {(m.package_id, m.month): [m.committed, m.received, m.spent]
            for m in db.session.scalars(select(LedgerMonth))} == expected
    kota_id = db.session.scalar(select(Region.id).where(Region.code == "31.75"))
    in_kota = {p.id for p in packages if p.rw.kota_id == kota_id}
    for date_from, date_to in PERIODS:
        for kota in (None, "31.75"):
            filters = monitoring.Filters(kota=kota, date_from=date_from, date_to=date_to)
            start, end = monitoring.utc_bounds(filters)
            months = defaultdict(lambda: [0, 0, 0])
            for entry in entries:
                if (any(money(entry)) and (kota is None or entry.package_id in in_kota)
                        and (start is None or moment(entry) >= start) and (end is None or moment(entry) < end)):
                    for n, value in enumerate(money(entry)):
                        months[f"{moment(entry) + JAKARTA_OFFSET:%Y-%m}"][n] += value
            scope = monitoring.resolve_scope(filters)
            got = monitoring_series.by_month(scope, filters)
            assert {row.month: [row.committed, row.received, row.spent] for row in got} == months, filters
            assert [row.month for row in got] == sorted(months)
            flows = monitoring.flows(scope, filters)
            assert [flows.committed, flows.received, flows.spent] == [sum(v[n] for v in months.values())
                                                                      for n in range(3)], filters
