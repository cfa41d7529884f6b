"""Preferences and planner forms. Sites are rows added and removed with submit buttons (no JavaScript)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.domain import WORK_ASPECTS
from app.manage.fields import Between, CountField, DecimalInputField, RupiahField, without_removed_row
from app.services import matching


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SiteForm(Form):
    """A place to fund around and its radius."""

    name = StringField(_l("Site name"), validators=[InputRequired(), Length(max=80)],
                       description=_l("e.g. “Cikarang plant” or “home”."))
    lat = DecimalInputField(_l("Latitude"), places=6, validators=[
        InputRequired(), Between(-90, 90, _l("Latitude is a number from -90 to 90."))])
    lon = DecimalInputField(_l("Longitude"), places=6, validators=[
        InputRequired(), Between(-180, 180, _l("Longitude is a number from -180 to 180."))])
    radius_km = CountField(_l("Radius (km)"), default=5, validators=[
        InputRequired(), NumberRange(1, 100, _l("A radius is 1 to 100 km."))])
    remove = SubmitField(_l("Remove site"))


class PreferencesForm(FlaskForm):
    """What a collaborator wants to fund."""

    budget = RupiahField(_l("Budget (Rp)"), validators=[
        Optional(), Between(1, matching.MAX_BUDGET, _l("Enter a budget above Rp 0, or leave it empty."))],
        description=_l("What you could give in all; leave empty to rank without it."))
    aspects = CheckboxesField(_l("Work you care about"), choices=list(WORK_ASPECTS.items()))
    region_ids = SelectMultipleField(_l("Regions"), coerce=int, choices=[],
                                     description=_l("Kota or kecamatan; hold Ctrl (⌘ on a Mac) to pick several."))
    regions_required = BooleanField(_l("Only show packages in these regions"))
    tier_ids = CheckboxesField(_l("Tiers"), coerce=int, choices=[],
                               description=_l("Leave all unticked to see every tier."))
    sites = FieldList(FormField(SiteForm), min_entries=0, max_entries=matching.MAX_SITES)
    add_site = SubmitField(_l("Add a site"))
    submit = SubmitField(_l("Save preferences"))

    rows_edited = False


def preferences_form(formdata=None):
    """Bind the preferences form to a POST (or nothing for GET). "Remove site" drops that site's inputs
    before binding and "add a site" appends an empty one; either sets `rows_edited` (re-render, don't save)."""
    if formdata is None:
        return PreferencesForm()
    formdata, edited = without_removed_row(formdata, "sites")
    form = PreferencesForm(formdata=formdata)
    if "add_site" in formdata and len(form.sites.entries) < matching.MAX_SITES:
        form.sites.append_entry()
        edited = True
    form.rows_edited = edited
    return form


class PlanForm(FlaskForm):
    """Confirming a plan: the lines as shown, the budget and a key that makes a second click harmless."""

    budget = HiddenField(validators=[InputRequired()])
    lines = HiddenField(validators=[InputRequired(), Length(max=4000)])
    key = HiddenField(validators=[InputRequired(), Length(max=60)])
    anonymous = BooleanField(_l("Show my pledges as anonymous"))
    confirm = SubmitField(_l("Pledge the whole plan"))
