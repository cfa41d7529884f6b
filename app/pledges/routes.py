"""Pledge routes: read the form, check the permission, call the pledging service, render."""
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.models import Package, Pledge
from app.money import rupiah
from app.permissions import require
from app.pledges import bp
from app.pledges.forms import CancelForm, LapseForm, PledgeForm, ReceiveForm
from app.services import package_page, pledge_views, pledging


def _open_package(package_id):
    detail = package_page.package_detail(package_id)
    if detail is None:
        abort(404)
    return detail.package


@bp.route("/packages/<int:package_id>/pledge", methods=["GET", "POST"])
@login_required
def pledge(package_id):
    """The pledge form, then a confirmation step; the final submit is idempotent (double clicks)."""
    require("pledge.create")
    package = _open_package(package_id)
    form = PledgeForm()
    form.set_items(package.items)
    if request.method == "GET":
        form.idempotency_key.data = uuid.uuid4().hex
        if package.tier.whole_only:
            form.amount.data = str(package.remaining)
    step, status = "form", 200
    if request.method == "POST" and not form.edit.data:
        if not form.validate_on_submit():
            status = 422
        elif form.confirm.data:
            return _confirm(package, form)
        else:
            step = "review"
    return render_template("pledges/pledge.html", package=package, form=form, step=step), status


def _confirm(package, form):
    try:
        pledge, replayed = pledging.pledge_idempotently(
            package, current_user, form.idempotency_key.data, form.amount.amount,
            work_item_id=form.work_item_id.data or None, anonymous=form.anonymous.data, message=form.message.data,
        )
    except pledging.PledgeError as error:
        if error.field == "idempotency_key":
            form.form_errors.append(str(error))
        else:
            form.amount.errors.append(str(error))
        db.session.refresh(package)
        return render_template("pledges/pledge.html", package=package, form=form, step="form"), (
            409 if error.code == "conflict" else 422)
    if not replayed:
        flash(_("Thank you! Your pledge of %(amount)s is recorded.", amount=rupiah(pledge.amount)), "success")
    return redirect(url_for("pledges.receipt", pledge_id=pledge.id))


@bp.get("/pledges")
@login_required
def mine():
    """My pledges and their statuses."""
    page = db.paginate(pledge_views.my_pledges(current_user), per_page=25, error_out=False)
    return render_template("pledges/mine.html", page=page, cancel_form=CancelForm())


@bp.get("/pledges/<int:pledge_id>")
@login_required
def receipt(pledge_id):
    """A printable receipt with the pledge's ledger references."""
    found = pledge_views.receipt(pledge_id)
    if found is None:
        abort(404)
    require("pledge.view", found.pledge)
    return render_template("pledges/receipt.html", receipt=found, pledge=found.pledge, cancel_form=CancelForm())


@bp.post("/pledges/<int:pledge_id>/cancel")
@login_required
def cancel(pledge_id):
    """The collaborator cancels a pledge that has not been received."""
    found = db.get_or_404(Pledge, pledge_id)
    require("pledge.cancel", found)
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        pledging.cancel_pledge(found, current_user, reason=form.reason.data or None)
    except pledging.PledgeError as error:
        flash(str(error), "warning")
    else:
        flash(_("Your pledge is cancelled."), "info")
    return redirect(url_for("pledges.receipt", pledge_id=pledge_id))


@bp.get("/packages/<int:package_id>/pledges")
@login_required
def package_pledges(package_id):
    """The managing aggregator (and government) see every pledge and confirm the money."""
    package = db.get_or_404(Package, package_id)
    require("package.manage", package)
    return render_template("pledges/package_pledges.html", package=package,
                           pledges=pledge_views.package_pledges(package_id),
                           receive_form=ReceiveForm(), lapse_form=LapseForm())


@bp.post("/pledges/<int:pledge_id>/receive")
@login_required
def receive(pledge_id):
    """Confirm that the pledged money arrived (transfer date and reference)."""
    found = db.get_or_404(Pledge, pledge_id)
    require("pledge.confirm", found)
    form = ReceiveForm()
    if form.validate_on_submit():
        try:
            pledging.confirm_received(found, current_user, transfer_date=form.transfer_date.data,
                                      reference=form.reference.data.strip())
        except pledging.PledgeError as error:
            flash(str(error), "warning")
        else:
            flash(_("Receipt confirmed."), "success")
    else:
        flash(_("Give the transfer date and reference."), "warning")
    return redirect(url_for("pledges.package_pledges", package_id=found.package_id))


@bp.post("/pledges/<int:pledge_id>/lapse")
@login_required
def lapse(pledge_id):
    """Mark a pledge whose money never came as cancelled, with the reason."""
    found = db.get_or_404(Pledge, pledge_id)
    require("pledge.confirm", found)
    form = LapseForm()
    if form.validate_on_submit():
        try:
            pledging.cancel_pledge(found, current_user, reason=form.reason.data.strip())
        except pledging.PledgeError as error:
            flash(str(error), "warning")
        else:
            flash(_("The pledge is marked as lapsed."), "info")
    else:
        flash(_("Say why the pledge lapsed."), "warning")
    return redirect(url_for("pledges.package_pledges", package_id=found.package_id))
