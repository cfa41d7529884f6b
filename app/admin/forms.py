"""Admin forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length

from app.auth.forms import password_rules
from app.domain import ROLE_LABELS, Role


class UserCreateForm(FlaskForm):
    """Admins create aggregator, government and admin accounts."""

    name = StringField(_l("Name"), validators=[InputRequired(), Length(min=2, max=120)])
    email = EmailField(_l("E-mail"), validators=[InputRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[(str(role), label) for role, label in ROLE_LABELS.items()],
                       default=str(Role.AGGREGATOR))
    organisation_id = SelectField(_l("Organisation"), coerce=int, choices=[])
    password = PasswordField(_l("Initial password"), validators=[InputRequired(), password_rules])
    submit = SubmitField(_l("Create account"))

    def set_organisations(self, organisations):
        """Fill the organisation choices; 0 means none."""
        self.organisation_id.choices = [(0, _l("— none —"))] + [(o.id, o.name) for o in organisations]


class VerifyForm(FlaskForm):
    """A CSRF-protected button."""

    submit = SubmitField(_l("Save"))
