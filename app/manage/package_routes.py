"""Management routes for packages: create and revise drafts, publish, assign, cancel, schedule,
and aggregators' requests with government's decisions."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.domain import PackageStatus
from app.extensions import db
from app.manage import bp
from app.manage.forms import ActionForm, AssignForm, CancelForm, DecisionForm, RequestForm, ScheduleForm
from app.manage.package_forms import package_form
from app.manage.routes import render_form, show_error, start_page
from app.models import RW, AssignmentRequest, Organisation, Package, PackageTier
from app.models.assignments import ASSIGNMENT_STATUS_LABELS
from app.permissions import require
from app.services import aggregator_match, assignments, lifecycle, management, overview, packages, tiers


def _package(package_id):
    return db.get_or_404(Package, package_id)


def _package_form_page(form, rw, package=None):
    """The package form, with each row's subtotal and the running total; 200 after an add/remove click."""
    subtotals, total = form.subtotals()
    context = {"rw": rw, "package": package, "subtotals": subtotals, "total": total}
    if form.rows_edited:
        return render_template("manage/package_form.html", form=form, **context), 200
    return render_form("manage/package_form.html", form, **context)


def _save_package(form, save):
    """Validate and save unless a row was added or removed; returns the package or None."""
    if request.method != "POST" or form.rows_edited or not form.validate():
        return None
    tier = db.session.get(PackageTier, form.tier_id.data)
    try:
        return save(tier)
    except packages.PackageError as error:
        form.attach_error(error)
        return None


@bp.route("/rws/<int:rw_id>/packages/new", methods=["GET", "POST"])
def package_new(rw_id):
    """Create a draft package with its RAB for an RW."""
    require("package.create")
    rw = db.get_or_404(RW, rw_id)
    form = package_form(request.form if request.method == "POST" else None, tiers.all_tiers())
    package = _save_package(form, lambda tier: management.draft_package(
        rw, tier, form.title.data, form.item_inputs(), current_user, description=form.description.data))
    if package is not None:
        flash(_("Draft package saved. Publish it when it is ready."), "success")
        return redirect(url_for("manage.package_detail", package_id=package.id))
    return _package_form_page(form, rw)


@bp.route("/packages/<int:package_id>/edit", methods=["GET", "POST"])
def package_edit(package_id):
    """Revise a draft's tier, texts and RAB (refused once published)."""
    require("package.edit")
    package = _package(package_id)
    form = package_form(request.form if request.method == "POST" else None, tiers.all_tiers())
    if request.method == "GET":
        form.fill_from(package)
    saved = _save_package(form, lambda tier: management.revise_draft(
        package, tier, form.title.data, form.item_inputs(), current_user, description=form.description.data))
    if saved is not None:
        flash(_("Draft package saved."), "success")
        return redirect(url_for("manage.package_detail", package_id=package.id))
    return _package_form_page(form, package.rw, package)


def _detail_page(package, error=None, status=200):
    requests = assignments.requests_for_package(package)
    return render_template("manage/package.html", package=package, requests=requests, error=error,
                           request_status_labels=ASSIGNMENT_STATUS_LABELS), status


@bp.get("/packages/<int:package_id>")
def package_detail(package_id):
    """A package as its managers see it: RAB, money, schedule, requests and the actions allowed."""
    package = _package(package_id)
    require("package.manage", package)
    return _detail_page(package)


@bp.get("/packages")
def package_list():
    """Every package, newest first, optionally of one status (drafts are only listed here)."""
    require("package.create")
    status = request.args.get("status") or None
    if status is not None and status not in list(PackageStatus):
        abort(400)
    page = db.paginate(overview.packages_query(status), per_page=50, error_out=False)
    return render_template("manage/package_list.html", page=page, status=status, mode="all")


@bp.get("/available")
def available():
    """Open packages without an aggregator in the organisation's operating regions, ranked for it with reasons."""
    require("package.request")
    organisation = current_user.organisation
    page = aggregator_match.rank(organisation, request.args.get("page", 1, type=int))
    return render_template("manage/package_list.html", page=page, mode="available", load=page.load,
                           requested_ids=assignments.open_request_package_ids(organisation))


@bp.post("/packages/<int:package_id>/publish")
def package_publish(package_id):
    """Open a draft for pledges."""
    require("package.publish")
    package = _package(package_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        management.publish(package, current_user)
    except (packages.PackageError, lifecycle.TransitionError) as error:
        return _detail_page(package, error=str(error), status=422)
    flash(_("The package is published and open for pledges."), "success")
    return redirect(url_for("manage.package_detail", package_id=package.id))


@bp.route("/packages/<int:package_id>/assign", methods=["GET", "POST"])
def package_assign(package_id):
    """Assign or change the aggregator organisation."""
    require("package.assign")
    package = _package(package_id)
    form = AssignForm()
    form.set_organisations(assignments.assignable_organisations())
    if form.validate_on_submit():
        try:
            assignments.assign_aggregator(package, db.session.get(Organisation, form.organisation_id.data),
                                          actor=current_user, reason=form.reason.data)
        except assignments.AssignmentError as error:
            show_error(form, error)
        else:
            flash(_("%(name)s now manages the package.", name=package.aggregator.name), "success")
            return redirect(url_for("manage.package_detail", package_id=package.id))
    return render_form("manage/package_step.html", form, package=package, heading=_("Assign an aggregator"))


@bp.route("/packages/<int:package_id>/cancel", methods=["GET", "POST"])
def package_cancel(package_id):
    """Cancel a package with a reason; unreceived pledges are cancelled with it."""
    require("package.cancel")
    package = _package(package_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            packages.cancel_package(package, form.reason.data, actor=current_user)
        except (lifecycle.TransitionError, packages.PackageError) as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The package is cancelled."), "success")
            return redirect(url_for("manage.package_detail", package_id=package.id))
    return render_form("manage/package_step.html", form, package=package, heading=_("Cancel the package"))


@bp.route("/packages/<int:package_id>/schedule", methods=["GET", "POST"])
def package_schedule(package_id):
    """The managing aggregator (or government) sets the planned dates and the description."""
    package = _package(package_id)
    require("package.manage", package)
    form = ScheduleForm(obj=package)
    if form.validate_on_submit():
        try:
            management.reschedule(package, form.planned_start.data, form.planned_end.data, form.description.data,
                                  current_user)
        except packages.PackageError as error:
            show_error(form, error)
        else:
            flash(_("Schedule saved."), "success")
            return redirect(url_for("manage.package_detail", package_id=package.id))
    return render_form("manage/package_step.html", form, package=package, heading=_("Schedule and description"))


@bp.route("/packages/<int:package_id>/request", methods=["GET", "POST"])
def package_request(package_id):
    """An aggregator asks to manage an unassigned package in its operating regions."""
    package = _package(package_id)
    require("package.request", package)
    form = RequestForm()
    if form.validate_on_submit():
        try:
            assignments.request_package(package, current_user, form.note.data)
        except assignments.AssignmentError as error:
            show_error(form, error)
        else:
            flash(_("Request sent. The government will decide."), "success")
            return redirect(url_for("manage.index"))
    return render_form("manage/package_step.html", form, package=package, heading=_("Request this package"))


@bp.post("/requests/<int:request_id>/decide")
def request_decide(request_id):
    """Government approves (assigning the organisation) or rejects an aggregator's request."""
    require("assignment.decide")
    assignment = db.get_or_404(AssignmentRequest, request_id)
    form = DecisionForm()
    if not form.validate_on_submit() or form.approve.data == form.reject.data:
        return start_page(decision_error=_("Choose approve or reject; a reason has at most 1000 characters."),
                          status=422)
    try:
        if form.approve.data:
            assignments.approve_request(assignment, current_user)
        else:
            assignments.reject_request(assignment, current_user, form.reason.data)
    except assignments.AssignmentError as error:
        return start_page(decision_error=str(error), status=422)
    flash(_("Request approved.") if form.approve.data else _("Request rejected."), "success")
    return redirect(url_for("manage.index"))
