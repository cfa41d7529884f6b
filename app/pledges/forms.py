"""Pledge forms. Amounts are typed as people write them: 1500000, 1.500.000 or Rp 1.500.000."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.money import parse_rupiah
from app.services.pledging import MAX_PLEDGE


class RupiahField(StringField):
    """A text field whose `.amount` is the parsed whole-rupiah value (None when not parsable)."""

    amount = None

    def process_formdata(self, valuelist):
        """Keep the typed text (so it comes back on error) and parse it."""
        super().process_formdata(valuelist)
        try:
            self.amount = parse_rupiah(self.data)
        except ValueError:
            self.amount = None

    def pre_validate(self, form):
        """Refuse text that is not a whole, positive, sensible amount."""
        if self.amount is None:
            raise ValidationError(_l("Type a whole rupiah amount, e.g. 1500000 or 1.500.000."))
        if not 0 < self.amount <= MAX_PLEDGE:
            raise ValidationError(_l("The amount must be more than zero and within reason."))


class PledgeForm(FlaskForm):
    """What a collaborator pledges; the hidden key makes the final submit safe to repeat."""

    amount = RupiahField(_l("Amount (Rp)"), validators=[InputRequired()])
    work_item_id = SelectField(_l("Earmark for one work item (optional)"), coerce=int, default=0)
    anonymous = BooleanField(_l("Show my pledge as anonymous"))
    message = TextAreaField(_l("Message to the neighbourhood (optional)"), validators=[Optional(), Length(max=500)])
    idempotency_key = HiddenField(validators=[InputRequired(), Length(max=80)])
    review = SubmitField(_l("Review pledge"))
    confirm = SubmitField(_l("Confirm pledge"))
    edit = SubmitField(_l("Change the pledge"))

    def set_items(self, items):
        """The earmark choices: none, or one of the package's work items."""
        self.work_item_id.choices = [(0, _l("No earmark: wherever it is needed"))] + [
            (item.id, item.description) for item in items
        ]


class CancelForm(FlaskForm):
    """Cancel a pledge that has not been received."""

    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Cancel pledge"))


class ReceiveForm(FlaskForm):
    """The aggregator confirms the money arrived."""

    transfer_date = DateField(_l("Transfer date"), validators=[InputRequired()])
    reference = StringField(_l("Transfer reference"), validators=[InputRequired(), Length(max=100)])
    submit = SubmitField(_l("Confirm receipt"))


class LapseForm(FlaskForm):
    """The aggregator marks a pledge whose money never came as cancelled."""

    reason = StringField(_l("Why it lapsed"), validators=[InputRequired(), Length(max=300)])
    submit = SubmitField(_l("Mark as lapsed"))
