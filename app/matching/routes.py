"""Matching routes: preferences, recommendations, the planner and pledging a whole plan."""
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.matching import bp
from app.matching.forms import PlanForm, preferences_form
from app.models import PackageTier
from app.money import group_thousands, parse_rupiah, rupiah
from app.permissions import require
from app.services import matching, pledging
from app.services import preferences as preference_service

MAX_PAGE, MAX_PLAN_LINES = 10_000, 500


def _tiers():
    return db.session.scalars(select(PackageTier).order_by(PackageTier.sort_order, PackageTier.id)).all()


@bp.route("/profile/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    """What the collaborator wants to fund; saving leads to the recommendations."""
    require("match.use")
    form = preferences_form(request.form if request.method == "POST" else None)
    form.region_ids.choices = preference_service.region_choices()
    form.tier_ids.choices = [(tier.id, tier.name) for tier in _tiers()]
    status = 200
    if request.method == "GET":
        _fill(form)
    elif form.rows_edited:
        pass
    elif not form.validate_on_submit():
        status = 422
    else:
        data = preference_service.PreferenceInput(
            budget=form.budget.data, aspects=form.aspects.data or [], region_ids=form.region_ids.data or [],
            regions_required=form.regions_required.data, tier_ids=form.tier_ids.data or [],
            sites=[preference_service.SiteInput(entry.form.name.data or "", float(entry.form.lat.data),
                                                float(entry.form.lon.data), entry.form.radius_km.data)
                   for entry in form.sites])
        try:
            preference_service.save(current_user, data)
        except preference_service.PreferenceError as error:
            target = getattr(form, error.field, None) if error.field else None
            (target.errors if target is not None and isinstance(target.errors, list) else form.form_errors).append(
                str(error))
            status = 422
        else:
            flash(_("Preferences saved. Here is what matches them."), "success")
            return redirect(url_for("matching.recommendations"))
    return render_template("matching/preferences.html", form=form), status


def _fill(form):
    preference, sites = preference_service.current(current_user)
    if preference is not None:
        form.budget.data = preference.budget
        form.aspects.data = preference.aspects
        form.region_ids.data = [region.id for region in preference.regions]
        form.regions_required.data = preference.regions_required
        form.tier_ids.data = [tier.id for tier in preference.tiers]
    for site in sites:
        form.sites.append_entry({"name": site.name, "lat": site.lat, "lon": site.lon, "radius_km": site.radius_km})


def _page():
    raw = request.args.get("page", "1").strip()
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE):
        abort(400, description=_("Must be from %(low)d to %(high)d.", low=1, high=MAX_PAGE))
    return int(raw)


@bp.get("/recommendations")
@login_required
def recommendations():
    """Open packages ranked for the collaborator, each with its score parts and reasons."""
    require("match.use")
    profile = preference_service.profile_for(current_user)
    result = matching.recommend(profile, page=_page())
    return render_template("matching/recommendations.html", result=result, profile=profile,
                           weights=matching.WEIGHTS)


def _budget_from(text):
    try:
        budget = parse_rupiah(text)
    except ValueError:
        return None
    return budget if 0 < budget <= matching.MAX_BUDGET else None


@bp.get("/plan")
@login_required
def plan():
    """The budget planner: packages the budget completes, then co-funding with the rest."""
    require("match.use")
    profile = preference_service.profile_for(current_user)
    typed = request.args.get("budget", "").strip()
    budget = _budget_from(typed) if typed else profile.budget
    if typed and budget is None:
        return _render_plan(profile, None, typed, _("Enter a budget above Rp 0, such as 2.500.000.000.")), 400
    return _render_plan(profile, budget, typed or (group_thousands(budget) if budget else ""))


def _render_plan(profile, budget, typed, error=None, status_note=None):
    result = matching.plan(profile, budget) if budget else None
    form = PlanForm()
    if result is not None:
        form.budget.data = str(budget)
        form.lines.data = ",".join(f"{item.card.id}:{item.amount}" for item in result.items)
        form.key.data = uuid.uuid4().hex
    return render_template("matching/plan.html", plan=result, form=form, typed=typed, error=error,
                           status_note=status_note, profile=profile)


def _lines(text):
    """'12:1000000,15:2000000' → [(12, 1000000), (15, 2000000)], or None when malformed."""
    lines = []
    for part in text.split(","):
        package_id, _sep, amount = part.partition(":")
        if not (package_id.isascii() and package_id.isdigit() and amount.isascii() and amount.isdigit()):
            return None
        lines.append((int(package_id), int(amount)))
    return lines if 0 < len(lines) <= MAX_PLAN_LINES else None


@bp.post("/plan")
@login_required
def pledge_plan():
    """Pledge every line of the plan shown, all or nothing; a stale plan is re-planned, never over-funded."""
    require("match.use")
    profile = preference_service.profile_for(current_user)
    form = PlanForm()
    budget = _budget_from(form.budget.data or "")
    lines = _lines(form.lines.data or "") if form.validate_on_submit() else None
    if budget is None or lines is None or sum(amount for _id, amount in lines) > budget:
        return _render_plan(profile, budget, form.budget.data or "", _("The plan could not be read. Here it is "
                                                                       "again; please confirm once more.")), 422
    try:
        pledges, replayed = pledging.pledge_plan(current_user, lines, form.key.data, anonymous=form.anonymous.data)
    except pledging.PledgeError as error:
        note = _("The plan changed before you confirmed it (%(reason)s). Nothing was pledged; here is a fresh "
                 "plan.", reason=str(error))
        return _render_plan(profile, budget, group_thousands(budget), note), 409 if error.code == "conflict" else 422
    if not replayed:
        flash(_("Thank you! %(n)s pledges totalling %(amount)s are recorded.", n=len(pledges),
                amount=rupiah(sum(p.amount for p in pledges))), "success")
    return redirect(url_for("pledges.mine"))
