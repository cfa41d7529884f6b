"""A national-scale synthetic data set for benchmarks: N RWs, a package each, ~10 pledges each.

Synthetic regions carry codes starting with "S" (no Kemendagri code does), ten RWs per
kelurahan, ten kelurahan per kecamatan, ten kecamatan per kota. Money is consistent: each
package's committed/received equal its pledges, every change has its ledger entries, and
tier rules hold (whole-only tiers have one full pledge; others pledges of at least the minimum).
"""
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import click
from sqlalchemy import func, select

from app.domain import CRITERION_COLUMNS, PackageStatus, PledgeStatus, RegionLevel, Role
from app.extensions import db
from app.models import (
    RW,
    LedgerEntry,
    Organisation,
    Package,
    PackageTier,
    Pledge,
    Region,
    SlumAssessment,
    User,
    WorkItem,
)
from app.services import scoring
from app.services.accounts import hash_password
from app.services.packages import aspect_mask
from seeds.bulk import IdAllocator, analyze, insert_rows, sync_sequences, tune_for_bulk_load
from seeds.reference import load_tiers, progress_file

CHUNK = 2_000  # RWs generated and written per step
COLLABORATORS = 2_000
AGGREGATORS = 60
STATUS_WEIGHTS = {
    PackageStatus.DRAFT: 3, PackageStatus.PUBLISHED: 55, PackageStatus.FUNDED: 15,
    PackageStatus.IN_PROGRESS: 12, PackageStatus.COMPLETED: 10, PackageStatus.CANCELLED: 5,
}
LIFECYCLE = (PackageStatus.PUBLISHED, PackageStatus.FUNDED, PackageStatus.IN_PROGRESS, PackageStatus.COMPLETED)
UNITS = {"drainase": "m", "jalan": "m2", "air_limbah": "unit", "air_minum": "SR", "sampah": "unit",
         "kebakaran": "unit", "ruang_publik": "titik", "bangunan": "unit", "lainnya": "ls"}
START = datetime(2021, 1, 4, tzinfo=UTC)


class SyntheticSeedError(RuntimeError):
    """The database already holds a synthetic data set."""


@dataclass
class SyntheticSummary:
    """Counts and timing of a synthetic run."""

    rws: int = 0
    packages: int = 0
    work_items: int = 0
    pledges: int = 0
    ledger_entries: int = 0
    seconds: float = 0.0

    def line(self):
        """One line for the CLI."""
        return (f"Synthetic seed done in {self.seconds:.1f} s: {self.rws:,} RWs, {self.packages:,} packages, "
                f"{self.work_items:,} work items, {self.pledges:,} pledges, {self.ledger_entries:,} ledger entries.")


def seed_synthetic(n, random_seed=2021, progress=False, writer=insert_rows):
    """Generate and bulk-load `n` RWs with packages and pledges; returns a SyntheticSummary.

    `writer(table, columns, rows)` writes one batch (benchmarks pass a slower baseline writer).
    """
    started = time.perf_counter()
    if db.session.scalar(select(func.count(Region.id)).where(Region.code.like("S%"))):
        raise SyntheticSeedError("A synthetic data set is already loaded; start from an empty database.")
    rng = random.Random(random_seed)  # repeatable sample data, not secrets  # nosec B311
    tune_for_bulk_load()
    load_tiers()
    tiers = list(db.session.scalars(select(PackageTier).order_by(PackageTier.sort_order)))
    kelurahan_ids = _regions(n)
    aggregators = _organisations()
    collaborators = _collaborators()
    db.session.commit()
    generator = _Generator(rng, tiers, aggregators, collaborators, writer)
    summary = SyntheticSummary()
    chunks = range(0, n, CHUNK)
    with click.progressbar(chunks, label=f"Synthetic {n:,} RWs", file=progress_file(progress)) as bar:
        for offset in bar:
            generator.write_chunk(kelurahan_ids, offset, min(CHUNK, n - offset), summary)
            db.session.commit()
    sync_sequences([RW.__table__, SlumAssessment.__table__, Package.__table__, WorkItem.__table__,
                    Pledge.__table__, LedgerEntry.__table__])
    analyze()
    db.session.commit()
    summary.seconds = time.perf_counter() - started
    return summary


def _regions(n):
    """Synthetic provinsi/kota/kecamatan/kelurahan for n RWs; returns [(kelurahan, kecamatan, kota) ids]."""
    kelurahan_count = -(-n // 10)
    rows = []
    for i in range(kelurahan_count):
        k, c, v = i // 100, (i // 10) % 10, i % 10
        province, kota = f"S{k // 10:02d}", f"S{k // 10:02d}.{k % 10:02d}"
        kecamatan = f"{kota}.{c:02d}"
        if i % 1000 == 0:
            rows.append((province, RegionLevel.PROVINSI, f"Provinsi Sintetis {k // 10 + 1}", None))
        if i % 100 == 0:
            rows.append((kota, RegionLevel.KABUPATEN_KOTA, f"Kota Sintetis {k + 1}", province))
        if i % 10 == 0:
            rows.append((kecamatan, RegionLevel.KECAMATAN, f"Kecamatan Sintetis {k + 1}-{c + 1}", kota))
        rows.append((f"{kecamatan}.{1001 + v}", RegionLevel.KELURAHAN, f"Kelurahan Sintetis {k + 1}-{c + 1}-{v + 1}",
                     kecamatan))
    parents = {}
    ids = IdAllocator(Region.__table__)
    table_rows = []
    for (code, level, name, parent_code), region_id in zip(rows, ids.take(len(rows)), strict=True):
        parents[code] = region_id
        table_rows.append((region_id, code, str(level), name, parents.get(parent_code) if parent_code else None))
    insert_rows(Region.__table__, ("id", "code", "level", "name", "parent_id"), table_rows)
    sync_sequences([Region.__table__])
    return [(rid, parents[code[:9]], parents[code[:6]]) for code, rid in parents.items() if code.count(".") == 3]


def _organisations():
    ids = IdAllocator(Organisation.__table__)
    now = datetime.now(UTC)
    rows = [(oid, f"Agregator Sintetis {i + 1:02d}", f"agregator-sintetis-{i + 1:02d}", "aggregator", True, now)
            for i, oid in enumerate(ids.take(AGGREGATORS))]
    insert_rows(Organisation.__table__, ("id", "name", "slug", "kind", "verified", "created_at"), rows)
    sync_sequences([Organisation.__table__])
    return [row[0] for row in rows]


def _collaborators():
    password_hash = hash_password("synthetic-collaborator")  # one hash: these accounts are for load only
    ids = IdAllocator(User.__table__)
    now = datetime.now(UTC)
    rows = [(uid, f"kolaborator{i + 1}@sintetis.rukun.id", password_hash, f"Kolaborator Sintetis {i + 1}",
             str(Role.COLLABORATOR), i % 5 == 0, True, f"synthetic{uid}", now)
            for i, uid in enumerate(ids.take(COLLABORATORS))]
    insert_rows(User.__table__, ("id", "email", "password_hash", "name", "role", "is_company", "active",
                                 "session_token", "created_at"), rows)
    sync_sequences([User.__table__])
    return [row[0] for row in rows]


class _Generator:
    """Builds the rows of one chunk of RWs and writes them."""

    def __init__(self, rng, tiers, aggregators, collaborators, writer):
        self.rng = rng
        self.writer = writer
        self.tiers = tiers
        self.aggregators = aggregators
        self.collaborators = collaborators
        self.ids = {name: IdAllocator(model.__table__) for name, model in (
            ("rw", RW), ("assessment", SlumAssessment), ("package", Package), ("item", WorkItem),
            ("pledge", Pledge), ("ledger", LedgerEntry))}
        self.statuses = list(STATUS_WEIGHTS)
        self.weights = list(STATUS_WEIGHTS.values())

    def write_chunk(self, kelurahan_ids, offset, count, summary):
        """Generate and insert `count` RWs starting at RW index `offset`."""
        rows = {name: [] for name in ("rw", "assessment", "package", "item", "pledge", "ledger")}
        for index, rw_id in zip(range(offset, offset + count), self.ids["rw"].take(count), strict=True):
            self._rw(rows, index, rw_id, kelurahan_ids[index // 10])
        self.writer(RW.__table__, RW_COLUMNS, rows["rw"])
        self.writer(SlumAssessment.__table__, ASSESSMENT_COLUMNS, rows["assessment"])
        self.writer(Package.__table__, PACKAGE_COLUMNS, rows["package"])
        self.writer(WorkItem.__table__, ITEM_COLUMNS, rows["item"])
        self.writer(Pledge.__table__, PLEDGE_COLUMNS, rows["pledge"])
        self.writer(LedgerEntry.__table__, LEDGER_COLUMNS, rows["ledger"])
        summary.rws += len(rows["rw"])
        summary.packages += len(rows["package"])
        summary.work_items += len(rows["item"])
        summary.pledges += len(rows["pledge"])
        summary.ledger_entries += len(rows["ledger"])

    def _rw(self, rows, index, rw_id, regions):
        rng = self.rng
        kelurahan_id, kecamatan_id, kota_id = regions
        kota_index = index // 1000
        lat = -8.0 + (kota_index * 0.37) % 10 + rng.uniform(-0.05, 0.05)
        lon = 96.0 + (kota_index * 1.73) % 42 + rng.uniform(-0.05, 0.05)
        area = round(rng.uniform(2, 25), 2)
        households = int(area * rng.uniform(40, 120))
        population = int(households * rng.uniform(3.4, 4.2))
        severity = rng.choice(((55, 100), (30, 80), (5, 55)))
        shares = {column: round(rng.uniform(*severity), 2) for column in CRITERION_COLUMNS}
        result = scoring.score(shares)
        rows["rw"].append((rw_id, kelurahan_id, kecamatan_id, kota_id, index % 10 + 1, lat, lon, True, households,
                           population, area, result.total, str(result.level), START))
        assessment_id = self.ids["assessment"].take(1)[0]
        rows["assessment"].append((assessment_id, rw_id, date(2020, 11, 2), True, area, households, population,
                                   households, *shares.values(), result.total, str(result.level), START))
        self._package(rows, rw_id, result)

    def _package(self, rows, rw_id, result):
        rng = self.rng
        package_id = self.ids["package"].take(1)[0]
        tier = rng.choices(self.tiers, weights=(60, 30, 10))[0]
        status = rng.choices(self.statuses, weights=self.weights)[0]
        aspects = result.worst_aspects(4) or ["drainase"]
        if rng.random() < 0.5:
            aspects.append("ruang_publik")
        target = rng.randint(tier.min_cost + tier.min_cost // 20, tier.max_cost - tier.max_cost // 20)
        estimate, items = 0, []
        for position, aspect in enumerate(aspects):
            part = target // len(aspects)
            quantity = rng.randint(1, 60)
            unit_cost = part // quantity
            subtotal = quantity * unit_cost
            estimate += subtotal
            items.append((self.ids["item"].take(1)[0], package_id, position, aspect,
                          f"Pekerjaan {aspect.replace('_', ' ')}", quantity * 100, UNITS[aspect], unit_cost,
                          subtotal, 0))
        created = START + timedelta(days=rng.randint(0, 1800))
        aggregator = rng.choice(self.aggregators) if status != PackageStatus.DRAFT or rng.random() < 0.3 else None
        ledger = rows["ledger"]
        self._ledger(ledger, created, "package.created", "packages", package_id, package_id, after="draft")
        stamps, moment = {}, created
        path = list(LIFECYCLE[: LIFECYCLE.index(status) + 1]) if status in LIFECYCLE else []
        if status == PackageStatus.CANCELLED:
            path = [PackageStatus.PUBLISHED, PackageStatus.CANCELLED]
        previous = PackageStatus.DRAFT
        committed = received = 0
        for step in path:
            moment += timedelta(days=rng.randint(3, 40))
            if step == PackageStatus.FUNDED:
                committed, received, moment = self._pledges(rows, package_id, tier, estimate, status, moment,
                                                            full=True)
            stamps[step] = moment
            self._ledger(ledger, moment, "package.status", "packages", package_id, package_id, before=previous,
                         after=step)
            previous = step
        if status == PackageStatus.PUBLISHED:
            committed, received, _ = self._pledges(rows, package_id, tier, estimate, status, moment, full=False)
        progress = {PackageStatus.COMPLETED: 100, PackageStatus.IN_PROGRESS: rng.randint(5, 90)}.get(status, 0)
        rows["item"].extend(item[:-1] + (progress,) for item in items)
        rows["package"].append((
            package_id, rw_id, tier.id, aggregator, f"Paket {tier.name} RW sintetis {rw_id}", str(status), estimate,
            committed, received, 0, progress, created, stamps.get(PackageStatus.PUBLISHED),
            stamps.get(PackageStatus.FUNDED), stamps.get(PackageStatus.IN_PROGRESS),
            stamps.get(PackageStatus.COMPLETED), stamps.get(PackageStatus.CANCELLED),
            "Synthetic cancellation" if status == PackageStatus.CANCELLED else None,
            aspect_mask((item[3], item[8]) for item in items),
        ))

    def _pledges(self, rows, package_id, tier, estimate, status, moment, full):
        """Pledges for one package: the full estimate when `full`, else a partial share."""
        rng = self.rng
        receive_all = status in (PackageStatus.IN_PROGRESS, PackageStatus.COMPLETED)
        if tier.whole_only:
            amounts = [estimate] if full else []
            if not full and rng.random() < 0.2:
                amounts = [-estimate]  # a cancelled adoption
        else:
            goal = estimate if full else int(estimate * rng.uniform(0, 0.9))
            amounts, left = [], goal
            while left > 0:
                amount = min(left, rng.randint(1, max(1, estimate // 14 // 1_000_000)) * 1_000_000)
                if left - amount < tier.min_pledge:
                    amount = left if full or left >= tier.min_pledge else 0
                if amount <= 0:
                    break
                amounts.append(amount)
                left -= amount
                if rng.random() < 0.08:
                    amounts.append(-max(tier.min_pledge, 1_000_000))  # a cancelled pledge beside them
        committed = received = 0
        for amount in amounts:
            moment += timedelta(hours=rng.randint(1, 200))
            pledge_id = self.ids["pledge"].take(1)[0]
            collaborator = rng.choice(self.collaborators)
            value = abs(amount)
            if amount < 0:
                state = PledgeStatus.CANCELLED
            elif receive_all or rng.random() < 0.4:
                state = PledgeStatus.RECEIVED
            else:
                state = PledgeStatus.PLEDGED
            later = moment + timedelta(days=rng.randint(1, 20))
            rows["pledge"].append((pledge_id, package_id, collaborator, value, rng.random() < 0.15, str(state),
                                   moment, later if state == PledgeStatus.RECEIVED else None,
                                   later if state == PledgeStatus.CANCELLED else None))
            self._ledger(rows["ledger"], moment, "pledge.created", "pledges", pledge_id, package_id,
                         after="pledged", committed=value, actor=collaborator)
            if state == PledgeStatus.CANCELLED:
                self._ledger(rows["ledger"], later, "pledge.cancelled", "pledges", pledge_id, package_id,
                             before="pledged", after="cancelled", committed=-value, actor=collaborator)
            else:
                committed += value
            if state == PledgeStatus.RECEIVED:
                received += value
                self._ledger(rows["ledger"], later, "pledge.received", "pledges", pledge_id, package_id,
                             before="pledged", after="received", received=value)
        return committed, received, moment

    def _ledger(self, ledger, moment, action, subject_type, subject_id, package_id, before=None, after=None,
                committed=0, received=0, actor=None):
        ledger.append((self.ids["ledger"].take(1)[0], moment, actor, action, subject_type, subject_id, package_id,
                       None if before is None else str(before), None if after is None else str(after),
                       committed, received, 0))


RW_COLUMNS = ("id", "kelurahan_id", "kecamatan_id", "kota_id", "number", "lat", "lon", "location_approximate",
              "households", "population", "area_ha", "slum_score", "slum_level", "created_at")
ASSESSMENT_COLUMNS = ("id", "rw_id", "assessed_on", "is_baseline", "verified_area_ha", "buildings", "population",
                      "households", *CRITERION_COLUMNS, "total_score", "level", "created_at")
PACKAGE_COLUMNS = ("id", "rw_id", "tier_id", "aggregator_id", "title", "status", "estimate", "committed",
                   "received", "spent", "progress_pct", "created_at", "published_at", "funded_at", "started_at",
                   "completed_at", "cancelled_at", "cancel_reason", "aspect_mask")
ITEM_COLUMNS = ("id", "package_id", "position", "aspect", "description", "quantity", "unit", "unit_cost",
                "subtotal", "progress_pct")
PLEDGE_COLUMNS = ("id", "package_id", "collaborator_id", "amount", "anonymous", "status", "created_at",
                  "received_at", "cancelled_at")
LEDGER_COLUMNS = ("id", "created_at", "actor_id", "action", "subject_type", "subject_id", "package_id", "before",
                  "after", "committed_delta", "received_delta", "spent_delta")
