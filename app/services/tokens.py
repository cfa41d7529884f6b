"""Personal API tokens: shown once at creation, stored only as a SHA-256 digest."""
import hashlib
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.db_types import utcnow
from app.extensions import db
from app.models import ApiToken, User

PREFIX = "rkn_"
MAX_ACTIVE_TOKENS = 20


class TokenError(ValueError):
    """A token request the rules refuse."""


def digest(token):
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user, name):
    """A new token for `user`; returns (plain token, ApiToken). The plain token is never stored."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise TokenError(_l("Name the token (at most 80 characters), e.g. the system that will use it."))
    active = db.session.scalar(
        select(db.func.count(ApiToken.id)).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if active >= MAX_ACTIVE_TOKENS:
        raise TokenError(_l("You have %(n)d active tokens; revoke one first.", n=active))
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=digest(plain), prefix=plain[:12])
    db.session.add(token)
    db.session.commit()
    return plain, token


def user_for(plain):
    """The active user holding this (not revoked) token, or None; stamps its last use."""
    if not plain or not plain.startswith(PREFIX) or len(plain) > 100:
        return None
    row = db.session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(plain), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None or not row.User.active:
        return None
    row.ApiToken.last_used_at = utcnow()
    db.session.commit()
    return row.User


def tokens_of(user):
    """The user's tokens, newest first."""
    return db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()


def revoke(user, token_id):
    """Revoke one of the user's own tokens; False when there is no such active token."""
    result = db.session.execute(
        update(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.commit()
    return result.rowcount == 1
