"""What the public map shows: visible packages as lean GeoJSON, a version of that data for ETags, the
counts of the text legend, and one package's popup.

Filters are the catalogue's (`catalogue.resolve`), so the map and the list always agree. Every function
is a fixed number of SQL statements with column selects (no ORM objects per row), whatever the data size.
"""
import hashlib
import json
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from app.domain import PackageStatus, SlumLevel
from app.extensions import db
from app.models import RW, Package, PackageTier, Region
from app.services import catalogue, package_page, stats

# Marker colours (Okabe–Ito, distinguishable with the common colour-vision deficiencies). Open packages are
# split by funding so the map shows where money is still most needed; the legend names every colour.
CATEGORIES = {
    "open": ("#D55E00", _l("Open, under half funded")),
    "open_half": ("#E69F00", _l("Open, half funded or more")),
    PackageStatus.FUNDED.value: ("#56B4E9", _l("Funded")),
    PackageStatus.IN_PROGRESS.value: ("#0072B2", _l("In progress")),
    PackageStatus.COMPLETED.value: ("#009E73", _l("Completed")),
    PackageStatus.CANCELLED.value: ("#999999", _l("Cancelled")),
}
# The same colours as the severity badges of the site's CSS.
SEVERITY_COLOURS = {
    SlumLevel.BERAT.value: "#b02a37", SlumLevel.SEDANG.value: "#d97706", SlumLevel.RINGAN.value: "#6c757d",
    SlumLevel.NONE.value: "#198754",
}
UNASSESSED_COLOUR = "#adb5bd"
# One feature of the GeoJSON; %.5f gives coordinates to ~1 m, plenty for an RW centre, and keeps it small.
_FEATURE = ('{"type":"Feature","geometry":{"type":"Point","coordinates":[%.5f,%.5f]},'
            '"properties":{"id":%d,"c":"%s","t":%s,"f":%d,"v":%s}}')
# Bump when the GeoJSON's shape changes, so clients holding an old ETag get the new body.
FORMAT_VERSION = "1"


def category_clause():
    """SQL for a package's map category (a key of CATEGORIES)."""
    return case(
        (and_(Package.status == PackageStatus.PUBLISHED, Package.committed * 2 >= Package.estimate), "open_half"),
        (Package.status == PackageStatus.PUBLISHED, "open"),
        else_=Package.status,
    )


@dataclass
class Selection:
    """The visible packages a catalogue filter picks, resolved once (region and tier lookups)."""

    filters: catalogue.Filters
    where: object
    tiers: list
    regions: dict

    def _base(self, *columns):
        return select(*columns).select_from(Package).join(RW, RW.id == Package.rw_id).where(self.where)

    def version(self):
        """A short hash that changes whenever the GeoJSON would: one aggregate over the selected rows
        (count, ids, money, status, tier, coordinates, severity), the tier codes and the filter arguments."""
        status_code = case(*((Package.status == status, index) for index, status in enumerate(PackageStatus)),
                           else_=len(PackageStatus))
        row = db.session.execute(self._base(
            func.count(Package.id), func.coalesce(func.max(Package.id), 0), func.coalesce(func.sum(Package.id), 0),
            func.coalesce(func.sum(Package.committed), 0), func.coalesce(func.sum(Package.estimate), 0),
            func.coalesce(func.sum(status_code * Package.id), 0), func.coalesce(func.sum(Package.tier_id), 0),
            func.sum(RW.lat), func.sum(RW.lon), func.coalesce(func.sum(RW.slum_score), 0),
        )).one()
        # Float sums are rounded: PostgreSQL may add them in a different order between runs.
        values = [*(int(v) for v in row[:7]), round(row[7] or 0, 3), round(row[8] or 0, 3), int(row[9])]
        tiers = [(tier.id, tier.code) for tier in self.tiers]
        key = json.dumps([FORMAT_VERSION, values, tiers, sorted(self.filters.args().items())], default=str)
        return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:24]  # an ETag, not a security hash

    def geojson(self):
        """A FeatureCollection (bytes) of the selected packages, one Point per package at its RW.

        Properties are short on purpose (national scale is 100,000 features): `id` package id, `c` category
        (CATEGORIES), `t` tier code, `f` whole percent funded, `v` slum level or null. Details come per
        package from the popup endpoint.
        """
        tier_codes = {tier.id: json.dumps(tier.code) for tier in self.tiers}
        levels = {level: json.dumps(level) for level in SEVERITY_COLOURS}
        rows = db.session.execute(self._base(
            RW.lon, RW.lat, Package.id, category_clause(), Package.tier_id, Package.committed, Package.estimate,
            RW.slum_level,
        ).order_by(Package.id))
        # %-formatting with fixed decimals is about twice as fast as round() and repr at 100,000 rows.
        features = [
            _FEATURE % (lon, lat, package_id, category, tier_codes.get(tier_id, "null"),
                        100 * committed // estimate if estimate else 0, levels.get(level, "null"))
            for lon, lat, package_id, category, tier_id, committed, estimate, level in rows
        ]
        return ('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}").encode()

    def counts(self):
        """{category: count} of the selection, for the text legend (one GROUP BY)."""
        category = category_clause()
        rows = db.session.execute(self._base(category, func.count(Package.id)).group_by(category))
        return {key: count for key, count in rows}


def selection(filters):
    """Resolve catalogue filters (public packages only: the map is public) into a Selection."""
    clauses, regions, tiers = catalogue.resolve(filters)
    return Selection(filters=filters, where=and_(*clauses.values()), tiers=list(tiers), regions=regions)


@dataclass
class MapPage:
    """The /map page around the frame: filter choices and the legend's counts in words."""

    filters: catalogue.Filters
    legend: list
    total: int
    tiers: list
    kotas: list
    kecamatans: list


def page(filters):
    """Counts per category, tiers, and the kota (and, once a kota is chosen, kecamatan) choices."""
    chosen = selection(filters)
    counts = chosen.counts()
    kota = chosen.regions.get(filters.kota)
    kecamatans = db.session.execute(
        select(Region.code, Region.name).where(Region.parent_id == kota.id).order_by(Region.name)
    ).all() if kota else []
    legend = [(key, colour, label, counts.get(key, 0)) for key, (colour, label) in CATEGORIES.items()]
    return MapPage(filters=filters, legend=legend, total=sum(counts.values()), tiers=chosen.tiers,
                   kotas=stats.kotas_with_rws(), kecamatans=kecamatans)


def tiers():
    """The configured tiers in order (one layer each)."""
    return db.session.scalars(select(PackageTier).order_by(PackageTier.sort_order)).all()


def popup(package_id):
    """The essentials of one visible package (a catalogue PackageCard), or None when it is not public."""
    card = catalogue.cards_by_ids([package_id]).get(package_id)
    return card if card is not None and package_page.is_public(card) else None


def category_of(status, committed, estimate):
    """The Python twin of category_clause for one package."""
    if status == PackageStatus.PUBLISHED:
        return "open_half" if committed * 2 >= estimate else "open"
    return str(status)
