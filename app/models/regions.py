"""Regions (Kemendagri hierarchy), RWs and their slum assessments."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import in_choices, utcnow
from app.domain import CRITERION_COLUMNS, RegionLevel, SlumLevel
from app.extensions import db


class Region(db.Model):
    """A provinsi, kabupaten/kota, kecamatan or kelurahan, keyed by its official code."""

    __tablename__ = "regions"
    __table_args__ = (in_choices("level", list(RegionLevel), "level_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    level: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    area_km2: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None]
    # Approximate centre for maps until a boundary is imported.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    boundary_geojson: Mapped[str | None] = mapped_column(Text)

    parent: Mapped["Region | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Region"]] = relationship(back_populates="parent", order_by="Region.code")

    def __repr__(self):
        return f"<Region {self.code} {self.name}>"


class RW(db.Model):
    """A rukun warga: the neighbourhood unit a package improves.

    `kecamatan_id` and `kota_id` copy the kelurahan's ancestors so catalogue filters are single
    indexed lookups at national scale; `slum_score`/`slum_level` mirror the latest assessment.
    Both are maintained by the services that write RWs and assessments.
    """

    __tablename__ = "rws"
    __table_args__ = (
        UniqueConstraint("kelurahan_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("households >= 0", name="households_non_negative"),
        CheckConstraint("population >= 0", name="population_non_negative"),
        CheckConstraint("area_ha >= 0", name="area_non_negative"),
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coordinates_valid"),
        Index("ix_rws_kota_level", "kota_id", "slum_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    kecamatan_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    kota_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    number: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(120))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    location_approximate: Mapped[bool] = mapped_column(default=True)
    boundary_geojson: Mapped[str | None] = mapped_column(Text)
    households: Mapped[int] = mapped_column(default=0)
    population: Mapped[int] = mapped_column(default=0)
    area_ha: Mapped[float] = mapped_column(Float, default=0.0)
    slum_score: Mapped[int | None] = mapped_column(index=True)
    slum_level: Mapped[str | None] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    kelurahan: Mapped[Region] = relationship(foreign_keys=[kelurahan_id])
    kecamatan: Mapped[Region] = relationship(foreign_keys=[kecamatan_id])
    kota: Mapped[Region] = relationship(foreign_keys=[kota_id])
    assessments: Mapped[list["SlumAssessment"]] = relationship(
        back_populates="rw", order_by="SlumAssessment.assessed_on", cascade="all, delete-orphan"
    )
    packages: Mapped[list["Package"]] = relationship(back_populates="rw")  # noqa: F821

    @property
    def label(self):
        """'RW 07 Kalibaru' — how people name an RW."""
        return f"RW {self.number:02d} {self.kelurahan.name}"

    def __repr__(self):
        return f"<RW {self.number:02d} kelurahan={self.kelurahan_id}>"


def _share_column():
    """Share of the RW area affected by one criterion, in percent (0–100)."""
    return mapped_column(Float, default=0.0)


def _share_checks():
    return tuple(
        CheckConstraint(f"{column} >= 0 AND {column} <= 100", name=f"{column}_share")
        for column in CRITERION_COLUMNS
    )


class SlumAssessment(db.Model):
    """One assessment of an RW under Permen PUPR 14/2018; the history shows the reduction.

    The sixteen shares are the inputs; `total_score` and `level` are computed by
    `app.services.scoring` when the assessment is recorded and stored for querying.
    """

    __tablename__ = "slum_assessments"
    __table_args__ = (
        *_share_checks(),
        CheckConstraint("total_score BETWEEN 0 AND 80", name="total_in_range"),
        in_choices("level", list(SlumLevel), "level_known"),
        Index("ix_slum_assessments_rw_date", "rw_id", "assessed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rw_id: Mapped[int] = mapped_column(ForeignKey("rws.id", ondelete="CASCADE"))
    assessed_on: Mapped[date]
    is_baseline: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str | None] = mapped_column(String(200))
    verified_area_ha: Mapped[float | None] = mapped_column(Float)
    buildings: Mapped[int | None]
    population: Mapped[int | None]
    households: Mapped[int | None]
    ideal_road_length_m: Mapped[float | None] = mapped_column(Float)
    ideal_drain_length_m: Mapped[float | None] = mapped_column(Float)

    bld_irregular: Mapped[float] = _share_column()
    bld_density: Mapped[float] = _share_column()
    bld_noncompliant: Mapped[float] = _share_column()
    road_coverage: Mapped[float] = _share_column()
    road_surface: Mapped[float] = _share_column()
    water_access: Mapped[float] = _share_column()
    water_need: Mapped[float] = _share_column()
    drain_runoff: Mapped[float] = _share_column()
    drain_missing: Mapped[float] = _share_column()
    drain_quality: Mapped[float] = _share_column()
    waste_system: Mapped[float] = _share_column()
    waste_facility: Mapped[float] = _share_column()
    solid_facility: Mapped[float] = _share_column()
    solid_management: Mapped[float] = _share_column()
    fire_prasarana: Mapped[float] = _share_column()
    fire_sarana: Mapped[float] = _share_column()

    total_score: Mapped[int]
    level: Mapped[str] = mapped_column(String(20))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rw: Mapped[RW] = relationship(back_populates="assessments")

    def shares(self):
        """The sixteen criterion shares as a dict keyed by column name."""
        return {column: getattr(self, column) for column in CRITERION_COLUMNS}
