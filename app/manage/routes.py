"""Management routes for the start page, RWs, slum assessments and tiers: each checks a permission,
calls one service and renders. A failed POST re-renders the form with the input kept (422)."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.domain import CRITERIA
from app.extensions import db
from app.manage import bp
from app.manage.forms import AssessmentForm, RWForm, TierForm
from app.models import RW, PackageTier, SlumAssessment
from app.permissions import can, require
from app.services import management, overview, progress_views, regions, scoring, tiers


def render_form(template, form, **context):
    """200 for a first view, 422 when a submitted form comes back with errors."""
    status = 200 if request.method == "GET" else 422
    return render_template(template, form=form, **context), status


def show_error(form, error, aliases=None):
    """Attach a service error to the field it names, or to the form as a whole."""
    field = getattr(error, "field", None)
    name = (aliases or {}).get(field, field)
    if name and name in form:
        form[name].errors.append(str(error))
    else:
        form.form_errors.append(str(error))


def start_page(decision_error=None, status=200):
    """The start page for government (requests, drafts) or an aggregator (its packages, what to request)."""
    if can("assignment.decide"):
        context = {"government": overview.government_overview(), "decision_error": decision_error,
                   "pending_reports": progress_views.pending_count()}
    else:
        organisation = current_user.organisation
        context = {"aggregator": overview.aggregator_overview(organisation),
                   "recent_reports": progress_views.aggregator_reports(organisation.id) if organisation else []}
    return render_template("manage/index.html", **context), status


@bp.before_request
def staff_only():
    """Every management page is for government and aggregators; others stop here, before any lookup."""
    require("manage.view")


@bp.get("/")
def index():
    """The management start page: what this role can do."""
    require("manage.view")
    return start_page()


@bp.get("/rws")
def rw_list():
    """Every RW, searchable by kelurahan name or code."""
    require("region.manage")
    text = request.args.get("q", "")
    page = db.paginate(overview.rws_query(text), per_page=50, error_out=False)
    return render_template("manage/rws.html", page=page, q=text)


@bp.route("/rws/new", methods=["GET", "POST"])
def rw_new():
    """Add an RW to a kelurahan."""
    require("region.manage")
    form = RWForm()
    if form.validate_on_submit():
        try:
            rw = management.save_rw(None, form.to_input())
        except regions.RegionError as error:
            show_error(form, error, {"kelurahan": "kelurahan_code"})
        else:
            flash(_("%(rw)s saved.", rw=rw.label), "success")
            return redirect(url_for("manage.rw_detail", rw_id=rw.id))
    return render_form("manage/rw_form.html", form, rw=None, suggestions=regions.kelurahan_suggestions())


@bp.route("/rws/<int:rw_id>/edit", methods=["GET", "POST"])
def rw_edit(rw_id):
    """Change an RW's kelurahan, number, location or figures."""
    require("region.manage")
    rw = db.get_or_404(RW, rw_id)
    form = RWForm()
    if request.method == "GET":
        form.fill_from(rw)
    elif form.validate_on_submit():
        try:
            management.save_rw(rw, form.to_input())
        except regions.RegionError as error:
            show_error(form, error, {"kelurahan": "kelurahan_code"})
        else:
            flash(_("%(rw)s saved.", rw=rw.label), "success")
            return redirect(url_for("manage.rw_detail", rw_id=rw.id))
    return render_form("manage/rw_form.html", form, rw=rw, suggestions=regions.kelurahan_suggestions())


@bp.get("/rws/<int:rw_id>")
def rw_detail(rw_id):
    """An RW with its assessment history and packages, and what government can do next."""
    require("region.manage")
    rw = db.get_or_404(RW, rw_id)
    return render_template("manage/rw.html", rw=rw, assessments=overview.rw_assessments(rw),
                           packages=overview.rw_packages(rw))


@bp.route("/rws/<int:rw_id>/assessments/new", methods=["GET", "POST"])
def assessment_new(rw_id):
    """Record a slum assessment; the score and level are computed from the shares."""
    require("region.manage")
    rw = db.get_or_404(RW, rw_id)
    form = AssessmentForm()
    if form.validate_on_submit():
        try:
            assessment = management.save_assessment(rw, form.to_input(), current_user)
        except regions.RegionError as error:
            show_error(form, error)
        else:
            flash(_("Assessment recorded."), "success")
            return redirect(url_for("manage.assessment_detail", assessment_id=assessment.id))
    return render_form("manage/assessment_form.html", form, rw=rw)


@bp.get("/assessments/<int:assessment_id>")
def assessment_detail(assessment_id):
    """One assessment: each criterion's share and score, the aspect subtotals, the total and level."""
    require("region.manage")
    assessment = db.get_or_404(SlumAssessment, assessment_id)
    return render_template("manage/assessment.html", assessment=assessment,
                           result=scoring.score(assessment.shares()), criteria=CRITERIA)


@bp.get("/tiers")
def tier_list():
    """The package tiers and their rules."""
    require("tier.manage")
    return render_template("manage/tiers.html", tiers=tiers.all_tiers())


@bp.route("/tiers/new", methods=["GET", "POST"])
def tier_new():
    """Add a tier."""
    require("tier.manage")
    form = TierForm()
    if form.validate_on_submit():
        try:
            tier = tiers.create_tier(form.code.data, form.to_input())
        except tiers.TierError as error:
            show_error(form, error)
        else:
            flash(_("Tier %(name)s saved.", name=tier.name), "success")
            return redirect(url_for("manage.tier_list"))
    return render_form("manage/tier_form.html", form, tier=None)


@bp.route("/tiers/<int:tier_id>/edit", methods=["GET", "POST"])
def tier_edit(tier_id):
    """Change a tier's name, range, minimum pledge or rules."""
    require("tier.manage")
    tier = db.get_or_404(PackageTier, tier_id)
    form = TierForm(obj=tier)
    if form.validate_on_submit():
        try:
            tiers.update_tier(tier, form.to_input())
        except tiers.TierError as error:
            show_error(form, error)
        else:
            flash(_("Tier %(name)s saved.", name=tier.name), "success")
            return redirect(url_for("manage.tier_list"))
    return render_form("manage/tier_form.html", form, tier=tier)
