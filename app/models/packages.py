"""Package tiers, packages and their work items (the RAB)."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import FixedDecimal, Money, in_choices, utcnow
from app.domain import WORK_ASPECTS, PackageStatus
from app.extensions import db


class PackageTier(db.Model):
    """Utama / Lengkap / Bersama, as data that government can edit."""

    __tablename__ = "package_tiers"
    __table_args__ = (
        CheckConstraint("min_cost >= 0 AND max_cost >= min_cost", name="cost_range"),
        CheckConstraint("min_pledge >= 0", name="min_pledge_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str | None] = mapped_column(Text)
    min_cost: Mapped[int] = mapped_column(Money)
    max_cost: Mapped[int] = mapped_column(Money)
    min_pledge: Mapped[int] = mapped_column(Money, default=0)
    # One collaborator adopts the whole package (Utama, Lengkap) rather than many co-funding it.
    whole_only: Mapped[bool] = mapped_column(default=False)
    covers_all_aspects: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)

    def __repr__(self):
        return f"<PackageTier {self.code}>"


class Package(db.Model):
    """An improvement package for one RW.

    `estimate` is the sum of the work items. `committed` (pledged + received), `received`
    and `spent` are running totals kept by the money services in the same transaction as
    each ledger entry, so the conditional UPDATE that guards against over-funding has a
    row to work on; tests reconcile them with the ledger.
    """

    __tablename__ = "packages"
    __table_args__ = (
        in_choices("status", list(PackageStatus), "status_known"),
        CheckConstraint("estimate >= 0", name="estimate_non_negative"),
        CheckConstraint("committed >= 0 AND committed <= estimate", name="committed_within_estimate"),
        CheckConstraint("received >= 0 AND received <= committed", name="received_within_committed"),
        CheckConstraint("spent >= 0", name="spent_non_negative"),
        CheckConstraint("progress_pct >= 0 AND progress_pct <= 100", name="progress_in_range"),
        Index("ix_packages_status_tier", "status", "tier_id"),
        Index("ix_packages_published_at", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rw_id: Mapped[int] = mapped_column(ForeignKey("rws.id"), index=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("package_tiers.id"), index=True)
    aggregator_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=PackageStatus.DRAFT)
    estimate: Mapped[int] = mapped_column(Money, default=0)
    committed: Mapped[int] = mapped_column(Money, default=0)
    received: Mapped[int] = mapped_column(Money, default=0)
    spent: Mapped[int] = mapped_column(Money, default=0)
    progress_pct: Mapped[int] = mapped_column(default=0)
    # Bit i set when WORK_ASPECTS' i-th aspect takes at least a tenth of the estimate (see
    # app.services.packages.aspect_mask); lets matching weigh aspect fit without reading work items.
    aspect_mask: Mapped[int] = mapped_column(default=0)
    planned_start: Mapped[date | None]
    planned_end: Mapped[date | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    funded_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    rw: Mapped["RW"] = relationship(back_populates="packages")  # noqa: F821
    tier: Mapped[PackageTier] = relationship()
    aggregator: Mapped["Organisation | None"] = relationship()  # noqa: F821
    items: Mapped[list["WorkItem"]] = relationship(
        back_populates="package", order_by="WorkItem.position", cascade="all, delete-orphan"
    )

    @property
    def remaining(self):
        """What is still needed; never below zero."""
        return max(self.estimate - self.committed, 0)

    @property
    def funded_pct(self):
        """Share of the estimate committed, 0–100 (integer, rounded down)."""
        return 100 * self.committed // self.estimate if self.estimate else 0

    def __repr__(self):
        return f"<Package {self.id} {self.status}>"


class WorkItem(db.Model):
    """One line of the RAB: quantity × unit cost = subtotal (rupiah, rounded half up)."""

    __tablename__ = "work_items"
    __table_args__ = (
        in_choices("aspect", list(WORK_ASPECTS), "aspect_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_cost >= 0", name="unit_cost_non_negative"),
        CheckConstraint("subtotal >= 0", name="subtotal_non_negative"),
        CheckConstraint("progress_pct >= 0 AND progress_pct <= 100", name="progress_in_range"),
        Index("ix_work_items_package_aspect", "package_id", "aspect"),
        Index("ix_work_items_aspect_package", "aspect", "package_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    aspect: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(FixedDecimal(2))
    unit: Mapped[str] = mapped_column(String(20))
    unit_cost: Mapped[int] = mapped_column(Money)
    subtotal: Mapped[int] = mapped_column(Money)
    # Latest verified progress of this item, 0–100.
    progress_pct: Mapped[int] = mapped_column(default=0)

    package: Mapped[Package] = relationship(back_populates="items")
