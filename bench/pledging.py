"""Pledging under contention: 16 workers × 50 pledges over 100 packages, through the pledging
service (guarded UPDATE + pledge + ledger entry + status change, one transaction each), against
plain INSERTs of the same pledge rows in the same run. Checks that nothing is over-funded."""
import os
import random
import threading
import time
from decimal import Decimal

from sqlalchemy import func, insert, select

from app.db_types import utcnow
from app.extensions import db
from app.models import Package, Pledge
from app.services import accounts, ledger, lifecycle, pledging
from app.services.packages import ItemInput, create_package
from bench.common import databases, fresh_app, table
from seeds.reference import load_regions, load_tiers

WORKERS = int(os.environ.get("BENCH_PLEDGE_WORKERS", 16))
PER_WORKER = int(os.environ.get("BENCH_PLEDGE_PER_WORKER", 50))
PACKAGES = 100
ESTIMATE = 100_000_000  # ~8 pledges of 1–25 jt per package: many packages fill up and refuse the rest


def _setup():
    from app.models import Region
    from app.services import regions

    load_regions()
    load_tiers()
    kelurahan = db.session.scalars(select(Region).where(Region.level == "kelurahan").limit(PACKAGES)).all()
    from app.models import PackageTier

    tier = db.session.scalar(select(PackageTier).where(PackageTier.code == "bersama"))
    package_ids = []
    for number, place in enumerate(kelurahan, start=1):
        rw = regions.create_rw(place, number, -6.2, 106.8, households=100)
        db.session.flush()
        package = create_package(rw, tier, f"Bench {number}",
                                 [ItemInput("drainase", "Saluran", Decimal(1), "ls", ESTIMATE)])
        lifecycle.transition(package, "published")
        package_ids.append(package.id)
    password = "bench-password-123"  # noqa: S105 - throw-away bench accounts
    users = [accounts.create_user(accounts.NewUser(email=f"bench{i}@example.org", password=password,
                                                   name=f"Bench {i}"), commit=False) for i in range(WORKERS)]
    db.session.commit()
    return package_ids, [user.id for user in users]


def _plan(package_ids, seed):
    rng = random.Random(seed)
    return [(rng.choice(package_ids), rng.randint(1, 25) * 1_000_000) for _ in range(PER_WORKER)]


def _run_workers(app, work):
    """Run `work(worker_index)` in WORKERS threads at once; wall-clock seconds."""
    barrier = threading.Barrier(WORKERS)
    errors = []

    def target(index):
        with app.app_context():
            barrier.wait()
            try:
                work(index)
            except Exception as error:  # noqa: BLE001 - reported below, a bench must not hang
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(WORKERS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def _measure(kind):
    with fresh_app(kind) as app:
        package_ids, user_ids = _setup()
        plans = [_plan(package_ids, seed) for seed in range(WORKERS)]
        outcomes = {"created": 0, "refused": 0}
        lock = threading.Lock()

        def pledge_work(index):
            from app.models import User

            user = db.session.get(User, user_ids[index])
            for package_id, amount in plans[index]:
                package = db.session.get(Package, package_id)
                try:
                    pledging.create_pledge(package, user, amount)
                    result = "created"
                except pledging.PledgeError:
                    result = "refused"
                with lock:
                    outcomes[result] += 1

        pledge_seconds = _run_workers(app, pledge_work)
        over = db.session.scalar(select(func.count()).select_from(Package).where(Package.committed > Package.estimate))
        totals = ledger.package_totals_from_ledger()
        mismatched = sum(1 for p in db.session.scalars(select(Package))
                         if totals.get(p.id, (0, 0, 0))[0] != p.committed)

        def insert_work(index):
            for package_id, amount in plans[index]:
                db.session.execute(insert(Pledge).values(
                    package_id=package_id, collaborator_id=user_ids[index], amount=amount, anonymous=False,
                    status="pledged", created_at=utcnow()))
                db.session.commit()

        insert_seconds = _run_workers(app, insert_work)
    attempts = WORKERS * PER_WORKER
    return {
        "kind": kind, "attempts": attempts, **outcomes, "pledge_s": pledge_seconds, "insert_s": insert_seconds,
        "over_funded": over, "ledger_mismatches": mismatched,
    }


def main():
    """Run and print the table."""
    rows = []
    for kind in databases():
        r = _measure(kind)
        pledge_rate, insert_rate = r["attempts"] / r["pledge_s"], r["attempts"] / r["insert_s"]
        rows.append((kind, f"{WORKERS}×{PER_WORKER}", r["created"], r["refused"], f"{pledge_rate:,.0f}",
                     f"{insert_rate:,.0f}", f"{pledge_rate / insert_rate:.2f}", r["over_funded"],
                     r["ledger_mismatches"]))
        print(rows[-1], flush=True)
    print(table("Pledging under contention (100 packages)",
                ["database", "workers×pledges", "created", "refused (full)", "pledges/s", "plain INSERTs/s",
                 "ratio", "over-funded packages", "ledger mismatches"], rows))
