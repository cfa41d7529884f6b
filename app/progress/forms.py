"""Forms for progress reports, spending and the verification decision."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.domain import WORK_ASPECTS
from app.manage.fields import Between, RupiahField
from app.services.progress import MAX_BODY, jakarta_today
from app.services.spending import MAX_DESCRIPTION
from app.services.tiers import MAX_COST

MAX_PHOTOS = 6


def _not_in_future(form, field):
    if field.data and field.data > jakarta_today():
        raise ValidationError(_l("The date cannot be in the future."))


def _uploaded(files):
    """The files actually chosen (browsers send one empty part when none is)."""
    return [upload for upload in files or [] if upload and upload.filename]


class _ReportBase(FlaskForm):
    report_date = DateField(_l("Date of the report"), validators=[InputRequired(), _not_in_future])
    body = TextAreaField(_l("Work done"), validators=[DataRequired(), Length(max=MAX_BODY)],
                         description=_l("What was built or repaired since the last report, and any problems."),
                         render_kw={"rows": 5})
    photos = MultipleFileField(_l("Photos"), render_kw={"accept": "image/jpeg,image/png,image/webp"},
                               description=_l("Up to %(n)d JPEG, PNG or WebP photos.", n=MAX_PHOTOS))
    caption = StringField(_l("What the photos show"), validators=[Optional(), Length(max=300)])
    keep_gps = BooleanField(_l("Keep the photos' GPS location (shown on the map)"),
                            description=_l("Everything else the camera recorded is removed."))
    is_final = BooleanField(_l("This is the final report: every work item is complete"))
    submit = SubmitField(_l("Submit for verification"))

    def validate_photos(self, field):
        """At most MAX_PHOTOS files."""
        if len(_uploaded(field.data)) > MAX_PHOTOS:
            raise ValidationError(_l("Send at most %(n)d photos per report.", n=MAX_PHOTOS))

    def chosen_photos(self):
        """The uploaded photo files."""
        return _uploaded(self.photos.data)

    def item_fields(self):
        """(work item, its progress field) in RAB order."""
        return [(item, self[f"item_{item.id}"]) for item in self._items]

    def item_progress(self):
        """{work item id: percent} as typed."""
        return {item.id: field.data for item, field in self.item_fields()}


def report_form(package):
    """A report form with one progress field (0–100 %) per work item, prefilled with verified progress."""

    class ReportForm(_ReportBase):
        _items = list(package.items)

    for item in package.items:
        setattr(ReportForm, f"item_{item.id}", IntegerField(
            item.description, default=item.progress_pct,
            validators=[InputRequired(_l("Enter a whole percent from 0 to 100.")),
                        NumberRange(0, 100, _l("Enter a whole percent from 0 to 100."))],
            render_kw={"inputmode": "numeric", "min": 0, "max": 100},
            description=str(WORK_ASPECTS.get(item.aspect, item.aspect)),
        ))
    form = ReportForm()  # bound to the request's form and files when submitted
    if not form.is_submitted():
        form.report_date.data = jakarta_today()
    return form


class SpendingForm(FlaskForm):
    """Money spent on one work item, with its receipt."""

    work_item_id = SelectField(_l("Work item"), coerce=int, validators=[InputRequired()])
    amount = RupiahField(_l("Amount (Rp)"), validators=[
        InputRequired(), Between(1, MAX_COST, _l("Enter an amount above Rp 0."))])
    spent_on = DateField(_l("Date paid"), validators=[InputRequired(), _not_in_future])
    description = StringField(_l("What was bought or paid for"),
                              validators=[DataRequired(), Length(max=MAX_DESCRIPTION)])
    receipt = FileField(_l("Receipt (photo or PDF)"), render_kw={"accept": "image/jpeg,image/png,image/webp,"
                                                                           "application/pdf"})
    submit = SubmitField(_l("Record spending"))

    def validate_receipt(self, field):
        """A receipt is required."""
        if not (field.data and field.data.filename):
            raise ValidationError(_l("Attach the receipt."))


def spending_form(package):
    """The spending form with the package's work items to choose from."""
    form = SpendingForm()
    form.work_item_id.choices = [(item.id, f"{item.description} ({WORK_ASPECTS.get(item.aspect, item.aspect)})")
                                 for item in package.items]
    if not form.is_submitted():
        form.spent_on.data = jakarta_today()
    return form


class RejectForm(FlaskForm):
    """Government sends a report back with the reason."""

    reason = TextAreaField(_l("Why is it rejected?"), validators=[DataRequired(), Length(max=2000)],
                           render_kw={"rows": 3})
    submit = SubmitField(_l("Reject report"))


class VerifyForm(FlaskForm):
    """Government confirms the report matches the work on the ground."""

    submit = SubmitField(_l("Verify report"))


class StartForm(FlaskForm):
    """The aggregator starts the work of a funded package."""

    submit = SubmitField(_l("Start the work"))
