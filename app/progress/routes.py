"""Progress routes: each checks a permission, calls one service and renders. A refused submission
comes back with the typed input kept (422) and nothing stored."""
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.manage.routes import render_form, show_error
from app.models import Expenditure, Package, ProgressPhoto, WorkItem
from app.permissions import can, require
from app.progress import bp
from app.progress.forms import RejectForm, StartForm, VerifyForm, report_form, spending_form
from app.services import lifecycle, progress, progress_views, spending, uploads


def _folder(kind):
    return str(Path(current_app.config["UPLOAD_FOLDER"]) / kind)


def _package(package_id):
    return db.get_or_404(Package, package_id)


@bp.get("/manage/packages/<int:package_id>/progress")
def package_progress(package_id):
    """Reports (every status), spending per item and the receipts of one package, for its managers."""
    package = _package(package_id)
    require("package.manage", package)
    return render_template(
        "progress/package.html", package=package, reports=progress_views.package_reports(package.id, False),
        items=spending.by_item(package), expenditures=spending.expenditures(package.id), start_form=StartForm(),
    )


@bp.route("/manage/packages/<int:package_id>/reports/new", methods=["GET", "POST"])
def report_new(package_id):
    """The aggregator reports progress per work item, with photos."""
    package = _package(package_id)
    require("progress.report", package)
    form = report_form(package)
    if form.validate_on_submit():
        fields = {"report_date": form.report_date.data, "body": form.body.data,
                  "item_progress": form.item_progress(), "is_final": form.is_final.data,
                  "keep_gps": form.keep_gps.data, "caption": form.caption.data}
        try:
            report = progress.post_report(package, current_user, fields, form.chosen_photos(), _folder("photos"),
                                          current_app.config["PHOTO_MAX_BYTES"])
        except uploads.UploadError as error:
            form.photos.errors.append(str(error))
            form.photos.errors.append(_("Nothing was saved. Choose the photos again."))
        except progress.ProgressError as error:
            show_error(form, error, {"items": "body"})
        else:
            flash(_("Report submitted. Government will verify it."), "success")
            return redirect(url_for("progress.report_detail", report_id=report.id))
    return render_form("progress/report_form.html", form, package=package)


@bp.route("/manage/packages/<int:package_id>/spending/new", methods=["GET", "POST"])
def spending_new(package_id):
    """The aggregator records money spent on a work item, with the receipt."""
    package = _package(package_id)
    require("spending.record", package)
    form = spending_form(package)
    if form.validate_on_submit():
        item = db.session.get(WorkItem, form.work_item_id.data)
        try:
            spending.post_expenditure(package, item, form.amount.data, form.spent_on.data, form.description.data,
                                      current_user, form.receipt.data, _folder("receipts"),
                                      current_app.config["PHOTO_MAX_BYTES"])
        except uploads.UploadError as error:
            form.receipt.errors.append(str(error))
        except spending.SpendingError as error:
            show_error(form, error)
        else:
            flash(_("Spending recorded."), "success")
            return redirect(url_for("progress.package_progress", package_id=package.id))
    return render_form("progress/spending_form.html", form, package=package, spent=spending.by_item(package))


@bp.post("/manage/packages/<int:package_id>/start")
def start(package_id):
    """Start the work of a funded package before the first report."""
    package = _package(package_id)
    require("progress.report", package)
    if StartForm().validate_on_submit():
        try:
            progress.start_work(package, current_user)
        except (progress.ProgressError, lifecycle.TransitionError) as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("The work has started."), "success")
    return redirect(url_for("progress.package_progress", package_id=package.id))


@bp.get("/manage/reports")
def review_queue():
    """Government's queue of reports awaiting verification, oldest first."""
    require("report.verify")
    page = progress_views.review_queue(request.args.get("page", 1, type=int))
    return render_template("progress/queue.html", page=page)


def _report(report_id):
    report = progress_views.report_detail(report_id)
    if report is None or not can("report.view", report):
        abort(404)
    return report


@bp.get("/manage/reports/<int:report_id>")
def report_detail(report_id):
    """One report: item progress before → after, photos, and the decision forms for government."""
    report = _report(report_id)
    require("package.manage", report.package)
    return _report_page(report, VerifyForm(), RejectForm())


def _report_page(report, verify_form, reject_form, status=200):
    return render_template("progress/report.html", report=report, package=report.package, verify_form=verify_form,
                           reject_form=reject_form), status


def _decide(report_id, form, decide, done):
    """Verify or reject: the decision form validates, the service decides, the queue comes next. A refused
    decision (already decided, package no longer in progress) comes back with the reason (409)."""
    report = _report(report_id)
    require("report.verify")
    forms = {"verify_form": VerifyForm(formdata=None), "reject_form": RejectForm(formdata=None)}
    forms["verify_form" if isinstance(form, VerifyForm) else "reject_form"] = form
    if not form.validate_on_submit():
        return _report_page(report, forms["verify_form"], forms["reject_form"], 422)
    try:
        decide(report)
    except (progress.ProgressError, lifecycle.TransitionError) as error:
        db.session.rollback()
        show_error(form, error)
        return _report_page(_report(report_id), forms["verify_form"], forms["reject_form"], 409)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("progress.review_queue"))


@bp.post("/manage/reports/<int:report_id>/verify")
def verify(report_id):
    """Government verifies: the progress counts, funders hear of it, a final report completes."""
    return _decide(report_id, VerifyForm(), lambda report: progress.verify_report(report, current_user, report.package),
                   _("Report verified."))


@bp.post("/manage/reports/<int:report_id>/reject")
def reject(report_id):
    """Government rejects with a reason; the aggregator is told why."""
    form = RejectForm()
    return _decide(report_id, form,
                   lambda report: progress.reject_report(report, current_user, report.package, form.reason.data),
                   _("Report rejected; the aggregator has been told why."))


@bp.get("/photos/<int:photo_id>/<any(full, thumb):variant>")
def photo(photo_id, variant):
    """A progress photo: public once its report is verified, else only for the package's managers."""
    item = db.get_or_404(ProgressPhoto, photo_id)
    report = item.report
    if not can("report.view", report):
        abort(404)
    name = item.filename if variant == "full" else item.thumbnail_filename
    return _send(uploads.path_of(_folder("photos"), name), "image/jpeg", public=report.status == "verified")


@bp.get("/receipts/<int:expenditure_id>")
def receipt(expenditure_id):
    """A spending receipt, for the package's managers and government."""
    expenditure = db.get_or_404(Expenditure, expenditure_id)
    if not can("receipt.view", expenditure) or not expenditure.receipt_filename:
        abort(404)
    path = uploads.path_of(_folder("receipts"), expenditure.receipt_filename)
    return _send(path, expenditure.receipt_content_type, public=False,
                 download_name=f"receipt-{expenditure.id}.{path.suffix.lstrip('.')}")


def _send(path, mimetype, public, download_name=None):
    """A stored file with headers that keep browsers from treating it as anything but what it is."""
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=mimetype, conditional=True, etag=True, max_age=86400 if public else 0,
                         as_attachment=mimetype == "application/pdf", download_name=download_name)
    response.cache_control.public = public
    response.cache_control.private = not public
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
