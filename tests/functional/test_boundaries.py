"""`flask import-boundaries FILE.geojson`: RW and region polygons matched by code and RW number."""
import json
import math

import pytest
import shapely
from shapely.geometry import Point, shape
from sqlalchemy import Update

from app.extensions import db
from app.models import RW, Region

KELURAHAN = "31.75.01.1001"
KECAMATAN = "31.75.01"


def square(lon=106.85, lat=-6.21, size=0.002):
    """A square polygon with its south-west corner at (lon, lat)."""
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def circle(lon=106.85, lat=-6.21, radius=0.002, vertices=400):
    """A finely drawn circle, as surveyed outlines are: many vertices close together."""
    ring = [[lon + radius * math.cos(2 * math.pi * i / vertices), lat + radius * math.sin(2 * math.pi * i / vertices)]
            for i in range(vertices)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


BOWTIE = {"type": "Polygon", "coordinates": [[[106.85, -6.21], [106.852, -6.208], [106.852, -6.21],
                                              [106.85, -6.208], [106.85, -6.21]]]}


def feature(geometry, **properties):
    """A GeoJSON Feature."""
    return {"type": "Feature", "properties": properties, "geometry": geometry}


@pytest.fixture
def geojson(tmp_path):
    """Write features to a FeatureCollection file: `geojson(feature, ...)` → its path."""

    def write(*features, **members):
        path = tmp_path / "boundaries.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", **members, "features": list(features)}))
        return str(path)

    return write


@pytest.fixture
def rw7(make):
    """RW 07 of kelurahan 31.75.01.1001, at an approximate centre."""
    return make.rw(number=7, kelurahan=make.region_tree("31.75"))


@pytest.fixture
def run(runner):
    """Invoke the command: `run(path, *options)`."""
    return lambda path, *options: runner.invoke(args=["import-boundaries", path, *options])


def region(code):
    """A region by code, read afresh."""
    db.session.expire_all()
    return db.session.scalar(db.select(Region).where(Region.code == code))


def reload(rw):
    """The RW as stored now."""
    db.session.expire_all()
    return db.session.get(RW, rw.id)


@pytest.mark.parametrize("properties", [
    {"kode": KELURAHAN, "rw": "07"},
    {"code": KELURAHAN, "rw": 7},
    {"KODE_WILAYAH": "3175011001", "No_RW": "RW 7"},
], ids=["kode-rw", "code-int", "undotted-uppercase"])
def test_matched_rw_gets_boundary_and_exact_position(run, geojson, rw7, properties):
    result = run(geojson(feature(square(), **properties)))

    assert result.exit_code == 0, result.output
    assert "1 RW and 0 region boundaries written" in result.output.splitlines()[-1]
    stored = reload(rw7)
    polygon = shape(json.loads(stored.boundary_geojson))
    assert polygon.geom_type == "Polygon" and polygon.is_valid
    assert polygon.normalize().equals_exact(shape(square()).normalize(), 1e-9)
    assert polygon.contains(Point(stored.lon, stored.lat))
    assert stored.location_approximate is False


def test_matched_kecamatan_gets_boundary_and_centre(run, geojson, rw7):
    result = run(geojson(feature(square(106.9, -6.3, 0.03), kode=KECAMATAN)))

    assert result.exit_code == 0, result.output
    assert "0 RW and 1 region boundaries written" in result.output
    kecamatan = region(KECAMATAN)
    polygon = shape(json.loads(kecamatan.boundary_geojson))
    assert polygon.contains(Point(kecamatan.lon, kecamatan.lat))
    assert reload(rw7).boundary_geojson is None  # the RW inside is not touched
    assert region(KELURAHAN).boundary_geojson is None


def test_unmatched_features_are_listed_and_the_valid_ones_written(run, geojson, rw7):
    result = run(geojson(
        feature(square(), kode=KELURAHAN, rw="07"),
        feature(square(), kode="31.75.99.9999", rw=1),
        feature(square(), kode=KELURAHAN, rw=9),
        feature(square(), kode=KECAMATAN, rw=7),
        feature(square(), kode="Kalibaru"),
        feature(square(), kode=KELURAHAN, rw=""),
        feature(square(), nama="no code"),
        feature(square(), kode=KELURAHAN, rw=7),
    ))

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "features[1]: refused: unknown region code '31.75.99.9999'" in lines
    assert f"features[2]: refused: kelurahan {KELURAHAN} has no RW 09" in lines
    assert f"features[3]: refused: an RW number needs a kelurahan code; {KECAMATAN} is a kecamatan" in lines
    assert "features[4]: refused: unknown region code 'Kalibaru'" in lines
    assert "features[5]: refused: rw '' is not an RW number (1–999)" in lines
    assert "features[6]: refused: no region code (property kode / code / kode_wilayah)" in lines
    assert "features[7]: refused: same RW as features[0]" in lines
    assert "8 features, 1 RW and 0 region boundaries written, 0 unchanged, 7 refused" in lines[-1]
    assert reload(rw7).boundary_geojson is not None


def test_a_long_list_of_refusals_is_cut_unless_asked(run, geojson, make):
    path = geojson(*[feature(square(), kode=f"31.75.99.{9000 + i}") for i in range(55)])

    short, full = run(path), run(path, "--list-all")

    assert short.output.count(": refused: ") == 50 and "... and 5 more refused (--list-all lists them)." in short.output
    assert full.output.count(": refused: ") == 55 and "more refused" not in full.output


def test_invalid_polygon_refused_with_reason_unless_repaired(run, geojson, rw7):
    path = geojson(feature(BOWTIE, kode=KELURAHAN, rw=7))

    refused = run(path)
    assert refused.exit_code == 1
    assert "features[0]: refused: invalid polygon: Self-intersection" in refused.output
    assert "1 invalid polygon(s) could be repaired with --repair." in refused.output
    assert reload(rw7).boundary_geojson is None and reload(rw7).location_approximate is True

    repaired = run(path, "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert "features[0]: repaired: Self-intersection" in repaired.output
    polygon = shape(json.loads(reload(rw7).boundary_geojson))
    assert polygon.geom_type == "MultiPolygon" and polygon.is_valid and len(polygon.geoms) == 2


@pytest.mark.parametrize(("geometry", "reason"), [
    ({"type": "Point", "coordinates": [106.85, -6.21]}, "Point geometry: a boundary must be a Polygon or MultiPolygon"),
    ({"type": "LineString", "coordinates": [[106.85, -6.21], [106.86, -6.2]]}, "LineString geometry"),
    (None, "no geometry"),
    ({"type": "Polygon", "coordinates": [[[106.85, -6.21], [106.86]]]}, "malformed Polygon coordinates"),
    (square(lon=-6.21, lat=106.85), "latitude and longitude look swapped"),
    (square(lon=700_000, lat=9_300_000, size=200), "coordinates outside Indonesia (lon 94–142, lat -11–7)"),
])
def test_non_polygons_and_misplaced_polygons_are_refused(run, geojson, rw7, geometry, reason):
    result = run(geojson(feature(geometry, kode=KELURAHAN, rw=7)))

    assert result.exit_code == 1
    refusal = next(line for line in result.output.splitlines() if line.startswith("features[0]: refused: "))
    assert reason in refusal
    assert reload(rw7).boundary_geojson is None


def test_simplification_reduces_vertices_within_tolerance(run, geojson, rw7):
    path = geojson(feature(circle(), kode=KELURAHAN, rw=7))

    kept = run(path, "--tolerance", "0")
    assert kept.exit_code == 0, kept.output
    assert shapely.get_num_coordinates(shape(json.loads(reload(rw7).boundary_geojson))) == 401

    simplified = run(path)
    assert "401 vertices simplified to" in simplified.output
    polygon = shape(json.loads(reload(rw7).boundary_geojson))
    assert shapely.get_num_coordinates(polygon) < 60
    assert polygon.is_valid
    # Every simplified vertex lies within the tolerance (0.00005°) of the drawn outline.
    assert shape(circle()).exterior.hausdorff_distance(polygon.exterior) <= 0.00005 + 1e-9


def test_reimport_is_idempotent(run, geojson, rw7):
    path = geojson(feature(circle(), kode=KELURAHAN, rw=7), feature(square(106.9, -6.3, 0.03), kode=KECAMATAN))
    first = run(path)
    stored = reload(rw7).boundary_geojson, reload(rw7).lat, region(KECAMATAN).boundary_geojson

    again = run(path)

    assert first.exit_code == again.exit_code == 0
    assert "1 RW and 1 region boundaries written, 0 unchanged" in first.output
    assert "0 RW and 0 region boundaries written, 2 unchanged" in again.output
    assert (reload(rw7).boundary_geojson, reload(rw7).lat, region(KECAMATAN).boundary_geojson) == stored


def test_strict_and_dry_run_write_nothing(run, geojson, rw7):
    path = geojson(feature(square(), kode=KELURAHAN, rw=7), feature(square(), kode="31.75.99.9999"))

    strict = run(path, "--strict")
    assert strict.exit_code == 1
    assert "1 RW and 0 region boundaries valid, nothing written" in strict.output
    dry = run(geojson(feature(square(), kode=KELURAHAN, rw=7)), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "1 RW and 0 region boundaries valid, nothing written" in dry.output
    assert reload(rw7).boundary_geojson is None and reload(rw7).location_approximate is True


def test_a_failure_while_writing_leaves_nothing_half_written(run, geojson, rw7, monkeypatch):
    execute = db.session.execute

    def failing_on_regions(statement, *args, **kwargs):
        if isinstance(statement, Update) and statement.table.name == Region.__tablename__:
            raise RuntimeError("disk full")
        return execute(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", failing_on_regions)
    result = run(geojson(feature(square(), kode=KELURAHAN, rw=7), feature(square(106.9, -6.3, 0.03), kode=KECAMATAN)))
    monkeypatch.undo()

    assert isinstance(result.exception, RuntimeError)
    assert reload(rw7).boundary_geojson is None  # the RW's update, already sent, was rolled back


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "not a readable GeoJSON file"),
    ('{"type": "Polygon", "coordinates": []}', "expected a GeoJSON FeatureCollection"),
    (json.dumps({"type": "FeatureCollection", "features": [],
                 "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32748"}}}),
     "export it as WGS 84 longitude/latitude (EPSG:4326)"),
])
def test_unusable_files_are_refused_whole(run, tmp_path, content, message):
    path = tmp_path / "bad.geojson"
    path.write_text(content)

    result = run(str(path))

    assert result.exit_code == 1
    assert "Error:" in result.output and message in result.output


def test_a_single_feature_file_in_wgs84_is_accepted(run, tmp_path, rw7):
    path = tmp_path / "one.geojson"
    data = {**feature(square(), kode=KELURAHAN, rw=7),
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}}
    path.write_text(json.dumps(data))

    result = run(str(path))

    assert result.exit_code == 0, result.output
    assert reload(rw7).location_approximate is False
