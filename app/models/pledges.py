"""Pledges of money to packages, and the aggregator's spending (realisasi)."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import Money, in_choices, utcnow
from app.domain import PledgeStatus
from app.extensions import db


class Pledge(db.Model):
    """A collaborator's promise of money: pledged → received, or cancelled."""

    __tablename__ = "pledges"
    __table_args__ = (
        in_choices("status", list(PledgeStatus), "status_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        UniqueConstraint("collaborator_id", "idempotency_key"),
        Index("ix_pledges_package_status", "package_id", "status"),
        Index("ix_pledges_collaborator_created", "collaborator_id", "created_at"),
        Index("ix_pledges_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    collaborator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    work_item_id: Mapped[int | None] = mapped_column(ForeignKey("work_items.id"))
    amount: Mapped[int] = mapped_column(Money)
    anonymous: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=PledgeStatus.PLEDGED)
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_at: Mapped[datetime | None]
    transfer_date: Mapped[date | None]
    transfer_reference: Mapped[str | None] = mapped_column(String(100))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    package: Mapped["Package"] = relationship()  # noqa: F821
    collaborator: Mapped["User"] = relationship(foreign_keys=[collaborator_id])  # noqa: F821
    work_item: Mapped["WorkItem | None"] = relationship()  # noqa: F821


class Expenditure(db.Model):
    """Money the aggregator spent on one work item, with its receipt."""

    __tablename__ = "expenditures"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_expenditures_package_item", "package_id", "work_item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id"))
    amount: Mapped[int] = mapped_column(Money)
    spent_on: Mapped[date]
    description: Mapped[str] = mapped_column(String(300))
    receipt_filename: Mapped[str | None] = mapped_column(String(100))
    receipt_content_type: Mapped[str | None] = mapped_column(String(60))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    work_item: Mapped["WorkItem"] = relationship()  # noqa: F821
    package: Mapped["Package"] = relationship()  # noqa: F821
