"""The dashboard's breakdowns and charts: per region below the scope, per aspect, per month, per aggregator.

Each function is one SQL statement whatever the size. Committed money per aspect shares each package's
committed total among its work items by cost: an item counts ⌊committed × 10⁴ / estimate⌋ / 10⁴ of its
subtotal (basis points keep the products inside 64-bit integers at national scale).
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Date,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)

from app.domain import WORK_ASPECTS, OrganisationKind, PackageStatus, ReportStatus, SlumLevel
from app.extensions import db
from app.models import RW, LedgerEntry, LedgerMonth, Organisation, Package, ProgressReport, Region, WorkItem
from app.services.csv_export import JAKARTA_OFFSET
from app.services.monitoring import has_package, utc_bounds
from app.services.stats import COUNTED_STATUSES

REPORT_INTERVAL_DAYS = 30  # an active package reports at least monthly
BASIS = 10_000
JAKARTA_INTERVAL = literal_column("interval '7 hours'")  # PostgreSQL; SQLite takes the "+7 hours" modifier


@dataclass
class RegionRow:
    """One region below the scope: its RWs, severe ones without funding, packages and money."""

    code: str
    name: str
    rws: int
    severe: int
    severe_unfunded: int
    packages: int
    estimate: int
    committed: int
    received: int
    spent: int
    weighted_progress: int
    by_status: dict

    @property
    def progress_pct(self):
        """Cost-weighted verified progress, whole percent."""
        return self.weighted_progress // self.estimate if self.estimate else 0

    @property
    def committed_pct(self):
        """Share of the need committed, whole percent."""
        return 100 * self.committed // self.estimate if self.estimate else 0


def by_region(scope):
    """A row per child region (kota → kecamatan → kelurahan), ranked by severe RWs without funding."""
    counted = Package.status.in_(COUNTED_STATUSES)
    severe = RW.slum_level == SlumLevel.BERAT
    pledged = has_package(scope, and_(counted, Package.committed > 0))
    rw_rows = scope.rws(
        select(scope.child_column.label("region_id"), func.count(RW.id).label("rws"),
               func.count(case((severe, RW.id))).label("severe"),
               func.count(case((and_(severe, ~pledged), RW.id))).label("unfunded"))
        .group_by(scope.child_column)
    ).subquery("rw_rows")
    statuses = scope.rws(
        select(scope.child_column.label("region_id"), Package.status, func.count(Package.id),
               *(func.sum(column) for column in (Package.estimate, Package.committed, Package.received,
                                                 Package.spent, Package.estimate * Package.progress_pct)))
        .select_from(Package).join(RW, RW.id == Package.rw_id).where(counted)
        .group_by(scope.child_column, Package.status)
    )
    rows = {region_id: RegionRow(code, name, rws, severe_count, unfunded, 0, 0, 0, 0, 0, 0, {})
            for region_id, code, name, rws, severe_count, unfunded in db.session.execute(
                select(Region.id, Region.code, Region.name, rw_rows.c.rws, rw_rows.c.severe, rw_rows.c.unfunded)
                .join(rw_rows, rw_rows.c.region_id == Region.id))}
    for region_id, status, count, estimate, committed, received, spent, weighted in db.session.execute(statuses):
        row = rows[region_id]
        row.by_status[status] = count
        row.packages += count
        row.estimate += int(estimate)
        row.committed += int(committed)
        row.received += int(received)
        row.spent += int(spent)
        row.weighted_progress += int(weighted)
    return sorted(rows.values(), key=lambda row: (-row.severe_unfunded, -row.severe, row.code))


@dataclass
class AspectRow:
    """Need and committed money for one aspect."""

    aspect: str
    need: int
    committed: int

    @property
    def label(self):
        """The aspect's name in the reader's language (a cached dashboard may be read in either)."""
        return WORK_ASPECTS[self.aspect]


def by_aspect(scope):
    """Need vs committed per work aspect over counted packages."""
    # Typed as BIGINT throughout, so both dialects divide as integers (PostgreSQL would otherwise FLOOR a float).
    share = cast(Package.committed, BigInteger) * BASIS // cast(func.nullif(Package.estimate, 0), BigInteger)
    committed = func.coalesce(func.sum(cast(WorkItem.subtotal, BigInteger) * share // BASIS), 0)
    query = scope.packages(
        select(WorkItem.aspect, func.sum(WorkItem.subtotal), committed)
        .select_from(WorkItem).join(Package, Package.id == WorkItem.package_id)
        .where(Package.status.in_(COUNTED_STATUSES)).group_by(WorkItem.aspect)
    )
    found = {aspect: (int(need), int(committed)) for aspect, need, committed in db.session.execute(query)}
    return [AspectRow(aspect, *found[aspect]) for aspect in WORK_ASPECTS if aspect in found]


def _month(column):
    """'YYYY-MM' of a UTC timestamp, in Jakarta time, in the database's own dialect."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column + JAKARTA_INTERVAL, "YYYY-MM")
    return func.strftime("%Y-%m", column, "+7 hours")


@dataclass
class MonthRow:
    """Money moved in one month (net of cancellations)."""

    month: str
    committed: int
    received: int
    spent: int


def by_month(scope, filters):
    """Committed, received and spent per Jakarta month, oldest first: the months the period covers whole from the
    ledger's monthly sums (LedgerMonth), the part-months at its ends from the ledger itself. One statement."""
    whole, edges = _whole_months(filters)
    parts = []
    if whole is not None:
        first, last = whole
        parts.append(_scoped(scope, LedgerMonth.package_id, select(
            LedgerMonth.month.label("month"), LedgerMonth.committed.label("committed"),
            LedgerMonth.received.label("received"), LedgerMonth.spent.label("spent"))
            .where(*([LedgerMonth.month >= first] if first else []), *([LedgerMonth.month < last] if last else []))))
    if edges:
        parts.append(_scoped(scope, LedgerEntry.package_id, select(
            _month(LedgerEntry.created_at).label("month"), LedgerEntry.committed_delta.label("committed"),
            LedgerEntry.received_delta.label("received"), LedgerEntry.spent_delta.label("spent"))
            .where(LedgerEntry.package_id.is_not(None),
                   or_(*(and_(*([LedgerEntry.created_at >= start] if start else []),
                                *([LedgerEntry.created_at < end] if end else [])) for start, end in edges)),
                   or_(LedgerEntry.committed_delta != 0, LedgerEntry.received_delta != 0,
                       LedgerEntry.spent_delta != 0))))
    rows = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("money")
    query = (select(rows.c.month, func.sum(rows.c.committed), func.sum(rows.c.received), func.sum(rows.c.spent))
             .group_by(rows.c.month).order_by(rows.c.month))
    return [MonthRow(m, int(c), int(r), int(s)) for m, c, r, s in db.session.execute(query)]


def _scoped(scope, package_column, query):
    """Limit a query over rows of packages (by `package_column`) to the scope."""
    return query if scope.region is None else query.where(package_column.in_(scope.packages(select(Package.id))))


def _whole_months(filters):
    """((first, after) 'YYYY-MM' of the Jakarta months the period covers whole, either None when open) or None,
    and the [start, end) UTC ranges of the part-months left at its ends."""
    start, end = utc_bounds(filters)
    first = filters.date_from and _month_start(filters.date_from, 0 if filters.date_from.day == 1 else 1)
    after = filters.date_to and _month_start(filters.date_to + timedelta(days=1), 0)
    if first and after and first >= after:
        return None, [(start, end)]
    edges = []
    if first and first != filters.date_from:
        edges.append((start, _utc(first)))
    if after and after != filters.date_to + timedelta(days=1):
        edges.append((_utc(after), end))
    return (first and f"{first:%Y-%m}", after and f"{after:%Y-%m}"), edges


def _month_start(day, months_on):
    month = day.month - 1 + months_on
    return date(day.year + month // 12, month % 12 + 1, 1)


def _utc(day):
    return datetime.combine(day, datetime.min.time()) - JAKARTA_OFFSET


def _day_number(value, jakarta=False):
    """Days since an epoch for a date or (with `jakarta`, a UTC timestamp read in Jakarta time) as a number
    both dialects can subtract."""
    if db.engine.dialect.name == "postgresql":
        return extract("epoch", value + JAKARTA_INTERVAL if jakarta else value) / 86400.0
    return func.julianday(value, "+7 hours") if jakarta else func.julianday(value)


def _today_number(today):
    if db.engine.dialect.name == "postgresql":
        return extract("epoch", cast(literal(today), Date)) / 86400.0
    return func.julianday(literal(today.isoformat()))


@dataclass
class AggregatorRow:
    """How one aggregator delivers."""

    name: str
    packages: int
    active: int
    completed: int
    estimate: int
    received: int
    spent: int
    weighted_progress: int
    overdue_reports: int
    late: int  # in progress past the planned end
    schedule_lag: float | None  # mean percentage points behind the planned schedule (in progress, dated)
    completed_dated: int
    on_time: int

    @property
    def progress_pct(self):
        """Cost-weighted verified progress, whole percent."""
        return self.weighted_progress // self.estimate if self.estimate else 0

    @property
    def on_time_pct(self):
        """Share of dated completions on or before the planned end, whole percent (None without any)."""
        return 100 * self.on_time // self.completed_dated if self.completed_dated else None


def aggregators(scope, today):
    """A row per aggregator organisation with packages in the scope, most packages first."""
    managed = Package.status.in_(COUNTED_STATUSES)
    active = Package.status.in_((PackageStatus.FUNDED, PackageStatus.IN_PROGRESS))
    in_progress = Package.status == PackageStatus.IN_PROGRESS
    today_n = _today_number(today)
    # The latest report of each package in progress, grouped once (a lookup per package would be planned as
    # if for every package, and sends PostgreSQL's estimate past its JIT threshold).
    reports = scope.packages(
        select(ProgressReport.package_id.label("package_id"),
               func.max(ProgressReport.report_date).label("report_date"))
        .join(Package, Package.id == ProgressReport.package_id)
        .where(Package.status == PackageStatus.IN_PROGRESS, ProgressReport.status != ReportStatus.REJECTED)
        .group_by(ProgressReport.package_id)
    ).subquery("last_report")
    since = func.coalesce(_day_number(reports.c.report_date), _day_number(Package.started_at, jakarta=True))
    overdue = and_(in_progress, today_n - since > REPORT_INTERVAL_DAYS)
    dated = and_(in_progress, Package.planned_start.is_not(None), Package.planned_end > Package.planned_start)
    start_n, end_n = _day_number(Package.planned_start), _day_number(Package.planned_end)
    expected = case((today_n >= end_n, 100.0), (today_n <= start_n, 0.0),
                    else_=100.0 * (today_n - start_n) / (end_n - start_n))
    lag = case((expected > Package.progress_pct, expected - Package.progress_pct), else_=0.0)
    completed = Package.status == PackageStatus.COMPLETED
    completed_dated = and_(completed, Package.planned_end.is_not(None))
    on_time = and_(completed_dated, _day_number(Package.completed_at, jakarta=True) < end_n + 1)
    query = scope.packages(
        select(Organisation.name, func.count(case((managed, Package.id))), func.count(case((active, Package.id))),
               func.count(case((completed, Package.id))),
               *(func.coalesce(func.sum(case((managed, column), else_=0)), 0) for column in (
                   Package.estimate, Package.received, Package.spent, Package.estimate * Package.progress_pct)),
               func.count(case((overdue, Package.id))), func.count(case((and_(in_progress, today_n > end_n), 1))),
               func.avg(case((dated, lag))), func.count(case((completed_dated, 1))),
               func.count(case((on_time, 1))))
        .select_from(Package).join(Organisation, Organisation.id == Package.aggregator_id)
        .outerjoin(reports, reports.c.package_id == Package.id)
        .where(Organisation.kind == OrganisationKind.AGGREGATOR, Package.status != PackageStatus.DRAFT)
        .group_by(Organisation.id, Organisation.name)
    )
    rows = [AggregatorRow(name, *(int(v) for v in values[:9]), None if values[9] is None else
                          round(float(values[9]), 1), int(values[10]), int(values[11]))
            for name, *values in db.session.execute(query)]
    return sorted(rows, key=lambda row: (-row.packages, row.name))
