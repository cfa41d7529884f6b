"""The public map at national scale: HTML bytes, server time and SQL statements of `/map` (page and frame)
and of `/map/packages.geojson` (plain, gzip, 304) at BENCH_MAP_SIZES (10,000 and 100,000) synthetic RWs,
a package each, against naive folium in the same run: one `folium.Marker` (with a popup) per package in a
MarkerCluster, rendered into one HTML page, at BENCH_MAP_NAIVE_SIZES (1,000 and 10,000). Target: the /map
page under 300 KB at 100,000 RWs.

Requests go through the app's test client (in-process WSGI: server time without the network). Synthetic
databases are kept for the next run: SQLite under $TMPDIR/rukun-bench-map/, PostgreSQL in `bench_map_<n>`
on the server of BENCH_DATABASE_URL / TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432).
BENCH_MAP_DROP=1 removes them afterwards. Results go to bench/results/map-<database>.json.
"""
import contextlib
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import folium
from flask_migrate import upgrade
from folium.plugins import MarkerCluster
from sqlalchemy import func, select, text

from app import create_app
from app.extensions import db
from app.maps import web
from app.models import RW, Package, PackageTier
from app.services.catalogue import visible_clause
from bench.common import bench_server, chosen_databases, ms, table
from bench.matching import Statements, p95
from config import TestingConfig

SIZES = [int(n) for n in os.environ.get("BENCH_MAP_SIZES", "10000,100000").split(",")]
NAIVE_SIZES = [int(n) for n in os.environ.get("BENCH_MAP_NAIVE_SIZES", "1000,10000").split(",")]
RUNS = int(os.environ.get("BENCH_MAP_RUNS", 9))
NAIVE_RUNS = int(os.environ.get("BENCH_MAP_NAIVE_RUNS", 2))
PAGE_TARGET_BYTES = 300 * 1024
RESULTS = Path(__file__).resolve().parent / "results"


@contextlib.contextmanager
def synthetic_app(kind, size):
    """An app on a synthetic database of `size` RWs, reused when an earlier run left it complete."""
    from seeds.synthetic import seed_synthetic

    instance = Path(tempfile.gettempdir()) / "rukun-bench-map"
    instance.mkdir(exist_ok=True)
    config = TestingConfig(instance_path=instance)
    sqlite_file, admin, name = instance / f"synthetic-{size}.db", None, f"bench_map_{size}"
    if kind == "postgresql":
        admin, url = bench_server(name)
        with admin.connect() as connection:
            if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                connection.execute(text(f"CREATE DATABASE {name}"))
        config.SQLALCHEMY_DATABASE_URI = url
    else:
        config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{sqlite_file}"
    app = create_app(config)
    with app.app_context():
        try:
            upgrade()
            if db.session.scalar(select(func.count(RW.id))) != size:
                if db.session.scalar(select(func.count(RW.id))):
                    raise SystemExit(f"{config.SQLALCHEMY_DATABASE_URI} holds another data set; remove it")
                print(f"[{kind}] building a synthetic database of {size:,} RWs ...", flush=True)
                print(f"[{kind}] {seed_synthetic(size).line()}", flush=True)
            db.session.remove()
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
    if os.environ.get("BENCH_MAP_DROP") == "1":
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    if admin is not None:
        admin.dispose()


def timed(statements, function, runs):
    """(last result, {median_s, p95_s, statements}) of `function()` over `runs` runs after one warm-up."""
    function()
    db.session.remove()
    seconds, counts, result = [], [], None
    for _ in range(runs):
        statements.log.clear()
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
        counts.append(len(statements.log))
        db.session.remove()
    return result, {"runs": runs, "median_s": statistics.median(seconds), "p95_s": p95(seconds),
                    "statements": max(counts)}


def naive_map():
    """The baseline: every visible package as a folium.Marker with a popup in one MarkerCluster."""
    rows = db.session.execute(
        select(Package.id, Package.title, Package.status, PackageTier.name, RW.lat, RW.lon)
        .join(RW, RW.id == Package.rw_id).join(PackageTier, PackageTier.id == Package.tier_id)
        .where(visible_clause()))
    fmap = folium.Map(location=[-2.5, 118.0], zoom_start=5)
    cluster = MarkerCluster().add_to(fmap)
    for package_id, title, status, tier, lat, lon in rows:
        folium.Marker([lat, lon], tooltip=title, popup=folium.Popup(
            f'<a href="/packages/{package_id}" target="_top">{title}</a><br>{tier} · {status}')).add_to(cluster)
    return fmap.get_root().render().encode()


def run(kind):
    """Measure every size; the result dict."""
    result = {"database": kind, "measurements": []}
    for size in sorted(set(SIZES) | set(NAIVE_SIZES)):
        with synthetic_app(kind, size) as app:
            client = app.test_client()
            statements = Statements(db.engine)
            kota = db.session.scalar(text("SELECT code FROM regions WHERE level = 'kabupaten_kota' ORDER BY code"))
            db.session.remove()
            try:
                if size in SIZES:
                    result["measurements"] += _ours(statements, client, size, kota)
                if size in NAIVE_SIZES:
                    body, figures = timed(statements, naive_map, NAIVE_RUNS)
                    result["measurements"].append({"size": size, "what": "naive folium map (1 Marker per RW)",
                                                   "bytes": len(body), **figures})
                    print(f"[{kind}] {size:,}: naive folium {figures['median_s']:.1f} s, {len(body):,} bytes",
                          flush=True)
            finally:
                statements.close()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"map-{kind}.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def _ours(statements, client, size, kota):
    geojson = "/map/packages.geojson"
    etag = client.get(geojson).headers["ETag"]
    gzip = {"Accept-Encoding": "gzip"}
    # (what, url, headers, built afresh: the per-process body cache is emptied before each run)
    cases = [
        ("/map page", "/map", {}, False),
        ("/map frame", "/map/frame", {}, False),
        (f"/map page, kota {kota}", f"/map?kota={kota}", {}, False),
        ("GeoJSON, built", geojson, {}, True),
        ("GeoJSON gzip, built", geojson, gzip, True),
        ("GeoJSON gzip, cached", geojson, gzip, False),
        ("GeoJSON 304", geojson, {"If-None-Match": etag}, False),
        (f"GeoJSON gzip kota {kota}, built", f"{geojson}?kota={kota}", gzip, True),
    ]
    measured = []
    for what, url, headers, fresh in cases:
        def get(url=url, headers=headers, fresh=fresh):
            if fresh:
                web.bodies.clear()
            return client.get(url, headers=headers)

        response, figures = timed(statements, get, RUNS)
        assert response.status_code in (200, 304), (url, response.status_code)
        measured.append({"size": size, "what": what, "url": url, "status": response.status_code,
                         "bytes": len(response.data), **figures})
        if what == "/map page":
            measured[-1]["target_met"] = len(response.data) < PAGE_TARGET_BYTES
        print(f"{size:,} {what}: {figures['median_s'] * 1000:.1f} ms, {len(response.data):,} bytes", flush=True)
    return measured




def main():
    """Run and print the table."""
    rows = []
    for kind in chosen_databases("BENCH_MAP_DATABASES"):
        for entry in run(kind)["measurements"]:
            target = "" if "target_met" not in entry else ("✓ < 300 KB" if entry["target_met"] else "✗ ≥ 300 KB")
            rows.append((kind, f"{entry['size']:,}", entry["what"], f"{entry['bytes']:,}", ms(entry["median_s"]),
                         ms(entry["p95_s"]), entry["statements"], target))
    print(table("Public map: bytes, server time (ms) and SQL statements per request; naive = folium Marker per RW",
                ["database", "RWs", "request", "bytes", "median ms", "p95 ms", "statements", "target"], rows))
