"""Open-data coverage: the programme's reach and money per kota, kecamatan or kelurahan, in one statement.

Definitions are the monitoring dashboard's (`app.services.monitoring`), so the open data and government's
own figures agree:
- an RW is "in the programme" when it has a counted package (public and not cancelled: published, funded,
  in progress, completed), "funded" when one of them is funded, in progress or completed, "completed" when
  one is completed; "severe" is its latest slum level berat, and a severe RW "without funding" has no funded
  package (no package at all, or only an open one);
- households reached are those of funded RWs;
- need is the sum of counted packages' estimates; committed, received and spent their running totals;
- progress is the cost-weighted mean of the counted packages' verified progress (Σ estimate × % ÷ Σ estimate);
- shares are whole percents rounded down: funded RWs of the RWs in the programme, committed of the need.
Every region of the level with at least one RW in the scope gets a row. Nothing personal is selected.
"""
from dataclasses import asdict, dataclass

from sqlalchemy import and_, case, func, select

from app.domain import PackageStatus, SlumLevel
from app.extensions import db
from app.models import RW, Package, Region
from app.services.stats import COUNTED_STATUSES

# The API's level words → the RW column naming the RW's region of that level (copied onto RWs for speed).
LEVELS = {"kota": RW.kota_id, "kecamatan": RW.kecamatan_id, "kelurahan": RW.kelurahan_id}
FUNDED_STATUSES = (PackageStatus.FUNDED, PackageStatus.IN_PROGRESS, PackageStatus.COMPLETED)
COUNTS = ("rws", "rws_in_programme", "funded_rws", "completed_rws", "severe_rws", "severe_rws_unfunded",
          "households_reached", "need", "committed", "received", "spent", "weighted_progress")


@dataclass
class Figures:
    """One region's coverage (or the sum of several, with empty code and name)."""

    code: str
    name: str
    level: str
    rws: int = 0
    rws_in_programme: int = 0
    funded_rws: int = 0
    completed_rws: int = 0
    severe_rws: int = 0
    severe_rws_unfunded: int = 0
    households_reached: int = 0
    need: int = 0
    committed: int = 0
    received: int = 0
    spent: int = 0
    weighted_progress: int = 0  # Σ estimate × progress %, kept so sums of regions stay exact

    @property
    def progress_pct(self):
        """Cost-weighted verified progress, whole percent."""
        return self.weighted_progress // self.need if self.need else 0

    @property
    def funded_rws_pct(self):
        """Funded RWs of the RWs in the programme, whole percent."""
        return 100 * self.funded_rws // self.rws_in_programme if self.rws_in_programme else 0

    @property
    def committed_pct(self):
        """Committed of the need, whole percent."""
        return 100 * self.committed // self.need if self.need else 0

    def as_dict(self):
        """The published fields: the counts and money, progress and shares (not the weighted sum)."""
        values = asdict(self)
        del values["weighted_progress"]
        return {**values, "progress_pct": self.progress_pct,
                "shares": {"funded_rws_pct": self.funded_rws_pct, "committed_pct": self.committed_pct}}


def _per_rw():
    """Per RW with a counted package: funded and completed flags and the money of its counted packages."""
    return (
        select(Package.rw_id.label("rw_id"),
               func.max(case((Package.status.in_(FUNDED_STATUSES), 1), else_=0)).label("funded"),
               func.max(case((Package.status == PackageStatus.COMPLETED, 1), else_=0)).label("completed"),
               func.sum(Package.estimate).label("need"), func.sum(Package.committed).label("committed"),
               func.sum(Package.received).label("received"), func.sum(Package.spent).label("spent"),
               func.sum(Package.estimate * Package.progress_pct).label("weighted"))
        .where(Package.status.in_(COUNTED_STATUSES)).group_by(Package.rw_id).subquery("per_rw")
    )


def regions(level, kota_id=None, kecamatan_id=None):
    """[Figures] of every region of `level` (a key of LEVELS) with RWs, by code, limited to the RWs of a
    kota and/or kecamatan when their ids are given: one statement at any size."""
    column = LEVELS[level]
    per_rw = _per_rw()
    funded = per_rw.c.funded == 1
    severe = RW.slum_level == SlumLevel.BERAT
    money = [func.coalesce(func.sum(per_rw.c[name]), 0) for name in ("need", "committed", "received", "spent",
                                                                    "weighted")]
    totals = (
        select(column.label("region_id"), func.count(RW.id), func.count(per_rw.c.rw_id),
               func.count(case((funded, RW.id))), func.count(case((per_rw.c.completed == 1, RW.id))),
               func.count(case((severe, RW.id))),
               func.count(case((and_(severe, func.coalesce(per_rw.c.funded, 0) == 0), RW.id))),
               func.coalesce(func.sum(case((funded, RW.households), else_=0)), 0), *money)
        .select_from(RW).outerjoin(per_rw, per_rw.c.rw_id == RW.id)
        .where(*([RW.kota_id == kota_id] if kota_id else []),
               *([RW.kecamatan_id == kecamatan_id] if kecamatan_id else []))
        .group_by(column).subquery("totals")
    )
    figures = [c for c in totals.c if c.name != "region_id"]
    rows = db.session.execute(
        select(Region.code, Region.name, Region.level, *figures)
        .join(totals, totals.c.region_id == Region.id).order_by(Region.code)
    )
    return [Figures(code, name, region_level, *(int(value) for value in values))
            for code, name, region_level, *values in rows]


def total(figures):
    """The sum of regions' figures (RWs belong to one region of a level, so nothing counts twice)."""
    return Figures("", "", "", *(sum(getattr(f, name) for f in figures) for name in COUNTS))
