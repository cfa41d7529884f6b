"""Admin routes."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.admin import bp
from app.admin.forms import UserCreateForm, VerifyForm
from app.extensions import db
from app.models import Organisation, User
from app.permissions import permission_required
from app.services import accounts, organisations


@bp.route("/users", methods=["GET", "POST"])
@permission_required("admin.users")
def users():
    """All accounts, and a form to create staff accounts."""
    all_organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    form = UserCreateForm()
    form.set_organisations(all_organisations)
    if form.validate_on_submit():
        try:
            user = accounts.create_user(accounts.NewUser(
                email=form.email.data, password=form.password.data, name=form.name.data,
                role=form.role.data, organisation_id=form.organisation_id.data or None,
            ))
        except accounts.AccountError as error:
            getattr(form, error.field or "email").errors.append(str(error))
        else:
            flash(_("Account created for %(email)s.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    page = db.paginate(
        select(User).options(joinedload(User.organisation)).order_by(User.created_at.desc(), User.id.desc()),
        per_page=50,
    )
    status = 200 if request.method == "GET" else 422
    return render_template("admin/users.html", form=form, page=page), status


@bp.get("/organisations")
@permission_required("admin.organisations")
def organisation_list():
    """Organisations with their member counts and verification."""
    rows = db.session.execute(
        select(Organisation, func.count(User.id))
        .outerjoin(User, User.organisation_id == Organisation.id)
        .group_by(Organisation.id).order_by(Organisation.kind, Organisation.name)
    ).all()
    return render_template("admin/organisations.html", rows=rows, form=VerifyForm())


@bp.post("/organisations/<int:organisation_id>/verify")
@permission_required("admin.organisations")
def verify_organisation(organisation_id):
    """Mark an organisation verified or not."""
    form = VerifyForm()
    if not form.validate_on_submit():
        abort(400)
    organisation = db.get_or_404(Organisation, organisation_id)
    organisations.set_verified(organisation, request.form.get("verified") == "1")
    flash(_("%(name)s updated.", name=organisation.name), "success")
    return redirect(url_for("admin.organisation_list"))
