"""What the package and RW maps show around one RW: its outline or point, the geotagged photos of
verified progress reports, and the nearest other public packages. Each part is one statement."""
import math
from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from app.domain import PackageStatus, ReportStatus
from app.extensions import db
from app.models import RW, Package, ProgressPhoto, ProgressReport, Region
from app.services.catalogue import visible_clause

NEARBY = 6
NEARBY_RADIUS_KM = 5.0
KM_PER_DEGREE = 111.32
PHOTO_LIMIT = 100  # a map, not a gallery: the most recent geotagged photos

Kelurahan = aliased(Region, name="kelurahan")


@dataclass
class Place:
    """An RW as a map centre, with the public packages whose photos it shows."""

    rw_id: int
    label: str
    lat: float
    lon: float
    boundary_geojson: str | None
    approximate: bool
    package_ids: list = field(default_factory=list)


@dataclass
class Photo:
    """A geotagged photo of a verified report."""

    id: int
    package_id: int
    lat: float
    lon: float
    caption: str | None


@dataclass
class Nearby:
    """Another public package near the place."""

    id: int
    title: str
    status: str
    committed: int
    estimate: int
    rw_number: int
    kelurahan: str
    lat: float
    lon: float

    @property
    def funded_pct(self):
        """Whole percent committed."""
        return 100 * self.committed // self.estimate if self.estimate else 0


def _place_query():
    return (select(RW.id, RW.number, Kelurahan.name, RW.lat, RW.lon, RW.boundary_geojson, RW.location_approximate)
            .select_from(RW).join(Kelurahan, Kelurahan.id == RW.kelurahan_id))


def _place(row, package_ids):
    rw_id, number, kelurahan, lat, lon, boundary, approximate = row
    return Place(rw_id, f"RW {number:02d} {kelurahan}", lat, lon, boundary, approximate, package_ids)


def package_place(package_id, include_drafts=False):
    """The place of one package (None when it does not exist or is not visible to the reader)."""
    row = db.session.execute(
        _place_query().add_columns(Package.id).join(Package, Package.rw_id == RW.id)
        .where(Package.id == package_id, visible_clause(include_drafts))
    ).first()
    return _place(row[:-1], [row[-1]]) if row else None


def rw_place(rw_id):
    """An RW's place with its public packages (None when there is no such RW)."""
    rows = db.session.execute(
        _place_query().add_columns(Package.id)
        .outerjoin(Package, and_(Package.rw_id == RW.id, visible_clause()))
        .where(RW.id == rw_id).order_by(Package.id)
    ).all()
    if not rows:
        return None
    return _place(rows[0][:-1], [row[-1] for row in rows if row[-1] is not None])


def verified_photos(package_ids):
    """Geotagged photos of the packages' verified reports (only those are public), newest first."""
    if not package_ids:
        return []
    rows = db.session.execute(
        select(ProgressPhoto.id, ProgressReport.package_id, ProgressPhoto.lat, ProgressPhoto.lon,
               ProgressPhoto.caption)
        .join(ProgressReport, ProgressReport.id == ProgressPhoto.report_id)
        .where(ProgressReport.package_id.in_(package_ids), ProgressReport.status == ReportStatus.VERIFIED,
               ProgressPhoto.lat.is_not(None), ProgressPhoto.lon.is_not(None))
        .order_by(ProgressPhoto.id.desc()).limit(PHOTO_LIMIT)
    )
    return [Photo(*row) for row in rows]


def nearby_packages(lat, lon, exclude_package_ids=(), exclude_rw_id=None, limit=NEARBY,
                    radius_km=NEARBY_RADIUS_KM):
    """The `limit` nearest public, not cancelled packages within `radius_km` (a bounding box first, then
    ordered by planar distance, which is exact enough at this scale)."""
    lat_span = radius_km / KM_PER_DEGREE
    lon_scale = max(math.cos(math.radians(lat)), 0.01)
    lon_span = lat_span / lon_scale
    dy, dx = RW.lat - lat, (RW.lon - lon) * lon_scale
    conditions = [visible_clause(), Package.status != PackageStatus.CANCELLED,
                  RW.lat.between(lat - lat_span, lat + lat_span), RW.lon.between(lon - lon_span, lon + lon_span)]
    if exclude_package_ids:
        conditions.append(Package.id.not_in(list(exclude_package_ids)))
    if exclude_rw_id is not None:
        conditions.append(RW.id != exclude_rw_id)
    rows = db.session.execute(
        select(Package.id, Package.title, Package.status, Package.committed, Package.estimate, RW.number,
               Kelurahan.name, RW.lat, RW.lon)
        .select_from(Package).join(RW, RW.id == Package.rw_id).join(Kelurahan, Kelurahan.id == RW.kelurahan_id)
        .where(*conditions).order_by(dy * dy + dx * dx, Package.id).limit(limit)
    )
    return [Nearby(*row) for row in rows]
