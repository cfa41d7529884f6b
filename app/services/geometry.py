"""Boundary polygons for maps: checked, optionally repaired, simplified and written as compact GeoJSON."""
import json
import math
from dataclasses import dataclass

import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.validation import explain_validity, make_valid

# Indonesia from Sabang to Merauke and Miangas to Rote, with a margin. A polygon outside it was drawn in a
# projected system (Jakarta's surveys use UTM 48S) or with latitude and longitude swapped.
MIN_LON, MIN_LAT, MAX_LON, MAX_LAT = 94.0, -11.0, 142.0, 7.0
# ~5.5 m at the equator: invisible at the street zoom of an RW map, yet it drops most of the vertices
# of a surveyed outline, which is what keeps map pages and GeoJSON layers light at national scale.
DEFAULT_TOLERANCE = 0.00005
PRECISION = 0.000001  # degrees (~0.1 m): more digits only make the stored text longer
DIGITS = 6
POLYGONAL = ("Polygon", "MultiPolygon")


class GeometryError(ValueError):
    """A geometry that cannot be a boundary; the message says why. `repairable`: make_valid would fix it."""

    def __init__(self, message, repairable=False):
        super().__init__(message)
        self.repairable = repairable


@dataclass(frozen=True)
class Boundary:
    """A boundary ready to store: GeoJSON text, a point inside it, and what preparing it did."""

    geojson: str
    lat: float
    lon: float
    vertices_in: int
    vertices_out: int
    repaired_reason: str | None = None


def prepare(geometry, tolerance=DEFAULT_TOLERANCE, repair=False):
    """Check a GeoJSON geometry (dict) and return a Boundary, or raise GeometryError.

    Only Polygon and MultiPolygon inside Indonesia are accepted. An invalid polygon (self-intersecting,
    unclosed...) is refused with GEOS's reason unless `repair`, which keeps the polygonal part of
    `make_valid`. `tolerance` (degrees) simplifies with topology preserved; 0 keeps every vertex.
    """
    polygon = _shape(geometry)
    _check_inside_indonesia(polygon)
    repaired_reason = None
    if not polygon.is_valid:
        reason = explain_validity(polygon)
        if not repair:
            raise GeometryError(f"invalid polygon: {reason}", repairable=True)
        polygon = _polygonal_part(make_valid(polygon))
        if polygon is None:
            raise GeometryError(f"invalid polygon: {reason}; repairing it leaves no area")
        repaired_reason = reason
    vertices_in = shapely.get_num_coordinates(polygon)
    simplified = polygon.simplify(tolerance, preserve_topology=True) if tolerance else polygon
    # Snapping to the stored precision keeps the polygon valid (GEOS re-noding), unlike rounding the text.
    simplified = _polygonal_part(shapely.set_precision(simplified, PRECISION))
    if simplified is None:
        raise GeometryError("polygon too small: nothing is left at 0.1 m precision")
    inside = simplified.representative_point()
    return Boundary(
        geojson=json.dumps(_rounded(shapely.geometry.mapping(simplified)), separators=(",", ":")),
        lat=round(inside.y, DIGITS), lon=round(inside.x, DIGITS),
        vertices_in=vertices_in, vertices_out=shapely.get_num_coordinates(simplified),
        repaired_reason=repaired_reason,
    )


def _shape(geometry):
    """A shapely geometry from GeoJSON, refusing anything but a non-empty (Multi)Polygon."""
    if not isinstance(geometry, dict) or not geometry.get("type"):
        raise GeometryError("no geometry")
    kind = geometry["type"]
    if kind not in POLYGONAL:
        raise GeometryError(f"{kind} geometry: a boundary must be a Polygon or MultiPolygon")
    try:
        polygon = shape(geometry)
    except (GEOSException, ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        raise GeometryError(f"malformed {kind} coordinates ({error})") from None
    if polygon.is_empty:
        raise GeometryError(f"empty {kind}")
    return polygon


def _check_inside_indonesia(polygon):
    """Refuse coordinates outside Indonesia's box, naming the likely cause."""
    min_x, min_y, max_x, max_y = polygon.bounds
    if not all(math.isfinite(value) for value in polygon.bounds):
        raise GeometryError("coordinates are not finite numbers")
    if MIN_LON <= min_x and max_x <= MAX_LON and MIN_LAT <= min_y and max_y <= MAX_LAT:
        return
    box = f"lon {MIN_LON:g}–{MAX_LON:g}, lat {MIN_LAT:g}–{MAX_LAT:g}"
    if MIN_LON <= min_y and max_y <= MAX_LON and MIN_LAT <= min_x and max_x <= MAX_LAT:
        raise GeometryError(f"coordinates outside Indonesia ({box}): latitude and longitude look swapped "
                            "(GeoJSON puts longitude first)")
    raise GeometryError(f"coordinates outside Indonesia ({box}), e.g. ({min_x:g}, {min_y:g}): "
                        "is the file in WGS 84 longitude/latitude?")


def _polygonal_part(geometry):
    """The (Multi)Polygon in a geometry, dropping stray lines and points; None when it has no area."""
    if geometry.geom_type in POLYGONAL:
        return None if geometry.is_empty else geometry
    parts = [part for part in getattr(geometry, "geoms", []) if part.geom_type in POLYGONAL and not part.is_empty]
    return shapely.unary_union(parts) if parts else None


def _rounded(value):
    """Coordinates rounded to the stored precision (snapping leaves float noise like 106.80000000000001)."""
    if isinstance(value, float):
        return round(value, DIGITS)
    if isinstance(value, (list, tuple)):
        return [_rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value
