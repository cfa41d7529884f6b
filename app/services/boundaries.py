"""Import RW and region boundaries from GeoJSON, matched by Kemendagri code and RW number.

Each feature names its place in its properties (key names are case-insensitive):
`kode`, `code` or `kode_wilayah` is a region code ("31.75.01.1001", dots optional); `rw`, `no_rw` or
`nomor_rw` an RW number (7, "07", "RW 07"). With an RW key the feature is that RW of the kelurahan;
without one it is the boundary of the region itself. An RW key with no number is refused rather than
read as the kelurahan, so a gap in an RW file can never overwrite a kelurahan's outline.

Every valid feature is written in one transaction at the end (or none, with `strict`, when any feature
is refused); refused features are reported with their index and reason.
"""
import json
import re
import time
from dataclasses import dataclass, field

from sqlalchemy import select, update

from app.domain import RegionLevel
from app.extensions import db
from app.models import RW, Region
from app.services import geometry

CODE_KEYS = ("kode", "code", "kode_wilayah")
RW_KEYS = ("rw", "no_rw", "nomor_rw")
WGS84_NAMES = ("CRS84", "EPSG::4326", "EPSG:4326")
_CHUNK = 1000  # codes or ids per IN (...) lookup, well under every database's parameter limit


class BoundaryFileError(ValueError):
    """The file as a whole cannot be imported (not GeoJSON, another coordinate system...)."""


class _Refused(ValueError):
    """One feature cannot be matched; the message says why."""


@dataclass
class ImportReport:
    """What an import did, feature by feature and in total."""

    features: int = 0
    rws: int = 0
    regions: int = 0
    unchanged: int = 0
    vertices_in: int = 0
    vertices_out: int = 0
    refused: list = field(default_factory=list)  # (feature index, reason)
    repaired: list = field(default_factory=list)  # (feature index, what was wrong)
    repairable: int = 0  # refused as invalid polygons that `repair` would have fixed
    written: bool = False
    seconds: float = 0.0

    def refuse(self, index, error):
        """Record a refused feature."""
        self.refused.append((index, str(error)))
        self.repairable += bool(getattr(error, "repairable", False))

    def line(self):
        """The one-line summary."""
        if self.written or not (self.rws or self.regions):
            outcome = f"{self.rws} RW and {self.regions} region boundaries written"
        else:
            outcome = f"{self.rws} RW and {self.regions} region boundaries valid, nothing written"
        return (f"Boundaries imported in {self.seconds:.1f} s: {self.features} features, {outcome}, "
                f"{self.unchanged} unchanged, {len(self.refused)} refused, {len(self.repaired)} repaired; "
                f"{self.vertices_in:,} vertices simplified to {self.vertices_out:,}.")


def read_features(path):
    """The features of a GeoJSON FeatureCollection (or single Feature) file, in WGS 84 lon/lat."""
    try:
        with open(path, encoding="utf-8-sig") as handle:  # -sig: files saved by Windows tools start with a BOM
            data = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BoundaryFileError(f"{path}: not a readable GeoJSON file ({error})") from None
    if not isinstance(data, dict):
        raise BoundaryFileError(f"{path}: expected a GeoJSON FeatureCollection")
    crs = json.dumps(data.get("crs")) if data.get("crs") else None
    if crs and not any(name in crs for name in WGS84_NAMES):
        raise BoundaryFileError(f"{path}: declares the coordinate system {crs}; export it as WGS 84 "
                                "longitude/latitude (EPSG:4326), e.g. ogr2ogr -t_srs EPSG:4326")
    if data.get("type") == "Feature":
        return [data]
    if data.get("type") == "FeatureCollection" and isinstance(data.get("features"), list):
        return data["features"]
    raise BoundaryFileError(f"{path}: expected a GeoJSON FeatureCollection")


def import_boundaries(features, tolerance=geometry.DEFAULT_TOLERANCE, repair=False, strict=False,
                      dry_run=False, tick=None):
    """Match each feature to an RW or a region and store its simplified boundary; return an ImportReport.

    An RW also moves to a point inside its polygon and stops being approximate; a region's centre
    moves likewise. `tick()` is called once per feature (a progress bar). Nothing is written with
    `dry_run`, nor with `strict` when a feature was refused; otherwise every valid feature is written
    in one transaction, so a failure part-way leaves the database as it was.
    """
    started = time.perf_counter()
    report = ImportReport(features=len(features))
    places = [_place(feature) for feature in features]
    regions, rws = _lookups([place for place in places if not isinstance(place, _Refused)])
    rw_rows, region_rows, claimed = [], [], {}
    for index, (feature, place) in enumerate(zip(features, places, strict=True)):
        try:
            if isinstance(place, _Refused):
                raise place
            target, current = _match(place, regions, rws)
            if target in claimed:
                raise _Refused(f"same {target[0]} as features[{claimed[target]}]")
            claimed[target] = index
            boundary = geometry.prepare(feature.get("geometry"), tolerance, repair)
        except (_Refused, geometry.GeometryError) as error:
            report.refuse(index, error)
        else:
            _count(report, index, target, current, boundary, rw_rows, region_rows)
        if tick:
            tick()
    if not dry_run and not (strict and report.refused) and (rw_rows or region_rows):
        _write(rw_rows, region_rows)
        report.written = True
    report.seconds = time.perf_counter() - started
    return report


def normalise_code(value):
    """A region code as stored: Kemendagri codes get their dots ("3175011001" → "31.75.01.1001");
    anything else is kept as given (trimmed), for the lookup to find or not."""
    text = str(value).strip() if value is not None else ""
    if text.isdigit() and len(text) in (2, 4, 6, 10):
        text = ".".join(part for part in (text[:2], text[2:4], text[4:6], text[6:]) if part)
    return text


def parse_rw_number(value):
    """An RW number from 7, "07", "007" or "RW 07"; None if it is not a number from 1 to 999."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"^rw[\s.:-]*", "", str(value).strip(), flags=re.IGNORECASE)
    number = int(text) if text.isdigit() else 0
    return number if 1 <= number <= 999 else None


def _place(feature):
    """(code, RW number or None) named by a feature's properties, or a _Refused saying what is wrong."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return _Refused("not a GeoJSON Feature")
    properties = {str(key).lower(): value for key, value in (feature.get("properties") or {}).items()}
    code = normalise_code(next((properties[key] for key in CODE_KEYS if key in properties), None))
    if not code:
        return _Refused(f"no region code (property {' / '.join(CODE_KEYS)})")
    rw_key = next((key for key in RW_KEYS if key in properties), None)
    if rw_key is None:
        return code, None
    number = parse_rw_number(properties[rw_key])
    if number is None:
        return _Refused(f"{rw_key} {properties[rw_key]!r} is not an RW number (1–999)")
    return code, number


def _lookups(places):
    """Regions by code and RWs by (kelurahan id, number) for the places named, a chunk at a time."""
    codes = sorted({code for code, _number in places})
    regions = {}
    for start in range(0, len(codes), _CHUNK):
        rows = db.session.execute(
            select(Region.id, Region.code, Region.level, Region.boundary_geojson, Region.lat, Region.lon)
            .where(Region.code.in_(codes[start:start + _CHUNK]))
        )
        regions.update({row.code: row for row in rows})
    kelurahan_ids = sorted({regions[code].id for code, number in places if number and code in regions})
    rws = {}
    for start in range(0, len(kelurahan_ids), _CHUNK):
        rows = db.session.execute(
            select(RW.id, RW.kelurahan_id, RW.number, RW.boundary_geojson, RW.lat, RW.lon, RW.location_approximate)
            .where(RW.kelurahan_id.in_(kelurahan_ids[start:start + _CHUNK]))
        )
        rws.update({(row.kelurahan_id, row.number): row for row in rows})
    return regions, rws


def _match(place, regions, rws):
    """(("RW" or "region", id), its current row) for a place, or raise _Refused."""
    code, number = place
    region = regions.get(code)
    if region is None:
        raise _Refused(f"unknown region code {code!r}")
    if number is None:
        return ("region", region.id), region
    if region.level != RegionLevel.KELURAHAN:
        raise _Refused(f"an RW number needs a kelurahan code; {code} is a {region.level}")
    rw = rws.get((region.id, number))
    if rw is None:
        raise _Refused(f"kelurahan {code} has no RW {number:02d}")
    return ("RW", rw.id), rw


def _count(report, index, target, current, boundary, rw_rows, region_rows):
    """Add a matched feature to the report and, unless nothing would change, to the rows to write."""
    report.vertices_in += boundary.vertices_in
    report.vertices_out += boundary.vertices_out
    if boundary.repaired_reason:
        report.repaired.append((index, boundary.repaired_reason))
    kind, target_id = target
    row = {"id": target_id, "boundary_geojson": boundary.geojson, "lat": boundary.lat, "lon": boundary.lon}
    same = (current.boundary_geojson, current.lat, current.lon) == (boundary.geojson, boundary.lat, boundary.lon)
    if kind == "RW":
        same = same and not current.location_approximate
        row["location_approximate"] = False
    if same:
        report.unchanged += 1
    elif kind == "RW":
        report.rws += 1
        rw_rows.append(row)
    else:
        report.regions += 1
        region_rows.append(row)


def _write(rw_rows, region_rows):
    """Every row in one transaction (ORM bulk UPDATE by primary key); a failure rolls all of it back."""
    try:
        if rw_rows:
            db.session.execute(update(RW), rw_rows)
        if region_rows:
            db.session.execute(update(Region), region_rows)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
