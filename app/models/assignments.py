"""Aggregators' requests to manage a package, and government's decision on each."""
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import in_choices, utcnow
from app.extensions import db


class AssignmentStatus(StrEnum):
    """A request is open until government approves or rejects it."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


ASSIGNMENT_STATUS_LABELS = {
    AssignmentStatus.REQUESTED: _l("Awaiting decision"),
    AssignmentStatus.APPROVED: _l("Approved"),
    AssignmentStatus.REJECTED: _l("Rejected"),
}

_OPEN = text("status = 'requested'")


class AssignmentRequest(db.Model):
    """An aggregator organisation asks to manage an unassigned package.

    One open request per package and organisation: the service checks it and a partial unique
    index (supported by SQLite and PostgreSQL alike) holds it against concurrent submissions.
    """

    __tablename__ = "assignment_requests"
    __table_args__ = (
        in_choices("status", list(AssignmentStatus), "status_known"),
        Index("uq_assignment_requests_open", "package_id", "organisation_id", unique=True,
              sqlite_where=_OPEN, postgresql_where=_OPEN),
        Index("ix_assignment_requests_status_created", "status", "created_at"),
        Index("ix_assignment_requests_organisation_status", "organisation_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=AssignmentStatus.REQUESTED)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    package: Mapped["Package"] = relationship()  # noqa: F821
    organisation: Mapped["Organisation"] = relationship()  # noqa: F821
    requested_by: Mapped["User | None"] = relationship(foreign_keys=[requested_by_id])  # noqa: F821
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])  # noqa: F821

    @property
    def is_open(self):
        """True while government has not decided."""
        return self.status == AssignmentStatus.REQUESTED

    def __repr__(self):
        return f"<AssignmentRequest package={self.package_id} org={self.organisation_id} {self.status}>"
