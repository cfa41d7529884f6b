"""Preferences and planner forms. Sites are rows added and removed with submit buttons (no JavaScript)."""
import re

from flask import request
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
from app.manage.fields import Between, CountField, DecimalInputField, RupiahField
from app.services import matching

_REMOVE = re.compile(r"^sites-(\d+)-remove$")


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

    def edit_rows(self):
        """Handle "add a site" / "remove site": True when the click was one of them (re-render, don't save)."""
        if self.add_site.data and len(self.sites) < matching.MAX_SITES:
            self.sites.append_entry()
            self.rows_edited = True
        for key in request.form:
            match = _REMOVE.match(key)
            if match:
                index = int(match.group(1))
                kept = [entry.data for i, entry in enumerate(self.sites) if i != index]
                while len(self.sites):
                    self.sites.pop_entry()
                for data in kept:
                    self.sites.append_entry({k: v for k, v in data.items() if k != "remove"})
                self.rows_edited = True
        return self.rows_edited or bool(self.add_site.data)


class PlanForm(FlaskForm):
    """Confirming a plan: the lines as shown, the budget and a key that makes a second click harmless."""

    budget = HiddenField(validators=[InputRequired()])
    lines = HiddenField(validators=[InputRequired(), Length(max=4000)])
    key = HiddenField(validators=[InputRequired(), Length(max=60)])
    anonymous = BooleanField(_l("Show my pledges as anonymous"))
    confirm = SubmitField(_l("Pledge the whole plan"))
