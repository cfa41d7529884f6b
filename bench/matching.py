"""Matching at national scale (issue 6): `matching.recommend()` (first page of 20) and `matching.plan()`
(budget Rp 10 M = Rp 10.000.000.000) over BENCH_PACKAGES (100,000) synthetic packages, for a realistic
profile and an empty one, against a naive baseline in the same run: load every open package with its RW,
tier and work items into Python (ORM, or plain SELECTs), score it there with the formula of
app/services/matching.py, sort, and — for the planner — pick the same candidates and call the same
`matching.knapsack`. The baseline must agree with the SQL path (top-20 ids, plan items); disagreement is
reported. Targets: recommendations under 200 ms, planner under 1 s (judged on p95).

The synthetic database (one package per RW) is kept for the next run and reused when it is complete:
SQLite under $TMPDIR/rukun-bench-matching/, PostgreSQL in the scratch database `bench_matching` on the
server of BENCH_DATABASE_URL / TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432).
BENCH_MATCHING_DROP=1 removes them afterwards. Results go to bench/results/matching-<database>.json.
"""
import contextlib
import json
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import joinedload, selectinload

from app import create_app
from app.domain import PackageStatus
from app.extensions import db
from app.models import RW, Package, PackageTier, Region, WorkItem
from app.services import matching
from app.services.packages import aspect_bit, aspect_mask
from bench.common import bench_server, chosen_databases, ms, table
from config import TestingConfig

PACKAGES = int(os.environ.get("BENCH_PACKAGES", 100_000))
RUNS, WARMUPS = int(os.environ.get("BENCH_MATCHING_RUNS", 15)), 2
PLAN_RUNS = int(os.environ.get("BENCH_MATCHING_PLAN_RUNS", 7))
NAIVE_RUNS = int(os.environ.get("BENCH_MATCHING_NAIVE_RUNS", 3))
NAIVE_LOADERS = os.environ.get("BENCH_MATCHING_NAIVE", "orm,rows").split(",")
BUDGET = 10_000_000_000  # Rp 10 M (miliar)
PER_PAGE = 20
TARGETS = {"recommend": 0.200, "plan": 1.0}
PG_DATABASE = os.environ.get("BENCH_MATCHING_DB", "bench_matching")
RESULTS = Path(__file__).resolve().parent / "results"
# Jakarta Timur (around Jatinegara): a CSR site with a 5 km ring. Synthetic RWs lie on a made-up grid, so
# the region preference is the synthetic kota nearest to the site.
SITE = matching.Site("Jakarta Timur", -6.2250, 106.9004, 5)


# --- the database -----------------------------------------------------------------------------------------


def _recreate_pg(admin, drop=True, create=True):
    with admin.connect() as connection:
        if drop:
            connection.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
        if create:
            connection.execute(text(f"CREATE DATABASE {PG_DATABASE}"))


def _size():
    """(synthetic RWs, packages) in the current database."""
    rws = db.session.scalar(select(func.count(RW.id)))
    packages = db.session.scalar(select(func.count(Package.id)))
    synthetic = db.session.scalar(select(func.count(Region.id)).where(Region.code.like("S%")))
    return (rws if synthetic else 0), packages


@contextlib.contextmanager
def synthetic_app(kind):
    """An app on a synthetic database of PACKAGES packages (reused when complete, else built); yields
    (app, build) where build says whether it was reused and how long a build took."""
    from seeds.synthetic import seed_synthetic

    instance = Path(tempfile.gettempdir()) / "rukun-bench-matching"
    instance.mkdir(exist_ok=True)
    config = TestingConfig(instance_path=instance)
    sqlite_file = instance / f"synthetic-{PACKAGES}.db"
    admin = None
    if kind == "postgresql":
        admin, config.SQLALCHEMY_DATABASE_URI = bench_server(PG_DATABASE)
        with admin.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                       {"name": PG_DATABASE})
        if not exists:
            _recreate_pg(admin, drop=False)
    else:
        config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{sqlite_file}"
    app = create_app(config)
    with app.app_context():
        try:
            upgrade()
            rws, packages = _size()
            if rws == PACKAGES and packages == PACKAGES:
                build = {"reused": True, "seconds": None}
                print(f"[{kind}] reusing the synthetic database left by an earlier run "
                      f"({packages:,} packages)", flush=True)
            else:
                if packages:
                    print(f"[{kind}] existing database holds {packages:,} packages, not {PACKAGES:,}: rebuilding",
                          flush=True)
                    db.session.remove()
                    db.engine.dispose()
                    if kind == "postgresql":
                        _recreate_pg(admin)
                    else:
                        for suffix in ("", "-wal", "-shm"):
                            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
                    upgrade()
                print(f"[{kind}] building a synthetic database of {PACKAGES:,} packages ...", flush=True)
                started = time.perf_counter()
                summary = seed_synthetic(PACKAGES)
                db.session.remove()
                build = {"reused": False, "seconds": time.perf_counter() - started, "summary": summary.line()}
                print(f"[{kind}] {summary.line()}", flush=True)
            yield app, build
        finally:
            db.session.remove()
            db.engine.dispose()
    if os.environ.get("BENCH_MATCHING_DROP") == "1":
        if kind == "postgresql":
            _recreate_pg(admin, create=False)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    if admin is not None:
        admin.dispose()


# --- measuring ----------------------------------------------------------------------------------------------

class Statements:
    """Every SQL statement the engine sends, with its duration (before/after_cursor_execute)."""

    def __init__(self, engine):
        self.engine, self.log = engine, []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, _cursor, _statement, _parameters, _context, _executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn, _cursor, statement, parameters, _context, _executemany):
        self.log.append((statement, parameters, time.perf_counter() - conn.info["bench_started"].pop()))

    def close(self):
        """Stop listening."""
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def p95(values):
    """95th percentile, nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def measure(statements, function, runs, warmups):
    """Time `function()` over `runs` runs after `warmups`, each in a fresh session (as a request would be);
    returns (last result, figures)."""
    for _ in range(warmups):
        function()
        db.session.remove()
    seconds, counts, per_statement = [], [], []
    result = None
    for _ in range(runs):
        statements.log.clear()
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
        counts.append(len(statements.log))
        per_statement.append([duration for _sql, _params, duration in statements.log])
        db.session.remove()
    figures = {"runs": runs, "warmups": warmups, "seconds": seconds, "median_s": statistics.median(seconds),
               "p95_s": p95(seconds), "min_s": min(seconds), "statements": max(counts)}
    if max(counts) <= 10:  # per statement (by position) medians: where the time goes
        figures["statement_median_s"] = [statistics.median(run[i] for run in per_statement if len(run) > i)
                                         for i in range(max(counts))]
    return result, figures


# --- the naive baseline -------------------------------------------------------------------------------------

class Row:
    """An open package as the baseline sees it."""

    __slots__ = ("id", "estimate", "committed", "mask", "households", "slum_score", "lat", "lon", "kota_id",
                 "kecamatan_id", "whole_only", "min_pledge", "parts", "score")

    def __init__(self, **values):
        for name, value in values.items():
            setattr(self, name, value)

    @property
    def remaining(self):
        """Still needed."""
        return self.estimate - self.committed


def _open():
    return (Package.status == PackageStatus.PUBLISHED, Package.committed < Package.estimate)


def load_orm():
    """Every open package with its RW, tier and work items, through the ORM."""
    packages = db.session.scalars(
        select(Package).where(*_open())
        .options(joinedload(Package.rw), joinedload(Package.tier), selectinload(Package.items))).all()
    return [Row(id=p.id, estimate=p.estimate, committed=p.committed,
                mask=aspect_mask((item.aspect, item.subtotal) for item in p.items),
                households=p.rw.households, slum_score=p.rw.slum_score, lat=p.rw.lat, lon=p.rw.lon,
                kota_id=p.rw.kota_id, kecamatan_id=p.rw.kecamatan_id, whole_only=p.tier.whole_only,
                min_pledge=p.tier.min_pledge) for p in packages]


def load_rows():
    """The same with two plain SELECTs (packages ⋈ RWs ⋈ tiers, then their work items)."""
    costs = {}
    for package_id, aspect, subtotal in db.session.execute(
            select(WorkItem.package_id, WorkItem.aspect, WorkItem.subtotal)
            .join(Package, Package.id == WorkItem.package_id).where(*_open())):
        costs.setdefault(package_id, []).append((aspect, subtotal))
    rows = db.session.execute(
        select(Package.id, Package.estimate, Package.committed, RW.households, RW.slum_score, RW.lat, RW.lon,
               RW.kota_id, RW.kecamatan_id, PackageTier.whole_only, PackageTier.min_pledge)
        .join(RW, RW.id == Package.rw_id).join(PackageTier, PackageTier.id == Package.tier_id).where(*_open()))
    return [Row(id=r[0], estimate=r[1], committed=r[2], mask=aspect_mask(costs.get(r[0], ())), households=r[3],
                slum_score=r[4], lat=r[5], lon=r[6], kota_id=r[7], kecamatan_id=r[8], whole_only=r[9],
                min_pledge=r[10]) for r in rows]


LOADERS = {"orm": load_orm, "rows": load_rows}


def score_in_python(profile, rows):
    """The parts and score of matching's module docstring, computed per row (same operation order as the SQL,
    so the floats agree bit for bit)."""
    names = profile.applicable()
    total_weight = sum(matching.WEIGHTS[name] for name in names)
    factors = [(name, 100.0 * matching.WEIGHTS[name] / total_weight) for name in names]
    bits = [aspect_bit(a) for a in profile.aspects]
    region_ids = set(profile.region_ids)
    sites = [(s, float(s.radius_km) ** 2, matching.KM_PER_DEGREE * math.cos(math.radians(s.lat)))
             for s in profile.sites]
    budget = profile.budget
    for row in rows:
        households = row.households or 0
        parts = {"need": matching.NEED_SEVERITY * ((row.slum_score or 0) / 80)
                 + matching.NEED_HOUSEHOLDS * (households / (households + matching.HOUSEHOLDS_HALF)),
                 "momentum": row.committed / row.estimate}
        if bits:
            matched = 0.0
            for bit in bits:
                matched += 1.0 if row.mask & bit else 0.0
            parts["fit"] = matched / len(bits)
        if budget is not None:
            remaining = row.remaining
            parts["affordability"] = (1.0 if remaining <= budget else 0.0 if row.whole_only
                                      else 0.0 if row.min_pledge > budget else budget / float(remaining))
        if sites:
            nearest = None
            for site, r2, km_per_lon_degree in sites:
                dy = (row.lat - site.lat) * matching.KM_PER_DEGREE
                dx = (row.lon - site.lon) * km_per_lon_degree
                closeness = r2 / (r2 + dx * dx + dy * dy)
                nearest = closeness if nearest is None else max(closeness, nearest)
            parts["proximity"] = nearest
        if region_ids:
            parts["region"] = 1.0 if row.kota_id in region_ids or row.kecamatan_id in region_ids else 0.0
        score = 0.0
        for name, factor in factors:
            score += parts[name] * factor
        row.parts, row.score = parts, score
    return rows


def naive_recommend(profile, loader):
    """(total, top PER_PAGE ids): score every open package in Python, sort, slice."""
    rows = score_in_python(profile, loader())
    ranked = sorted(rows, key=lambda row: (-row.score, row.id))
    return len(rows), [row.id for row in ranked[:PER_PAGE]]


def _plan_value(row):
    parts = {name: round(value, 4) for name, value in row.parts.items()}
    preference = [parts[name] for name in ("fit", "proximity", "region") if name in parts]
    lift = 1 + 0.5 * (sum(preference) / len(preference) if preference else 0)
    return int(round(1000 * max(row.households, 1) * (row.slum_score or 0) / 80 * lift))


def naive_plan(profile, budget, loader):
    """[(package id, amount)] of the plan: the same candidates (best by need, best by need per rupiah),
    chosen from all rows in Python, the same knapsack, then co-funding the best-ranked rest."""
    rows = score_in_python(profile, loader())
    unit = matching.granularity(budget)
    affordable = [row for row in rows if row.remaining <= budget]
    need = {row.id: ((row.households or 0) + 1) * (row.slum_score or 0) / 80 for row in affordable}
    candidates = {}
    for key in (lambda row: (-need[row.id], row.id), lambda row: (-(need[row.id] / float(row.remaining)), row.id)):
        for row in sorted(affordable, key=key)[:matching.CANDIDATES]:
            candidates.setdefault(row.id, row)
    candidates = list(candidates.values())
    values = [_plan_value(row) for row in candidates]
    costs = [-(-row.remaining // unit) for row in candidates]
    chosen = [(candidates[i], values[i]) for i in matching.knapsack(costs, values, budget // unit)]
    chosen.sort(key=lambda pair: -pair[1])
    items = [(row.id, row.remaining) for row, _value in chosen]
    money, taken = budget - sum(amount for _id, amount in items), {package_id for package_id, _ in items}
    if money > 0:
        rest = sorted((row for row in rows if not row.whole_only and row.min_pledge <= money and row.id not in taken),
                      key=lambda row: (-row.score, row.id))[:50]
        for row in rest:
            amount = min(money, row.remaining)
            if amount < row.min_pledge and amount < row.remaining:
                continue
            items.append((row.id, amount))
            money -= amount
            if money <= 0:
                break
    return items


# --- profiles, query plans ----------------------------------------------------------------------------------

def profiles():
    """{name: Profile}: a realistic one (budget, two aspects, a site, a kota) and an empty one."""
    kota_id, lat, lon = min(
        db.session.execute(select(RW.kota_id, func.avg(RW.lat), func.avg(RW.lon)).group_by(RW.kota_id)).all(),
        key=lambda r: matching.distance_km(SITE.lat, SITE.lon, r[1], r[2]))
    kota = db.session.get(Region, kota_id)
    realistic = matching.Profile(budget=BUDGET, aspects=("air_limbah", "drainase"), regions=((kota.id, kota.name),),
                                 sites=(SITE,))
    db.session.remove()
    return {"realistic": realistic, "empty": matching.Profile()}


def query_plan(statements, kind, profile):
    """The database's plan for recommend()'s ranking query (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE)."""
    statements.log.clear()
    matching.recommend(profile, 1, PER_PAGE)
    ranking = next(entry for entry in statements.log if "ORDER BY" in entry[0] and "score" in entry[0])
    connection = db.session.connection()
    prefix = "EXPLAIN QUERY PLAN " if kind == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    lines = [" | ".join(str(c) for c in row[-1:]) if kind == "sqlite" else row[0]
             for row in connection.exec_driver_sql(prefix + ranking[0], ranking[1])]
    db.session.remove()
    return lines


# --- the run --------------------------------------------------------------------------------------------------


def run(kind):
    """Build or reuse, measure, check agreement; the result dict."""
    with synthetic_app(kind) as (app, build):
        statements = Statements(db.engine)
        try:
            open_count = db.session.scalar(select(func.count(Package.id)).where(*_open()))
            db.session.remove()
            chosen = profiles()
            result = {"database": kind, "packages": PACKAGES, "open_packages": open_count, "budget": BUDGET,
                      "targets_s": TARGETS, "build": build, "profiles": {}, "measurements": [], "agreement": {}}
            for name, profile in chosen.items():
                result["profiles"][name] = {"budget": profile.budget, "aspects": profile.aspects,
                                            "regions": profile.regions, "sites": [vars(s) for s in profile.sites]}
                page, figures = measure(statements, lambda p=profile: matching.recommend(p, 1, PER_PAGE),
                                        RUNS, WARMUPS)
                sql_ids = [item.card.id for item in page.items]
                result["measurements"].append({"profile": name, "operation": "recommend", "implementation": "sql",
                                               **figures})
                planned, figures = measure(statements, lambda p=profile: matching.plan(p, BUDGET), PLAN_RUNS, 1)
                sql_plan = [(item.card.id, item.amount) for item in planned.items]
                result["measurements"].append({"profile": name, "operation": "plan", "implementation": "sql",
                                               **figures, "completed": len(planned.completed),
                                               "planned_total": planned.total})
                print(f"[{kind}] {name}: sql recommend {ms(result['measurements'][-2]['median_s'])} ms, "
                      f"plan {ms(figures['median_s'])} ms", flush=True)
                for loader in NAIVE_LOADERS:
                    (total, naive_ids), figures = measure(
                        statements, lambda p=profile, load=LOADERS[loader]: naive_recommend(p, load), NAIVE_RUNS, 1)
                    result["measurements"].append({"profile": name, "operation": "recommend",
                                                   "implementation": f"naive-{loader}", **figures})
                    naive_items, figures = measure(
                        statements, lambda p=profile, load=LOADERS[loader]: naive_plan(p, BUDGET, load), NAIVE_RUNS, 1)
                    result["measurements"].append({"profile": name, "operation": "plan",
                                                   "implementation": f"naive-{loader}", **figures})
                    agreement = {"top20": naive_ids == sql_ids, "total": total == page.total,
                                 "plan": naive_items == sql_plan}
                    if not all(agreement.values()):
                        agreement.update(sql_top20=sql_ids, naive_top20=naive_ids, sql_total=page.total,
                                         naive_total=total, sql_plan=sql_plan, naive_plan=naive_items)
                        print(f"[{kind}] {name}: naive-{loader} DISAGREES with SQL: {agreement}", flush=True)
                    result["agreement"][f"{name}/naive-{loader}"] = agreement
                    print(f"[{kind}] {name}: naive-{loader} recommend "
                          f"{ms(result['measurements'][-2]['median_s'])} ms, plan {ms(figures['median_s'])} ms, "
                          f"agrees: {agreement['top20'] and agreement['total'] and agreement['plan']}", flush=True)
            result["ranking_query_plan"] = {name: query_plan(statements, kind, profile)
                                            for name, profile in chosen.items()}
        finally:
            statements.close()
    for entry in result["measurements"]:
        if entry["implementation"] == "sql":
            entry["target_s"] = TARGETS[entry["operation"]]
            entry["target_met"] = entry["p95_s"] < entry["target_s"]
    result["targets_met"] = all(e["target_met"] for e in result["measurements"] if "target_met" in e)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"matching-{kind}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    return result



def main():
    """Run and print the tables."""
    rows, notes, breakdown, query_plans = [], [], [], []
    for kind in chosen_databases("BENCH_MATCHING_DATABASES"):
        result = run(kind)
        query_plans.append((kind, result["ranking_query_plan"]))
        breakdown += [f"  {kind} {e['profile']} {e['operation']}: "
                      + ", ".join(ms(s) for s in e["statement_median_s"])
                      for e in result["measurements"] if e["implementation"] == "sql"]
        build = result["build"]
        notes.append(f"{kind}: {result['open_packages']:,} open of {result['packages']:,} packages; database "
                     + ("reused from an earlier run" if build["reused"] else f"built in {build['seconds']:.0f} s")
                     + f"; targets {'met' if result['targets_met'] else 'MISSED'}")
        for e in result["measurements"]:
            agreement = "" if e["implementation"] == "sql" else (
                "yes" if all(v for k, v in result["agreement"][f"{e['profile']}/{e['implementation']}"].items()
                             if k in ("top20", "total", "plan")) else "NO")
            target = ""
            if "target_met" in e:
                target = f"{'✓' if e['target_met'] else '✗'} < {ms(e['target_s'])}"
            rows.append((kind, e["profile"], e["operation"], e["implementation"], e["runs"], ms(e["median_s"]),
                         ms(e["p95_s"]), e["statements"], target, agreement))
    print(table(f"Matching over {PACKAGES:,} synthetic packages (ms; budget Rp 10 M; naive = score in Python)",
                ["database", "profile", "operation", "implementation", "runs", "median ms", "p95 ms",
                 "SQL statements", "target (p95)", "agrees with SQL"], rows))
    print("\n".join(notes))
    print("\nSQL time per statement (median execute ms, in call order; excludes fetching on SQLite):")
    for line in breakdown:
        print(line)
    for kind, plans in query_plans:
        print(f"\nRanking query plan on {kind} (realistic profile):\n  " + "\n  ".join(plans["realistic"]))
