"""The open-data API's inputs and its package layer: public packages as GeoJSON for partners' GIS.

Inputs are checked strictly (an unknown parameter is named, not ignored) with the vocabularies the
catalogue and the exports already use, so the API, the pages and the downloads accept the same codes.
The package layer filters exactly as the catalogue and the public map (`map_data.selection`); its
version is one aggregate over the selected rows, so an unchanged layer is answered 304 without being built.
"""
import hashlib
import json
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, case, cast, func, select

from app.domain import PackageStatus
from app.extensions import db
from app.models import RW, Package
from app.services import catalogue, exports, map_data, region_coverage
from app.services.catalogue import Kecamatan, Kelurahan, Kota

COVERAGE_PARAMS = ("level", "kota", "kecamatan")
RW_PARAMS = ("kota", "kecamatan")
DEFAULT_LEVEL = "kota"
COORDINATE_DIGITS = 5  # ~1 m: plenty for an RW centre
# Bump when the layer's shape changes, so clients holding an old ETag get the new body.
FORMAT_VERSION = "1"


def unknown_parameters(args, allowed):
    """{name: message} for each query parameter not in `allowed`."""
    return {name: _l("Unknown parameter.") for name in args if name not in allowed}


def parse_package_filters(args, paged=True):
    """The catalogue's filters for public packages: (catalogue.Filters, errors). Drafts are never public,
    so `status=draft` is refused rather than answered with nothing. Without `paged` (the layer holds every
    match), sorting and paging mean nothing and are unknown parameters."""
    filters, errors = catalogue.parse_filters(args, strict=True, tier_codes=catalogue.tier_codes())
    if "\x00" in (args.get("q") or ""):  # PostgreSQL text cannot hold NUL: refuse it before the query fails
        errors["q"] = "Text without NUL characters."
    if filters.status == PackageStatus.DRAFT:
        errors["status"] = _l("Choose one of: %(choices)s.", choices=", ".join(map(str, catalogue.PUBLIC_STATUSES)))
    if not paged:
        errors.update(unknown_parameters(args, catalogue.FILTER_PARAMS))
    return filters, errors


def parse_rw_filters(args):
    """Region filters for the RW layer: (exports.Filters, errors), as the RW download takes them."""
    filters, errors = exports.parse_filters(args)
    return filters, {**errors, **unknown_parameters(args, RW_PARAMS)}


@dataclass(frozen=True)
class CoverageQuery:
    """A validated coverage request: the level of the rows and the region filters that narrow them."""

    level: str
    regions: exports.Filters

    def args(self):
        """The query as URL arguments."""
        return {"level": self.level, **self.regions.args()}


def parse_coverage(args):
    """(CoverageQuery, errors) for `level` (kota, kecamatan or kelurahan; kota by default) and the
    optional `kota` and `kecamatan` codes. A kecamatan filter on kota rows is refused: the one row
    would carry a single kecamatan's figures under the kota's name."""
    errors = unknown_parameters(args, COVERAGE_PARAMS)
    level = (args.get("level") or DEFAULT_LEVEL).strip()
    if level not in region_coverage.LEVELS:
        errors["level"] = _l("Choose one of: %(choices)s.", choices=", ".join(region_coverage.LEVELS))
        level = DEFAULT_LEVEL
    regions, region_errors = exports.parse_filters(args)
    errors.update(region_errors)
    if level == "kota" and regions.kecamatan:
        errors["kecamatan"] = "A kecamatan narrows kecamatan or kelurahan rows: use level=kecamatan or kelurahan."
    return CoverageQuery(level, regions), errors


@dataclass
class PackageLayer:
    """The public packages a catalogue filter picks, as GeoJSON points."""

    filters: catalogue.Filters
    where: object
    tiers: list

    def _select(self, *columns):
        return select(*columns).select_from(Package).join(RW, RW.id == Package.rw_id).where(self.where)

    def version(self):
        """A short hash that changes whenever the GeoJSON would: one aggregate over the selected rows (ids,
        money, status, progress, tier, place, boundary flag), the tiers' codes and the filter arguments.
        A title cannot change once a package is public (`packages.update_draft`), so it is not summed."""
        status_code = case(*((Package.status == status, index) for index, status in enumerate(PackageStatus)),
                           else_=len(PackageStatus))
        by_id = cast(Package.id, BigInteger)  # products of ids and small numbers, summed without overflow
        row = db.session.execute(self._select(
            func.count(Package.id), func.coalesce(func.max(Package.id), 0), func.coalesce(func.sum(by_id), 0),
            *(func.coalesce(func.sum(column), 0) for column in (
                Package.estimate, Package.committed, Package.received, Package.spent, status_code * by_id,
                Package.progress_pct * by_id, Package.tier_id * by_id, cast(RW.id, BigInteger) * by_id,
                RW.kelurahan_id, RW.number, case((RW.location_approximate, by_id), else_=0),
                case((RW.boundary_geojson.is_not(None), by_id), else_=0), func.coalesce(RW.slum_score, -1))),
            func.sum(RW.lat), func.sum(RW.lon),
        )).one()
        # Float sums are rounded: PostgreSQL may add them in a different order between runs.
        values = [*(int(v) for v in row[:-2]), round(row[-2] or 0, 3), round(row[-1] or 0, 3)]
        tiers = sorted((tier.id, tier.code) for tier in self.tiers)
        key = json.dumps([FORMAT_VERSION, values, tiers, sorted(self.filters.args().items())], default=str)
        return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:24]  # an ETag, not a security hash

    def geojson(self, page_url, api_url):
        """The FeatureCollection (UTF-8 bytes), one Point per package at its RW's centre, in id order.

        `page_url` and `api_url` are templates with `{id}` for the package's web page and API document.
        Properties are flat (GIS tools read nested objects poorly); `boundary` says whether the RW's
        polygon is known (it is in /api/v1/rws.geojson)."""
        tier_codes = {tier.id: tier.code for tier in self.tiers}
        rows = db.session.execute(
            self._select(Package.id, Package.title, Package.tier_id, Package.status, Package.estimate,
                         Package.committed, Package.received, Package.spent, Package.progress_pct, RW.id, RW.number,
                         Kelurahan.name, Kelurahan.code, Kecamatan.code, Kota.code, RW.slum_level,
                         RW.location_approximate, RW.boundary_geojson.is_not(None), RW.lon, RW.lat)
            .join(Kelurahan, Kelurahan.id == RW.kelurahan_id).join(Kecamatan, Kecamatan.id == RW.kecamatan_id)
            .join(Kota, Kota.id == RW.kota_id).order_by(Package.id)
        )
        features = [{
            "type": "Feature", "id": package_id,
            "geometry": {"type": "Point",
                         "coordinates": [round(lon, COORDINATE_DIGITS), round(lat, COORDINATE_DIGITS)]},
            "properties": {
                "id": package_id, "title": title, "tier": tier_codes.get(tier_id), "status": status,
                "estimate": estimate, "committed": committed, "received": received, "spent": spent,
                "remaining": max(estimate - committed, 0), "progress_pct": progress,
                "funded_pct": 100 * committed // estimate if estimate else 0,
                "rw_id": rw_id, "rw_number": number, "rw_label": f"RW {number:02d} {kelurahan}",
                "kelurahan_code": kelurahan_code, "kelurahan": kelurahan, "kecamatan_code": kecamatan_code,
                "kota_code": kota_code, "slum_level": slum_level, "location_approximate": bool(approximate),
                "boundary": bool(boundary), "url": page_url.format(id=package_id),
                "api_url": api_url.format(id=package_id),
            },
        } for (package_id, title, tier_id, status, estimate, committed, received, spent, progress, rw_id, number,
               kelurahan, kelurahan_code, kecamatan_code, kota_code, slum_level, approximate, boundary, lon,
               lat) in rows]
        body = {"type": "FeatureCollection", "features": features}
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def package_layer(filters):
    """Resolve catalogue filters (public packages only) into a PackageLayer, as the public map does."""
    chosen = map_data.selection(filters)
    return PackageLayer(filters=filters, where=chosen.where, tiers=chosen.tiers)
