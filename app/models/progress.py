"""Progress reports, their per-item progress and photos."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import in_choices, utcnow
from app.domain import ReportStatus
from app.extensions import db


class ProgressReport(db.Model):
    """The aggregator's account of the work on a date; counts once government verifies it."""

    __tablename__ = "progress_reports"
    __table_args__ = (
        in_choices("status", list(ReportStatus), "status_known"),
        Index("ix_progress_reports_package_date", "package_id", "report_date"),
        Index("ix_progress_reports_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    report_date: Mapped[date]
    body: Mapped[str] = mapped_column(Text)
    is_final: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.SUBMITTED)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    package: Mapped["Package"] = relationship()  # noqa: F821
    author: Mapped["User | None"] = relationship(foreign_keys=[author_id])  # noqa: F821
    verified_by: Mapped["User | None"] = relationship(foreign_keys=[verified_by_id])  # noqa: F821
    items: Mapped[list["ProgressItem"]] = relationship(back_populates="report", cascade="all, delete-orphan")
    photos: Mapped[list["ProgressPhoto"]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ProgressPhoto.id"
    )


class ProgressItem(db.Model):
    """Progress of one work item as of a report, 0–100 %."""

    __tablename__ = "progress_items"
    __table_args__ = (
        UniqueConstraint("report_id", "work_item_id"),
        CheckConstraint("progress_pct >= 0 AND progress_pct <= 100", name="progress_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id", ondelete="CASCADE"))
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id"), index=True)
    progress_pct: Mapped[int]

    report: Mapped[ProgressReport] = relationship(back_populates="items")
    work_item: Mapped["WorkItem"] = relationship()  # noqa: F821


class ProgressPhoto(db.Model):
    """A re-encoded photo stored outside static/ under a generated name."""

    __tablename__ = "progress_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(100), unique=True)
    thumbnail_filename: Mapped[str] = mapped_column(String(100))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    caption: Mapped[str | None] = mapped_column(String(300))
    # Kept only when the uploader deliberately keeps the GPS point.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[ProgressReport] = relationship(back_populates="photos")
