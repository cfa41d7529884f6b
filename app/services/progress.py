"""Progress reports: submitted by the package's aggregator, counted once government verifies.

Package progress is the cost-weighted mean of its items' verified progress.
"""
from flask_babel import lazy_gettext as _l

from app import events
from app.db_types import utcnow
from app.domain import PackageStatus, ReportStatus
from app.extensions import db
from app.models import ProgressItem, ProgressReport
from app.services import ledger, lifecycle


class ProgressError(ValueError):
    """A report the rules refuse."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def weighted_progress(items):
    """Cost-weighted mean progress of work items, whole percent (0 when the RAB costs nothing)."""
    total = sum(item.subtotal for item in items)
    if not total:
        return 0
    return sum(item.subtotal * item.progress_pct for item in items) // total


def submit_report(package, author, report_date, body, item_progress, is_final=False):
    """Record a report with progress % per work item id; starts a funded package. Caller commits."""
    if package.status not in (PackageStatus.FUNDED, PackageStatus.IN_PROGRESS):
        raise ProgressError(_l("Progress can be reported once a package is funded."))
    known = {item.id for item in package.items}
    for item_id, pct in item_progress.items():
        if item_id not in known:
            raise ProgressError(_l("That work item is not part of this package."), field="items")
        if not isinstance(pct, int) or not 0 <= pct <= 100:
            raise ProgressError(_l("Progress is a whole percent from 0 to 100."), field="items")
    report = ProgressReport(package_id=package.id, author_id=author.id, report_date=report_date,
                            body=body.strip(), is_final=is_final, status=ReportStatus.SUBMITTED)
    report.items = [ProgressItem(work_item_id=item_id, progress_pct=pct) for item_id, pct in item_progress.items()]
    db.session.add(report)
    db.session.flush()
    if package.status == PackageStatus.FUNDED:
        lifecycle.transition(package, PackageStatus.IN_PROGRESS, actor=author, reason="First progress report")
    ledger.record("report.submitted", report, actor=author, package_id=package.id, after=ReportStatus.SUBMITTED)
    return report


def verify_report(report, actor, package):
    """Government verifies: item progress and the package rollup update; a final report at 100 %
    everywhere completes the package. Caller commits."""
    if report.status != ReportStatus.SUBMITTED:
        raise ProgressError(_l("Only a report awaiting verification can be verified."))
    report.status = ReportStatus.VERIFIED
    report.verified_by_id = actor.id
    report.verified_at = utcnow()
    by_id = {item.id: item for item in package.items}
    for line in report.items:
        by_id[line.work_item_id].progress_pct = line.progress_pct
    before = package.progress_pct
    package.progress_pct = weighted_progress(package.items)
    ledger.record("report.verified", report, actor=actor, package_id=package.id, before=f"{before}%",
                  after=f"{package.progress_pct}%")
    events.report_verified.send(report, actor=actor, package=package)
    if report.is_final and all(item.progress_pct == 100 for item in package.items):
        lifecycle.transition(package, PackageStatus.COMPLETED, actor=actor, reason="Final report verified")
    return report
