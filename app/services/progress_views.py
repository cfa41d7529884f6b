"""What the progress pages show: the review queue, a package's reports, public photos and the timeline.

Every function is a fixed number of queries, whatever the number of reports or photos.
"""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.domain import ReportStatus
from app.extensions import db
from app.models import RW, Package, ProgressItem, ProgressPhoto, ProgressReport
from app.services import public_ledger, spending

# The timeline of a package page: what the public may follow, oldest first.
PUBLIC_TIMELINE = ("package.created", "package.status", "pledge.received", "report.verified",
                   "expenditure.recorded")
STAFF_TIMELINE = PUBLIC_TIMELINE + ("report.submitted", "report.rejected", "pledge.created", "pledge.cancelled",
                                    "package.assigned")


def review_queue(page=1, per_page=20):
    """Reports awaiting verification, oldest first, with package, RW and aggregator (db.paginate)."""
    query = (
        select(ProgressReport).where(ProgressReport.status == ReportStatus.SUBMITTED)
        .options(joinedload(ProgressReport.package).joinedload(Package.rw).joinedload(RW.kelurahan),
                 joinedload(ProgressReport.package).joinedload(Package.aggregator),
                 joinedload(ProgressReport.author), selectinload(ProgressReport.photos))
        .order_by(ProgressReport.created_at, ProgressReport.id)
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def pending_count(organisation_id=None):
    """How many reports await verification (of one organisation's packages when given)."""
    query = select(func.count(ProgressReport.id)).where(ProgressReport.status == ReportStatus.SUBMITTED)
    if organisation_id is not None:
        query = query.join(Package, Package.id == ProgressReport.package_id).where(
            Package.aggregator_id == organisation_id)
    return db.session.scalar(query)


def report_detail(report_id):
    """A report with its package (RW, items), author, reviewer, item lines and photos; or None."""
    return db.session.scalar(
        select(ProgressReport).where(ProgressReport.id == report_id)
        .options(joinedload(ProgressReport.package).joinedload(Package.rw).joinedload(RW.kelurahan),
                 joinedload(ProgressReport.package).selectinload(Package.items),
                 joinedload(ProgressReport.package).joinedload(Package.aggregator),
                 joinedload(ProgressReport.author), joinedload(ProgressReport.verified_by),
                 selectinload(ProgressReport.items).joinedload(ProgressItem.work_item),
                 selectinload(ProgressReport.photos))
    )


def package_reports(package_id, verified_only=True):
    """The package's reports, newest first, with their item lines and photos (three queries)."""
    query = (
        select(ProgressReport).where(ProgressReport.package_id == package_id)
        .options(joinedload(ProgressReport.author), selectinload(ProgressReport.photos),
                 selectinload(ProgressReport.items).joinedload(ProgressItem.work_item))
        .order_by(ProgressReport.report_date.desc(), ProgressReport.id.desc())
    )
    if verified_only:
        query = query.where(ProgressReport.status == ReportStatus.VERIFIED)
    return db.session.scalars(query).unique().all()


@dataclass
class MapPhoto:
    """A geotagged photo of a verified report, for the package map."""

    id: int
    lat: float
    lon: float
    caption: str | None
    report_date: object


def geotagged_photos(package_id):
    """Photos of the package's verified reports that kept a GPS point."""
    rows = db.session.execute(
        select(ProgressPhoto.id, ProgressPhoto.lat, ProgressPhoto.lon, ProgressPhoto.caption,
               ProgressReport.report_date)
        .join(ProgressReport, ProgressReport.id == ProgressPhoto.report_id)
        .where(ProgressReport.package_id == package_id, ProgressReport.status == ReportStatus.VERIFIED,
               ProgressPhoto.lat.is_not(None), ProgressPhoto.lon.is_not(None))
        .order_by(ProgressPhoto.id)
    )
    return [MapPhoto(*row) for row in rows]


def timeline(package_id, staff=False):
    """Status changes, pledges received, reports and spending of a package, oldest first, with people
    named only as the public ledger names them (anonymous pledgers stay anonymous)."""
    actions = STAFF_TIMELINE if staff else PUBLIC_TIMELINE
    return public_ledger.package_entries(package_id, actions)


def aggregator_reports(organisation_id, limit=10):
    """An organisation's latest reports, any status, newest first (for its start page)."""
    return db.session.scalars(
        select(ProgressReport).join(Package, Package.id == ProgressReport.package_id)
        .where(Package.aggregator_id == organisation_id)
        .options(joinedload(ProgressReport.package))
        .order_by(ProgressReport.created_at.desc(), ProgressReport.id.desc()).limit(limit)
    ).all()


@dataclass
class PackageProgress:
    """The progress part of the public package page."""

    reports: list
    spending: list
    timeline: list


def package_progress(package, staff=False):
    """Verified reports with photos, budget vs spending per item, and the timeline (five queries)."""
    return PackageProgress(reports=package_reports(package.id, verified_only=True),
                           spending=spending.by_item(package), timeline=timeline(package.id, staff=staff))
