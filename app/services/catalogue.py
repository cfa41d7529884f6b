"""The package catalogue: filters, facets, sorting and pagination in a fixed number of queries.

Whatever the data size, one search costs: region lookup (only when a region filter is given),
tiers, the count, the page of cards, and one GROUP BY per facet — all SQL aggregates.
Web pages and the API share `parse_filters` so both validate input the same way.
"""
from dataclasses import dataclass, field, replace

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from app.domain import PACKAGE_STATUS_LABELS, SLUM_LEVEL_LABELS, WORK_ASPECTS, PackageStatus, SlumLevel
from app.extensions import db
from app.models import RW, Organisation, Package, PackageTier, Region, WorkItem

PUBLIC_STATUSES = tuple(s for s in PackageStatus if s != PackageStatus.DRAFT)


def visible_clause(include_drafts=False):
    """Packages the public sees: any status but draft, and cancelled ones only if they were published."""
    if include_drafts:
        return Package.id.is_not(None)
    return and_(Package.status != PackageStatus.DRAFT,
                or_(Package.status != PackageStatus.CANCELLED, Package.published_at.is_not(None)))
SORTS = ("need", "remaining", "funded", "newest")
REGION_PARAMS = ("kota", "kecamatan", "kelurahan")
FILTER_PARAMS = (*REGION_PARAMS, "tier", "status", "aspect", "severity", "funded_min", "funded_max", "q")
PAGE_PARAMS = ("sort", "page", "per_page")
MAX_PER_PAGE = 100
MAX_QUERY_LENGTH = 100

Kelurahan = aliased(Region, name="kelurahan")
Kecamatan = aliased(Region, name="kecamatan")
Kota = aliased(Region, name="kota")


@dataclass(frozen=True)
class Filters:
    """A validated catalogue query. Region filters hold Kemendagri codes."""

    kota: str | None = None
    kecamatan: str | None = None
    kelurahan: str | None = None
    tier: str | None = None
    status: str | None = None
    aspect: str | None = None
    severity: str | None = None
    funded_min: int | None = None
    funded_max: int | None = None
    q: str | None = None
    sort: str = "need"
    page: int = 1
    per_page: int = 24
    include_drafts: bool = False

    def args(self, **changes):
        """URL query arguments for these filters with `changes` applied (None removes a key)."""
        values = {**{name: getattr(self, name) for name in (*FILTER_PARAMS, *PAGE_PARAMS)}, **changes}
        defaults = Filters()
        return {key: value for key, value in values.items()
                if value is not None and value != "" and value != getattr(defaults, key)}

    def toggle(self, dimension, value):
        """URL arguments that select `value` for `dimension`, or drop it when already selected.

        Choosing a kota clears the kecamatan and kelurahan below it; any change returns to page 1.
        """
        chosen = getattr(self, dimension) == value
        changes = {dimension: None if chosen else value, "page": None}
        if dimension == "kota":
            changes.update(kecamatan=None, kelurahan=None)
        elif dimension == "kecamatan":
            changes.update(kelurahan=None)
        return self.args(**changes)

    def active(self):
        """The filter parameters in use (not sorting or paging)."""
        return {name: getattr(self, name) for name in FILTER_PARAMS if getattr(self, name) not in (None, "")}


class FilterError(ValueError):
    """Bad catalogue parameters: `fields` maps parameter → message."""

    def __init__(self, fields):
        super().__init__("; ".join(f"{key}: {message}" for key, message in fields.items()))
        self.fields = fields


def _int(raw, name, errors, low, high):
    try:
        value = int(raw)
    except (TypeError, ValueError):
        errors[name] = _l("Must be a whole number.")
        return None
    if not low <= value <= high:
        errors[name] = _l("Must be from %(low)d to %(high)d.", low=low, high=high)
        return None
    return value


def parse_filters(args, strict=False, tier_codes=None):
    """Validate query arguments into Filters. Returns (filters, errors); bad values are dropped.

    `strict` (the API) also reports unknown parameters.
    """
    errors = {}
    values = {}
    if strict:
        for key in args:
            if key not in FILTER_PARAMS and key not in PAGE_PARAMS:
                errors[key] = _l("Unknown parameter.")
    for name in REGION_PARAMS:
        raw = (args.get(name) or "").strip()
        if raw:
            if len(raw) > 20 or not all(part.isalnum() for part in raw.split(".")):
                errors[name] = _l("Not a region code.")
            else:
                values[name] = raw
    choices = {
        "status": [str(s) for s in PackageStatus],
        "aspect": list(WORK_ASPECTS),
        "severity": [str(level) for level in SlumLevel],
        "sort": list(SORTS),
    }
    if tier_codes is not None:
        choices["tier"] = list(tier_codes)
    for name, allowed in choices.items():
        raw = (args.get(name) or "").strip()
        if raw:
            if raw in allowed:
                values[name] = raw
            else:
                errors[name] = _l("Choose one of: %(choices)s.", choices=", ".join(allowed))
    if tier_codes is None and args.get("tier"):
        values["tier"] = args.get("tier").strip()[:30]
    for name in ("funded_min", "funded_max"):
        if args.get(name) not in (None, ""):
            values[name] = _int(args.get(name), name, errors, 0, 100)
    if args.get("page") not in (None, ""):
        values["page"] = _int(args.get("page"), "page", errors, 1, 1_000_000) or 1
    if args.get("per_page") not in (None, ""):
        values["per_page"] = _int(args.get("per_page"), "per_page", errors, 1, MAX_PER_PAGE) or 24
    query = (args.get("q") or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        errors["q"] = _l("Use at most %(n)d characters.", n=MAX_QUERY_LENGTH)
    elif query:
        values["q"] = query
    values = {key: value for key, value in values.items() if value is not None}
    return Filters(**values), errors


@dataclass
class PackageCard:
    """What a catalogue card shows."""

    id: int
    title: str
    status: str
    estimate: int
    committed: int
    received: int
    progress_pct: int
    tier_code: str
    tier_name: str
    rw_id: int
    rw_number: int
    households: int
    slum_score: int | None
    slum_level: str | None
    location_approximate: bool
    kelurahan: str
    kecamatan: str
    kota: str
    kota_code: str
    aggregator: str | None
    published_at: object = None
    lat: float | None = None
    lon: float | None = None
    population: int = 0
    area_ha: float = 0.0
    aspect_mask: int = 0

    @property
    def remaining(self):
        """What is still needed."""
        return max(self.estimate - self.committed, 0)

    @property
    def funded_pct(self):
        """Whole percent committed."""
        return 100 * self.committed // self.estimate if self.estimate else 0


@dataclass
class Result:
    """A page of cards, the total, and facet counts {dimension: [(value, label, count)]}."""

    filters: Filters
    total: int
    cards: list
    facets: dict = field(default_factory=dict)
    regions: dict = field(default_factory=dict)

    @property
    def pages(self):
        """Number of pages."""
        return max(1, -(-self.total // self.filters.per_page))


def _conditions(filters, region_ids, tier_ids):
    """{dimension: clause} for every active filter (facets drop their own dimension)."""
    clauses = {"visible": visible_clause(filters.include_drafts)}
    for name, column in (("kota", RW.kota_id), ("kecamatan", RW.kecamatan_id), ("kelurahan", RW.kelurahan_id)):
        code = getattr(filters, name)
        if code:
            clauses[name] = column == region_ids.get(code, -1)
    if filters.tier:
        clauses["tier"] = Package.tier_id == tier_ids.get(filters.tier, -1)
    if filters.status:
        clauses["status"] = Package.status == filters.status
    if filters.severity:
        clauses["severity"] = RW.slum_level == filters.severity
    if filters.aspect:
        clauses["aspect"] = exists().where(WorkItem.package_id == Package.id, WorkItem.aspect == filters.aspect)
    if filters.funded_min is not None:
        clauses["funded_min"] = Package.committed * 100 >= filters.funded_min * Package.estimate
    if filters.funded_max is not None:
        clauses["funded_max"] = Package.committed * 100 <= filters.funded_max * Package.estimate
    if filters.q:
        cleaned = filters.q.replace("\\", "").replace("%", "").replace("_", "")
        pattern = f"%{cleaned}%"
        region_names = select(Region.id).where(Region.name.ilike(pattern)).scalar_subquery()
        clauses["q"] = or_(Package.title.ilike(pattern), RW.kelurahan_id.in_(region_names),
                           RW.kecamatan_id.in_(region_names), RW.kota_id.in_(region_names))
    return clauses


def _order(sort):
    remaining = Package.estimate - Package.committed
    return {
        "need": (RW.slum_score.desc().nulls_last(), RW.households.desc(), Package.id),
        "remaining": (remaining.desc(), Package.id),
        "funded": ((Package.committed * 1000 / func.nullif(Package.estimate, 0)).desc(), Package.id),
        "newest": (Package.published_at.desc().nulls_last(), Package.id.desc()),
    }[sort]


def resolve(filters):
    """(clauses by dimension, {code: Region} named by the filters, tiers in order): the region lookup
    (only when a region filter is given) and the tiers, so other views (maps) filter exactly as the catalogue."""
    codes = [code for code in (filters.kota, filters.kecamatan, filters.kelurahan) if code]
    regions = {}
    if codes:
        regions = {r.code: r for r in db.session.scalars(select(Region).where(Region.code.in_(codes)))}
    tiers = db.session.scalars(select(PackageTier).order_by(PackageTier.sort_order)).all()
    tier_ids = {tier.code: tier.id for tier in tiers}
    return _conditions(filters, {code: region.id for code, region in regions.items()}, tier_ids), regions, tiers


def search(filters, facets=True):
    """Run a catalogue query and return a Result."""
    clauses, regions, tiers = resolve(filters)
    where = and_(*clauses.values())
    base = select(func.count(Package.id)).select_from(Package).join(RW, RW.id == Package.rw_id)
    total = db.session.scalar(base.where(where))
    cards = _cards(filters, where)
    result = Result(filters=filters, total=total, cards=cards, regions=regions)
    if facets:
        result.facets = _facets(filters, clauses, tiers)
    return result


def _card_query():
    """SELECT the columns of PackageCard, in its field order, with the joins they need."""
    return (
        select(
            Package.id, Package.title, Package.status, Package.estimate, Package.committed, Package.received,
            Package.progress_pct, PackageTier.code, PackageTier.name, RW.id, RW.number, RW.households,
            RW.slum_score, RW.slum_level, RW.location_approximate, Kelurahan.name, Kecamatan.name, Kota.name,
            Kota.code, Organisation.name, Package.published_at, RW.lat, RW.lon, RW.population, RW.area_ha,
            Package.aspect_mask,
        )
        .select_from(Package)
        .join(RW, RW.id == Package.rw_id)
        .join(PackageTier, PackageTier.id == Package.tier_id)
        .join(Kelurahan, Kelurahan.id == RW.kelurahan_id)
        .join(Kecamatan, Kecamatan.id == RW.kecamatan_id)
        .join(Kota, Kota.id == RW.kota_id)
        .outerjoin(Organisation, Organisation.id == Package.aggregator_id)
    )


def _cards(filters, where):
    query = (_card_query().where(where).order_by(*_order(filters.sort))
             .limit(filters.per_page).offset((filters.page - 1) * filters.per_page))
    return [PackageCard(*row) for row in db.session.execute(query)]


def cards_by_ids(ids):
    """{id: PackageCard} for the given package ids, in one query."""
    if not ids:
        return {}
    return {row[0]: PackageCard(*row) for row in db.session.execute(_card_query().where(Package.id.in_(ids)))}


def _facet_where(clauses, *dimensions):
    return and_(*(clause for name, clause in clauses.items() if name not in dimensions))


def _facets(filters, clauses, tiers):
    base = lambda *columns: (  # noqa: E731 - a tiny local query builder
        select(*columns, func.count(Package.id)).select_from(Package).join(RW, RW.id == Package.rw_id)
    )
    facets = {}
    counts = dict(db.session.execute(base(Package.tier_id).where(_facet_where(clauses, "tier"))
                                     .group_by(Package.tier_id)).all())
    facets["tier"] = [(tier.code, tier.name, counts.get(tier.id, 0)) for tier in tiers]
    counts = dict(db.session.execute(base(Package.status).where(_facet_where(clauses, "status"))
                                     .group_by(Package.status)).all())
    statuses = PUBLIC_STATUSES + ((PackageStatus.DRAFT,) if filters.include_drafts else ())
    facets["status"] = [(str(s), PACKAGE_STATUS_LABELS[s], counts.get(s, 0)) for s in statuses]
    counts = dict(db.session.execute(base(RW.slum_level).where(_facet_where(clauses, "severity"))
                                     .group_by(RW.slum_level)).all())
    facets["severity"] = [(str(level), SLUM_LEVEL_LABELS[level], counts.get(level, 0)) for level in SlumLevel]
    rows = db.session.execute(
        base(Kota.code, Kota.name).join(Kota, Kota.id == RW.kota_id)
        .where(_facet_where(clauses, "kota", "kecamatan", "kelurahan")).group_by(Kota.code, Kota.name)
        .order_by(Kota.code)
    ).all()
    facets["kota"] = [(code, name, count) for code, name, count in rows]
    if filters.kota:
        rows = db.session.execute(
            base(Kecamatan.code, Kecamatan.name).join(Kecamatan, Kecamatan.id == RW.kecamatan_id)
            .where(_facet_where(clauses, "kecamatan", "kelurahan")).group_by(Kecamatan.code, Kecamatan.name)
            .order_by(Kecamatan.code)
        ).all()
        facets["kecamatan"] = [(code, name, count) for code, name, count in rows]
    aspect_count = (
        select(WorkItem.aspect, func.count(func.distinct(WorkItem.package_id)))
        .join(Package, Package.id == WorkItem.package_id).join(RW, RW.id == Package.rw_id)
        .where(_facet_where(clauses, "aspect")).group_by(WorkItem.aspect)
    )
    counts = dict(db.session.execute(aspect_count).all())
    facets["aspect"] = [(key, label, counts.get(key, 0)) for key, label in WORK_ASPECTS.items()]
    return facets


def tier_codes():
    """The codes of the configured tiers (for strict validation)."""
    return list(db.session.scalars(select(PackageTier.code).order_by(PackageTier.sort_order)))


def with_drafts(filters):
    """The same query including drafts (government and admins see them)."""
    return replace(filters, include_drafts=True)
