"""Coverage per kecamatan or kabupaten/kota for government's choropleth.

The figures are the open data's and the dashboard's (`region_coverage`), so every page agrees. Two
measures: `rws`, the share of the RWs in the programme whose package is funded; `need`, the share of the
need committed. A region with RWs but none in the programme is drawn grey ("no RWs in the programme"), not
as 0 %. Boundaries are read (and simplified further for a national view) only when the GeoJSON is built;
a region without one is a circle at its centre (its own lat/lon, else the mean of its RWs) sized by its RWs.
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
from sqlalchemy import func, select

from app.extensions import db
from app.models import RW, Region
from app.money import rupiah_short
from app.services import region_coverage

LEVELS = {"kecamatan": _l("District (kecamatan)"), "kota": _l("Regency/City")}
MEASURES = {"rws": _l("Share of RWs in the programme with a package funded"),
            "need": _l("Share of the need funded (committed of the estimate)")}
BINS = (0, 20, 40, 60, 80, 100)
# A sequential scale readable in grey and with colour-vision deficiencies; branca is used for colours
# only (its own legend would load d3 from a CDN), the legend is ours.
SCALE = linear.YlGnBu_05.to_step(index=list(BINS))
NO_PROGRAMME_COLOUR = "#d9d9d9"
# Douglas–Peucker tolerance in degrees for a national view (~550 m for a kota, ~110 m for a kecamatan).
SIMPLIFY = {"kota": 0.005, "kecamatan": 0.001}
DIGITS = 4


@dataclass
class Place:
    """Where a region is drawn: its id, its own centre (if known), its RWs' mean, its boundary's size."""

    id: int
    lat: float | None
    lon: float | None
    boundary_chars: int | None
    mean_lat: float
    mean_lon: float


@dataclass
class RegionCoverage:
    """One region: the shared figures and its place."""

    figures: region_coverage.Figures
    place: Place

    def share(self, measure):
        """Whole percent of the measure, or None when the region has nothing in the programme."""
        f = self.figures
        if measure == "rws":
            return f.funded_rws_pct if f.rws_in_programme else None
        return f.committed_pct if f.need else None


def colour(share):
    """The scale's colour for a share (#rrggbb); grey for None."""
    return NO_PROGRAMME_COLOUR if share is None else SCALE(min(max(share, 0), 100))[:7]


def bins():
    """[(low, high, colour)] of the legend."""
    return [(low, high, colour(low)) for low, high in zip(BINS, BINS[1:], strict=False)]


def regions(level):
    """Every region of `level` with RWs, by code: the shared figures (one statement) and the places (one)."""
    column = region_coverage.LEVELS[level]
    places = {code: Place(id_, lat, lon, chars, float(mean_lat), float(mean_lon))
              for code, id_, lat, lon, chars, mean_lat, mean_lon in db.session.execute(
                  select(Region.code, Region.id, Region.lat, Region.lon, func.length(Region.boundary_geojson),
                         func.avg(RW.lat), func.avg(RW.lon))
                  .join(RW, column == Region.id).group_by(Region.id, Region.code, Region.lat, Region.lon))}
    return [RegionCoverage(figures, places[figures.code]) for figures in region_coverage.regions(level)
            if figures.code in places]


def version(level, measure, figures, locale):
    """ETag of the coverage GeoJSON: the figures and places (boundary sizes included), the choice, the language."""
    key = json.dumps([level, measure, str(locale), [(vars(r.figures), vars(r.place)) for r in figures]],
                     default=str)
    return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:24]  # an ETag, not a security hash


@dataclass
class Report:
    """The coverage page in words: regions per legend bin, the lowest regions, and the overall figures."""

    bins: list
    without_programme: int
    lowest: list
    regions: int
    total: region_coverage.Figures


def report(level, measure, lowest=10):
    """Regions per bin [(low, high, colour, count)], how many have nothing in the programme, the `lowest`
    regions by the measure (among those in it) and the totals."""
    figures = regions(level)
    counts = [0] * (len(BINS) - 1)
    shares = [(region, region.share(measure)) for region in figures]
    for _region, share in shares:
        if share is not None:
            counts[min(share * (len(BINS) - 1) // 100, len(counts) - 1)] += 1
    ranked = sorted(((share, -region.figures.rws, region.figures.code, region) for region, share in shares
                     if share is not None), key=lambda entry: entry[:3])
    return Report(bins=[(*bin_, count) for bin_, count in zip(bins(), counts, strict=True)],
                  without_programme=sum(1 for _region, share in shares if share is None),
                  lowest=[entry[-1] for entry in ranked[:lowest]], regions=len(figures),
                  total=region_coverage.total([region.figures for region in figures]))


def _boundaries(ids, level):
    """{region id: GeoJSON geometry simplified for a national view} for regions that have a boundary."""
    found = {}
    rows = db.session.execute(select(Region.id, Region.boundary_geojson).where(Region.id.in_(ids))) if ids else []
    for region_id, text in rows:
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
    shapes = _boundaries([r.place.id for r in figures if r.place.boundary_chars], level)
    features = []
    for region in figures:
        share, place, f = region.share(measure), region.place, region.figures
        geometry = shapes.get(place.id) or {"type": "Point", "coordinates": [
            round(place.lon if place.lon is not None else place.mean_lon, DIGITS),
            round(place.lat if place.lat is not None else place.mean_lat, DIGITS)]}
        features.append({"type": "Feature", "geometry": geometry, "properties": {
            "code": f.code, "name": f.name, "value": share,
            "value_text": _("no RWs in the programme") if share is None else f"{share} %",
            "colour": colour(share), "radius": min(6 + 3 * math.sqrt(f.rws), 30), "url": region_url(f.code),
            "rows": _rows(f),
        }})
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")).encode()


def _rows(f):
    return [
        [_("RWs"), str(f.rws)],
        [_("RWs in the programme"), str(f.rws_in_programme)],
        [_("RWs with a package funded"), f"{f.funded_rws} ({f.funded_rws_pct} %)"],
        [_("Severe RWs without funding"), str(f.severe_rws_unfunded)],
        [_("Need"), rupiah_short(f.need)],
        [_("Committed"), f"{rupiah_short(f.committed)} ({f.committed_pct} %)"],
    ]
