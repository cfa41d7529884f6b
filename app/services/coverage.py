"""Coverage per kecamatan or kabupaten/kota for government's choropleth.

Two measures: `rws`, the share of the RWs in the programme (those with a counted package: published,
funded, in progress or completed) whose package is funded; `need`, the share of their estimates committed.
One aggregate statement gives every region's figures; boundaries are read (and simplified) only when the
GeoJSON has to be built, and a region without a boundary is drawn as a circle at its centre (its own
lat/lon, else the mean of its RWs) sized by its RW count.
"""
import hashlib
import json
import math
from dataclasses import dataclass

from branca.colormap import linear
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from shapely.errors import ShapelyError
from shapely.geometry import mapping, shape
from sqlalchemy import case, func, select

from app.domain import PackageStatus, RegionLevel
from app.extensions import db
from app.models import RW, Package, Region
from app.money import rupiah_short
from app.services.stats import COUNTED_STATUSES

LEVELS = {"kecamatan": (RW.kecamatan_id, _l("District (kecamatan)")), "kota": (RW.kota_id, _l("Regency/City"))}
MEASURES = {"rws": _l("Share of RWs in the programme with a package funded"),
            "need": _l("Share of the need funded (committed of the estimate)")}
FUNDED_STATUSES = (PackageStatus.FUNDED, PackageStatus.IN_PROGRESS, PackageStatus.COMPLETED)
BINS = (0, 20, 40, 60, 80, 100)
# A sequential scale readable in grey and with colour-vision deficiencies; branca is used for colours
# only (its own legend would load d3 from a CDN), the legend is ours.
SCALE = linear.YlGnBu_05.to_step(index=list(BINS))
# Douglas–Peucker tolerance in degrees (~550 m for a kota, ~110 m for a kecamatan) and coordinate digits.
SIMPLIFY = {"kota": 0.005, "kecamatan": 0.001}
DIGITS = 4


@dataclass
class RegionCoverage:
    """One region's figures."""

    id: int
    code: str
    name: str
    lat: float | None
    lon: float | None
    boundary_chars: int | None
    rws: int
    funded_rws: int
    estimate: int
    committed: int
    mean_lat: float
    mean_lon: float

    def share(self, measure):
        """Whole percent of the chosen measure."""
        if measure == "rws":
            return 100 * self.funded_rws // self.rws if self.rws else 0
        return 100 * self.committed // self.estimate if self.estimate else 0


def colour(share):
    """The scale's colour for a share, as #rrggbb."""
    return SCALE(min(max(share, 0), 100))[:7]


def bins():
    """[(low, high, colour)] of the legend."""
    return [(low, high, colour(low)) for low, high in zip(BINS, BINS[1:], strict=False)]


def regions(level):
    """Every region of `level` with RWs in the programme, with its figures, by code (one statement)."""
    column = LEVELS[level][0]
    funded = case((Package.status.in_(FUNDED_STATUSES), 1), else_=0)
    per_rw = (
        select(column.label("region_id"), RW.lat, RW.lon, func.max(funded).label("funded"),
               func.sum(Package.estimate).label("estimate"), func.sum(Package.committed).label("committed"))
        .select_from(Package).join(RW, RW.id == Package.rw_id).where(Package.status.in_(COUNTED_STATUSES))
        .group_by(RW.id, column, RW.lat, RW.lon).subquery()
    )
    totals = (
        select(per_rw.c.region_id, func.count().label("rws"), func.sum(per_rw.c.funded).label("funded"),
               func.sum(per_rw.c.estimate).label("estimate"), func.sum(per_rw.c.committed).label("committed"),
               func.avg(per_rw.c.lat).label("lat"), func.avg(per_rw.c.lon).label("lon"))
        .group_by(per_rw.c.region_id).subquery()
    )
    rows = db.session.execute(
        select(Region.id, Region.code, Region.name, Region.lat, Region.lon, func.length(Region.boundary_geojson),
               totals.c.rws, totals.c.funded, totals.c.estimate, totals.c.committed, totals.c.lat, totals.c.lon)
        .join(totals, totals.c.region_id == Region.id).order_by(Region.code)
    )
    return [RegionCoverage(id, code, name, lat, lon, chars, int(rws), int(funded_rws), int(estimate),
                           int(committed), float(mean_lat), float(mean_lon))
            for id, code, name, lat, lon, chars, rws, funded_rws, estimate, committed, mean_lat, mean_lon in rows]


def version(level, measure, figures, locale):
    """ETag of the coverage GeoJSON: the figures (boundary sizes included), the choice and the language."""
    key = json.dumps([level, measure, str(locale), [list(vars(r).values()) for r in figures]], default=str)
    return hashlib.sha1(key.encode()).hexdigest()[:24]  # noqa: S324 - a cache key, not a security hash


@dataclass
class Report:
    """The coverage page in words: regions per legend bin, the lowest regions, and the overall figures."""

    bins: list
    lowest: list
    regions: int
    total: RegionCoverage


def report(level, measure, lowest=10):
    """Regions per bin [(low, high, colour, count)], the `lowest` regions by the measure, and the totals."""
    figures = regions(level)
    counts = [0] * (len(BINS) - 1)
    for region in figures:
        counts[min(region.share(measure) * (len(BINS) - 1) // 100, len(counts) - 1)] += 1
    ranked = sorted(figures, key=lambda r: (r.share(measure), -r.rws, r.code))[:lowest]
    total = RegionCoverage(0, "", "", None, None, None, sum(r.rws for r in figures),
                           sum(r.funded_rws for r in figures), sum(r.estimate for r in figures),
                           sum(r.committed for r in figures), 0.0, 0.0)
    return Report(bins=[(*bin_, count) for bin_, count in zip(bins(), counts, strict=True)], lowest=ranked,
                  regions=len(figures), total=total)


def _boundaries(level, ids):
    """{region id: simplified GeoJSON geometry} for regions of `level` that have a boundary."""
    found = {}
    rows = db.session.execute(select(Region.id, Region.boundary_geojson).where(
        Region.level == (RegionLevel.KECAMATAN if level == "kecamatan" else RegionLevel.KABUPATEN_KOTA),
        Region.boundary_geojson.is_not(None)))
    for region_id, text in rows:
        if region_id not in ids:
            continue
        try:
            geometry = json.loads(text)
            geometry = geometry.get("geometry", geometry) if geometry.get("type") == "Feature" else geometry
            simplified = shape(geometry).simplify(SIMPLIFY[level], preserve_topology=True)
        except (ValueError, TypeError, AttributeError, KeyError, ShapelyError):
            continue  # a broken boundary falls back to the circle
        found[region_id] = _rounded(mapping(simplified))
    return found


def _rounded(geometry):
    def walk(value):
        if isinstance(value, (list, tuple)):
            if value and isinstance(value[0], float):
                return [round(v, DIGITS) for v in value]
            return [walk(v) for v in value]
        return value
    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def geojson(level, measure, figures, region_url):
    """The choropleth's FeatureCollection (bytes): polygons where known, else points with a `radius`.

    `region_url(code)` gives the link of a region's page.
    """
    shapes = _boundaries(level, {r.id for r in figures if r.boundary_chars})
    features = []
    for region in figures:
        share = region.share(measure)
        geometry = shapes.get(region.id) or {"type": "Point", "coordinates": [
            round(region.lon if region.lon is not None else region.mean_lon, DIGITS),
            round(region.lat if region.lat is not None else region.mean_lat, DIGITS)]}
        features.append({"type": "Feature", "geometry": geometry, "properties": {
            "code": region.code, "name": region.name, "value": share, "value_text": f"{share} %",
            "colour": colour(share), "radius": min(6 + 3 * math.sqrt(region.rws), 30), "url": region_url(region.code),
            "rows": _rows(region),
        }})
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")).encode()


def _rows(region):
    return [
        [_("RWs in the programme"), str(region.rws)],
        [_("RWs with a package funded"), f"{region.funded_rws} ({region.share('rws')} %)"],
        [_("Need"), rupiah_short(region.estimate)],
        [_("Committed"), f"{rupiah_short(region.committed)} ({region.share('need')} %)"],
    ]
