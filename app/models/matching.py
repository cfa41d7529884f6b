"""What a collaborator wants to fund: regions, aspects, budget, tiers and the sites they care about."""
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import Money, utcnow
from app.extensions import db

preference_regions = Table(
    "preference_regions",
    db.metadata,
    Column("user_id", ForeignKey("match_preferences.user_id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)

preference_tiers = Table(
    "preference_tiers",
    db.metadata,
    Column("user_id", ForeignKey("match_preferences.user_id", ondelete="CASCADE"), primary_key=True),
    Column("tier_id", ForeignKey("package_tiers.id", ondelete="CASCADE"), primary_key=True),
)


class MatchPreference(db.Model):
    """One collaborator's matching preferences. Regions are kota or kecamatan; `regions_required` makes
    them a filter instead of a weight. Chosen tiers always filter. Aspects are codes of
    `app.domain.WORK_ASPECTS`, kept comma-separated in the order chosen."""

    __tablename__ = "match_preferences"
    __table_args__ = (CheckConstraint("budget IS NULL OR budget > 0", name="budget_positive"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    budget: Mapped[int | None] = mapped_column(Money)
    aspect_codes: Mapped[str] = mapped_column(String(200), default="")
    regions_required: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    regions: Mapped[list["Region"]] = relationship(secondary=preference_regions, order_by="Region.code")  # noqa: F821
    tiers: Mapped[list["PackageTier"]] = relationship(  # noqa: F821
        secondary=preference_tiers, order_by="PackageTier.sort_order"
    )

    @property
    def aspects(self):
        """The chosen aspect codes as a list."""
        return [code for code in (self.aspect_codes or "").split(",") if code]


class CollaboratorSite(db.Model):
    """A place a collaborator funds around: a company's plant or office ("ring 1"), or a person's home."""

    __tablename__ = "collaborator_sites"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coordinates_valid"),
        CheckConstraint("radius_km > 0 AND radius_km <= 100", name="radius_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    lat: Mapped[float]
    lon: Mapped[float]
    radius_km: Mapped[int] = mapped_column(default=5)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
