"""The aggregator's mirror of matching: the unassigned packages an organisation may request, ranked for
it, each with its score parts and a sentence of reasons.

score (0–100) = need + region fit + cluster + capacity, each part a whole number of points (rounded
on its own) so the parts shown always add up to the score shown:

- need: the RW's slum score out of 80, plus the households (KK) it holds, full at HOUSEHOLDS_FULL;
- region fit: how specifically the RW lies in the operating regions (Region rows of any level): inside
  a kelurahan the organisation named beats a named kecamatan, then kota, then provinsi (REGION_FIT);
- cluster: the organisation's active packages (published, funded, in progress) in the package's
  kecamatan, full at CLUSTER_FULL;
- capacity: full for a package in a kecamatan where the organisation already works, and for every
  package while it runs at most LOAD_COMFORTABLE active packages; beyond that, packages away from its
  current work lose it linearly, down to nothing at LOAD_HEAVY.

Which packages appear is `assignments.in_operating_regions`, the same rule that decides who may request
them, so every row can be requested. A page costs three queries at any size (load, rows, total); ties go
to the neediest RW, then the older package.
"""
from dataclasses import dataclass, field

from flask_babel import format_number, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, Integer, case, cast, func, select
from sqlalchemy.orm import contains_eager, defer, joinedload

from app.domain import MAX_SLUM_SCORE, SLUM_LEVEL_LABELS, PackageStatus, RegionLevel
from app.extensions import db
from app.models import RW, Package, Region, organisation_regions
from app.services.assignments import REQUESTABLE, in_operating_regions

# Points per part; they add up to 100.
WEIGHTS = {
    # The city's own measure of need (Permen PUPR 14/2018, out of 80) leads, as it does for collaborators.
    "severity": 30,
    # The same work reaches more families in a bigger RW, but size must not outweigh severity.
    "households": 15,
    # A kelurahan the organisation named is where it has community contacts; a whole province is a loose claim.
    "region": 25,
    # Crews, suppliers and community facilitators already in the kecamatan make the next package cheaper
    # to run and easier to supervise.
    "cluster": 20,
    # Spare hands: a busy organisation should grow around its current work before it spreads out.
    "capacity": 10,
}
# Share of the region points by the most specific operating region that holds the RW.
REGION_FIT = {
    RegionLevel.KELURAHAN: 1.0,
    RegionLevel.KECAMATAN: 0.7,
    RegionLevel.KABUPATEN_KOTA: 0.4,
    RegionLevel.PROVINSI: 0.15,
}
HOUSEHOLDS_FULL = 1000  # a large Jakarta RW; the demo RWs' median is about 900 KK
CLUSTER_FULL = 3  # "a few" packages in one kecamatan earn the whole cluster bonus
LOAD_COMFORTABLE = 3  # active packages an organisation runs before far work starts costing points
LOAD_HEAVY = 8  # active packages at which far work earns no capacity points at all
ACTIVE_STATUSES = (PackageStatus.PUBLISHED, PackageStatus.FUNDED, PackageStatus.IN_PROGRESS)
PER_PAGE = 50
MAX_PAGE = 100_000

REGION_REASONS = {
    RegionLevel.KELURAHAN: _l("in your kelurahan %(name)s"),
    RegionLevel.KECAMATAN: _l("in your kecamatan %(name)s"),
    RegionLevel.KABUPATEN_KOTA: _l("in your operating region %(name)s"),
    RegionLevel.PROVINSI: _l("in your operating province %(name)s"),
}


@dataclass
class Load:
    """What the organisation runs now: active packages, their estimates, and both by status."""

    active: int = 0
    estimate: int = 0
    by_status: dict = field(default_factory=dict)  # status → (packages, estimate), every active status

    @property
    def far_capacity(self):
        """Capacity points a package away from current work earns at this load."""
        if self.active <= LOAD_COMFORTABLE:
            share = 1.0
        else:
            share = max(0.0, (LOAD_HEAVY - self.active) / (LOAD_HEAVY - LOAD_COMFORTABLE))
        return round(WEIGHTS["capacity"] * share)


@dataclass
class Match:
    """One ranked package: its score, the parts that make it up, and why, in words."""

    package: Package
    score: int
    parts: dict  # need, region, cluster, capacity → points
    fit_level: str
    nearby: int  # the organisation's active packages in the package's kecamatan
    reasons: str


@dataclass
class MatchPage:
    """A page of matches with the total and the load they were scored against (pagination-compatible)."""

    items: list
    total: int
    page: int
    per_page: int
    load: Load

    @property
    def pages(self):
        """Number of pages (at least one)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self):
        """True after the first page."""
        return self.page > 1

    @property
    def prev_num(self):
        """The previous page number, if any."""
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self):
        """True before the last page."""
        return self.page < self.pages

    @property
    def next_num(self):
        """The next page number, if any."""
        return self.page + 1 if self.has_next else None


def load_summary(organisation):
    """The organisation's active packages (published, funded, in progress): one query."""
    load = Load(by_status={status: (0, 0) for status in ACTIVE_STATUSES})
    rows = db.session.execute(
        select(Package.status, func.count(Package.id), func.coalesce(func.sum(Package.estimate), 0))
        .where(Package.aggregator_id == organisation.id, Package.status.in_(ACTIVE_STATUSES))
        .group_by(Package.status)
    )
    for status, count, estimate in rows:
        load.by_status[status] = (count, int(estimate))
        load.active += count
        load.estimate += int(estimate)
    return load


def _points(expression):
    return cast(func.round(expression), Integer)


def _region_fit(organisation):
    """(condition on RW, level), most specific first."""
    ids = select(organisation_regions.c.region_id).where(organisation_regions.c.organisation_id == organisation.id)
    kotas_in_provinces = select(Region.id).where(Region.parent_id.in_(ids))
    return [
        (RW.kelurahan_id.in_(ids), RegionLevel.KELURAHAN),
        (RW.kecamatan_id.in_(ids), RegionLevel.KECAMATAN),
        (RW.kota_id.in_(ids), RegionLevel.KABUPATEN_KOTA),
        (RW.kota_id.in_(kotas_in_provinces), RegionLevel.PROVINSI),
    ]


def _region(relation):
    return joinedload(relation).defer(Region.boundary_geojson)


def _with_place():
    """The RW and every region a reason may name, without the boundaries (they can be large)."""
    return contains_eager(Package.rw).options(
        defer(RW.boundary_geojson), _region(RW.kelurahan), _region(RW.kecamatan),
        _region(RW.kota).options(_region(Region.parent)))


def _eligible(organisation):
    return (Package.aggregator_id.is_(None), Package.status.in_(REQUESTABLE), in_operating_regions(organisation))


def ranking_query(organisation, load):
    """Eligible packages with their parts and score, best first (SQL; no limit)."""
    nearby_work = (
        select(RW.kecamatan_id.label("kecamatan_id"), func.count(Package.id).label("active"))
        .join(RW, RW.id == Package.rw_id)
        .where(Package.aggregator_id == organisation.id, Package.status.in_(ACTIVE_STATUSES))
        .group_by(RW.kecamatan_id).subquery("nearby_work")
    )
    nearby = func.coalesce(nearby_work.c.active, 0)
    severity = func.coalesce(cast(RW.slum_score, Float), 0.0) * (WEIGHTS["severity"] / MAX_SLUM_SCORE)
    households = case((RW.households >= HOUSEHOLDS_FULL, float(WEIGHTS["households"])),
                      else_=cast(RW.households, Float) * (WEIGHTS["households"] / HOUSEHOLDS_FULL))
    need = _points(severity + households)
    fit = _region_fit(organisation)
    region = case(*[(condition, round(WEIGHTS["region"] * REGION_FIT[level])) for condition, level in fit], else_=0)
    fit_level = case(*[(condition, str(level)) for condition, level in fit], else_="")
    cluster = _points(case((nearby >= CLUSTER_FULL, float(WEIGHTS["cluster"])),
                           else_=cast(nearby, Float) * (WEIGHTS["cluster"] / CLUSTER_FULL)))
    capacity = case((nearby > 0, WEIGHTS["capacity"]), else_=load.far_capacity)
    score = (need + region + cluster + capacity).label("score")
    return (
        select(Package, need.label("need"), region.label("region"), cluster.label("cluster"),
               capacity.label("capacity"), score, fit_level.label("fit_level"), nearby.label("nearby"))
        .join(RW, RW.id == Package.rw_id)
        .outerjoin(nearby_work, nearby_work.c.kecamatan_id == RW.kecamatan_id)
        .where(*_eligible(organisation))
        .options(_with_place(), joinedload(Package.tier))
        .order_by(score.desc(), RW.slum_score.desc().nulls_last(), RW.households.desc(), Package.id)
    )


def count_eligible(organisation):
    """How many packages the organisation may request."""
    return db.session.scalar(
        select(func.count(Package.id)).join(RW, RW.id == Package.rw_id).where(*_eligible(organisation))
    )


def rank(organisation, page=1, per_page=PER_PAGE):
    """One page of the organisation's ranked matches, with the total and its load: three queries."""
    page = min(max(int(page or 1), 1), MAX_PAGE)
    load = load_summary(organisation)
    rows = db.session.execute(ranking_query(organisation, load).limit(per_page).offset((page - 1) * per_page))
    items = [_match(row, load) for row in rows]
    return MatchPage(items=items, total=count_eligible(organisation), page=page, per_page=per_page, load=load)


def _match(row, load):
    parts = {"need": row.need, "region": row.region, "cluster": row.cluster, "capacity": row.capacity}
    return Match(package=row.Package, score=row.score, parts=parts, fit_level=row.fit_level, nearby=row.nearby,
                 reasons=reasons(row.Package.rw, row.fit_level, row.nearby, row.capacity, load))


def _region_name(rw, level):
    return {
        RegionLevel.KELURAHAN: lambda: rw.kelurahan.name,
        RegionLevel.KECAMATAN: lambda: rw.kecamatan.name,
        RegionLevel.KABUPATEN_KOTA: lambda: rw.kota.name,
        RegionLevel.PROVINSI: lambda: rw.kota.parent.name,
    }[level]()


def reasons(rw, fit_level, nearby, capacity, load):
    """'Severe slum (64/80), 420 households; in your kelurahan Penjaringan; you already run 2 packages in
    this kecamatan' — need, region fit, then the load facts that moved the score."""
    households = format_number(rw.households)
    if rw.slum_score is None:
        need = gettext("No slum assessment yet, %(households)s households", households=households)
    else:  # the collaborators' recommendations say it the same way
        need = gettext("%(level)s (%(score)s/80), %(households)s households", households=households,
                       level=SLUM_LEVEL_LABELS.get(rw.slum_level, ""), score=rw.slum_score)
    pieces = [need]
    if fit_level:
        pieces.append(REGION_REASONS[fit_level] % {"name": _region_name(rw, fit_level).strip()})
    if nearby:
        pieces.append(ngettext("you already run %(num)d package in this kecamatan",
                               "you already run %(num)d packages in this kecamatan", nearby))
    elif capacity < WEIGHTS["capacity"]:
        pieces.append(ngettext("away from your current work while you run %(num)d active package",
                               "away from your current work while you run %(num)d active packages", load.active))
    return "; ".join(str(piece) for piece in pieces)
