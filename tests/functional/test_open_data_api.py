"""The open-data API: coverage per region checked against an independent count, packages and RWs as
GeoJSON with the catalogue's filters, drafts never shown, ETags, bad parameters, and flat statement counts."""
import gzip
import json
import random
from collections import defaultdict

import pytest
from sqlalchemy import select

from app.domain import Role
from app.extensions import db
from app.models import RW, Package
from app.services import lifecycle, pledging
from seeds.synthetic import seed_synthetic
from tests.conftest import wipe_tables
from tests.functional.test_catalogue import QueryCounter

# The definitions, written out again here rather than imported, so the test checks the app's SQL.
COUNTED = {"published", "funded", "in_progress", "completed"}
FUNDED = {"funded", "in_progress", "completed"}
STATUSES = ["draft", "published", "funded", "in_progress", "completed", "cancelled", "none"]
SHARE_BY_LEVEL = {"berat": 80.0, "sedang": 60.0, "ringan": 30.0, "none": 0.0}


@pytest.fixture
def client(client):
    return client.use_language("en")


def _advance(package, status, collaborator, rng):
    """Move a published package to `status`, with pledges, money and progress on the way."""
    if status == "published":
        pledging.create_pledge(package, collaborator, rng.randrange(1, 90) * 1_000_000)
    if status in FUNDED:
        pledging.create_pledge(package, collaborator, package.remaining)
        assert package.status == "funded"
    if status in {"in_progress", "completed"}:
        lifecycle.transition(package, "in_progress")
        package.progress_pct = 100 if status == "completed" else rng.randrange(0, 100)
        package.received = package.committed - rng.randrange(0, 5) * 1_000_000
        package.spent = package.received // 3
        if status == "completed":
            lifecycle.transition(package, "completed")
    if status == "cancelled":
        lifecycle.transition(package, "cancelled", reason="Lahan tidak tersedia")
    db.session.commit()


@pytest.fixture
def places(make):
    """Three kelurahan in two kecamatan of kota 31.72 and one in kota 31.75; RWs of every slum level with
    packages of every status (some RWs two packages, some none), drawn from a fixed seed."""
    rng = random.Random(2021)
    first = make.region_tree("31.72")
    kelurahans = [first, make.kelurahan_in(first.parent), make.kelurahan_in(make.kota_of(first)),
                  make.region_tree("31.75")]
    collaborator = make.user(Role.COLLABORATOR)
    tier = make.tier()
    for index in range(18):
        kelurahan = kelurahans[index % len(kelurahans)]
        level = rng.choice(list(SHARE_BY_LEVEL))
        rw = make.rw(kelurahan=kelurahan, households=rng.randrange(50, 900), share=SHARE_BY_LEVEL[level])
        for status in rng.sample(STATUSES, rng.choice([1, 1, 2])):
            if status == "none":
                continue
            package = make.package(estimate=rng.randrange(100, 700) * 1_000_000, rw_=rw,
                                   status="draft" if status == "draft" else "published", tier_=tier)
            if status != "draft":
                _advance(package, status, collaborator, rng)
    return kelurahans


def independent(level, kota=None, kecamatan=None):
    """The coverage rows recomputed in Python from the RWs and packages, by region code."""
    packages = defaultdict(list)
    for package in db.session.scalars(select(Package)):
        if package.status in COUNTED:
            packages[package.rw_id].append(package)
    rows = {}
    for rw in db.session.scalars(select(RW)):
        if (kota and rw.kota.code != kota) or (kecamatan and rw.kecamatan.code != kecamatan):
            continue
        region = {"kota": rw.kota, "kecamatan": rw.kecamatan, "kelurahan": rw.kelurahan}[level]
        row = rows.setdefault(region.code, defaultdict(int, code=region.code, name=region.name, level=region.level))
        counted = packages[rw.id]
        funded = any(p.status in FUNDED for p in counted)
        row["rws"] += 1
        row["rws_in_programme"] += bool(counted)
        row["funded_rws"] += funded
        row["completed_rws"] += any(p.status == "completed" for p in counted)
        row["severe_rws"] += rw.slum_level == "berat"
        row["severe_rws_unfunded"] += rw.slum_level == "berat" and not funded
        row["households_reached"] += rw.households if funded else 0
        for name in ("estimate", "committed", "received", "spent"):
            row["need" if name == "estimate" else name] += sum(getattr(p, name) for p in counted)
        row["weighted"] += sum(p.estimate * p.progress_pct for p in counted)
    for row in rows.values():
        weighted = row.pop("weighted")
        row["progress_pct"] = weighted // row["need"] if row["need"] else 0
        row["shares"] = {
            "funded_rws_pct": 100 * row["funded_rws"] // row["rws_in_programme"] if row["rws_in_programme"] else 0,
            "committed_pct": 100 * row["committed"] // row["need"] if row["need"] else 0,
        }
    return {code: dict(row) for code, row in rows.items()}


COVERAGE_QUERIES = [  # (query, level, kota, kecamatan)
    ("", "kota", None, None), ("level=kota", "kota", None, None), ("level=kecamatan", "kecamatan", None, None),
    ("level=kelurahan", "kelurahan", None, None), ("level=kecamatan&kota=31.72", "kecamatan", "31.72", None),
    ("level=kelurahan&kota=31.72", "kelurahan", "31.72", None),
    ("level=kelurahan&kecamatan=31.72.01", "kelurahan", None, "31.72.01"), ("kota=31.75", "kota", "31.75", None),
    ("level=kecamatan&kota=31.72&kecamatan=31.72.01", "kecamatan", "31.72", "31.72.01"),
]


def test_coverage_matches_an_independent_count(client, places, schema_of):
    for query, level, kota, kecamatan in COVERAGE_QUERIES:
        response = client.get(f"/api/v1/coverage?{query}")
        assert response.status_code == 200, query
        body = schema_of(response.get_json(), "CoverageList")
        expected = independent(level, kota, kecamatan)
        assert [row["code"] for row in body["data"]] == sorted(expected), query
        assert {row["code"]: row for row in body["data"]} == expected, query
        whole = independent("kota", kota, kecamatan)
        for key, value in body["totals"].items():
            if key not in ("shares", "progress_pct"):
                assert value == sum(row[key] for row in whole.values()), (query, key)
        assert body["meta"] == {"level": level, "regions": len(expected),
                                "filters": {k: v for k, v in (("kota", kota), ("kecamatan", kecamatan)) if v}}


def test_coverage_totals_recompute_progress_and_shares_from_the_sums(client, places):
    totals = client.get("/api/v1/coverage").get_json()["totals"]
    rows = independent("kelurahan").values()
    need = sum(row["need"] for row in rows)
    weighted = sum(p.estimate * p.progress_pct for p in db.session.scalars(select(Package))
                   if p.status in COUNTED)
    assert totals["progress_pct"] == weighted // need
    assert totals["shares"] == {"funded_rws_pct": 100 * totals["funded_rws"] // totals["rws_in_programme"],
                                "committed_pct": 100 * totals["committed"] // need}


def test_the_fixture_covers_every_case(places):
    """The seed gives the coverage test something to get wrong: every status and severe RWs of each kind."""
    statuses = {package.status for package in db.session.scalars(select(Package))}
    assert statuses == set(STATUSES) - {"none"}
    rows = independent("kota")
    assert all(row["severe_rws_unfunded"] for row in rows.values())
    assert sum(row["funded_rws"] for row in rows.values()) > 1
    assert sum(row["severe_rws"] - row["severe_rws_unfunded"] for row in rows.values()) >= 1


def test_coverage_counts_neither_drafts_nor_cancelled_packages(client, make):
    kelurahan = make.region_tree("31.72")
    severe = make.rw(kelurahan=kelurahan, households=400)
    make.package(rw_=severe, status="draft", estimate=300_000_000)
    cancelled = make.package(rw_=make.rw(kelurahan=kelurahan, share=60.0), estimate=200_000_000)
    lifecycle.transition(cancelled, "cancelled", reason="Dobel")
    db.session.commit()
    row, = client.get("/api/v1/coverage?level=kelurahan").get_json()["data"]
    assert (row["rws"], row["rws_in_programme"], row["need"]) == (2, 0, 0)
    assert (row["severe_rws"], row["severe_rws_unfunded"], row["households_reached"]) == (1, 1, 0)
    assert row["shares"] == {"funded_rws_pct": 0, "committed_pct": 0}


def test_coverage_names_bad_parameters(client, places, schema_of):
    for query, field in (("level=provinsi", "level"), ("kota=99.99", "kota"), ("kota=<script>", "kota"),
                         ("kecamatan=31.72", "kecamatan"), ("kota=31.75&kecamatan=31.72.01", "kecamatan"),
                         ("level=kota&kecamatan=31.72.01", "kecamatan"), ("colour=red", "colour"), ("page=2", "page")):
        response = client.get(f"/api/v1/coverage?{query}")
        assert response.status_code == 422 and response.content_type == "application/json", query
        body = schema_of(response.get_json(), "Error")
        assert body["error"]["code"] == "invalid_parameters" and list(body["error"]["fields"]) == [field], query
    assert client.get("/api/v1/coverage?level=&kota=").status_code == 200  # empty means default, as on pages


def test_coverage_answers_304_while_unchanged(client, places, make):
    first = client.get("/api/v1/coverage?level=kecamatan")
    assert first.headers["ETag"] and first.cache_control.public and first.cache_control.max_age == 60
    again = client.get("/api/v1/coverage?level=kecamatan", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    open_package = db.session.scalars(select(Package).where(Package.status == "published")).first()
    pledging.create_pledge(open_package, make.user(Role.COLLABORATOR), 1_000_000)
    changed = client.get("/api/v1/coverage?level=kecamatan", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]


def features(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/geo+json"
    return response.get_json(force=True)["features"]


def test_packages_geojson_holds_every_public_package_with_its_figures(client, places, schema_of):
    body = schema_of(client.get("/api/v1/packages.geojson").get_json(force=True), "PackageFeatureCollection")
    public = db.session.scalars(select(Package).where(Package.status != "draft").order_by(Package.id)).all()
    assert [feature["id"] for feature in body["features"]] == [package.id for package in public]
    feature = next(f for f in body["features"] if f["properties"]["status"] == "in_progress")
    package = db.session.get(Package, feature["id"])
    rw = package.rw
    assert feature["geometry"] == {"type": "Point", "coordinates": [round(rw.lon, 5), round(rw.lat, 5)]}
    assert feature["properties"] == {
        "id": package.id, "title": package.title, "tier": "bersama", "status": "in_progress",
        "estimate": package.estimate, "committed": package.committed, "received": package.received,
        "spent": package.spent, "remaining": 0, "progress_pct": package.progress_pct, "funded_pct": 100,
        "rw_id": rw.id, "rw_number": rw.number, "rw_label": rw.label, "kelurahan_code": rw.kelurahan.code,
        "kelurahan": rw.kelurahan.name, "kecamatan_code": rw.kecamatan.code, "kota_code": rw.kota.code,
        "slum_level": rw.slum_level, "location_approximate": True, "boundary": False,
        "url": f"/packages/{package.id}", "api_url": f"/api/v1/packages/{package.id}",
    }


def test_packages_geojson_applies_the_catalogue_filters(client, places):
    public = db.session.scalars(select(Package).where(Package.status != "draft").order_by(Package.id)).all()
    for query, keep in (
        ("kota=31.75", lambda p: p.rw.kota.code == "31.75"),
        ("kecamatan=31.72.01", lambda p: p.rw.kecamatan.code == "31.72.01"),
        ("kelurahan=31.75.01.1001", lambda p: p.rw.kelurahan.code == "31.75.01.1001"),
        ("status=funded", lambda p: p.status == "funded"), ("severity=berat", lambda p: p.rw.slum_level == "berat"),
        ("aspect=drainase", lambda p: True), ("aspect=jalan", lambda p: False), ("tier=bersama", lambda p: True),
        ("funded_min=100", lambda p: p.committed == p.estimate), ("funded_max=0", lambda p: p.committed == 0),
        ("q=Kelurahan Uji 31.75", lambda p: p.rw.kota.code == "31.75"), ("q=tidak ada", lambda p: False),
        ("kota=31.72&status=published", lambda p: p.rw.kota.code == "31.72" and p.status == "published"),
    ):
        found = [f["id"] for f in features(client.get(f"/api/v1/packages.geojson?{query}"))]
        assert found == [package.id for package in public if keep(package)], query


def test_drafts_never_appear_in_open_data(client, make):
    kelurahan = make.region_tree("31.72")
    draft = make.package(status="draft", rw_=make.rw(kelurahan=kelurahan))
    draft.title = "RAHASIA-DRAFT"
    cancelled_draft = make.package(status="draft", rw_=make.rw(kelurahan=kelurahan))
    lifecycle.transition(cancelled_draft, "cancelled", reason="Tidak jadi")
    db.session.commit()
    for url in ("/api/v1/packages.geojson", "/api/v1/packages.geojson?status=cancelled",
                "/api/v1/packages.geojson?q=RAHASIA"):
        assert features(client.get(url)) == [], url
    assert client.get("/api/v1/packages.geojson?status=draft").status_code == 422
    rws = {f["id"]: f["properties"] for f in features(client.get("/api/v1/rws.geojson"))}
    assert {(p["packages"], p["status"]) for p in rws.values()} == {(0, None)}
    assert b"RAHASIA" not in client.get("/api/v1/rws.geojson").data
    assert client.get("/api/v1/coverage").get_json()["totals"]["rws_in_programme"] == 0


def test_packages_geojson_etag_304_and_gzip(client, places):
    first = client.get("/api/v1/packages.geojson?kota=31.72")
    etag = first.headers["ETag"]
    assert first.cache_control.public and first.cache_control.max_age == 60
    assert client.get("/api/v1/packages.geojson?kota=31.72", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/api/v1/packages.geojson?kota=31.75").headers["ETag"] != etag
    zipped = client.get("/api/v1/packages.geojson?kota=31.72", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.data)) == first.get_json(force=True)
    package = db.session.scalars(select(Package).join(RW).where(Package.status == "in_progress")).first()
    package.progress_pct = (package.progress_pct + 1) % 100  # a verified report moves progress alone
    db.session.commit()
    for url in ("/api/v1/packages.geojson", f"/api/v1/packages.geojson?kota={package.rw.kota.code}"):
        response = client.get(url, headers={"If-None-Match": client.get(url).headers["ETag"]})
        assert response.status_code == 304
    changed = client.get(f"/api/v1/packages.geojson?kota={package.rw.kota.code}")
    package.spent += 1_000_000
    db.session.commit()
    after = client.get(f"/api/v1/packages.geojson?kota={package.rw.kota.code}",
                       headers={"If-None-Match": changed.headers["ETag"]})
    assert after.status_code == 200


def test_packages_geojson_names_bad_parameters(client, places, schema_of):
    for query, field in (("status=draft", "status"), ("tier=platinum", "tier"), ("sort=need", "sort"),
                         ("page=1", "page"), ("funded_min=101", "funded_min"), ("kota=31.72;drop", "kota"),
                         ("q=" + "x" * 101, "q"), ("q=Kali%00baru", "q"), ("bbox=1,2", "bbox")):
        response = client.get(f"/api/v1/packages.geojson?{query}")
        assert response.status_code == 422 and response.content_type == "application/json", query
        assert field in schema_of(response.get_json(), "Error")["error"]["fields"], query
    for query, field in (("status=draft", "status"), ("q=%00", "q")):  # the list endpoint checks the same
        assert field in client.get(f"/api/v1/packages?{query}").get_json()["error"]["fields"], query


def test_rws_geojson_has_every_rw_with_polygons_where_known(client, places, schema_of):
    rw = db.session.scalars(select(RW).order_by(RW.id)).first()
    polygon = {"type": "Polygon", "coordinates": [[[106.8, -6.2], [106.81, -6.2], [106.81, -6.21], [106.8, -6.2]]]}
    rw.boundary_geojson = json.dumps(polygon)
    db.session.commit()
    body = schema_of(client.get("/api/v1/rws.geojson").get_json(force=True), "RWFeatureCollection")
    by_id = {feature["id"]: feature for feature in body["features"]}
    assert sorted(by_id) == sorted(db.session.scalars(select(RW.id)))
    assert by_id[rw.id]["geometry"] == polygon
    for other in db.session.scalars(select(RW).where(RW.id != rw.id)):
        properties = by_id[other.id]["properties"]
        public = [p for p in other.packages if p.status != "draft"]
        assert by_id[other.id]["geometry"]["type"] == "Point"
        assert (properties["kelurahan_code"], properties["rw_number"], properties["households"]) == \
            (other.kelurahan.code, other.number, other.households)
        assert (properties["slum_score"], properties["slum_level"]) == (other.slum_score, other.slum_level)
        assert properties["packages"] == len(public)
        if public:
            order = ["cancelled", "published", "funded", "in_progress", "completed"]
            assert properties["status"] == max((p.status for p in public), key=order.index)


def test_rws_geojson_filters_and_names_bad_parameters(client, places):
    found = features(client.get("/api/v1/rws.geojson?kota=31.72&kecamatan=31.72.01"))
    expected = db.session.scalars(select(RW.id).join(RW.kecamatan).where(RW.kecamatan.has(code="31.72.01")))
    assert sorted(f["id"] for f in found) == sorted(expected)
    for query, field in (("kecamatan=31.75.01&kota=31.72", "kecamatan"), ("kota=x y", "kota"),
                         ("level=kota", "level")):
        response = client.get(f"/api/v1/rws.geojson?{query}")
        assert response.status_code == 422 and field in response.get_json()["error"]["fields"], query


def _statements(client, url):
    with QueryCounter() as counter:
        response = client.get(url)
        response.get_data()  # a streamed body runs its statements while it is read
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    return counter.count


@pytest.mark.slow
def test_statement_counts_do_not_grow_with_the_data(client):
    urls = ["/api/v1/coverage", "/api/v1/coverage?level=kecamatan&kota=S00.00",
            "/api/v1/coverage?level=kelurahan&kecamatan=S00.00.00", "/api/v1/packages.geojson",
            "/api/v1/packages.geojson?kota=S00.00&status=published&aspect=drainase&q=Sintetis",
            "/api/v1/rws.geojson", "/api/v1/rws.geojson?kota=S00.00"]
    counts = {}
    for size in (10, 400):
        seed_synthetic(size)
        counts[size] = [_statements(client, url) for url in urls]
        wipe_tables()
    print("statements at 10 and 400 RWs:", counts)
    assert counts[10] == counts[400]
    assert max(counts[400]) <= 6
