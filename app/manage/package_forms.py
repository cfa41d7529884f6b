"""The package form: tier, title, description and the RAB rows, with add/remove row buttons that work
without JavaScript (each is a submit button; the server re-renders the form with the rows changed)."""
import re

from flask_babel import LazyString, format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.domain import WORK_ASPECTS
from app.manage.fields import Between, DecimalInputField, RupiahField, without_removed_row
from app.money import rupiah_short
from app.services import packages


class WorkItemForm(Form):
    """One RAB line: aspect, description, quantity × unit cost."""

    aspect = SelectField(_l("Aspect"), choices=list(WORK_ASPECTS.items()))
    description = StringField(_l("Work"), validators=[InputRequired(), Length(max=packages.MAX_ITEM_DESCRIPTION)])
    quantity = DecimalInputField(_l("Quantity"), places=2, grouping=True, validators=[
        InputRequired(),
        Between(0, packages.MAX_QUANTITY, _l("Enter a quantity above 0 and at most %(max)s.",
                                             max=LazyString(format_decimal, packages.MAX_QUANTITY)),
                exclusive_low=True),
    ])
    unit = StringField(_l("Unit"), validators=[InputRequired(), Length(max=packages.MAX_UNIT)],
                       description=_l("m, m2, unit, ls …"))
    unit_cost = RupiahField(_l("Unit cost (Rp)"), validators=[
        InputRequired(),
        Between(0, packages.MAX_UNIT_COST, _l("Enter a unit cost from Rp 0 to Rp 100.000.000.000.")),
    ])
    remove = SubmitField(_l("Remove row"))


class PackageForm(FlaskForm):
    """A package and its RAB; the estimate is computed, never typed."""

    tier_id = SelectField(_l("Tier"), coerce=int, choices=[])
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=packages.MAX_TITLE)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=packages.MAX_DESCRIPTION)])
    items = FieldList(FormField(WorkItemForm), min_entries=1, max_entries=packages.MAX_ITEMS)
    add_row = SubmitField(_l("Add row"))
    submit = SubmitField(_l("Save draft"))

    # True when the click was "add row" or "remove row": re-render, do not save.
    rows_edited = False
    tiers = ()

    def set_tiers(self, tiers):
        """The tiers to choose from, with their cost range in the label."""
        self.tiers = tiers
        self.tier_id.choices = [
            (tier.id, f"{tier.name} ({rupiah_short(tier.min_cost)} – {rupiah_short(tier.max_cost)})") for tier in tiers
        ]

    def fill_from(self, package):
        """Show an existing draft."""
        self.process(data={
            "tier_id": package.tier_id, "title": package.title, "description": package.description,
            "items": [{"aspect": item.aspect, "description": item.description, "quantity": item.quantity,
                       "unit": item.unit, "unit_cost": item.unit_cost} for item in package.items],
        })

    def item_inputs(self):
        """The rows as the package service takes them (unreadable numbers stay None)."""
        return [
            packages.ItemInput(aspect=row.aspect.data, description=row.description.data or "",
                               quantity=row.quantity.data, unit=row.unit.data or "", unit_cost=row.unit_cost.data)
            for row in (entry.form for entry in self.items)
        ]

    def subtotals(self):
        """Each row's subtotal (None when it cannot be costed yet) and the running total."""
        rows = [packages.estimate_of([line]) if line.quantity is not None and line.unit_cost is not None else None
                for line in self.item_inputs()]
        return rows, sum(value for value in rows if value is not None)

    def attach_error(self, error):
        """Put a service error under the field it names ('items-2-quantity', 'title', 'items')."""
        field = error.field or "items"
        match = re.match(r"^items-(\d+)-(\w+)$", field)
        if match and int(match[1]) < len(self.items.entries):
            self.items.entries[int(match[1])].form[match[2]].errors.append(str(error))
        elif field in ("title", "description"):
            self[field].errors.append(str(error))
        else:
            self.form_errors.append(str(error))


def package_form(formdata=None, tiers=()):
    """Bind the package form to a POST (or nothing for GET).

    A "remove row" click drops that row's inputs before binding; an "add row" click appends an
    empty row. Either way `rows_edited` is set, and every other input is kept as typed.
    """
    edited = False
    if formdata is not None:
        formdata, edited = without_removed_row(formdata, "items")
        edited = edited or "add_row" in formdata
    form = PackageForm(formdata=formdata) if formdata is not None else PackageForm()
    form.set_tiers(tiers)
    if formdata is not None and "add_row" in formdata and len(form.items.entries) < packages.MAX_ITEMS:
        form.items.append_entry()
    form.rows_edited = edited
    return form
