"""Government's monitoring dashboard: the programme's figures for a region and a period, by SQL aggregates.

Scope: every figure can be limited to a kabupaten/kota or a kecamatan (the RW's own columns, so each is one
indexed filter). Stock figures (RWs, packages, money, progress) are as of now; the period (Jakarta calendar
days) limits the flows: money committed, received and spent from the ledger, packages completed, reports
verified. Public packages only (published, funded, in progress, completed; cancelled ones that were public
count in the status table but bring no need). A dashboard costs a fixed number of statements at any size.

Definitions, used by the dashboard, its tables and the tests that recompute them:
- an RW is "in the programme" when it has a counted package, "funded" when one of them is funded, in
  progress or completed, "completed" when one is completed; households, population and area "reached" are
  those of funded RWs, "handled" those of completed RWs;
- need is the sum of counted packages' estimates; committed, received and spent their running totals (which
  the ledger reconciles); progress is the cost-weighted mean of verified progress;
- before/after: for completed RWs, the earliest (baseline) assessment's score against the latest, when the
  RW was reassessed after the completion;
- the target: the share of slum RWs (any level but "not a slum") that are handled, against the configured
  goal (`PROGRAMME_TARGET_PCT` of slum RWs left by `PROGRAMME_TARGET_YEAR`); the pace is the completions of
  the last 365 days.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from app.domain import PackageStatus, SlumLevel
from app.extensions import db
from app.models import RW, LedgerEntry, Package, ProgressReport, Region, SlumAssessment
from app.services import query_args
from app.services.csv_export import JAKARTA_OFFSET
from app.services.stats import COUNTED_STATUSES

FUNDED = (PackageStatus.FUNDED, PackageStatus.IN_PROGRESS, PackageStatus.COMPLETED)
SLUM_LEVELS = (SlumLevel.BERAT, SlumLevel.SEDANG, SlumLevel.RINGAN)
FILTER_PARAMS = ("kota", "kecamatan", "date_from", "date_to")


@dataclass(frozen=True)
class Filters:
    """A validated dashboard query: region codes and a period of Jakarta days (both ends included)."""

    kota: str | None = None
    kecamatan: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def args(self):
        """The filters as query-string arguments (for links to exports and charts)."""
        values = {name: getattr(self, name) for name in FILTER_PARAMS}
        return {key: value.isoformat() if isinstance(value, date) else value for key, value in values.items()
                if value}


def parse_filters(args):
    """Query arguments → (Filters, errors); bad values are named and dropped."""
    errors, values = {}, {}
    query_args.region_code(args, "kota", errors, values)
    query_args.region_code(args, "kecamatan", errors, values)
    for name in ("date_from", "date_to"):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                values[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = _l("Use a date such as 2024-05-31.")
    if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
        errors["date_to"] = _l("The end date comes before the start date.")
        del values["date_to"]
    return Filters(**values), errors


@dataclass(frozen=True)
class Place:
    """The scope's region as plain values, so a dashboard outlives the session that read it."""

    id: int
    code: str
    name: str


@dataclass
class Scope:
    """The region the figures cover: a kota, a kecamatan, or everywhere (None)."""

    region: Place | None
    column: object  # RW.kota_id or RW.kecamatan_id
    child_column: object  # what the breakdown table groups by
    child_level: str

    def rws(self, query):
        """Limit a query that has RW in its FROM to the scope."""
        return query if self.region is None else query.where(self.column == self.region.id)

    def packages(self, query):
        """Limit a query over Package to the scope: nationally no join to RW at all (it would cost a lookup per
        package), within a region only the region's RWs' packages (through the RW region indexes)."""
        if self.region is None:
            return query
        return query.where(Package.rw_id.in_(select(RW.id).where(self.column == self.region.id)))


def resolve_scope(filters):
    """The Scope for the filters (a kecamatan wins over a kota); None when a code names no such region."""
    if filters.kecamatan:
        region = _place(filters.kecamatan, "kecamatan")
        return None if region is None else Scope(region, RW.kecamatan_id, RW.kelurahan_id, "kelurahan")
    if filters.kota:
        region = _place(filters.kota, "kabupaten_kota")
        return None if region is None else Scope(region, RW.kota_id, RW.kecamatan_id, "kecamatan")
    return Scope(None, None, RW.kota_id, "kabupaten_kota")


def _place(code, level):
    row = db.session.execute(select(Region.id, Region.code, Region.name)
                             .where(Region.code == code, Region.level == level)).first()
    return None if row is None else Place(*row)


def utc_bounds(filters):
    """The period as [start, end) naive UTC datetimes (None for an open end)."""
    start = datetime.combine(filters.date_from, datetime.min.time()) - JAKARTA_OFFSET if filters.date_from else None
    end = (datetime.combine(filters.date_to + timedelta(days=1), datetime.min.time()) - JAKARTA_OFFSET
           if filters.date_to else None)
    return start, end


def in_period(column, filters):
    """SQL condition: `column` (a UTC timestamp) falls in the period."""
    start, end = utc_bounds(filters)
    clauses = [column.is_not(None)]
    if start:
        clauses.append(column >= start)
    if end:
        clauses.append(column < end)
    return and_(*clauses)


def has_package(scope, condition):
    """SQL condition: the RW has a package in the scope meeting `condition`. A semi-join: the database builds the
    list of such RWs once, which is cheaper than grouping every package by RW."""
    return RW.id.in_(scope.packages(select(Package.rw_id).where(condition)))


@dataclass
class LevelRow:
    """RWs of one slum level: how many, and how many the programme reaches."""

    level: str | None
    rws: int
    in_programme: int
    funded: int
    completed: int
    households: int
    households_reached: int
    population_reached: int
    area_ha: float
    area_reached_ha: float
    area_handled_ha: float


def rws_by_level(scope):
    """One row per slum level (None for RWs never assessed): one statement."""
    flags = {name: case((has_package(scope, condition), 1), else_=0).label(name) for name, condition in (
        ("counted", Package.status.in_(COUNTED_STATUSES)), ("funded", Package.status.in_(FUNDED)),
        ("completed", Package.status == PackageStatus.COMPLETED))}
    # OFFSET 0 keeps both planners from copying each RW's flags into every aggregate below that uses them.
    rws = scope.rws(select(RW.slum_level, RW.households, RW.population, RW.area_ha, *flags.values()).offset(0)) \
        .subquery("rws")
    funded, completed = rws.c.funded == 1, rws.c.completed == 1
    query = (
        select(rws.c.slum_level, func.count(), func.coalesce(func.sum(rws.c.counted), 0),
               func.coalesce(func.sum(rws.c.funded), 0), func.coalesce(func.sum(rws.c.completed), 0),
               func.coalesce(func.sum(rws.c.households), 0),
               func.coalesce(func.sum(case((funded, rws.c.households), else_=0)), 0),
               func.coalesce(func.sum(case((funded, rws.c.population), else_=0)), 0),
               func.coalesce(func.sum(rws.c.area_ha), 0.0),
               func.coalesce(func.sum(case((funded, rws.c.area_ha), else_=0.0)), 0.0),
               func.coalesce(func.sum(case((completed, rws.c.area_ha), else_=0.0)), 0.0))
        .group_by(rws.c.slum_level)
    )
    rows = [LevelRow(level, *(int(v) for v in values[:7]), *(round(float(v), 2) for v in values[7:]))
            for level, *values in db.session.execute(query)]
    order = {level: n for n, level in enumerate((*SLUM_LEVELS, SlumLevel.NONE))}
    return sorted(rows, key=lambda row: order.get(row.level, len(order)))


@dataclass
class StatusRow:
    """Packages of one status and their money."""

    status: str
    packages: int
    estimate: int
    committed: int
    received: int
    spent: int
    weighted_progress: int  # Σ estimate × progress %, for the cost-weighted mean


def packages_by_status(scope):
    """Public packages (and cancelled ones that were public) per status, with money: one statement."""
    from app.services.catalogue import visible_clause

    query = scope.packages(
        select(Package.status, func.count(Package.id), *(func.coalesce(func.sum(column), 0) for column in (
            Package.estimate, Package.committed, Package.received, Package.spent,
            Package.estimate * Package.progress_pct)))
        .where(visible_clause()).group_by(Package.status)
    )
    return {status: StatusRow(status, *(int(v) for v in values)) for status, *values in db.session.execute(query)}


@dataclass
class BeforeAfter:
    """Slum scores of completed RWs: baseline against the reassessment after completion."""

    completed_rws: int = 0
    reassessed: int = 0
    mean_before: float | None = None
    mean_after: float | None = None
    left_slum: int = 0  # reassessed as "not a slum"


def before_after(scope):
    """Mean baseline and latest scores of completed RWs reassessed after completion: one statement."""
    # Completion is final and the only status that sets completed_at, so an RW's latest completion is that of
    # its completed packages, found through the status index.
    done = scope.packages(
        select(Package.rw_id.label("rw_id"), func.max(Package.completed_at).label("completed_at"))
        .where(Package.status == PackageStatus.COMPLETED).group_by(Package.rw_id)
    ).subquery("done")
    latest_on = select(func.max(SlumAssessment.assessed_on)).where(SlumAssessment.rw_id == RW.id).scalar_subquery()
    # OFFSET 0 keeps both planners from merging this into the aggregate below, which repeats latest_on's lookup
    # in each aggregate that uses it.
    rows = (
        select(RW.id.label("rw_id"), RW.slum_score, RW.slum_level, latest_on.label("latest_on"), done.c.completed_at)
        .select_from(done).join(RW, RW.id == done.c.rw_id).offset(0)
    ).subquery("completed_rws")
    reassessed = rows.c.latest_on > func.date(rows.c.completed_at)
    first = (select(SlumAssessment.total_score).where(SlumAssessment.rw_id == rows.c.rw_id)
             .order_by(SlumAssessment.assessed_on, SlumAssessment.id).limit(1).scalar_subquery())
    row = db.session.execute(select(
        func.count(), func.count(case((reassessed, 1))),
        func.avg(case((reassessed, first))), func.avg(case((reassessed, rows.c.slum_score))),
        func.count(case((and_(reassessed, rows.c.slum_level == SlumLevel.NONE), 1))),
    )).one()
    return BeforeAfter(int(row[0]), int(row[1]), _rounded(row[2]), _rounded(row[3]), int(row[4]))


def _rounded(value):
    return None if value is None else round(float(value), 1)


@dataclass
class Flows:
    """What moved in the period (all time when no period is set)."""

    committed: int = 0
    received: int = 0
    spent: int = 0
    completed: int = 0
    reports_verified: int = 0


def flows(scope, filters, months=None):
    """Ledger deltas, completions and verified reports in the period: one statement, two without `months`.

    `months` are by_month()'s rows for the same scope and filters: their sums are the period's money (entries
    without any delta add nothing), which spares a second pass over the ledger."""
    if months is None:
        money = db.session.execute(
            select(func.coalesce(func.sum(LedgerEntry.committed_delta), 0),
                   func.coalesce(func.sum(LedgerEntry.received_delta), 0),
                   func.coalesce(func.sum(LedgerEntry.spent_delta), 0))
            .where(in_period(LedgerEntry.created_at, filters),
                   LedgerEntry.package_id.in_(scope.packages(select(Package.id))) if scope.region is not None else
                   LedgerEntry.package_id.is_not(None))
        ).one()
    else:
        money = [sum(getattr(month, name) for month in months) for name in ("committed", "received", "spent")]
    counts = db.session.execute(select(
        scope.packages(select(func.count(Package.id)).where(in_period(Package.completed_at, filters)))
        .scalar_subquery(),
        select(func.count(ProgressReport.id)).where(
            in_period(ProgressReport.verified_at, filters), ProgressReport.status == "verified",
            *([ProgressReport.package_id.in_(scope.packages(select(Package.id)))] if scope.region is not None else
              [])).scalar_subquery(),
    )).one()
    return Flows(*(int(v) for v in money), int(counts[0]), int(counts[1]))


@dataclass
class Target:
    """Progress toward the programme's goal for slum RWs."""

    slum_rws: int
    handled: int
    target_pct: int
    target_year: int
    completed_last_year: int
    today: date = field(default_factory=date.today)

    @property
    def handled_pct(self):
        """Share of slum RWs handled, whole percent."""
        return 100 * self.handled // self.slum_rws if self.slum_rws else 0

    @property
    def needed(self):
        """Slum RWs still to handle to reach the goal."""
        allowed_left = self.slum_rws * self.target_pct // 100
        return max(self.slum_rws - allowed_left - self.handled, 0)

    @property
    def years_at_pace(self):
        """Years to the goal at last year's pace (None when nothing was completed in a year)."""
        if not self.needed:
            return 0.0
        return round(self.needed / self.completed_last_year, 1) if self.completed_last_year else None

    @property
    def on_track(self):
        """Whether last year's pace reaches the goal by the end of the target year."""
        years = self.years_at_pace
        return years is not None and self.today.year + years <= self.target_year + 1


def target(levels, scope, target_pct, target_year, today):
    """The goal's figures from the per-level rows, plus last year's completions (one statement)."""
    slum = [row for row in levels if row.level in SLUM_LEVELS]
    # A completed RW reassessed as "not a slum" left the slum count because it was handled: it still counts.
    cleared = sum(row.completed for row in levels if row.level == SlumLevel.NONE)
    since = datetime.combine(today - timedelta(days=365), datetime.min.time()) - JAKARTA_OFFSET
    recent = db.session.scalar(scope.rws(
        select(func.count(func.distinct(RW.id))).join(Package, Package.rw_id == RW.id)
        .where(Package.status == PackageStatus.COMPLETED, Package.completed_at >= since,
               RW.slum_level.in_((*SLUM_LEVELS, SlumLevel.NONE)))
    ))
    return Target(sum(row.rws for row in slum) + cleared, sum(row.completed for row in slum) + cleared, target_pct,
                  target_year, int(recent or 0), today)


def kecamatan_choices(kota_code):
    """(code, name) of the kecamatans of a kota that have RWs, for the filter; empty without a kota."""
    if not kota_code:
        return []
    kota_id = select(Region.id).where(Region.code == kota_code).scalar_subquery()
    return db.session.execute(
        select(Region.code, Region.name).where(Region.parent_id == kota_id,
                                               Region.id.in_(select(RW.kecamatan_id).distinct()))
        .order_by(Region.name)
    ).all()
