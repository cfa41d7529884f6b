"""The government gap view: severe and moderate RWs that no package serves, or whose package's funding stalls.

An RW is a gap when its latest slum level is berat or sedang and
- "none": it has no package other than cancelled ones;
- "draft": its only live packages are drafts — a package is being prepared, but nobody can fund it yet, so it
  is still a gap, shown apart so government sees work already under way;
- "stalled": it has an open (published, not fully funded) package with no pledge in the last N days. The quiet
  clock starts at the later of the last pledge and the package's (re)publication (`published_at`, stamped
  again when a cancellation reopens a funded package), so a package never pledged counts from its publication
  and one just reopened is not called stalled. Cancelled pledges brought no money, so they do not reset it.
  A pledge exactly N days old still counts as "in the last N days".
RWs with a funded, in-progress or completed package and no stalled one are not gaps. An RW with two stalled
packages has a row for each. Rows are ranked by need: slum score, then households, highest first.
A page costs three queries at any size (counts by kind, the rows, the kota choices); the CSV fetches by keyset.
"""
import csv
import io
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, cast, exists, func, literal_column, null, select, tuple_, union_all

from app.db_types import UTCDateTime, utcnow
from app.domain import PackageStatus, PledgeStatus, SlumLevel
from app.extensions import db
from app.models import RW, Package, Pledge, Region
from app.services import query_args, stats
from app.services.catalogue import Kecamatan, Kelurahan, Kota
from app.services.csv_export import safe_cell

GAP_KINDS = {"none": _l("No package"), "draft": _l("Draft only"), "stalled": _l("Funding stalled")}
GAP_LEVELS = (SlumLevel.BERAT, SlumLevel.SEDANG)
# Packages that serve an RW (being funded or done); drafts and cancelled ones do not.
LIVE_STATUSES = (PackageStatus.PUBLISHED, PackageStatus.FUNDED, PackageStatus.IN_PROGRESS, PackageStatus.COMPLETED)
DEFAULT_DAYS, MIN_DAYS, MAX_DAYS, PER_PAGE = 30, 1, 365, 50
FILTER_PARAMS = ("kota", "kind", "days")



@dataclass(frozen=True)
class Filters:
    """A validated gap query."""

    kota: str | None = None
    kind: str | None = None
    days: int = DEFAULT_DAYS
    page: int = 1

    def args(self, **changes):
        """URL query arguments for these filters with `changes` applied (None removes a key)."""
        values = {name: getattr(self, name) for name in (*FILTER_PARAMS, "page")} | changes
        defaults = Filters()
        return {key: value for key, value in values.items()
                if value not in (None, "") and value != getattr(defaults, key)}


def parse_filters(args):
    """Validate query arguments into (Filters, errors); errors map parameter → message, bad values are dropped."""
    errors, values = {}, {}
    query_args.whole_numbers(args, (("days", MIN_DAYS, MAX_DAYS), ("page", 1, 1_000_000)), errors, values)
    query_args.region_code(args, "kota", errors, values)
    kind = (args.get("kind") or "").strip()
    if kind and kind not in GAP_KINDS:
        errors["kind"] = _l("Choose one of: %(choices)s.", choices=", ".join(GAP_KINDS))
    elif kind:
        values["kind"] = kind
    return Filters(**values), errors


# One gap: money in integer rupiah; package fields and the quiet time only for "stalled" rows.
Gap = namedtuple("Gap", "rw_id rw_number rw_name kelurahan kecamatan kota slum_score slum_level households population "
                        "kind package_id package_title estimate committed funded_pct remaining last_pledge_at "
                        "quiet_since quiet_days")


@dataclass
class Page:
    """A page of gaps, the count of every matching gap by kind, and the kota choices for the form.

    Offers what manage/_pagination.html reads (page, pages, has_prev, prev_num, has_next, next_num)."""

    filters: Filters
    rows: list
    counts: dict = field(default_factory=dict)
    kotas: list = field(default_factory=list)

    @property
    def total(self):
        """Every matching gap, not just this page's."""
        return sum(self.counts.values())

    @property
    def offset(self):
        """How many gaps come before this page (for the rank column)."""
        return (self.filters.page - 1) * PER_PAGE

    @property
    def page(self):
        """This page's number."""
        return self.filters.page

    @property
    def pages(self):
        """Number of pages."""
        return max(1, -(-self.total // PER_PAGE))

    @property
    def has_prev(self):
        """A page comes before this one."""
        return self.page > 1

    @property
    def has_next(self):
        """A page comes after this one."""
        return self.page < self.pages

    @property
    def prev_num(self):
        """The previous page's number."""
        return self.page - 1

    @property
    def next_num(self):
        """The next page's number."""
        return self.page + 1


def _rw_where(filters):
    """Severe or moderate RWs, in the chosen kota."""
    clauses = [RW.slum_level.in_(GAP_LEVELS)]
    if filters.kota:
        clauses.append(RW.kota_id == select(Region.id).where(Region.code == filters.kota).scalar_subquery())
    return and_(*clauses)


def _stalled(filters, cutoff):
    """Open packages of gap-level RWs quiet since before `cutoff`, one row per package."""
    opened = func.coalesce(Package.published_at, Package.created_at)
    open_packages = (
        select(Package.id.label("package_id"), Package.rw_id, opened.label("opened"),
               func.max(Pledge.created_at).label("last_at"))
        .join(RW, RW.id == Package.rw_id)
        .outerjoin(Pledge, and_(Pledge.package_id == Package.id, Pledge.status != PledgeStatus.CANCELLED))
        .where(Package.status == PackageStatus.PUBLISHED, Package.committed < Package.estimate, _rw_where(filters))
        .group_by(Package.id, Package.rw_id, Package.published_at, Package.created_at)
        .subquery("open_packages")
    )
    quiet_since = case((open_packages.c.last_at > open_packages.c.opened, open_packages.c.last_at),
                       else_=open_packages.c.opened)
    return (
        select(RW.id.label("rw_id"), RW.slum_score.label("slum_score"), RW.households.label("households"),
               literal_column("'stalled'").label("kind"), open_packages.c.package_id.label("package_id"),
               quiet_since.label("quiet_since"), open_packages.c.last_at.label("last_pledge_at"))
        .join(RW, RW.id == open_packages.c.rw_id)
        .where(quiet_since < cutoff)
    )


def _unplanned(filters):
    """Gap-level RWs with no live package: "draft" when a draft is being prepared, else "none"."""
    has_draft = exists().where(Package.rw_id == RW.id, Package.status == PackageStatus.DRAFT)
    has_live = exists().where(Package.rw_id == RW.id, Package.status.in_(LIVE_STATUSES))
    query = select(
        RW.id.label("rw_id"), RW.slum_score.label("slum_score"), RW.households.label("households"),
        case((has_draft, literal_column("'draft'")), else_=literal_column("'none'")).label("kind"),
        # Typed NULLs: PostgreSQL reads a bare NULL as text when this part stands alone.
        cast(null(), Package.id.type).label("package_id"),
        cast(null(), UTCDateTime()).label("quiet_since"),
        cast(null(), UTCDateTime()).label("last_pledge_at"),
    ).where(_rw_where(filters), ~has_live)
    if filters.kind == "draft":
        query = query.where(has_draft)
    elif filters.kind == "none":
        query = query.where(~has_draft)
    return query


def _gaps(filters, now):
    """Every matching gap as a subquery (rw_id, slum_score, households, kind, package_id, quiet_since,
    last_pledge_at); the stalled part comes first so the union takes its column types."""
    parts = []
    if filters.kind in (None, "stalled"):
        parts.append(_stalled(filters, now - timedelta(days=filters.days)))
    if filters.kind in (None, "none", "draft"):
        parts.append(_unplanned(filters))
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("gaps")


def _ordering(gaps):
    """Need first: slum score, households; then RW and package for a stable order (and the CSV keyset)."""
    return (-gaps.c.slum_score, -gaps.c.households, gaps.c.rw_id, func.coalesce(gaps.c.package_id, 0))


def _rows_query(gaps):
    """The gaps with their RW, regions and package, in need order."""
    return (
        select(gaps.c.rw_id, RW.number, RW.name, Kelurahan.name, Kecamatan.name, Kota.name, gaps.c.slum_score,
               RW.slum_level, gaps.c.households, RW.population, gaps.c.kind, gaps.c.package_id, Package.title,
               Package.estimate, Package.committed, gaps.c.last_pledge_at, gaps.c.quiet_since)
        .select_from(gaps).join(RW, RW.id == gaps.c.rw_id)
        .join(Kelurahan, Kelurahan.id == RW.kelurahan_id).join(Kecamatan, Kecamatan.id == RW.kecamatan_id)
        .join(Kota, Kota.id == RW.kota_id).outerjoin(Package, Package.id == gaps.c.package_id)
        .order_by(*_ordering(gaps))
    )


def _gap(r, now):
    """A result row as a Gap, with the funding figures and days of quiet worked out."""
    (rw_id, number, name, kelurahan, kecamatan, kota, score, level, households, population, kind, package_id,
     title, estimate, committed, last_pledge_at, quiet_since) = r
    funded_pct = remaining = quiet_days = None
    if package_id is not None:
        estimate, committed = int(estimate), int(committed)
        funded_pct = 100 * committed // estimate if estimate else 0
        remaining = max(estimate - committed, 0)
        quiet_days = (now - quiet_since).days
    return Gap(rw_id, number, name, kelurahan, kecamatan, kota, score, level, households, population, kind,
               package_id, title, estimate, committed, funded_pct, remaining, last_pledge_at, quiet_since, quiet_days)


def counts(filters, now=None):
    """{kind: number of gaps} of every gap the filters match, in one query."""
    gaps = _gaps(filters, now or utcnow())
    found = dict(db.session.execute(select(gaps.c.kind, func.count()).group_by(gaps.c.kind)).all())
    return {kind: found.get(kind, 0) for kind in GAP_KINDS if filters.kind in (None, kind)}


def page(filters, now=None):
    """One page (PER_PAGE rows) of gaps in need order, the counts by kind, and the kota choices."""
    now = now or utcnow()
    query = _rows_query(_gaps(filters, now)).limit(PER_PAGE).offset((filters.page - 1) * PER_PAGE)
    rows = [_gap(r, now) for r in db.session.execute(query)]
    return Page(filters=filters, rows=rows, counts=counts(filters, now), kotas=stats.kotas_with_rws())


def batches(filters, now=None, batch_size=1000):
    """Every matching gap in need order, as lists fetched by keyset (after the last row) so memory stays flat."""
    now = now or utcnow()
    last = None
    while True:
        gaps = _gaps(filters, now)
        query = _rows_query(gaps)
        if last is not None:
            query = query.where(tuple_(*_ordering(gaps)) > tuple_(*last))
        batch = [_gap(r, now) for r in db.session.execute(query.limit(batch_size))]
        if batch:
            yield batch
        if len(batch) < batch_size:
            return
        row = batch[-1]
        last = (-row.slum_score, -row.households, row.rw_id, row.package_id or 0)


CSV_COLUMNS = ("rw_id", "rw", "rw_name", "kelurahan", "kecamatan", "kota", "slum_score", "slum_level", "households",
               "population", "gap_kind", "gap", "package_id", "package_title", "funded_pct", "remaining",
               "last_pledge_at_utc", "days_without_pledge")


def csv_chunks(filters, now=None, batch_size=1000):
    """The gaps as CSV text: the header, then one chunk per batch; money in integer rupiah."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    kinds = {key: str(label) for key, label in GAP_KINDS.items()}
    for batch in batches(filters, now, batch_size):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([
            row.rw_id, f"RW {row.rw_number:02d}", safe_cell(row.rw_name), safe_cell(row.kelurahan),
            safe_cell(row.kecamatan), safe_cell(row.kota), row.slum_score, row.slum_level, row.households,
            row.population, row.kind, kinds[row.kind], row.package_id, safe_cell(row.package_title), row.funded_pct,
            row.remaining, row.last_pledge_at.isoformat(timespec="seconds") if row.last_pledge_at else None,
            row.quiet_days,
        ] for row in batch)
        yield buffer.getvalue()

