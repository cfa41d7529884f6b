"""Organisations, user accounts and personal API tokens."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import in_choices, utcnow
from app.domain import OrganisationKind, Role
from app.extensions import db

organisation_regions = Table(
    "organisation_regions",
    db.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(db.Model):
    """An aggregator NGO, company, foundation or government agency."""

    __tablename__ = "organisations"
    __table_args__ = (in_choices("kind", list(OrganisationKind), "kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    verified: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    operating_regions: Mapped[list["Region"]] = relationship(  # noqa: F821
        secondary=organisation_regions, order_by="Region.code"
    )
    members: Mapped[list["User"]] = relationship(back_populates="organisation")

    def __repr__(self):
        return f"<Organisation {self.slug}>"


class User(UserMixin, db.Model):
    """Someone who signs in. Behaviour lives in services; this is the record."""

    __tablename__ = "users"
    __table_args__ = (in_choices("role", list(Role), "role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Collaborators say whether they give as a person or for a company.
    is_company: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(30))
    locale: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(default=True)
    # Changing it (password change, deactivation) invalidates every remembered session.
    session_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")

    @property
    def is_active(self):
        """Flask-Login refuses inactive accounts."""
        return self.active

    def get_id(self):
        """Session identity: the id plus a token that rotates to end every session at once."""
        return f"{self.id}:{self.session_token}"

    def has_role(self, *roles):
        """True when the user's role is one of `roles`."""
        return self.role in roles

    def __repr__(self):
        return f"<User {self.email} {self.role}>"


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
