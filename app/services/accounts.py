"""Accounts: registration, authentication, user creation by admins and the CLI."""
import secrets
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.db_types import utcnow
from app.domain import Role
from app.extensions import db
from app.models import Organisation, User

MIN_PASSWORD_LENGTH = 12  # the design's minimum; long passphrases beat complexity rules
PASSWORD_METHOD = "scrypt"  # noqa: S105 a hashing method name, not a password  # nosec B105
# Checked against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password-ever", method=PASSWORD_METHOD)


class AccountError(ValueError):
    """A registration or account change the rules refuse; `field` names the offending input."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def normalise_email(email):
    """E-mail addresses compare case-insensitively and without surrounding spaces."""
    return (email or "").strip().lower()


def password_problem(password):
    """Why a password is unacceptable, or None."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return _l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if len(password) > 256:
        return _l("Use at most 256 characters.")
    return None


def hash_password(password):
    """scrypt hash of a password that has passed `password_problem`."""
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, field="password")
    return generate_password_hash(password, method=PASSWORD_METHOD)


def email_taken(email):
    """True when an account already uses this address."""
    return db.session.scalar(select(func.count(User.id)).where(User.email == normalise_email(email))) > 0


@dataclass
class NewUser:
    """What is needed to create any account."""

    email: str
    password: str
    name: str
    role: Role = Role.COLLABORATOR
    organisation_id: int | None = None
    is_company: bool = False
    phone: str | None = None


def checked_email(email):
    """The normalised address, if it is one the sign-in form will also accept."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise AccountError(_l("Enter a valid e-mail address."), field="email") from None
    return normalise_email(email)


def create_user(new, commit=True):
    """Create an account after checking the e-mail, the password and the organisation."""
    email = checked_email(new.email)
    if email_taken(email):
        raise AccountError(_l("An account with this e-mail already exists."), field="email")
    if new.role not in set(Role):
        raise AccountError(_l("Unknown role."), field="role")
    if new.role == Role.AGGREGATOR and new.organisation_id is None:
        raise AccountError(_l("Aggregator staff must belong to an organisation."), field="organisation_id")
    if new.organisation_id is not None and db.session.get(Organisation, new.organisation_id) is None:
        raise AccountError(_l("Unknown organisation."), field="organisation_id")
    user = User(
        email=email,
        password_hash=hash_password(new.password),
        name=new.name.strip(),
        role=str(new.role),
        organisation_id=new.organisation_id,
        is_company=new.is_company,
        phone=new.phone,
        session_token=secrets.token_hex(16),
    )
    db.session.add(user)
    if commit:
        db.session.commit()
    return user


def register_collaborator(email, password, name, is_company=False, organisation_name=None):
    """Self-registration: always a collaborator; a company gets its (unverified) organisation."""
    organisation_id = None
    if is_company and organisation_name:
        organisation_id = _company_organisation(organisation_name.strip()).id
    return create_user(
        NewUser(email=email, password=password, name=name, is_company=is_company,
                organisation_id=organisation_id)
    )


def _company_organisation(name):
    """An existing organisation of this name, or a new unverified company."""
    from app.services.organisations import slugify

    existing = db.session.scalar(select(Organisation).where(func.lower(Organisation.name) == name.lower()))
    if existing:
        return existing
    organisation = Organisation(name=name, slug=slugify(name), kind="company", verified=False)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def authenticate(email, password):
    """The active user with these credentials, or None. Timing does not reveal unknown e-mails."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


def record_login(user):
    """Stamp the login time."""
    user.last_login_at = utcnow()
    db.session.commit()


def change_password(user, new_password):
    """Set a new password and end every other session (the session token rotates)."""
    user.password_hash = hash_password(new_password)
    user.session_token = secrets.token_hex(16)
    db.session.commit()


def load_user_from_session(session_id):
    """Flask-Login's loader: `<id>:<session_token>`; a stale token means signed out."""
    user_id, _, token = (session_id or "").partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not secrets.compare_digest(user.session_token, token):
        return None
    return user
