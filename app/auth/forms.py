"""Account forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from app.services import accounts


def password_rules(form, field):
    """The account service's password rule, as a form validator."""
    problem = accounts.password_problem(field.data)
    if problem:
        raise ValidationError(problem)


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[InputRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=256)])
    remember = BooleanField(_l("Keep me signed in"))
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class RegisterForm(FlaskForm):
    """Self-registration as a collaborator, giving as a person or for a company."""

    name = StringField(_l("Your name"), validators=[InputRequired(), Length(min=2, max=120)])
    email = EmailField(_l("E-mail"), validators=[InputRequired(), Email(), Length(max=254)])
    kind = RadioField(
        _l("I am giving as"),
        choices=[("person", _l("A person")), ("company", _l("A company or foundation"))],
        default="person",
        validators=[InputRequired()],
    )
    organisation_name = StringField(_l("Company or foundation name"), validators=[Length(max=160)])
    password = PasswordField(
        _l("Password"), validators=[InputRequired(), password_rules],
        description=_l("At least %(n)d characters. A few unrelated words work well.", n=accounts.MIN_PASSWORD_LENGTH),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Create account"))

    def validate_email(self, field):
        """One account per e-mail address."""
        if accounts.email_taken(field.data):
            raise ValidationError(_l("An account with this e-mail already exists."))

    def validate_organisation_name(self, field):
        """Companies name themselves; people need not."""
        if self.kind.data == "company" and not (field.data or "").strip():
            raise ValidationError(_l("Give the company or foundation name."))


class TokenForm(FlaskForm):
    """Name a new personal API token."""

    name = StringField(_l("Token name"), validators=[InputRequired(), Length(max=80)],
                       description=_l("What will use it, e.g. “CSR portal”."))
    submit = SubmitField(_l("Create token"))


class RevokeForm(FlaskForm):
    """A CSRF-protected revoke button."""

    submit = SubmitField(_l("Revoke"))


class PasswordChangeForm(FlaskForm):
    """Change the password; every other session ends."""

    current = PasswordField(_l("Current password"), validators=[InputRequired()])
    password = PasswordField(_l("New password"), validators=[InputRequired(), password_rules])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Change password"))
