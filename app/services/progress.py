"""Progress reports: submitted by the package's aggregator, counted once government verifies.

Package progress is the cost-weighted mean of its items' verified progress. A funded package moves to
in progress with its first report (or when the aggregator starts the work explicitly), and completes
when a final report with every item at 100 % is verified. Callers commit; photo files are written by
`submit_report` into the `stored` list so a failed commit can remove them (see app.services.uploads).
"""
from datetime import date

from flask_babel import lazy_gettext as _l

from app import events
from app.db_types import utcnow
from app.domain import PackageStatus, ReportStatus
from app.extensions import db
from app.models import ProgressItem, ProgressPhoto, ProgressReport
from app.services import ledger, lifecycle, uploads
from app.services.csv_export import jakarta_today  # noqa: F401 - re-exported for forms and tests

MAX_BODY = 5000
REPORTABLE = (PackageStatus.FUNDED, PackageStatus.IN_PROGRESS)


class ProgressError(ValueError):
    """A report the rules refuse; `field` names the form field to blame, when there is one."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def weighted_progress(items):
    """Cost-weighted mean progress of work items, whole percent (0 when the RAB costs nothing)."""
    total = sum(item.subtotal for item in items)
    if not total:
        return 0
    return sum(item.subtotal * item.progress_pct for item in items) // total


def _check_report(package, report_date, body, item_progress, is_final):
    if package.status not in REPORTABLE:
        raise ProgressError(_l("Progress can be reported once a package is funded and until it is completed."))
    if not isinstance(report_date, date) or report_date > jakarta_today():
        raise ProgressError(_l("The report date cannot be in the future."), field="report_date")
    if not (body or "").strip():
        raise ProgressError(_l("Describe the work done."), field="body")
    if len(body) > MAX_BODY:
        raise ProgressError(_l("Use at most %(n)d characters.", n=MAX_BODY), field="body")
    known = {item.id for item in package.items}
    for item_id, pct in item_progress.items():
        if item_id not in known:
            raise ProgressError(_l("That work item is not part of this package."), field="items")
        if isinstance(pct, bool) or not isinstance(pct, int) or not 0 <= pct <= 100:
            raise ProgressError(_l("Progress is a whole percent from 0 to 100."), field="items")
    if is_final and any(item_progress.get(item.id, item.progress_pct) != 100 for item in package.items):
        raise ProgressError(_l("A final report has every work item at 100 %."), field="is_final")


def submit_report(package, author, report_date, body, item_progress, is_final=False, photos=(), folder=None,
                  stored=None):
    """Record a report with progress % per work item id and prepared photos; starts a funded package.

    `photos` are `uploads.PreparedPhoto`s written under `folder`, each path added to `stored`."""
    _check_report(package, report_date, body, item_progress, is_final)
    report = ProgressReport(package_id=package.id, author_id=author.id, report_date=report_date,
                            body=body.strip(), is_final=is_final, status=ReportStatus.SUBMITTED)
    report.items = [ProgressItem(work_item_id=item_id, progress_pct=pct) for item_id, pct in item_progress.items()]
    stored = stored if stored is not None else uploads.Stored()
    for photo in photos:
        filename, thumbnail, size = uploads.save_photo(folder, photo, stored)
        report.photos.append(ProgressPhoto(filename=filename, thumbnail_filename=thumbnail, width=photo.width,
                                           height=photo.height, size_bytes=size, lat=photo.lat, lon=photo.lon,
                                           caption=photo.caption))
    db.session.add(report)
    db.session.flush()
    if package.status == PackageStatus.FUNDED:
        lifecycle.transition(package, PackageStatus.IN_PROGRESS, actor=author, reason="First progress report")
    ledger.record("report.submitted", report, actor=author, package_id=package.id, after=ReportStatus.SUBMITTED,
                  data={"photos": len(report.photos), "final": bool(is_final)})
    return report


def post_report(package, author, fields, files, folder, max_bytes):
    """The whole submission from the web or the API: check and re-encode every photo first, then record
    the report and commit. `fields` has report_date, body, item_progress, is_final, keep_gps and caption.
    Raises UploadError or ProgressError with nothing written; files are removed if the commit fails."""
    photos = [uploads.prepare_photo(upload, max_bytes, keep_gps=fields.get("keep_gps", False)) for upload in files]
    for photo in photos:
        photo.caption = (fields.get("caption") or "").strip() or None
    stored = uploads.Stored()
    try:
        report = submit_report(package, author, fields["report_date"], fields["body"], fields["item_progress"],
                               is_final=fields.get("is_final", False), photos=photos, folder=folder, stored=stored)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        stored.discard()
        raise
    return report


def start_work(package, actor):
    """The aggregator starts the work of a funded package before any report. Caller commits."""
    if package.status != PackageStatus.FUNDED:
        raise ProgressError(_l("Only a funded package can start."))
    return lifecycle.transition(package, PackageStatus.IN_PROGRESS, actor=actor, reason="Work started")


def _check_pending(report, package):
    if report.package_id != package.id:
        raise ProgressError(_l("That report belongs to another package."))
    if report.status != ReportStatus.SUBMITTED:
        raise ProgressError(_l("Only a report awaiting verification can be verified or rejected."))
    if package.status != PackageStatus.IN_PROGRESS:
        raise ProgressError(_l("Reports count only while the work is in progress."))


def verify_report(report, actor, package):
    """Government verifies: item progress and the package rollup update; a final report at 100 %
    everywhere completes the package. Caller commits."""
    _check_pending(report, package)
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


def reject_report(report, actor, package, reason):
    """Government rejects a report with a reason; nothing of it counts. Caller commits."""
    _check_pending(report, package)
    if not (reason or "").strip():
        raise ProgressError(_l("Say why the report is rejected, so the aggregator can fix it."), field="reason")
    report.status = ReportStatus.REJECTED
    report.verified_by_id = actor.id
    report.verified_at = utcnow()
    report.rejection_reason = reason.strip()
    ledger.record("report.rejected", report, actor=actor, package_id=package.id, before=ReportStatus.SUBMITTED,
                  after=ReportStatus.REJECTED, reason=report.rejection_reason)
    events.report_rejected.send(report, actor=actor, package=package, reason=report.rejection_reason)
    return report
