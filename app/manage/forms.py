"""Forms for RWs, slum assessments, tiers, and the small decision forms (cancel, assign, request)."""
from datetime import date

from flask_babel import LazyString, format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.domain import CRITERIA
from app.manage.fields import Between, CountField, DecimalInputField, RupiahField
from app.money import rupiah
from app.services import regions, tiers
from app.services.csv_export import jakarta_today
from app.services.management import AssessmentInput, RWInput

MAX_HOUSEHOLDS = 100_000
MAX_POPULATION = 500_000
MAX_AREA_HA = 10_000
MAX_LENGTH_M = 1_000_000


def _number(value):
    """A number written in the reader's locale when the message is shown (1,000 or 1.000)."""
    return LazyString(format_decimal, value)


def _count(label, high, required=False, **kwargs):
    first = InputRequired() if required else Optional()
    message = _l("Enter a whole number from 0 to %(n)s.", n=_number(high))
    return CountField(label, validators=[first, Between(0, high, message)], **kwargs)


def _measure(label, high, required=False, **kwargs):
    first = InputRequired() if required else Optional()
    message = _l("Enter a number from 0 to %(n)s.", n=_number(high))
    return DecimalInputField(label, places=2, validators=[first, Between(0, high, message)], **kwargs)


def _amount():
    return Between(0, tiers.MAX_COST, _l("Enter an amount from Rp 0 to %(max)s.", max=rupiah(tiers.MAX_COST)))


def _not_in_future(form, field):
    if field.data and field.data > jakarta_today():
        raise ValidationError(_l("The date cannot be in the future."))


class ActionForm(FlaskForm):
    """A CSRF-protected button (publish)."""

    submit = SubmitField(_l("Confirm"))


class RWForm(FlaskForm):
    """An RW: where it is and how many live there."""

    kelurahan_code = StringField(
        _l("Kelurahan (Kemendagri code)"), validators=[InputRequired(), Length(max=20)],
        description=_l("For example 31.72.01.1001. Start typing to pick from the list."),
        render_kw={"list": "kelurahan-list"},
    )
    number = CountField(_l("RW number"), validators=[InputRequired(), Between(1, 999, _l(
        "Enter an RW number from 1 to 999."))])
    name = StringField(_l("Local name (optional)"), validators=[Optional(), Length(max=120)])
    lat = DecimalInputField(_l("Latitude"), validators=[InputRequired(), Between(-90, 90, _l(
        "Latitude is a number from -90 to 90."))], description=_l("Decimal degrees, e.g. -6.1234."))
    lon = DecimalInputField(_l("Longitude"), validators=[InputRequired(), Between(-180, 180, _l(
        "Longitude is a number from -180 to 180."))], description=_l("Decimal degrees, e.g. 106.8765."))
    approximate = BooleanField(_l("The location is approximate"), default=True)
    households = _count(_l("Households (KK)"), MAX_HOUSEHOLDS, required=True)
    population = _count(_l("Population"), MAX_POPULATION, required=True)
    area_ha = _measure(_l("Area (ha)"), MAX_AREA_HA, required=True)
    submit = SubmitField(_l("Save RW"))

    kelurahan = None

    def validate_kelurahan_code(self, field):
        """The code must name a kelurahan."""
        self.kelurahan = regions.kelurahan_by_code(field.data)
        if self.kelurahan is None:
            raise ValidationError(_l("No kelurahan has this code."))

    def fill_from(self, rw):
        """Show an existing RW."""
        self.process(data={
            "kelurahan_code": rw.kelurahan.code, "number": rw.number, "name": rw.name, "lat": rw.lat,
            "lon": rw.lon, "approximate": rw.location_approximate, "households": rw.households,
            "population": rw.population, "area_ha": rw.area_ha,
        })

    def to_input(self):
        """The service's view of the form."""
        return RWInput(kelurahan=self.kelurahan, number=self.number.data, lat=float(self.lat.data),
                       lon=float(self.lon.data), households=self.households.data, population=self.population.data,
                       area_ha=float(self.area_ha.data), name=self.name.data, approximate=self.approximate.data)


class AssessmentForm(FlaskForm):
    """A slum assessment: the sixteen shares (0–100 % of the area) and the verified figures."""

    assessed_on = DateField(_l("Assessment date"), validators=[InputRequired(), _not_in_future], default=date.today)
    is_baseline = BooleanField(_l("This is the baseline assessment"))
    source = StringField(_l("Source (optional)"), validators=[Optional(), Length(max=200)])
    verified_area_ha = _measure(_l("Verified area (ha)"), MAX_AREA_HA)
    buildings = _count(_l("Buildings"), 1_000_000)
    population = _count(_l("Population"), MAX_POPULATION)
    households = _count(_l("Households (KK)"), MAX_HOUSEHOLDS)
    ideal_road_length_m = _measure(_l("Ideal road length (m)"), MAX_LENGTH_M)
    ideal_drain_length_m = _measure(_l("Ideal drain length (m)"), MAX_LENGTH_M)
    submit = SubmitField(_l("Record assessment"))

    FACTS = ("verified_area_ha", "buildings", "population", "households", "ideal_road_length_m",
             "ideal_drain_length_m")

    def share_fields(self):
        """(aspect, field) for the sixteen criteria, in the regulation's order."""
        return [(aspect, self[column]) for column, aspect, _label in CRITERIA]

    def to_input(self):
        """The service's view of the form (shares and measurements as floats)."""
        facts = {name: self[name].data for name in self.FACTS}
        for name in ("verified_area_ha", "ideal_road_length_m", "ideal_drain_length_m"):
            facts[name] = float(facts[name]) if facts[name] is not None else None
        shares = {column: float(self[column].data) for column, _aspect, _label in CRITERIA}
        return AssessmentInput(shares=shares, assessed_on=self.assessed_on.data, is_baseline=self.is_baseline.data,
                               source=self.source.data, **facts)


for _column, _aspect, _label in CRITERIA:
    setattr(AssessmentForm, _column, DecimalInputField(
        _label, places=2, default=0,
        validators=[InputRequired(), Between(0, 100, _l("A share is a percentage from 0 to 100."))],
    ))


class TierForm(FlaskForm):
    """A package tier's name, cost range and rules."""

    code = StringField(_l("Code"), validators=[Optional(), Length(max=30)],
                       description=_l("Lower-case letters, digits, - or _; cannot change later."))
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=60)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    min_cost = RupiahField(_l("Minimum cost (Rp)"), validators=[InputRequired(), _amount()])
    max_cost = RupiahField(_l("Maximum cost (Rp)"), validators=[InputRequired(), _amount()])
    min_pledge = RupiahField(_l("Minimum pledge (Rp)"), validators=[InputRequired(), _amount()])
    whole_only = BooleanField(_l("Adopted whole by one collaborator"))
    covers_all_aspects = BooleanField(_l("Covers every aspect of the RW"))
    submit = SubmitField(_l("Save tier"))

    def validate_max_cost(self, field):
        """The range must not be upside down."""
        if self.min_cost.data is not None and field.data is not None and field.data < self.min_cost.data:
            raise ValidationError(_l("The maximum cost cannot be below the minimum cost."))

    def to_input(self):
        """The service's view of the form."""
        return tiers.TierInput(
            name=self.name.data, min_cost=self.min_cost.data, max_cost=self.max_cost.data,
            min_pledge=self.min_pledge.data, description=self.description.data, whole_only=self.whole_only.data,
            covers_all_aspects=self.covers_all_aspects.data,
        )


class CancelForm(FlaskForm):
    """Cancelling needs a reason; it is shown in the public ledger."""

    reason = TextAreaField(_l("Reason for cancelling"), validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Cancel the package"))


class AssignForm(FlaskForm):
    """Choose the aggregator organisation that manages a package."""

    organisation_id = SelectField(_l("Aggregator organisation"), coerce=int, choices=[])
    reason = StringField(_l("Note for the ledger (optional)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Assign"))

    def set_organisations(self, organisations):
        """Only verified aggregator organisations can be chosen."""
        self.organisation_id.choices = [(o.id, o.name) for o in organisations]


class RequestForm(FlaskForm):
    """An aggregator asks to manage a package."""

    note = TextAreaField(_l("Note to the government (optional)"), validators=[Optional(), Length(max=500)],
                         description=_l("For example your experience in this area."))
    submit = SubmitField(_l("Request this package"))


class DecisionForm(FlaskForm):
    """Government approves or rejects a request; a rejection may say why."""

    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=1000)])
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Reject"))


class ScheduleForm(FlaskForm):
    """Planned dates and the description; costs are not editable here."""

    planned_start = DateField(_l("Planned start"), validators=[Optional()])
    planned_end = DateField(_l("Planned end"), validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save schedule"))

    def validate_planned_end(self, field):
        """The work cannot end before it starts."""
        if field.data and self.planned_start.data and field.data < self.planned_start.data:
            raise ValidationError(_l("The planned end cannot be before the planned start."))
